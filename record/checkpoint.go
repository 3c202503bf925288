package record

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is the tree head of a channel log: what a signed checkpoint
// (C2SP tlog-checkpoint, https://c2sp.org/tlog-checkpoint) commits to.
type Checkpoint struct {
	Origin string // the log's identity: Origin(node, channel)
	Size   int64  // number of leaves
	Root   Hash   // RFC 6962 root of the first Size leaves
}

// Text returns the checkpoint's note text: the origin, the size in decimal
// and the base64 root, each on its own line ending in a newline.
func (c Checkpoint) Text() string {
	return c.Origin + "\n" + strconv.FormatInt(c.Size, 10) + "\n" + base64.StdEncoding.EncodeToString(c.Root[:]) + "\n"
}

func (c Checkpoint) String() string { return fmt.Sprintf("%s@%d:%v", c.Origin, c.Size, c.Root) }

// Origin returns the origin line of the log of channel on node:
// "<node>/<channel>". node may itself contain slashes (a host and path, say
// "deconflict.example.org/syria"); channel may not. Neither may be empty or
// contain spaces, control characters or '+' (the signed-note key name rules,
// since the origin is also the name of the node's checkpoint key).
func Origin(node, channel string) (string, error) {
	if strings.Contains(channel, "/") {
		return "", fmt.Errorf("origin: channel %q: %w: contains '/'", channel, ErrMalformed)
	}
	if node == "" || channel == "" {
		return "", fmt.Errorf("origin: node %q, channel %q: %w: empty", node, channel, ErrMalformed)
	}
	o := node + "/" + channel
	if err := checkOrigin(o); err != nil {
		return "", err
	}
	return o, nil
}

// SplitOrigin returns the node and the channel of an origin made by Origin:
// the channel is what follows the last '/'.
func SplitOrigin(origin string) (node, channel string, err error) {
	i := strings.LastIndexByte(origin, '/')
	if i <= 0 || i == len(origin)-1 {
		return "", "", fmt.Errorf("origin %q: %w: want <node>/<channel>", origin, ErrMalformed)
	}
	if err := checkOrigin(origin); err != nil {
		return "", "", err
	}
	return origin[:i], origin[i+1:], nil
}

// checkOrigin applies the signed-note key name rules to an origin.
func checkOrigin(o string) error {
	switch {
	case o == "":
		return fmt.Errorf("origin: %w: empty", ErrMalformed)
	case !utf8.ValidString(o):
		return fmt.Errorf("origin %q: %w: not UTF-8", o, ErrMalformed)
	case strings.ContainsRune(o, '+'):
		return fmt.Errorf("origin %q: %w: contains '+'", o, ErrMalformed)
	case strings.IndexFunc(o, func(r rune) bool { return unicode.IsSpace(r) || r < 0x20 || r == 0x7f }) >= 0:
		return fmt.Errorf("origin %q: %w: contains a space or control character", o, ErrMalformed)
	}
	return nil
}

// ParseCheckpointText parses checkpoint note text (without signatures). It
// does not check any signature: use OpenCheckpoint for what comes from a
// node. Extension lines after the root are accepted and ignored, as the
// format requires.
func ParseCheckpointText(text string) (Checkpoint, error) {
	if !strings.HasSuffix(text, "\n") {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w: text does not end in a newline", ErrMalformed)
	}
	lines := strings.Split(text[:len(text)-1], "\n")
	if len(lines) < 3 {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w: %d lines, want origin, size and root hash", ErrMalformed, len(lines))
	}
	for i, l := range lines {
		if l == "" {
			return Checkpoint{}, fmt.Errorf("checkpoint: line %d: %w: empty", i+1, ErrMalformed)
		}
	}
	c := Checkpoint{Origin: lines[0]}
	s := lines[1]
	if s[0] < '0' || s[0] > '9' || (s[0] == '0' && len(s) > 1) {
		return Checkpoint{}, fmt.Errorf("checkpoint: size %q: %w: want a decimal number without sign or leading zeros", s, ErrMalformed)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: size %q: %w: not a 63-bit decimal number", s, ErrMalformed)
	}
	c.Size = n
	b, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(b) != HashSize || base64.StdEncoding.EncodeToString(b) != lines[2] {
		return Checkpoint{}, fmt.Errorf("checkpoint: root hash %q: %w: want %d bytes in standard base64", lines[2], ErrMalformed, HashSize)
	}
	copy(c.Root[:], b)
	return c, nil
}

// VerifierKey returns the signed-note verifier key (vkey,
// "<origin>+<key id>+<base64 key>") with which members check the
// checkpoints of the log origin signed by the node key pub. The key name is
// the origin, as C2SP tlog-checkpoint recommends, so a node has one vkey per
// channel, all for the same Ed25519 key; the key id follows the signed-note
// rule (first 4 bytes of SHA-256(name || 0x0A || 0x01 || key)).
func VerifierKey(origin string, pub ed25519.PublicKey) (string, error) {
	if err := checkOrigin(origin); err != nil {
		return "", err
	}
	if len(pub) != ed25519.PublicKeySize {
		return "", fmt.Errorf("verifier key for %q: %w: public key of %d bytes, want %d", origin, ErrMalformed, len(pub), ed25519.PublicKeySize)
	}
	return note.NewEd25519VerifierKey(origin, pub)
}

// ParseVerifierKey parses a signed-note Ed25519 verifier key and returns
// its name and public key. ErrMalformed if it is not one.
func ParseVerifierKey(vkey string) (name string, pub ed25519.PublicKey, err error) {
	if _, err := note.NewVerifier(vkey); err != nil {
		return "", nil, fmt.Errorf("verifier key %q: %w: %v", vkey, ErrMalformed, err)
	}
	// name+hash+key: the name and the hex hash hold no '+', the base64
	// key may.
	parts := strings.SplitN(vkey, "+", 3)
	b, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(b) != 1+ed25519.PublicKeySize || b[0] != 1 {
		return "", nil, fmt.Errorf("verifier key %q: %w: not an Ed25519 key", vkey, ErrMalformed)
	}
	return parts[0], ed25519.PublicKey(b[1:]), nil
}

// CheckpointSigner returns a signed-note signer for the checkpoints of the
// log origin with the node's Ed25519 key (key name origin, see VerifierKey).
func CheckpointSigner(origin string, key ed25519.PrivateKey) (note.Signer, error) {
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("checkpoint signer for %q: %w: private key of %d bytes, want %d", origin, ErrMalformed, len(key), ed25519.PrivateKeySize)
	}
	vkey, err := VerifierKey(origin, key.Public().(ed25519.PublicKey))
	if err != nil {
		return nil, err
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("checkpoint signer for %q: %w", origin, err)
	}
	return &signer{name: origin, hash: v.KeyHash(), key: key}, nil
}

type signer struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *signer) Name() string                    { return s.name }
func (s *signer) KeyHash() uint32                 { return s.hash }
func (s *signer) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }

// SignCheckpoint returns c as a signed note signed by the node key, the
// text a node serves and puts in receipts:
//
//	<origin>
//	<size>
//	<base64 root>
//
//	— <origin> <base64 of key id and signature>
func SignCheckpoint(c Checkpoint, key ed25519.PrivateKey) ([]byte, error) {
	if c.Size < 0 {
		return nil, fmt.Errorf("sign checkpoint: size %d: %w: negative", c.Size, ErrMalformed)
	}
	s, err := CheckpointSigner(c.Origin, key)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint: %w", err)
	}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, fmt.Errorf("sign checkpoint %v: %w", c, err)
	}
	return msg, nil
}

// OpenCheckpoint parses a signed checkpoint and checks it was signed by the
// node key pub for the log origin (any origin if origin is ""; the key name
// is then the checkpoint's own origin). Other signatures (witness
// cosignatures, other keys) are ignored. Errors wrap ErrWrongOrigin,
// ErrBadSignature, ErrUnknownKey or ErrMalformed and say what was found.
func OpenCheckpoint(signed []byte, origin string, pub ed25519.PublicKey) (Checkpoint, error) {
	first, _, ok := bytes.Cut(signed, []byte("\n"))
	if !ok {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w: no origin line", ErrMalformed)
	}
	got := string(first)
	if origin != "" && got != origin {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w: origin %q, want %q", ErrWrongOrigin, got, origin)
	}
	if err := checkOrigin(got); err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	vkey, err := VerifierKey(got, pub)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("checkpoint: verifier key %q: %w", vkey, err)
	}
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		var bad *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		switch {
		case errors.As(err, &bad):
			return Checkpoint{}, fmt.Errorf("checkpoint %q: %w by key %s+%08x", got, ErrBadSignature, bad.Name, bad.Hash)
		case errors.As(err, &unverified):
			var sigs []string
			for _, s := range unverified.Note.UnverifiedSigs {
				sigs = append(sigs, fmt.Sprintf("%s+%08x", s.Name, s.Hash))
			}
			return Checkpoint{}, fmt.Errorf("checkpoint %q: %w %s+%08x: signed by %s", got, ErrUnknownKey, got, v.KeyHash(), strings.Join(sigs, ", "))
		}
		return Checkpoint{}, fmt.Errorf("checkpoint: %w: not a signed note (text, blank line, signature lines): %v", ErrMalformed, err)
	}
	return ParseCheckpointText(n.Text)
}
