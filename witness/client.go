package witness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Client is a log's client of one witness: it submits checkpoints to the
// witness's add-checkpoint endpoint and keeps only the cosignatures that
// verify with the witness's key.
type Client struct {
	URL      string        // the witness's submission prefix (the policy's URL)
	Verifier note.Verifier // its cosignature verifier (NewCosignatureVerifier of the policy's vkey)
	HTTP     *http.Client  // http.DefaultClient if nil
}

// RefusedError is a witness answer other than 200 and 409: the status and
// the witness's message.
type RefusedError struct {
	Status  int
	Message string
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("witness answered %d %s: %s", e.Status, http.StatusText(e.Status), e.Message)
}

// MaxResponseSize bounds what the client reads of a witness's answer.
const MaxResponseSize = 64 << 10

// AddCheckpoint submits req and returns the witness's cosignature line(s)
// for the checkpoint that verify with c.Verifier (other lines are
// ignored, as the specification requires). A 409 is a *ConflictError with
// the size the witness holds; another refusal a *RefusedError; an answer
// without a valid cosignature an error wrapping ErrUntrusted.
func (c *Client) AddCheckpoint(ctx context.Context, req AddCheckpointRequest) ([]byte, error) {
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(c.URL, "/")+"/add-checkpoint", bytes.NewReader(req.Marshal()))
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	resp, err := hc.Do(hr)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, fmt.Errorf("witness %s: reading the answer: %w", c.URL, err)
	}
	if len(body) > MaxResponseSize {
		return nil, fmt.Errorf("witness %s: answer larger than %d bytes", c.URL, MaxResponseSize)
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusConflict:
		if ct := resp.Header.Get("Content-Type"); ct != "text/x.tlog.size" {
			return nil, &RefusedError{Status: resp.StatusCode, Message: fmt.Sprintf("409 with Content-Type %q, want text/x.tlog.size", ct)}
		}
		s, ok := strings.CutSuffix(string(body), "\n")
		n, err := parseSize(s)
		if !ok || err != nil {
			return nil, &RefusedError{Status: resp.StatusCode, Message: fmt.Sprintf("409 body %q is not a size and a newline", short(string(body)))}
		}
		return nil, &ConflictError{Size: n, Reason: fmt.Sprintf("old size %d", req.Old)}
	default:
		return nil, &RefusedError{Status: resp.StatusCode, Message: strings.TrimSpace(short(string(body)))}
	}
	text, _, ok := bytes.Cut(req.Checkpoint, []byte("\n\n"))
	if !ok {
		return nil, fmt.Errorf("witness %s: %w: the submitted checkpoint is not a note", c.URL, ErrMalformed)
	}
	text = append(text, '\n')
	lines, err := verifiedLines(text, body, c.Verifier)
	if err != nil {
		return nil, fmt.Errorf("witness %s: %w", c.URL, err)
	}
	return lines, nil
}

// verifiedLines returns the signature lines of sigs (a witness's answer)
// that v verifies over the note text.
func verifiedLines(text, sigs []byte, v note.Verifier) ([]byte, error) {
	if len(sigs) == 0 || sigs[len(sigs)-1] != '\n' {
		return nil, fmt.Errorf("%w: answer %q is not signature lines", ErrUntrusted, short(string(sigs)))
	}
	var out []byte
	for _, line := range bytes.SplitAfter(sigs, []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		msg := append(append(append([]byte(nil), text...), '\n'), line...)
		if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
			var unverified *note.UnverifiedNoteError
			if errors.As(err, &unverified) {
				continue // another key's line: ignored
			}
			return nil, fmt.Errorf("%w: cosignature %q: %v", ErrUntrusted, short(string(line)), err)
		}
		out = append(out, line...)
	}
	if out == nil {
		return nil, fmt.Errorf("%w: no cosignature by %s+%08x in the answer", ErrUntrusted, v.Name(), v.KeyHash())
	}
	return out, nil
}

// Prover returns a consistency proof from the tree of size old to the
// tree of the checkpoint being submitted.
type Prover func(ctx context.Context, old int64) (tlog.TreeProof, error)

// Cosign asks the witness to cosign the signed checkpoint of size n,
// believing it holds size held (0 when unknown). When the witness answers
// 409 naming a size it holds at most n, Cosign retries once from that
// size, as the specification intends. It returns the cosignature lines and
// the size the witness holds afterwards (n on success; what it named on a
// conflict it could not resolve, which is -1 when unknown). A witness
// holding more than n has seen a larger tree than this log shows: a
// *ConflictError with that size.
func (c *Client) Cosign(ctx context.Context, signed []byte, n, held int64, prove Prover) ([]byte, int64, error) {
	for attempt := 0; ; attempt++ {
		if held > n {
			return nil, held, &ConflictError{Size: held, Reason: fmt.Sprintf("the witness holds size %d, larger than this checkpoint's %d (a rollback or a fork)", held, n)}
		}
		var proof tlog.TreeProof
		if held > 0 && held < n {
			p, err := prove(ctx, held)
			if err != nil {
				return nil, held, fmt.Errorf("consistency proof %d to %d: %w", held, n, err)
			}
			proof = p
		}
		lines, err := c.AddCheckpoint(ctx, AddCheckpointRequest{Old: held, Proof: proof, Checkpoint: signed})
		var ce *ConflictError
		if errors.As(err, &ce) {
			if attempt == 0 && ce.Size != held {
				held = ce.Size
				continue
			}
			return nil, ce.Size, err
		}
		if err != nil {
			return nil, held, err
		}
		return lines, n, nil
	}
}
