package record_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/deconflict/deconflict/record"
)

func TestVerifiedState(t *testing.T) {
	dir := t.TempDir()
	origin := "127.0.0.1:8080/ru-us-syria"
	if _, err := record.LoadVerified(dir, origin); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("first load: err=%v, want fs.ErrNotExist", err)
	}
	f := newFakeNode(t, 10)
	v := &record.Verified{Origin: origin, Size: f.cp.Size, Root: f.cp.Root, Checkpoint: string(f.signed), NodeKey: "k"}
	if err := record.SaveVerified(dir, v); err != nil {
		t.Fatal(err)
	}
	got, err := record.LoadVerified(dir, origin)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *v {
		t.Fatalf("LoadVerified=%+v, want %+v", got, v)
	}
	if got, want := got.Tree(), (record.Checkpoint{Origin: origin, Size: 10, Root: f.cp.Root}); got != want {
		t.Fatalf("Tree=%v, want %v", got, want)
	}
	// Overwrite; another channel of the same node is kept apart.
	v.Size = 11
	if err := record.SaveVerified(dir, v); err != nil {
		t.Fatal(err)
	}
	other := &record.Verified{Origin: "127.0.0.1:8080/ru-nato", Size: 1}
	if err := record.SaveVerified(dir, other); err != nil {
		t.Fatal(err)
	}
	if got, err := record.LoadVerified(dir, origin); err != nil || got.Size != 11 {
		t.Fatalf("after overwrite: %+v, %v", got, err)
	}
	if got, err := record.LoadVerified(dir, other.Origin); err != nil || got.Size != 1 {
		t.Fatalf("other channel: %+v, %v", got, err)
	}
	// No temporary file is left behind.
	ents, err := os.ReadDir(filepath.Join(dir, "checkpoints"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(ents), 2; got != want {
		t.Fatalf("%d files in the state directory, want %d: %v", got, want, ents)
	}
	// A file edited by hand into nonsense is reported, not trusted.
	if err := os.WriteFile(filepath.Join(dir, "checkpoints", ents[0].Name()), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	bad := 0
	for _, o := range []string{origin, other.Origin} {
		if _, err := record.LoadVerified(dir, o); errors.Is(err, record.ErrMalformed) {
			bad++
		}
	}
	if bad != 1 {
		t.Fatalf("%d malformed state files reported, want 1", bad)
	}
	if err := record.SaveVerified(dir, &record.Verified{Origin: "a b"}); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("bad origin: err=%v, want ErrMalformed", err)
	}
}
