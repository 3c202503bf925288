package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// MaxProofLines is the largest consistency proof a client may send (C2SP
// tlog-witness: "The client MUST NOT send more than 63 consistency proof
// lines").
const MaxProofLines = 63

// MaxRequestSize bounds an add-checkpoint body (bytes): the old size, 63
// proof lines and a checkpoint with up to the 100 signatures a signed note
// may carry fit well within it.
const MaxRequestSize = 64 << 10

// AddCheckpointRequest is the body of a tlog-witness add-checkpoint call.
type AddCheckpointRequest struct {
	Old        int64          // the size of the checkpoint the witness is believed to hold
	Proof      tlog.TreeProof // consistency proof from Old to the checkpoint's size
	Checkpoint []byte         // the signed checkpoint note, verbatim
}

// ParseAddCheckpoint parses an add-checkpoint body: an "old <size>" line,
// zero to 63 base64 hash lines, an empty line and a signed note. It checks
// the syntax only (the note's signatures and the checkpoint's text are the
// witness's business). Errors wrap ErrMalformed and say what is wrong.
func ParseAddCheckpoint(body []byte) (AddCheckpointRequest, error) {
	var r AddCheckpointRequest
	if len(body) > MaxRequestSize {
		return r, fmt.Errorf("add-checkpoint: %w: body of %d bytes, at most %d", ErrMalformed, len(body), MaxRequestSize)
	}
	head, cp, ok := bytes.Cut(body, []byte("\n\n"))
	if !ok {
		return r, fmt.Errorf("add-checkpoint: %w: no empty line before the checkpoint", ErrMalformed)
	}
	lines := strings.Split(string(head), "\n")
	old, ok := strings.CutPrefix(lines[0], "old ")
	if !ok {
		return r, fmt.Errorf("add-checkpoint: line 1 %q: %w: want \"old <size>\"", short(lines[0]), ErrMalformed)
	}
	n, err := parseSize(old)
	if err != nil {
		return r, fmt.Errorf("add-checkpoint: line 1: old size %w", err)
	}
	r.Old = n
	if len(lines)-1 > MaxProofLines {
		return r, fmt.Errorf("add-checkpoint: %w: %d proof lines, at most %d", ErrMalformed, len(lines)-1, MaxProofLines)
	}
	for i, l := range lines[1:] {
		h, err := parseHash(l)
		if err != nil {
			return r, fmt.Errorf("add-checkpoint: line %d: proof hash %w", i+2, err)
		}
		r.Proof = append(r.Proof, h)
	}
	if len(cp) == 0 || cp[len(cp)-1] != '\n' {
		return r, fmt.Errorf("add-checkpoint: %w: the checkpoint does not end in a newline", ErrMalformed)
	}
	r.Checkpoint = cp
	return r, nil
}

// Marshal returns the request body in the tlog-witness format.
func (r AddCheckpointRequest) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString("old " + strconv.FormatInt(r.Old, 10) + "\n")
	for _, h := range r.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(r.Checkpoint)
	return b.Bytes()
}

// parseSize parses a tree size: ASCII decimal without sign or leading
// zeros, at most 2^63-1.
func parseSize(s string) (int64, error) {
	if s == "" || s[0] < '0' || s[0] > '9' || (s[0] == '0' && len(s) > 1) {
		return 0, fmt.Errorf("%q: %w: want a decimal number without sign or leading zeros", short(s), ErrMalformed)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q: %w: not a 63-bit decimal number", short(s), ErrMalformed)
	}
	return n, nil
}

// parseHash parses a standard, canonical base64 SHA-256 hash.
func parseHash(s string) (tlog.Hash, error) {
	var h tlog.Hash
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || len(b) != len(h) {
		return h, fmt.Errorf("%q: %w: want %d bytes in standard base64", short(s), ErrMalformed, len(h))
	}
	copy(h[:], b)
	return h, nil
}

func short(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
