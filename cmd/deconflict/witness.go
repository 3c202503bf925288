package main

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"filippo.io/torchwood"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/flock"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
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
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("witness: %w", err)
	}
	// One witness per data directory: 'add-log' may run beside it, a
	// second 'serve' may not.
	lock, err := flock.Acquire(filepath.Join(dir, "serve.lock"))
	if errors.Is(err, flock.ErrLocked) {
		return fmt.Errorf("witness serve: %s is in use by another 'witness serve'", dir)
	} else if err != nil {
		return fmt.Errorf("witness serve: %w", err)
	}
	defer lock.Release()
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

// runChannelWitnesses sets a channel's witness policy (operator) or lists
// its witnesses' state as the node sees it.
func runChannelWitnesses(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("channel")
	cf := m.addPartyOrOperatorFlags(fs)
	policy := fs.String("policy", "", "C2SP tlog-policy file: the witnesses to ask (with their URLs) and the quorum")
	clear := fs.Bool("clear", false, "stop witnessing the channel")
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("channel witnesses: want exactly one channel ID")
	}
	id := pos[0]
	if *policy != "" && *clear {
		return usagef("channel witnesses: --policy and --clear exclude each other")
	}
	set := *policy != "" || *clear
	if set && *cf.key == "" && *cf.data == "" {
		*cf.data = m.envOr("DECONFLICT_DATA", DefaultDataDir)
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	if !set {
		st, err := c.WitnessStatus(ctx, id)
		if err != nil {
			return err
		}
		return writeList(m.Stdout, *asJSON, st, func(s node.WitnessStatus) []string {
			return []string{s.Name, s.State, strconv.FormatInt(s.CosignedSize, 10), s.URL, s.Error}
		})
	}
	text := ""
	if *policy != "" {
		b, err := os.ReadFile(*policy)
		if err != nil {
			return err
		}
		p, err := witness.ParsePolicy(b)
		if err != nil {
			return fmt.Errorf("%s: %w", *policy, err)
		}
		for _, w := range p.Witnesses {
			if w.URL == "" {
				return fmt.Errorf("%s: witness %s has no URL: the node must know where to ask it", *policy, w.Name)
			}
		}
		text = string(b)
	}
	if _, err := c.PatchPolicy(ctx, id, &deconflict.PolicyPatch{Witnesses: &text}); err != nil {
		return err
	}
	if *clear {
		fmt.Fprintf(m.Stdout, "channel %s is no longer witnessed\n", id)
		return nil
	}
	info, err := c.Node(ctx)
	if err != nil {
		return err
	}
	pub, err := deconflict.DecodeKey(info.Key)
	if err != nil {
		return err
	}
	origin := info.Name + "/" + id
	vkey, err := note.NewEd25519VerifierKey(origin, pub)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "channel %s witness policy set (%s)\norigin %s\nlog key %s\neach witness's operator runs: deconflict witness add-log --data DIR %s %s\n", id, *policy, origin, vkey, origin, vkey)
	return nil
}

// readPolicy reads a --policy file.
func readPolicy(path string) (*witness.Policy, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--policy: %v", err)
	}
	p, err := witness.ParsePolicy(b)
	if err != nil {
		return nil, usagef("--policy %s: %v", path, err)
	}
	return p, nil
}

// awaitQuorum fetches the channel's cosigned checkpoint until it carries
// the policy's quorum or wait has passed; it returns the last checkpoint
// and, if the quorum is missing, a message naming the witnesses that did
// not cosign, with what the node reports of them.
func (m *Main) awaitQuorum(ctx context.Context, c *dhttp.Client, channel string, p *witness.Policy, wait time.Duration) ([]byte, []string, string, error) {
	deadline := time.Now().Add(wait)
	for {
		cp, err := c.Checkpoint(ctx, channel)
		if err != nil {
			return nil, nil, "", err
		}
		names, verr := p.Verify(cp)
		var qe *witness.QuorumError
		if verr == nil {
			return cp, names, "", nil
		}
		if !errors.As(verr, &qe) || !time.Now().Before(deadline) {
			msg := verr.Error()
			if st, err := c.WitnessStatus(ctx, channel); err == nil {
				for _, s := range st {
					if s.State != node.WitnessOK && s.Error != "" {
						msg += fmt.Sprintf("; the node reports witness %s %s: %s", s.Name, s.State, s.Error)
					}
				}
			}
			return cp, names, msg, nil
		}
		select {
		case <-ctx.Done():
			return nil, nil, "", ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// verifyTlogProof checks a C2SP tlog-proof file offline: the envelope in
// its extra data (signature, canonical form), its inclusion in the
// checkpoint, the checkpoint's signature by the node key (--node-key or the
// policy's log lines) and, with a policy, the quorum of cosignatures.
func (m *Main) verifyTlogProof(path string, data []byte, pinned ed25519.PublicKey, p *witness.Policy) error {
	tp, err := witness.ParseTlogProof(data)
	if err != nil {
		return m.failed("tlog-proof %s: %v", path, err)
	}
	origin, _, _ := strings.Cut(string(tp.Checkpoint), "\n")
	var vs []note.Verifier
	if pinned != nil {
		vkey, err := note.NewEd25519VerifierKey(origin, pinned)
		if err != nil {
			return m.failed("tlog-proof %s: origin %q: %v", path, origin, err)
		}
		v, _ := note.NewVerifier(vkey)
		vs = append(vs, v)
	}
	if p != nil {
		for _, l := range p.Logs {
			v, _ := note.NewVerifier(l.VKey)
			vs = append(vs, v)
		}
	}
	if len(vs) == 0 {
		return usagef("verify: a tlog-proof names no key: give --node-key or a --policy with a log line")
	}
	n, err := note.Open(tp.Checkpoint, note.VerifierList(vs...))
	if err != nil {
		return m.failed("tlog-proof %s: checkpoint of %s is not signed by the node key: %v", path, origin, err)
	}
	cp, err := torchwood.ParseCheckpoint(n.Text)
	if err != nil {
		return m.failed("tlog-proof %s: checkpoint: %v", path, err)
	}
	if err := tlog.CheckRecord(tp.Proof, cp.N, cp.Hash, tp.Index, tlog.RecordHash(tp.Extra)); err != nil {
		return m.failed("tlog-proof %s: index %d is not proved in the checkpoint of size %d: %v", path, tp.Index, cp.N, err)
	}
	s, err := deconflict.ParseLeaf(tp.Extra)
	if err != nil {
		return m.failed("tlog-proof %s: index %d: %s", path, tp.Index, deconflict.ErrorMessage(err))
	}
	if err := s.VerifySignature(); err != nil {
		return m.failed("tlog-proof %s: index %d: %s", path, tp.Index, deconflict.ErrorMessage(err))
	}
	pl, err := deconflict.ParsePayload(s.Payload)
	if err != nil {
		return m.failed("tlog-proof %s: index %d: %s", path, tp.Index, deconflict.ErrorMessage(err))
	}
	cosigned := "cosignatures not checked (no --policy)"
	if p != nil {
		names, err := p.Verify(tp.Checkpoint)
		if err != nil {
			return m.failed("tlog-proof %s: %v", path, err)
		}
		cosigned = "cosigned by " + strings.Join(names, ", ") + " (the policy's quorum)"
	}
	fmt.Fprintf(m.Stdout, "verify: tlog-proof OK: envelope %s by %s (%s, signed %s) is at index %d of %s, in the checkpoint of size %d; %s\n",
		pl.ID, pl.Author, pl.Kind, pl.Time.Format(time.RFC3339), tp.Index, cp.Origin, cp.N, cosigned)
	return nil
}

func init() {
	register("receipt", &command{
		Summary: "save an envelope's receipt as a C2SP tlog-proof, cosigned by the witnesses",
		Usage: `
usage: deconflict receipt --channel C INDEX --out FILE [--policy P [--wait D]]

Fetches the receipt of the envelope at INDEX of channel C as a C2SP
tlog-proof file (the envelope's logged bytes as its extra data, its
inclusion proof, and the latest checkpoint with the cosignatures the
channel's witnesses have given it) and writes it to FILE. With --policy P
(C2SP tlog-policy) it waits up to --wait (default 10s) for the policy's
quorum and fails, naming the witnesses missing, if it does not come.
'deconflict verify --receipt FILE --policy P' checks it offline.

example:
  deconflict receipt --channel ru-us-syria 12 --out msg12.tlog-proof --policy ru-us.policy --key us.key`,
		Run: runReceipt,
	})
}

func runReceipt(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("receipt")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	out := fs.String("out", "", "the tlog-proof file to write")
	policyFile := fs.String("policy", "", "C2SP tlog-policy file: wait for its quorum of cosignatures")
	wait := fs.Duration("wait", 10*time.Second, "with --policy: how long to wait for the cosignatures")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" || len(pos) != 1 || *out == "" {
		return usagef("receipt: want --channel C, one INDEX and --out FILE")
	}
	idx, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || idx < 0 {
		return usagef("receipt: INDEX %q: want a log index", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	return m.fetchTlogProof(ctx, c, *channel, idx, *out, *policyFile, *wait)
}

// saveTlogProof prints the receipt of a sent envelope at once, then saves
// it as a tlog-proof file, waiting for the policy's quorum if one is given.
func (m *Main) saveTlogProof(ctx context.Context, c *dhttp.Client, rec *deconflict.Receipt, file, policyFile string, wait time.Duration) error {
	if file == "" {
		return usagef("send: --policy needs --receipt FILE.tlog-proof")
	}
	if err := m.printReceipt(rec, ""); err != nil {
		return err
	}
	return m.fetchTlogProof(ctx, c, rec.Channel, rec.Index, file, policyFile, wait)
}

// fetchTlogProof writes the tlog-proof of channel's envelope at index to
// file, first as the node serves it, then (with a policy) again once the
// checkpoint carries the quorum, or fails after wait naming who is missing.
func (m *Main) fetchTlogProof(ctx context.Context, c *dhttp.Client, channel string, index int64, file, policyFile string, wait time.Duration) error {
	var pol *witness.Policy
	if policyFile != "" {
		var err error
		if pol, err = readPolicy(policyFile); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(wait)
	for {
		b, err := c.TlogProof(ctx, channel, index)
		if err != nil {
			return err
		}
		tp, err := witness.ParseTlogProof(b)
		if err != nil {
			return fmt.Errorf("the node's tlog-proof of %s/%d: %w", channel, index, err)
		}
		if err := writeFile(file, b); err != nil {
			return err
		}
		if pol == nil {
			fmt.Fprintf(m.Stdout, "receipt %s: index %d of %s (not checked against a witness policy)\n", file, index, channel)
			return nil
		}
		names, verr := pol.Verify(tp.Checkpoint)
		if verr == nil {
			fmt.Fprintf(m.Stdout, "receipt %s: index %d of %s, cosigned by %s (the policy's quorum)\n", file, index, channel, strings.Join(names, ", "))
			return nil
		}
		var qe *witness.QuorumError
		if !errors.As(verr, &qe) || !time.Now().Before(deadline) {
			return fmt.Errorf("receipt %s saved without the policy's quorum: %w", file, verr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// demoWitnesses runs a witness per demo party in the demo's process (each
// its own key and SQLite state under DATA/witnesses/PARTY, HTTP on a free
// loopback port), makes each witness its party's channels' logs, and sets
// each channel's witness policy to its members' witnesses, all required.
// The policies are also written to DATA/policies/CHANNEL.policy, for
// verify --policy. It returns what to print and a function that stops the
// witnesses.
func (m *Main) demoWitnesses(ctx context.Context, n *node.Node, data string) ([]string, func(), error) {
	type running struct {
		w   *witness.Witness
		srv *http.Server
		url string
	}
	ws := map[string]*running{}
	stop := func() {
		for _, r := range ws {
			r.srv.Close()
			r.w.Store.Close()
		}
	}
	var out []string
	for _, p := range demoParties {
		w, _, err := openWitness(ctx, filepath.Join(data, "witnesses", p.ID), strings.ToLower(p.ID)+".demo/witness")
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("demo witness %s: %w", p.ID, err)
		}
		w.Logger = n.Logger
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			w.Store.Close()
			stop()
			return nil, nil, err
		}
		r := &running{w: w, srv: &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second}, url: "http://" + ln.Addr().String()}
		go r.srv.Serve(ln)
		ws[p.ID] = r
		out = append(out, fmt.Sprintf("%s's witness %s at %s", p.ID, w.Cosigner.Name(), r.url))
	}
	if err := os.MkdirAll(filepath.Join(data, "policies"), 0o700); err != nil {
		stop()
		return nil, nil, err
	}
	for _, c := range demoChannels {
		origin, vkey := n.Origin(c.ID), n.VerifierKey(c.ID)
		text := "# " + c.ID + ": every member's witness must cosign\nlog " + vkey + "\n"
		for _, p := range c.Members {
			r := ws[p]
			if _, err := r.w.Store.AddLog(ctx, origin, vkey); err != nil {
				stop()
				return nil, nil, err
			}
			text += fmt.Sprintf("witness %s-witness %s %s\n", p, r.w.Cosigner.VerifierKey(), r.url)
		}
		text += "group members all"
		for _, p := range c.Members {
			text += " " + p + "-witness"
		}
		text += "\nquorum members\n"
		path := filepath.Join(data, "policies", c.ID+".policy")
		if err := writeFile(path, []byte(text)); err != nil {
			stop()
			return nil, nil, err
		}
		if _, err := n.PatchPolicy(ctx, deconflict.NodeAuthor, c.ID, deconflict.PolicyPatch{Witnesses: &text}); err != nil {
			stop()
			return nil, nil, fmt.Errorf("demo channel %s witnesses: %w", c.ID, err)
		}
	}
	return out, stop, nil
}
