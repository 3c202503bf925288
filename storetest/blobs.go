package storetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
)

func blob(data []byte, typ string, at time.Time) *deconflict.Blob {
	return &deconflict.Blob{SHA256: sha256.Sum256(data), Type: typ, Size: int64(len(data)), Data: data, Created: at}
}

func testBlobs(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US", "FR")
	for _, c := range []*deconflict.Channel{
		{ID: "a", Members: []string{"RU", "US"}, Created: t0},
		{ID: "b", Members: []string{"US", "FR"}, Created: t0},
	} {
		if err := s.CreateChannel(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0, 1, 2, 0xff}, 70000)...) // beyond one page
	if err := s.PutBlob(ctx, "a", blob(png, "image/png", t0)); err != nil {
		t.Fatal(err)
	}
	b, err := s.ReadBlob(ctx, "a", sha256.Sum256(png))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Data, png) || b.Type != "image/png" || b.Size != int64(len(png)) || !b.Created.Equal(t0) || b.SHA256 != sha256.Sum256(png) {
		t.Fatalf("ReadBlob: type %q size %d created %v, %d bytes (equal %v)", b.Type, b.Size, b.Created, len(b.Data), bytes.Equal(b.Data, png))
	}
	st, err := s.StatBlob(ctx, "a", sha256.Sum256(png))
	if err != nil {
		t.Fatal(err)
	}
	if st.Data != nil || st.Type != "image/png" || st.Size != int64(len(png)) {
		t.Fatalf("StatBlob: type %q size %d, %d bytes of data", st.Type, st.Size, len(st.Data))
	}

	t.Run("ReadableOnlyWhereUploaded", func(t *testing.T) {
		_, err := s.ReadBlob(ctx, "b", sha256.Sum256(png))
		wantCode(t, "blob of channel a read on b", err, deconflict.ENOTFOUND)
		_, err = s.StatBlob(ctx, "b", sha256.Sum256(png))
		wantCode(t, "blob of channel a stated on b", err, deconflict.ENOTFOUND)
		_, err = s.ReadBlob(ctx, "a", sha256.Sum256([]byte("never stored")))
		wantCode(t, "missing blob", err, deconflict.ENOTFOUND)
	})
	t.Run("Deduplicated", func(t *testing.T) {
		// Again on a, the same type, later: nothing changes.
		again := blob(png, "image/png", t0.Add(time.Hour))
		if err := s.PutBlob(ctx, "a", again); err != nil {
			t.Fatal(err)
		}
		if !again.Created.Equal(t0) {
			t.Fatalf("PutBlob again: Created %v, want the first upload's %v", again.Created, t0)
		}
		// On b, under another type: its own type there, its bytes once.
		if err := s.PutBlob(ctx, "b", blob(png, "application/octet-stream", t0.Add(2*time.Hour))); err != nil {
			t.Fatal(err)
		}
		onB, err := s.ReadBlob(ctx, "b", sha256.Sum256(png))
		if err != nil {
			t.Fatal(err)
		}
		if onB.Type != "application/octet-stream" || !bytes.Equal(onB.Data, png) || !onB.Created.Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("blob on b: type %q created %v", onB.Type, onB.Created)
		}
		n, err := s.BlobBytes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := n, int64(len(png)); got != want {
			t.Fatalf("BlobBytes=%d, want %d (one copy)", got, want)
		}
	})
	t.Run("ErrOtherType", func(t *testing.T) {
		wantCode(t, "the same blob on a as another type", s.PutBlob(ctx, "a", blob(png, "text/plain", t0)), deconflict.ECONFLICT)
		if b, err := s.StatBlob(ctx, "a", sha256.Sum256(png)); err != nil || b.Type != "image/png" {
			t.Fatalf("after a refused put: %+v, %v", b, err)
		}
	})
	t.Run("ErrBadHash", func(t *testing.T) {
		bad := blob([]byte("radar"), "text/plain", t0)
		bad.Data = []byte("Radar")
		wantCode(t, "bytes not matching the hash", s.PutBlob(ctx, "a", bad), deconflict.EINVALID)
		_, err := s.StatBlob(ctx, "a", bad.SHA256)
		wantCode(t, "the refused blob", err, deconflict.ENOTFOUND)
		short := blob([]byte("radar"), "text/plain", t0)
		short.Size = 4
		wantCode(t, "size not matching the bytes", s.PutBlob(ctx, "a", short), deconflict.EINVALID)
	})
	t.Run("ErrNoChannel", func(t *testing.T) {
		wantCode(t, "blob on a missing channel", s.PutBlob(ctx, "zz", blob([]byte("x"), "text/plain", t0)), deconflict.ENOTFOUND)
	})
	t.Run("Count", func(t *testing.T) {
		txt := []byte("bearing 045, 2.5 NM")
		if err := s.PutBlob(ctx, "b", blob(txt, "text/plain", t0)); err != nil {
			t.Fatal(err)
		}
		n, err := s.BlobBytes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := n, int64(len(png)+len(txt)); got != want {
			t.Fatalf("BlobBytes=%d, want %d", got, want)
		}
	})
}

// testBlobsConcurrent puts the same blob from many goroutines at once (as
// several replicas might): every put succeeds and the bytes are stored once.
func testBlobsConcurrent(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US")
	if err := s.CreateChannel(ctx, &deconflict.Channel{ID: "a", Members: []string{"RU", "US"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("chart "), 1000)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.PutBlob(ctx, "a", blob(data, "text/plain", t0.Add(time.Duration(i)*time.Second)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	n, err := s.BlobBytes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n, int64(len(data)); got != want {
		t.Fatalf("BlobBytes=%d, want %d", got, want)
	}
	if b, err := s.ReadBlob(ctx, "a", sha256.Sum256(data)); err != nil || !bytes.Equal(b.Data, data) {
		t.Fatal(fmt.Sprint("read after concurrent puts: ", err))
	}
}

// testBlobsForget: uploads no envelope attaches are forgotten once old
// enough, on their channel only, and their bytes once no channel holds
// them; attached ones never; an append attaching a forgotten blob fails
// whole.
func testBlobsForget(t *testing.T, s deconflict.Store) {
	ctx := context.Background()
	mustParties(t, s, "RU", "US")
	for _, id := range []string{"a", "b"} {
		if err := s.CreateChannel(ctx, &deconflict.Channel{ID: id, Members: []string{"RU", "US"}, Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	x, y := []byte("radar screen, attached"), []byte("chart, never attached")
	for _, p := range []struct {
		channel string
		data    []byte
		at      time.Time
	}{{"a", x, t0}, {"a", y, t0}, {"b", x, t0.Add(2 * time.Hour)}} {
		if err := s.PutBlob(ctx, p.channel, blob(p.data, "text/plain", p.at)); err != nil {
			t.Fatal(err)
		}
	}
	attach := &deconflict.Batch{Channel: "a", TreeSize: 1, Checkpoint: []byte("cp1"), Envelopes: []*deconflict.Envelope{envelope("a", 0, fmt.Sprintf("%032x", 1))},
		Hashes: []deconflict.HashAt{{Index: 0, Hash: [32]byte{1}}}, Attached: [][32]byte{sha256.Sum256(x), sha256.Sum256(x)}}
	if err := s.Append(ctx, attach); err != nil {
		t.Fatal(err)
	}
	freed, err := s.ForgetBlobs(ctx, t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := freed, int64(len(y)); got != want {
		t.Fatalf("ForgetBlobs freed %d bytes, want %d (y only)", got, want)
	}
	_, err = s.StatBlob(ctx, "a", sha256.Sum256(y))
	wantCode(t, "the forgotten upload", err, deconflict.ENOTFOUND)
	for _, c := range []string{"a", "b"} {
		if _, err := s.ReadBlob(ctx, c, sha256.Sum256(x)); err != nil {
			t.Fatalf("x on %s after the first sweep: %v", c, err)
		}
	}
	// Later, x on b (never attached there) goes; its bytes stay for a.
	if freed, err := s.ForgetBlobs(ctx, t0.Add(3*time.Hour)); err != nil || freed != 0 {
		t.Fatalf("second sweep: freed %d, %v; want 0 (x is still a's)", freed, err)
	}
	_, err = s.StatBlob(ctx, "b", sha256.Sum256(x))
	wantCode(t, "x on b after the second sweep", err, deconflict.ENOTFOUND)
	if b, err := s.ReadBlob(ctx, "a", sha256.Sum256(x)); err != nil || !bytes.Equal(b.Data, x) {
		t.Fatalf("the attached x on a: %v", err)
	}
	if n, err := s.BlobBytes(ctx); err != nil || n != int64(len(x)) {
		t.Fatalf("BlobBytes=%d (%v), want %d", n, err, len(x))
	}
	// Attaching the forgotten y fails the whole append.
	late := &deconflict.Batch{Channel: "a", TreeSize: 2, Checkpoint: []byte("cp2"), Envelopes: []*deconflict.Envelope{envelope("a", 1, fmt.Sprintf("%032x", 2))},
		Hashes: []deconflict.HashAt{{Index: 1, Hash: [32]byte{2}}}, Attached: [][32]byte{sha256.Sum256(y)}}
	wantCode(t, "attaching a forgotten blob", s.Append(ctx, late), deconflict.EUNAVAILABLE)
	if n, err := s.LogSize(ctx, "a"); err != nil || n != 1 {
		t.Fatalf("LogSize=%d (%v) after a refused append, want 1", n, err)
	}
	if n, err := s.BlobBytes(ctx); err != nil || n != int64(len(x)) {
		t.Fatalf("BlobBytes=%d after the last sweep, want %d", n, len(x))
	}
}
