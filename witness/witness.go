// Package witness is a C2SP tlog-witness (https://c2sp.org/tlog-witness,
// v1.0.0): a party's own service that cosigns a log's checkpoints only
// after checking that each one extends the last it cosigned, with
// C2SP tlog-cosignature v1 (Ed25519) cosignatures. It witnesses any
// conforming log, deconflict channels among them; it sees checkpoints and
// consistency proofs only, never a log's entries.
//
// The server is Witness (its HTTP interface is Handler); its state is a
// Store (SQLite). Checkpoint text is parsed with torchwood
// (filippo.io/torchwood), note signatures and proofs with
// golang.org/x/mod/sumdb; the request parser, the store, the cosigner
// (for its injected clock) and the policies are this package's own.
package witness

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"filippo.io/torchwood"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Errors of the add-checkpoint call; StatusOf maps them to the HTTP status
// codes the specification assigns. Returned errors wrap them with detail.
var (
	// ErrMalformed: the request cannot be parsed, or its old size is
	// larger than the checkpoint's (400 Bad Request).
	ErrMalformed = errors.New("malformed")
	// ErrUnknownLog: the witness does not witness the checkpoint's origin
	// (404 Not Found).
	ErrUnknownLog = errors.New("unknown log")
	// ErrUntrusted: no signature by a trusted key for the origin verifies
	// (403 Forbidden).
	ErrUntrusted = errors.New("no valid signature by a trusted key")
	// ErrInconsistent: the consistency proof does not verify, or a proof
	// came with old size 0 (422 Unprocessable Entity).
	ErrInconsistent = errors.New("not consistent with the cosigned checkpoint")
)

// ConflictError is the 409 Conflict answer: the old size of the request is
// not the size of the latest checkpoint the witness cosigned (Size), or
// the sizes match and the root hashes do not (tlog-witness v1.0.0 answers
// 409 in that case too; later drafts answer 422).
type ConflictError struct {
	Size   int64 // the size the witness holds
	Reason string
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("conflict: the witness holds size %d: %s", e.Size, e.Reason)
}

// StatusOf returns the HTTP status for an error of AddCheckpoint.
func StatusOf(err error) int {
	var ce *ConflictError
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &ce):
		return http.StatusConflict
	case errors.Is(err, ErrMalformed):
		return http.StatusBadRequest
	case errors.Is(err, ErrUnknownLog):
		return http.StatusNotFound
	case errors.Is(err, ErrUntrusted):
		return http.StatusForbidden
	case errors.Is(err, ErrInconsistent):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

// Witness cosigns checkpoints of the logs its Store lists.
type Witness struct {
	Store    *Store
	Cosigner *Cosigner
	Logger   *slog.Logger // slog.Default() if nil
}

// New returns a witness over store signing with c.
func New(store *Store, c *Cosigner) *Witness {
	return &Witness{Store: store, Cosigner: c}
}

func (w *Witness) logger() *slog.Logger {
	if w.Logger != nil {
		return w.Logger
	}
	return slog.Default()
}

// AddCheckpoint handles an add-checkpoint body and returns the
// cosignature lines for the checkpoint, having stored it as the latest
// cosigned one. The checks, in the specification's order: the body parses
// (ErrMalformed), the origin is known (ErrUnknownLog), a trusted key's
// signature verifies and none fails (ErrUntrusted), old <= size
// (ErrMalformed), old is the size held (*ConflictError), equal sizes have
// equal roots (*ConflictError), the proof is empty for old 0 and verifies
// otherwise (ErrInconsistent). The size check and the new state are one
// transaction.
func (w *Witness) AddCheckpoint(ctx context.Context, body []byte) ([]byte, error) {
	req, err := ParseAddCheckpoint(body)
	if err != nil {
		return nil, err
	}
	origin, _, _ := bytesCut(req.Checkpoint, '\n')
	// open checks the checkpoint against the log's keys: its signature,
	// its text, and the old size against its size.
	open := func(l LogState) (*note.Note, torchwood.Checkpoint, error) {
		vs, err := keysVerifiers(l)
		if err != nil {
			return nil, torchwood.Checkpoint{}, err
		}
		n, err := note.Open(req.Checkpoint, vs)
		if err != nil {
			var bad *note.InvalidSignatureError
			var unverified *note.UnverifiedNoteError
			switch {
			case errors.As(err, &bad):
				return nil, torchwood.Checkpoint{}, fmt.Errorf("checkpoint of %q: %w: the signature by %s+%08x does not verify", short(origin), ErrUntrusted, bad.Name, bad.Hash)
			case errors.As(err, &unverified):
				return nil, torchwood.Checkpoint{}, fmt.Errorf("checkpoint of %q: %w: signed only by %s", short(origin), ErrUntrusted, sigNames(unverified.Note.UnverifiedSigs))
			}
			return nil, torchwood.Checkpoint{}, fmt.Errorf("checkpoint of %q: %w: not a signed note: %v", short(origin), ErrMalformed, err)
		}
		cp, err := torchwood.ParseCheckpoint(n.Text)
		if err != nil {
			return nil, torchwood.Checkpoint{}, fmt.Errorf("checkpoint of %q: %w: %v", short(origin), ErrMalformed, err)
		}
		if req.Old > cp.N {
			return nil, torchwood.Checkpoint{}, fmt.Errorf("%w: old size %d is larger than the checkpoint's %d", ErrMalformed, req.Old, cp.N)
		}
		return n, cp, nil
	}
	// Requests that fail these checks are answered before the write
	// transaction, so that unsigned junk does not hold the writer.
	l, err := w.Store.Log(ctx, origin)
	if err != nil {
		return nil, err
	}
	if _, _, err := open(l); err != nil {
		return nil, err
	}
	var line string
	var refusal *Refusal
	err = w.Store.update(ctx, origin, func(cur LogState) (*LogState, error) {
		n, cp, err := open(cur) // again: the keys are the transaction's
		if err != nil {
			return nil, err
		}
		if req.Old != cur.Size {
			return nil, &ConflictError{Size: cur.Size, Reason: fmt.Sprintf("old size %d", req.Old)}
		}
		refuse := func(status int, err error) error {
			refusal = &Refusal{Origin: origin, Time: w.Cosigner.Now().UTC(), Status: status, Reason: err.Error(), Body: body}
			return err
		}
		switch {
		case req.Old == cp.N:
			if cp.Hash != cur.Root {
				return nil, refuse(http.StatusConflict, &ConflictError{Size: cur.Size, Reason: fmt.Sprintf("size %d with root %v, the cosigned root is %v", cp.N, cp.Hash, cur.Root)})
			}
			if len(req.Proof) != 0 {
				return nil, refuse(http.StatusUnprocessableEntity, fmt.Errorf("%w: %d proof lines between equal sizes, want none", ErrInconsistent, len(req.Proof)))
			}
		case req.Old == 0:
			if len(req.Proof) != 0 {
				return nil, refuse(http.StatusUnprocessableEntity, fmt.Errorf("%w: %d proof lines with old size 0, want none", ErrInconsistent, len(req.Proof)))
			}
		default:
			if err := tlog.CheckTree(req.Proof, cp.N, cp.Hash, req.Old, cur.Root); err != nil {
				return nil, refuse(http.StatusUnprocessableEntity, fmt.Errorf("%w: size %d root %v does not extend size %d root %v", ErrInconsistent, cp.N, cp.Hash, req.Old, cur.Root))
			}
		}
		line, err = w.Cosigner.Cosign(n.Text)
		if err != nil {
			return nil, err
		}
		next := cur
		next.Size, next.Root, next.Updated = cp.N, cp.Hash, w.Cosigner.Now().UTC()
		next.Checkpoint = append(append([]byte(n.Text), '\n'), sigLines(n.Sigs)...)
		next.Checkpoint = append(next.Checkpoint, line...)
		return &next, nil
	})
	if refusal != nil {
		if rerr := w.Store.addRefusal(context.WithoutCancel(ctx), *refusal); rerr != nil {
			w.logger().Error("witness: keep refused request", "origin", origin, "err", rerr)
		}
		w.logger().Warn("witness: refused a validly signed checkpoint", "origin", origin, "status", refusal.Status, "reason", refusal.Reason)
	}
	if err != nil {
		return nil, err
	}
	return []byte(line), nil
}

func bytesCut(b []byte, sep byte) (string, string, bool) {
	for i, c := range b {
		if c == sep {
			return string(b[:i]), string(b[i+1:]), true
		}
	}
	return string(b), "", false
}

func sigNames(sigs []note.Signature) string {
	if len(sigs) == 0 {
		return "no one"
	}
	s := ""
	for i, sig := range sigs {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s+%08x", sig.Name, sig.Hash)
	}
	return s
}

func sigLines(sigs []note.Signature) []byte {
	var b []byte
	for _, s := range sigs {
		b = append(b, "— "+s.Name+" "+s.Base64+"\n"...)
	}
	return b
}

// Handler returns the witness's HTTP interface, to be mounted at its
// submission prefix:
//
//	POST /add-checkpoint          the tlog-witness call
//	GET  /<origin hash>/checkpoint the latest cosigned checkpoint of a log (hex SHA-256 of its origin)
//	GET  /                        the witness's name, verifier key and logs, as text
func (w *Witness) Handler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /add-checkpoint", w.serveAddCheckpoint)
	m.HandleFunc("GET /{hash}/checkpoint", w.serveCheckpoint)
	m.HandleFunc("GET /{$}", w.serveIndex)
	return m
}

func (w *Witness) serveAddCheckpoint(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(rw, r.Body, MaxRequestSize))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(rw, fmt.Sprintf("request body larger than %d bytes", MaxRequestSize), http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(rw, "reading the request: "+err.Error(), http.StatusBadRequest)
		return
	}
	line, err := w.AddCheckpoint(r.Context(), body)
	if err != nil {
		status := StatusOf(err)
		var ce *ConflictError
		if errors.As(err, &ce) {
			rw.Header().Set("Content-Type", "text/x.tlog.size")
			rw.WriteHeader(http.StatusConflict)
			io.WriteString(rw, strconv.FormatInt(ce.Size, 10)+"\n")
			return
		}
		if status == http.StatusInternalServerError {
			w.logger().Error("witness: add-checkpoint", "err", err)
			http.Error(rw, "internal error", status)
			return
		}
		http.Error(rw, err.Error(), status)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.Write(line)
}

func (w *Witness) serveCheckpoint(rw http.ResponseWriter, r *http.Request) {
	want := r.PathValue("hash")
	logs, err := w.Store.Logs(r.Context())
	if err != nil {
		w.logger().Error("witness: list logs", "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	for _, l := range logs {
		h := sha256.Sum256([]byte(l.Origin))
		if hex.EncodeToString(h[:]) == want && l.Checkpoint != nil {
			rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
			rw.Write(l.Checkpoint)
			return
		}
	}
	http.Error(rw, "no cosigned checkpoint for that origin hash", http.StatusNotFound)
}

func (w *Witness) serveIndex(rw http.ResponseWriter, r *http.Request) {
	logs, err := w.Store.Logs(r.Context())
	if err != nil {
		w.logger().Error("witness: list logs", "err", err)
		http.Error(rw, "internal error", http.StatusInternalServerError)
		return
	}
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(rw, "deconflict witness %s\n%s\n\n", w.Cosigner.Name(), w.Cosigner.VerifierKey())
	for _, l := range logs {
		upd := "never cosigned"
		if !l.Updated.IsZero() {
			upd = "cosigned " + l.Updated.Format(time.RFC3339)
		}
		fmt.Fprintf(rw, "%s size %d root %v (%s)\n", l.Origin, l.Size, l.Root, upd)
	}
}
