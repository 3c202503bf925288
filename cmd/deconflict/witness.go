package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/deconflict/deconflict/custody"
	"github.com/deconflict/deconflict/witness"
)

func init() {
	register("witness", &command{
		Summary: "run a party's C2SP tlog-witness; add logs for it to witness",
		Usage: `
usage: deconflict witness serve --data DIR [--addr HOST:PORT] [--name NAME]
       deconflict witness add-log --data DIR ORIGIN VKEY
       deconflict witness vkey --data DIR [--name NAME]
       deconflict witness logs --data DIR

A witness cosigns a log's checkpoints (C2SP tlog-witness v1.0.0,
cosignatures per C2SP tlog-cosignature v1, Ed25519) only after checking
that each one extends the last it cosigned, so a log that shows two
members different histories is refused by their witnesses. It sees
checkpoints and consistency proofs only, never a channel's contents.

'serve' keeps its key (witness.key) and its state (witness.db, SQLite) in
DIR, created on first start, when it prints its cosignature verifier key
(the vkey for a 'witness' line of a C2SP tlog-policy file) on the first
line of its output. It answers POST /add-checkpoint at --addr (default
127.0.0.1:7380). NAME (default deconflict-witness-<key hash>) is the key
name of its cosignatures, kept from the first start.

'add-log' makes the witness accept checkpoints of the log ORIGIN signed by
VKEY (a signed-note Ed25519 verifier key named ORIGIN; for a deconflict
channel, the node_key of any receipt on it); it may run while 'serve'
does. 'vkey' prints the verifier key (creating the key if needed); 'logs'
lists the witnessed logs and the latest size cosigned for each as JSON
lines.

example:
  deconflict witness serve --data /var/lib/us-witness --addr 127.0.0.1:7380
  deconflict witness add-log --data /var/lib/us-witness node.example/ru-us-syria 'node.example/ru-us-syria+1a2b3c4d+AW...'`,
		Run: runWitness,
	})
}

// DefaultWitnessAddr is where 'witness serve' listens by default
// (litewitness's default port).
const DefaultWitnessAddr = "127.0.0.1:7380"

func runWitness(ctx context.Context, m *Main, args []string) error {
	return m.runSubcommand(ctx, "witness", args, map[string]subcommand{
		"serve":   runWitnessServe,
		"add-log": runWitnessAddLog,
		"vkey":    runWitnessVKey,
		"logs":    runWitnessLogs,
	})
}

// witnessFlags parses the flags of a witness verb and returns its
// positional arguments; --data is required.
func (m *Main) witnessFlags(verb string, args []string, addr, name *string) (dir string, pos []string, err error) {
	fs := m.newFlagSet("witness")
	data := fs.String("data", "", "the witness's data directory (key and state)")
	if addr != nil {
		fs.StringVar(addr, "addr", DefaultWitnessAddr, "listen address")
	}
	if name != nil {
		fs.StringVar(name, "name", "", "the witness's name, the key name of its cosignatures (kept from the first start)")
	}
	pos, err = parseInterspersed(fs, args)
	if err != nil {
		return "", nil, err
	}
	if *data == "" {
		return "", nil, usagef("witness %s: --data DIR is required", verb)
	}
	return *data, pos, nil
}

func runWitnessServe(ctx context.Context, m *Main, args []string) error {
	var addr, name string
	dir, pos, err := m.witnessFlags("serve", args, &addr, &name)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("witness serve: unexpected argument %q", pos[0])
	}
	return m.witnessServe(ctx, dir, addr, name)
}

func runWitnessAddLog(ctx context.Context, m *Main, args []string) error {
	dir, pos, err := m.witnessFlags("add-log", args, nil, nil)
	if err != nil {
		return err
	}
	if len(pos) != 2 {
		return usagef("witness add-log: want ORIGIN and VKEY, got %d arguments", len(pos))
	}
	st, err := openWitnessStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	added, err := st.AddLog(ctx, pos[0], pos[1])
	if err != nil {
		return err
	}
	if added {
		fmt.Fprintf(m.Stdout, "witnessing %s with key %s\n", pos[0], pos[1])
	} else {
		fmt.Fprintf(m.Stdout, "already witnessing %s with key %s\n", pos[0], pos[1])
	}
	return nil
}

func runWitnessVKey(ctx context.Context, m *Main, args []string) error {
	var name string
	dir, pos, err := m.witnessFlags("vkey", args, nil, &name)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("witness vkey: unexpected argument %q", pos[0])
	}
	w, _, err := openWitness(ctx, dir, name)
	if err != nil {
		return err
	}
	defer w.Store.Close()
	fmt.Fprintln(m.Stdout, w.Cosigner.VerifierKey())
	return nil
}

func runWitnessLogs(ctx context.Context, m *Main, args []string) error {
	dir, pos, err := m.witnessFlags("logs", args, nil, nil)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("witness logs: unexpected argument %q", pos[0])
	}
	st, err := openWitnessStore(ctx, dir)
	if err != nil {
		return err
	}
	defer st.Close()
	logs, err := st.Logs(ctx)
	if err != nil {
		return err
	}
	type logLine struct {
		Origin  string   `json:"origin"`
		Size    int64    `json:"size"`
		Root    string   `json:"root"`
		Keys    []string `json:"keys"`
		Updated string   `json:"updated,omitempty"`
	}
	out := make([]logLine, 0, len(logs))
	for _, l := range logs {
		ll := logLine{Origin: l.Origin, Size: l.Size, Root: l.Root.String(), Keys: l.Keys}
		if !l.Updated.IsZero() {
			ll.Updated = l.Updated.Format(time.RFC3339)
		}
		out = append(out, ll)
	}
	return writeJSONLines(m.Stdout, out)
}

func openWitnessStore(ctx context.Context, dir string) (*witness.Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("witness: %w", err)
	}
	return witness.OpenStore(ctx, filepath.Join(dir, "witness.db"))
}

// openWitness opens the witness in dir, creating its key and recording its
// name on first use; created reports whether the key was made now.
func openWitness(ctx context.Context, dir, name string) (w *witness.Witness, created bool, err error) {
	st, err := openWitnessStore(ctx, dir)
	if err != nil {
		return nil, false, err
	}
	defer func() {
		if err != nil {
			st.Close()
		}
	}()
	key, created, err := custody.LoadOrCreateKey(filepath.Join(dir, "witness.key"))
	if err != nil {
		return nil, false, fmt.Errorf("witness key: %w", err)
	}
	if name == "" {
		h := sha256.Sum256(key.Public().(ed25519.PublicKey))
		name = "deconflict-witness-" + hex.EncodeToString(h[:4])
	}
	stored, err := st.Meta(ctx, "name")
	if err != nil {
		return nil, false, err
	}
	if stored == "" {
		// Check the name before keeping it.
		if _, err := witness.NewCosigner(name, key); err != nil {
			return nil, false, err
		}
		if stored, err = st.SetMeta(ctx, "name", name); err != nil {
			return nil, false, err
		}
	}
	c, err := witness.NewCosigner(stored, key)
	if err != nil {
		return nil, false, err
	}
	return witness.New(st, c), created, nil
}

func (m *Main) witnessServe(ctx context.Context, dir, addr, name string) error {
	w, created, err := openWitness(ctx, dir, name)
	if err != nil {
		return err
	}
	defer w.Store.Close()
	if name != "" && name != w.Cosigner.Name() {
		return fmt.Errorf("witness serve: --name %q, but the witness in %s is named %q", name, dir, w.Cosigner.Name())
	}
	logger := slog.New(slog.NewTextHandler(m.Stderr, nil))
	w.Logger = logger
	if created {
		fmt.Fprintln(m.Stdout, w.Cosigner.VerifierKey())
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("witness serve: %w", err)
	}
	srv := &http.Server{
		Handler:           recoverHandler(logger, w.Handler()),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("witness serving", "name", w.Cosigner.Name(), "vkey", w.Cosigner.VerifierKey(), "url", "http://"+ln.Addr().String(), "data", dir)
	fmt.Fprintf(m.Stdout, "witness %s listening on http://%s\n", w.Cosigner.Name(), ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	case err := <-errc:
		return fmt.Errorf("witness serve: %w", err)
	}
}

// recoverHandler turns a panic in h into a logged 500, so that no request
// can end the witness.
func recoverHandler(logger *slog.Logger, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				logger.Error("witness: panic in handler", "path", r.URL.Path, "panic", v)
				http.Error(w, "internal error", http.StatusInternalServerError)
			}
		}()
		h.ServeHTTP(w, r)
	})
}
