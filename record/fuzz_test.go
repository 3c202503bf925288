package record_test

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/record"
)

// FuzzParseCheckpointText: no input panics; what parses formats back to
// the same text (less extension lines) and reparses to the same value.
func FuzzParseCheckpointText(f *testing.F) {
	f.Add("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n")
	f.Add("n1/ch\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\next\n")
	f.Add("n1/ch\n012\nAAAA\n")
	f.Add("n1/ch\n\n\n")
	f.Fuzz(func(t *testing.T, text string) {
		c, err := record.ParseCheckpointText(text)
		if err != nil {
			return
		}
		if c.Size < 0 {
			t.Fatalf("negative size from %q", text)
		}
		if !strings.HasPrefix(text, c.Text()) {
			t.Fatalf("Text()=%q is not a prefix of the input %q", c.Text(), text)
		}
		c2, err := record.ParseCheckpointText(c.Text())
		if err != nil || c2 != c {
			t.Fatalf("reparse of %q: %v, %v", c.Text(), c2, err)
		}
	})
}

// FuzzOpenCheckpoint: no signed note panics OpenCheckpoint, and only what
// the key signed opens.
func FuzzOpenCheckpoint(f *testing.F) {
	key := MustKey(1)
	pub := key.Public().(ed25519.PublicKey)
	signed, err := record.SignCheckpoint(record.Checkpoint{Origin: "n1/ch", Size: 5, Root: record.EmptyRoot}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(signed)
	f.Add([]byte("n1/ch\n5\n\n— n1/ch AAAA\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		c, err := record.OpenCheckpoint(msg, "n1/ch", pub)
		if err != nil {
			return
		}
		if !strings.HasPrefix(string(msg), c.Text()) {
			t.Fatalf("opened %v from a note whose text is not its own: %q", c, msg)
		}
	})
}

// FuzzParseTilePath: no input panics; only canonical paths parse, and
// they format back to themselves.
func FuzzParseTilePath(f *testing.F) {
	for _, p := range []string{"tile/0/000", "tile/3/x001/x234/067.p/1", "tile/entries/x001/000.p/255", "tile/8/0/000", "tile/0/x000/001"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, path string) {
		tl, err := record.ParseTilePath(path)
		if err != nil {
			return
		}
		if got := tl.Path(); got != path {
			t.Fatalf("ParseTilePath(%q).Path()=%q", path, got)
		}
		_ = tl.Check(1 << 40)
		if tl.Width < 1 || tl.Width > record.TileWidth || tl.N < 0 || tl.Level < record.EntriesLevel || tl.Level > 63 {
			t.Fatalf("ParseTilePath(%q)=%+v out of range", path, tl)
		}
	})
}

// FuzzParseEntryBundle: no input panics; what parses encodes back to the
// same bytes.
func FuzzParseEntryBundle(f *testing.F) {
	f.Add([]byte{0, 1, 'a', 0, 0}, 2)
	f.Add([]byte{0xff, 0xff, 1}, 1)
	f.Fuzz(func(t *testing.T, data []byte, width int) {
		es, err := record.ParseEntryBundle(data, width)
		if err != nil {
			return
		}
		b, err := record.EncodeEntryBundle(es)
		if err != nil || string(b) != string(data) {
			t.Fatalf("re-encoding %x: %x, %v", data, b, err)
		}
	})
}

// FuzzVerifyReceipt: no receipt panics the verifier, and none verifies
// unless it is for a leaf the node logged.
func FuzzVerifyReceipt(f *testing.F) {
	key := MustKey(1)
	pub := key.Public().(ed25519.PublicKey)
	for _, r := range MustReceipts(f, 5, key) {
		b, err := json.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"index":-1,"proof":[],"checkpoint":"n1/ch\n0\n"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := record.ParseReceipt(data)
		if err != nil {
			return
		}
		if _, err := record.VerifyReceipt(r, pub); err != nil {
			return
		}
		if r.Index < 0 || r.Index >= 5 || (r.Leaf != nil && string(r.Leaf) != string(leafData(int(r.Index)))) {
			t.Fatalf("receipt for a leaf never logged verified: %s", data)
		}
	})
}
