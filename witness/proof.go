package witness

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TlogProofHeader is the first line of a C2SP tlog-proof file.
const TlogProofHeader = "c2sp.org/tlog-proof@v1"

// MaxTlogProofSize bounds a tlog-proof file (bytes).
const MaxTlogProofSize = 1 << 20

// TlogProof is a C2SP tlog-proof (https://c2sp.org/tlog-proof): an
// offline-verifiable proof that an entry is in a log, with the checkpoint
// (and its cosignatures) it is proved against. deconflict puts the
// entry's logged bytes (the envelope, verbatim) in Extra, so that the
// file is self-contained.
type TlogProof struct {
	Extra      []byte           // opaque extra data (nil: no extra line)
	Index      int64            // the entry's index in the log
	Proof      tlog.RecordProof // inclusion proof, from the leaf's sibling up
	Checkpoint []byte           // the signed checkpoint, verbatim
}

// ParseTlogProof parses a tlog-proof file. It checks the syntax only; the
// checkpoint's signatures, cosignatures and the inclusion proof are the
// caller's to verify. Errors wrap ErrMalformed and name the line.
func ParseTlogProof(b []byte) (*TlogProof, error) {
	if len(b) > MaxTlogProofSize {
		return nil, fmt.Errorf("tlog-proof: %w: %d bytes, at most %d", ErrMalformed, len(b), MaxTlogProofSize)
	}
	head, cp, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("tlog-proof: %w: no empty line before the checkpoint", ErrMalformed)
	}
	lines := strings.Split(string(head), "\n")
	if lines[0] != TlogProofHeader {
		return nil, fmt.Errorf("tlog-proof: line 1 %q: %w: want %q", short(lines[0]), ErrMalformed, TlogProofHeader)
	}
	lines = lines[1:]
	p := &TlogProof{}
	ln := 2
	if len(lines) > 0 {
		if e, ok := strings.CutPrefix(lines[0], "extra "); ok {
			x, err := base64.StdEncoding.Strict().DecodeString(e)
			if err != nil || base64.StdEncoding.EncodeToString(x) != e {
				return nil, fmt.Errorf("tlog-proof: line 2: %w: extra data is not standard base64", ErrMalformed)
			}
			p.Extra = x
			lines, ln = lines[1:], ln+1
		}
	}
	if len(lines) == 0 {
		return nil, fmt.Errorf("tlog-proof: %w: no index line", ErrMalformed)
	}
	idx, ok := strings.CutPrefix(lines[0], "index ")
	if !ok {
		return nil, fmt.Errorf("tlog-proof: line %d %q: %w: want \"index <n>\"", ln, short(lines[0]), ErrMalformed)
	}
	n, err := parseSize(idx)
	if err != nil {
		return nil, fmt.Errorf("tlog-proof: line %d: index %w", ln, err)
	}
	p.Index = n
	lines, ln = lines[1:], ln+1
	if len(lines) > 63 {
		return nil, fmt.Errorf("tlog-proof: %w: %d proof lines, at most 63", ErrMalformed, len(lines))
	}
	for i, l := range lines {
		h, err := parseHash(l)
		if err != nil {
			return nil, fmt.Errorf("tlog-proof: line %d: proof hash %w", ln+i, err)
		}
		p.Proof = append(p.Proof, h)
	}
	if len(cp) == 0 || cp[len(cp)-1] != '\n' {
		return nil, fmt.Errorf("tlog-proof: %w: the checkpoint does not end in a newline", ErrMalformed)
	}
	p.Checkpoint = cp
	return p, nil
}

// Marshal returns the proof in the tlog-proof format.
func (p *TlogProof) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(TlogProofHeader + "\n")
	if p.Extra != nil {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	b.WriteString("index " + strconv.FormatInt(p.Index, 10) + "\n")
	for _, h := range p.Proof {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes()
}
