package witness

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
)

// cosignatureAlg is the signature type byte of C2SP tlog-cosignature v1
// keys (Ed25519 over "cosignature/v1\ntime T\n" || checkpoint body).
const cosignatureAlg = 0x04

// Cosigner makes C2SP tlog-cosignature v1 cosignatures with a witness's
// Ed25519 key. It is written here rather than taken from torchwood's
// CosignatureSigner so that the timestamp comes from an injected clock;
// the tests check its output with torchwood's verifier.
type Cosigner struct {
	name string
	key  ed25519.PrivateKey
	hash uint32

	// Now is the clock the timestamps come from (time.Now by default).
	Now func() time.Time
}

// NewCosigner returns a cosigner for the witness name (a signed-note key
// name: no spaces, no '+', UTF-8) and its key.
func NewCosigner(name string, key ed25519.PrivateKey) (*Cosigner, error) {
	if err := checkKeyName(name); err != nil {
		return nil, fmt.Errorf("cosigner: %w", err)
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("cosigner %q: private key of %d bytes, want %d", name, len(key), ed25519.PrivateKeySize)
	}
	pub := key.Public().(ed25519.PublicKey)
	return &Cosigner{name: name, key: key, hash: CosignatureKeyID(name, pub), Now: time.Now}, nil
}

// Name returns the witness name, the key name of its cosignature lines.
func (c *Cosigner) Name() string { return c.name }

// KeyHash returns the key ID of the cosignatures (see CosignatureKeyID).
func (c *Cosigner) KeyHash() uint32 { return c.hash }

// VerifierKey returns the witness's cosignature verifier key as a
// signed-note vkey: "<name>+<key id hex>+<base64(0x04 || public key)>",
// the form C2SP tlog-policy "witness" lines carry.
func (c *Cosigner) VerifierKey() string {
	pub := c.key.Public().(ed25519.PublicKey)
	return fmt.Sprintf("%s+%08x+%s", c.name, c.hash, base64.StdEncoding.EncodeToString(append([]byte{cosignatureAlg}, pub...)))
}

// Cosign returns the cosignature line ("— <name> <base64>\n") for the
// checkpoint note text (body only: origin, size, root and any extension
// lines, ending in a newline; no signature lines). The signature is the
// 72-byte timestamped_signature of C2SP tlog-cosignature v1 after the
// 4-byte key ID.
func (c *Cosigner) Cosign(text string) (string, error) {
	if _, err := torchwood.ParseCheckpoint(text); err != nil {
		return "", fmt.Errorf("cosign: %w: not a checkpoint body", ErrMalformed)
	}
	t := c.Now().Unix()
	if t <= 0 {
		return "", fmt.Errorf("cosign: clock reads %v, before 1970", c.Now())
	}
	sig := ed25519.Sign(c.key, cosignedMessage(uint64(t), text))
	b := make([]byte, 0, 4+8+ed25519.SignatureSize)
	b = binary.BigEndian.AppendUint32(b, c.hash)
	b = binary.BigEndian.AppendUint64(b, uint64(t))
	b = append(b, sig...)
	return "— " + c.name + " " + base64.StdEncoding.EncodeToString(b) + "\n", nil
}

func cosignedMessage(t uint64, text string) []byte {
	return []byte("cosignature/v1\ntime " + strconv.FormatUint(t, 10) + "\n" + text)
}

// CosignatureKeyID is the key ID of tlog-cosignature v1:
// SHA-256(name || "\n" || 0x04 || public key)[:4], big-endian.
func CosignatureKeyID(name string, pub ed25519.PublicKey) uint32 {
	h := sha256.New()
	io.WriteString(h, name+"\n")
	h.Write([]byte{cosignatureAlg})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// NewCosignatureVerifier returns a signed-note verifier for the
// tlog-cosignature v1 vkey of a witness ("<name>+<hex id>+<base64(0x04 ||
// key)>"). Verification is torchwood's: the verifier checks the 72-byte
// timestamped signature over the cosigned message.
func NewCosignatureVerifier(vkey string) (note.Verifier, error) {
	name, hash, pub, err := parseCosignatureKey(vkey)
	if err != nil {
		return nil, err
	}
	s, err := torchwood.NewCosignatureSigner(name, publicKey(pub))
	if err != nil {
		return nil, fmt.Errorf("witness key %q: %w", vkey, err)
	}
	v := s.Verifier()
	if v.KeyHash() != hash {
		return nil, fmt.Errorf("witness key %q: key ID %08x, want %08x for that name and key", vkey, hash, v.KeyHash())
	}
	return v, nil
}

// parseCosignatureKey splits a cosignature vkey into its name, key ID and
// Ed25519 public key.
func parseCosignatureKey(vkey string) (string, uint32, ed25519.PublicKey, error) {
	name, rest, ok1 := strings.Cut(vkey, "+")
	hexID, b64, ok2 := strings.Cut(rest, "+")
	if !ok1 || !ok2 {
		return "", 0, nil, fmt.Errorf("witness key %q: %w: want <name>+<key id>+<base64 key>", vkey, ErrMalformed)
	}
	if err := checkKeyName(name); err != nil {
		return "", 0, nil, fmt.Errorf("witness key %q: %w", vkey, err)
	}
	id, err := strconv.ParseUint(hexID, 16, 32)
	if err != nil || len(hexID) != 8 {
		return "", 0, nil, fmt.Errorf("witness key %q: %w: key id %q is not 8 hex digits", vkey, ErrMalformed, hexID)
	}
	k, err := base64.StdEncoding.Strict().DecodeString(b64)
	if err != nil {
		return "", 0, nil, fmt.Errorf("witness key %q: %w: key is not base64", vkey, ErrMalformed)
	}
	if len(k) != 1+ed25519.PublicKeySize || k[0] != cosignatureAlg {
		return "", 0, nil, fmt.Errorf("witness key %q: %w: want type 0x04 (tlog-cosignature v1) and a 32-byte Ed25519 key", vkey, ErrMalformed)
	}
	return name, uint32(id), ed25519.PublicKey(k[1:]), nil
}

// publicKey is a crypto.Signer that only has a public key: torchwood
// builds its cosignature verifiers from a signer, and a verifier never
// signs.
type publicKey ed25519.PublicKey

func (k publicKey) Public() crypto.PublicKey { return ed25519.PublicKey(k) }

func (k publicKey) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("a verifier key cannot sign")
}

// CosignatureTime returns the timestamp of a tlog-cosignature v1
// signature (its base64 as on the signature line).
func CosignatureTime(sig note.Signature) (time.Time, error) {
	t, err := torchwood.CosignatureTimestamp(sig)
	if err != nil {
		return time.Time{}, fmt.Errorf("cosignature by %s: %w: %v", sig.Name, ErrMalformed, err)
	}
	return time.Unix(t, 0).UTC(), nil
}

// checkKeyName applies the signed-note key name rules.
func checkKeyName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("key name: %w: empty", ErrMalformed)
	case !utf8.ValidString(name):
		return fmt.Errorf("key name %q: %w: not UTF-8", name, ErrMalformed)
	case strings.ContainsRune(name, '+'):
		return fmt.Errorf("key name %q: %w: contains '+'", name, ErrMalformed)
	case strings.IndexFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return fmt.Errorf("key name %q: %w: contains a space or control character", name, ErrMalformed)
	}
	return nil
}
