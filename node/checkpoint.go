package node

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ParseCheckpoint verifies a C2SP signed-note checkpoint with v and checks
// its origin line, returning the tree it commits to.
func ParseCheckpoint(cp []byte, origin string, v note.Verifier) (tlog.Tree, error) {
	nt, err := note.Open(cp, note.VerifierList(v))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("checkpoint signature: %w", err)
	}
	first, rest, ok := bytes.Cut([]byte(nt.Text), []byte("\n"))
	if !ok || string(first) != origin {
		return tlog.Tree{}, fmt.Errorf("checkpoint origin %q, want %q", first, origin)
	}
	tree, err := tlog.ParseTree(append([]byte("go.sum database tree\n"), rest...))
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("checkpoint body: %w", err)
	}
	return tree, nil
}

func newJSONRequest(ctx context.Context, url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deconflict-node")
	return req, nil
}
