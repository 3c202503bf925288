package record_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/deconflict/deconflict/record"
)

// MustKey returns a deterministic Ed25519 key for seed byte b.
func MustKey(b byte) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
}

func MustSign(tb testing.TB, c record.Checkpoint, key ed25519.PrivateKey) []byte {
	tb.Helper()
	b, err := record.SignCheckpoint(c, key)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestOrigin(t *testing.T) {
	o, err := record.Origin("node.example.org/ops", "ru-us-syria")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := o, "node.example.org/ops/ru-us-syria"; got != want {
		t.Fatalf("Origin=%q, want %q", got, want)
	}
	node, ch, err := record.SplitOrigin(o)
	if err != nil {
		t.Fatal(err)
	}
	if node != "node.example.org/ops" || ch != "ru-us-syria" {
		t.Fatalf("SplitOrigin=%q, %q", node, ch)
	}
	for _, tc := range [][2]string{{"", "c"}, {"n", ""}, {"n", "a/b"}, {"n n", "c"}, {"n+1", "c"}, {"n", "c\n"}, {"n\xff", "c"}} {
		if _, err := record.Origin(tc[0], tc[1]); !errors.Is(err, record.ErrMalformed) {
			t.Errorf("Origin(%q, %q): err=%v, want ErrMalformed", tc[0], tc[1], err)
		}
	}
	for _, o := range []string{"", "nochannel", "/c", "n/", "a b/c"} {
		if _, _, err := record.SplitOrigin(o); !errors.Is(err, record.ErrMalformed) {
			t.Errorf("SplitOrigin(%q): err=%v, want ErrMalformed", o, err)
		}
	}
}

// TestVerifierKeyID checks the key id against the signed-note rule written
// out: SHA-256(name || 0x0A || 0x01 || public key)[:4].
func TestVerifierKeyID(t *testing.T) {
	key := MustKey(1)
	pub := key.Public().(ed25519.PublicKey)
	vkey, err := record.VerifierKey("n1/ch", pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append([]byte("n1/ch\n\x01"), pub...))
	want := fmt.Sprintf("n1/ch+%08x+%s", binary.BigEndian.Uint32(sum[:4]), base64.StdEncoding.EncodeToString(append([]byte{1}, pub...)))
	if vkey != want {
		t.Fatalf("VerifierKey=%q, want %q", vkey, want)
	}
	name, got, err := record.ParseVerifierKey(vkey)
	if err != nil {
		t.Fatal(err)
	}
	if name != "n1/ch" || !got.Equal(pub) {
		t.Fatalf("ParseVerifierKey=%q, %x", name, got)
	}
	for _, bad := range []string{"", "n1/ch", "n1/ch+00000000+" + want[len("n1/ch+12345678+"):], "PRIVATE+KEY+x"} {
		if _, _, err := record.ParseVerifierKey(bad); !errors.Is(err, record.ErrMalformed) {
			t.Errorf("ParseVerifierKey(%q): err=%v, want ErrMalformed", bad, err)
		}
	}
}

func TestCheckpointSignOpen(t *testing.T) {
	key := MustKey(1)
	pub := key.Public().(ed25519.PublicKey)
	c := record.Checkpoint{Origin: "n1/ch", Size: 120, Root: refMTH(leafHashes(120))}
	signed := MustSign(t, c, key)
	if !strings.HasPrefix(string(signed), c.Text()+"\n\u2014 n1/ch ") {
		t.Fatalf("signed checkpoint:\n%s", signed)
	}
	got, err := record.OpenCheckpoint(signed, "n1/ch", pub)
	if err != nil {
		t.Fatal(err)
	}
	if got != c {
		t.Fatalf("OpenCheckpoint=%v, want %v", got, c)
	}
	if got, err := record.OpenCheckpoint(signed, "", pub); err != nil || got != c {
		t.Fatalf("OpenCheckpoint(any origin)=%v, %v", got, err)
	}

	// A witness cosignature (another key) is ignored.
	ws, err := record.CheckpointSigner("witness.example", MustKey(9))
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open(signed, note.VerifierList(mustVerifier(t, "n1/ch", pub)))
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := note.Sign(n, ws)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := record.OpenCheckpoint(cosigned, "n1/ch", pub); err != nil || got != c {
		t.Fatalf("OpenCheckpoint(cosigned)=%v, %v", got, err)
	}

	flipSig := append([]byte(nil), signed...)
	flipSig[len(flipSig)-5] ^= 'A' ^ 'B'
	otherKey := MustSign(t, c, MustKey(2))
	otherOrigin := MustSign(t, record.Checkpoint{Origin: "n1/other", Size: 120, Root: c.Root}, key)
	changedSize := bytes.Replace(signed, []byte("\n120\n"), []byte("\n121\n"), 1)
	for name, tc := range map[string]struct {
		msg  []byte
		want error
		text string
	}{
		"ErrBadSignature": {flipSig, record.ErrBadSignature, "bad signature"},
		"ErrChangedSize":  {changedSize, record.ErrBadSignature, "bad signature"},
		"ErrWrongKey":     {otherKey, record.ErrUnknownKey, "not signed by the expected key"},
		"ErrWrongOrigin":  {otherOrigin, record.ErrWrongOrigin, `origin "n1/other", want "n1/ch"`},
		"ErrEmpty":        {nil, record.ErrMalformed, "no origin line"},
		"ErrNoSignature":  {[]byte(c.Text()), record.ErrMalformed, "malformed"},
		"ErrGarbage":      {[]byte("n1/ch\n\x00\x01"), record.ErrMalformed, "malformed"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := record.OpenCheckpoint(tc.msg, "n1/ch", pub)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err=%v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("err=%q, want it to say %q", err, tc.text)
			}
		})
	}
}

func mustVerifier(tb testing.TB, name string, pub ed25519.PublicKey) note.Verifier {
	tb.Helper()
	vkey, err := record.VerifierKey(name, pub)
	if err != nil {
		tb.Fatal(err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// TestCheckpointMalformed signs malformed texts with the right key: the
// signature holds, the text is rejected with what is wrong with it.
func TestCheckpointMalformed(t *testing.T) {
	key := MustKey(1)
	pub := key.Public().(ed25519.PublicKey)
	s, err := record.CheckpointSigner("n1/ch", key)
	if err != nil {
		t.Fatal(err)
	}
	root := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for name, tc := range map[string]struct{ text, says string }{
		"LeadingZero":    {"n1/ch\n012\n" + root + "\n", `size "012"`},
		"Negative":       {"n1/ch\n-1\n" + root + "\n", `size "-1"`},
		"Plus":           {"n1/ch\n+1\n" + root + "\n", `size "+1"`},
		"Hex":            {"n1/ch\n0x10\n" + root + "\n", `size "0x10"`},
		"Overflow":       {"n1/ch\n9223372036854775808\n" + root + "\n", "not a 63-bit"},
		"Spaces":         {"n1/ch\n 12\n" + root + "\n", `size " 12"`},
		"ShortHash":      {"n1/ch\n12\n" + root[:40] + "\n", "root hash"},
		"LongHash":       {"n1/ch\n12\n" + base64.StdEncoding.EncodeToString(make([]byte, 33)) + "\n", "root hash"},
		"URLBase64":      {"n1/ch\n12\n" + base64.URLEncoding.EncodeToString(bytes.Repeat([]byte{0xfb}, 32)) + "\n", "root hash"},
		"NoPadding":      {"n1/ch\n12\n" + strings.TrimRight(root, "=") + "\n", "root hash"},
		"TwoLines":       {"n1/ch\n12\n", "2 lines"},
		"EmptyExtension": {"n1/ch\n12\n" + root + "\n\nx\n", "line 4"},
	} {
		t.Run(name, func(t *testing.T) {
			msg, err := note.Sign(&note.Note{Text: tc.text}, s)
			if err != nil {
				// note refuses to sign some texts (blank lines); then parse the text alone.
				_, err = record.ParseCheckpointText(tc.text)
			} else {
				_, err = record.OpenCheckpoint(msg, "n1/ch", pub)
			}
			if !errors.Is(err, record.ErrMalformed) {
				t.Fatalf("err=%v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err=%q, want it to say %q", err, tc.says)
			}
		})
	}
}

// TestCheckpointC2SPExample parses the example of the C2SP specification,
// extension lines included.
func TestCheckpointC2SPExample(t *testing.T) {
	c, err := record.ParseCheckpointText("example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nextension\n")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Size, int64(20852163); got != want {
		t.Fatalf("Size=%d, want %d", got, want)
	}
	if got, want := c.Origin, "example.com/behind-the-sofa"; got != want {
		t.Fatalf("Origin=%q, want %q", got, want)
	}
	if got, want := c.Text(), "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"; got != want {
		t.Fatalf("Text=%q, want %q", got, want)
	}
}

func TestSignCheckpointErrors(t *testing.T) {
	if _, err := record.SignCheckpoint(record.Checkpoint{Origin: "a b", Size: 1}, MustKey(1)); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("origin with a space: err=%v, want ErrMalformed", err)
	}
	if _, err := record.SignCheckpoint(record.Checkpoint{Origin: "a/b", Size: -1}, MustKey(1)); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("negative size: err=%v, want ErrMalformed", err)
	}
	if _, err := record.SignCheckpoint(record.Checkpoint{Origin: "a/b"}, MustKey(1)[:10]); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("short key: err=%v, want ErrMalformed", err)
	}
}

// TestParseVerifierKeyPlusInKey covers keys whose base64 holds '+', which
// a parser splitting at the last '+' gets wrong.
func TestParseVerifierKeyPlusInKey(t *testing.T) {
	n := 0
	for b := byte(0); b < 255 && n < 20; b++ {
		key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{b}, ed25519.SeedSize))
		pub := key.Public().(ed25519.PublicKey)
		vkey, err := record.VerifierKey("node/ch", pub)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Count(vkey, "+") < 3 { // no + in the base64 key
			continue
		}
		n++
		name, got, err := record.ParseVerifierKey(vkey)
		if err != nil || name != "node/ch" || !got.Equal(pub) {
			t.Fatalf("ParseVerifierKey(%q) = %q, %v, %v; want node/ch and the key", vkey, name, got, err)
		}
	}
	if n == 0 {
		t.Fatal("no key with '+' in its base64 among those tried")
	}
}
