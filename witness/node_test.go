package witness_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/torchwood"
	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/internal/witnesstest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// memberTransport carries torchwood's tile fetcher's requests through a
// member's signed client (the log's tiles are for members only).
type memberTransport struct{ c *dhttp.Client }

func (t memberTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := t.c.Get(r.Context(), r.URL.Path)
	status := http.StatusOK
	if err != nil {
		status, b = http.StatusNotFound, []byte(err.Error())
	}
	return &http.Response{StatusCode: status, Status: http.StatusText(status), Body: io.NopCloser(bytes.NewReader(b)), Header: http.Header{}, Request: r}, nil
}

// eventually polls cond until it holds (a witness answering), failing
// after 30 s with what last.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	var last string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	t.Fatalf("timed out waiting for %s: %s", what, last)
}

// witnessedNode is a node whose channel ru-us is witnessed by our witness
// and by litewitness, both demanded by the policy.
type witnessedNode struct {
	*nodetest.Node
	ours   *testWitness
	lw     *witnesstest.Litewitness
	policy *witness.Policy
	text   string
}

func startWitnessedNode(t *testing.T, o nodetest.Options) *witnessedNode {
	t.Helper()
	ctx := context.Background()
	n := nodetest.Start(t, o)
	n.WitnessRetry = 50 * time.Millisecond
	n.AddParties(t, "RU", "US")
	n.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	origin, vkey := n.Origin("ru-us"), n.VerifierKey("ru-us")
	ours := startWitness(t)
	ours.now = time.Now()
	if _, err := ours.Store.AddLog(ctx, origin, vkey); err != nil {
		t.Fatal(err)
	}
	lw := witnesstest.StartLitewitness(t, "litewitness.test/lw", origin, vkey)
	text := fmt.Sprintf("log %s\nwitness RU-W %s %s\nwitness LW %s %s\ngroup both all RU-W LW\nquorum both\n",
		vkey, ours.Cosigner.VerifierKey(), ours.URL, lw.VKey, lw.URL)
	p, err := witness.ParsePolicy([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{Witnesses: &text}); err != nil {
		t.Fatal(err)
	}
	return &witnessedNode{Node: n, ours: ours, lw: lw, policy: p, text: text}
}

// waitCosigned waits until the served checkpoint of ru-us has size and the
// policy's quorum, and returns it.
func (wn *witnessedNode) waitCosigned(t *testing.T, size int64) []byte {
	t.Helper()
	var cp []byte
	eventually(t, fmt.Sprintf("a cosigned checkpoint of size %d", size), func() (bool, string) {
		var err error
		cp, err = wn.Client("US").Checkpoint(context.Background(), "ru-us")
		if err != nil {
			return false, err.Error()
		}
		if !bytes.HasPrefix(cp, fmt.Appendf(nil, "%s\n%d\n", wn.Origin("ru-us"), size)) {
			return false, string(cp)
		}
		_, err = wn.policy.Verify(cp)
		return err == nil, fmt.Sprint(err)
	})
	return cp
}

// TestNodeWitnessing: a node asks its channel's witnesses (ours and
// litewitness) on every new checkpoint and serves the checkpoint with
// their cosignatures; an independent tlog client (torchwood's) reads the
// log's tiles against it; receipts fetched afterwards and tlog-proof files
// carry the cosignatures; a witness that goes away shows in the status,
// /healthz and the metrics, and catches up when it is back.
func TestNodeWitnessing(t *testing.T) {
	ctx := context.Background()
	wn := startWitnessedNode(t, nodetest.Options{})
	member := wn.Client("US")
	// The policy change itself is entry 0; each message one more.
	wn.waitCosigned(t, 1)
	var receipts []*deconflict.Receipt
	for i := 0; i < 5; i++ {
		receipts = append(receipts, wn.Send(t, "RU", "ru-us", deconflict.Flash, fmt.Sprintf("message %d", i)))
	}
	cp := wn.waitCosigned(t, 6)
	names, err := wn.policy.Verify(cp)
	if err != nil || !slices.Equal(names, []string{"RU-W", "LW"}) {
		t.Fatalf("served checkpoint cosigned by %v (%v)", names, err)
	}

	t.Run("IndependentTlogClient", func(t *testing.T) {
		lv, _ := note.NewVerifier(wn.VerifierKey("ru-us"))
		n, err := note.Open(cp, note.VerifierList(lv))
		if err != nil {
			t.Fatal(err)
		}
		c, err := torchwood.ParseCheckpoint(n.Text)
		if err != nil {
			t.Fatal(err)
		}
		f, err := torchwood.NewTileFetcher(wn.Server.URL()+"/v1/channels/ru-us/log/", torchwood.WithHTTPClient(&http.Client{Transport: memberTransport{member}}))
		if err != nil {
			t.Fatal(err)
		}
		client, err := torchwood.NewClient(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range receipts {
			entry, _, err := client.Entry(ctx, c.Tree, r.Index)
			if err != nil {
				t.Fatalf("entry %d: %v", r.Index, err)
			}
			if !bytes.Equal(entry, r.Leaf) {
				t.Fatalf("entry %d: torchwood read %q, the receipt holds %q", r.Index, entry, r.Leaf)
			}
			s, _ := deconflict.ParseLeaf(entry)
			if p, _ := deconflict.ParsePayload(s.Payload); p.Text != fmt.Sprintf("message %d", i) {
				t.Fatalf("entry %d: %q", r.Index, p.Text)
			}
		}
	})
	t.Run("ReceiptCosigned", func(t *testing.T) {
		// The receipt given at once carries no cosignature: the hotline is
		// not held back for witnesses. Fetched now, it has the quorum.
		if ok, _, err := wn.policy.Cosigned([]byte(receipts[0].Checkpoint)); err != nil || len(ok) != 0 {
			t.Fatalf("the receipt given at once is cosigned by %v (%v)", ok, err)
		}
		r, err := member.Receipt(ctx, "ru-us", receipts[0].Index)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wn.policy.Verify([]byte(r.Checkpoint)); err != nil {
			t.Fatalf("receipt fetched afterwards: %v", err)
		}
		tp, err := member.TlogProof(ctx, "ru-us", receipts[2].Index)
		if err != nil {
			t.Fatal(err)
		}
		p, err := witness.ParseTlogProof(tp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wn.policy.Verify(p.Checkpoint); err != nil {
			t.Fatalf("tlog-proof checkpoint: %v", err)
		}
		lv, _ := note.NewVerifier(wn.VerifierKey("ru-us"))
		n, _ := note.Open(p.Checkpoint, note.VerifierList(lv))
		c, _ := torchwood.ParseCheckpoint(n.Text)
		if err := tlog.CheckRecord(p.Proof, c.N, c.Hash, p.Index, tlog.RecordHash(p.Extra)); err != nil || !bytes.Equal(p.Extra, receipts[2].Leaf) {
			t.Fatalf("tlog-proof of index %d does not prove the envelope: %v", p.Index, err)
		}
	})
	t.Run("StatusAndHealth", func(t *testing.T) {
		st, err := member.WitnessStatus(ctx, "ru-us")
		if err != nil {
			t.Fatal(err)
		}
		if len(st) != 2 || st[0].State != node.WitnessOK || st[1].State != node.WitnessOK || st[0].CosignedSize != 6 || st[1].Held != 6 {
			t.Fatalf("status %+v", st)
		}
		if got := wn.WitnessesFailing(); len(got) != 0 {
			t.Fatalf("failing %v with both witnesses up", got)
		}
	})
	t.Run("BadPolicyRefused", func(t *testing.T) {
		bad := "witness W1 " + wn.ours.Cosigner.VerifierKey() + "\nquorum W1\n" // no URL
		_, err := wn.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{Witnesses: &bad})
		if deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), "no URL") {
			t.Fatalf("policy without a URL: %v, want invalid", err)
		}
		bad = "quorum W9\n"
		if _, err := wn.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{Witnesses: &bad}); deconflict.ErrorCode(err) != deconflict.EINVALID {
			t.Fatalf("policy that does not parse: %v, want invalid", err)
		}
	})
	t.Run("WitnessDownThenBack", func(t *testing.T) {
		// Take our witness's HTTP server away: the next checkpoint lacks
		// its cosignature, and the node says so.
		wn.ours.srvClose()
		wn.Send(t, "US", "ru-us", deconflict.Routine, "while RU-W is away")
		eventually(t, "RU-W reported unreachable", func() (bool, string) {
			st, _ := member.WitnessStatus(ctx, "ru-us")
			return len(st) == 2 && st[0].State == node.WitnessUnreachable && st[1].State == node.WitnessOK && st[1].CosignedSize == 7, fmt.Sprintf("%+v", st)
		})
		cp, _ := member.Checkpoint(ctx, "ru-us")
		if _, err := wn.policy.Verify(cp); err == nil || !strings.Contains(err.Error(), "no cosignature from RU-W") {
			t.Fatalf("checkpoint without RU-W: Verify = %v", err)
		}
		if got := wn.WitnessesFailing(); !slices.Equal(got["ru-us"], []string{"RU-W"}) {
			t.Fatalf("failing = %v", got)
		}
		h := httpGetJSON(t, wn.Server.URL()+"/healthz")
		if h["status"] != "degraded" {
			t.Fatalf("/healthz %v, want degraded", h)
		}
		if m := string(httpGetBody(t, wn.Server.URL()+"/metrics")); !strings.Contains(m, "deconflict_witnesses_failing 1\n") || !strings.Contains(m, `deconflict_witness_requests_total{outcome="unreachable"}`) {
			t.Fatalf("metrics:\n%s", m)
		}
		// Back on the same address: the node retries and catches it up
		// from the size it holds (6) to 7.
		wn.ours.restart(t)
		wn.waitCosigned(t, 7)
		if h := httpGetJSON(t, wn.Server.URL()+"/healthz"); h["status"] != "ok" {
			t.Fatalf("/healthz %v after the witness came back", h)
		}
	})
	t.Run("Clear", func(t *testing.T) {
		empty := ""
		if _, err := wn.Operator().PatchPolicy(ctx, "ru-us", &deconflict.PolicyPatch{Witnesses: &empty}); err != nil {
			t.Fatal(err)
		}
		st, err := member.WitnessStatus(ctx, "ru-us")
		if err != nil || len(st) != 0 {
			t.Fatalf("status after clearing: %+v (%v)", st, err)
		}
		cp, _ := member.Checkpoint(ctx, "ru-us")
		if ok, _, _ := wn.policy.Cosigned(cp); len(ok) != 0 || !bytes.HasPrefix(cp, fmt.Appendf(nil, "%s\n8\n", wn.Origin("ru-us"))) {
			t.Fatalf("checkpoint after clearing %q carries cosignatures of %v", cp, ok)
		}
		// The change is in the log, as every policy change.
		envs, _ := member.Envelopes(ctx, "ru-us", 7, 1)
		if len(envs) != 1 || envs[0].Kind != deconflict.KindPolicy {
			t.Fatalf("entry 7: %+v, want the policy change", envs)
		}
	})
}

func httpGetBody(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func httpGetJSON(t *testing.T, url string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := jsonUnmarshal(httpGetBody(t, url), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// restart stops the node and starts another with the same key, name and
// witnesses on the data directory dir (its own, or a copy of an older
// state: a rolled-back store).
func (wn *witnessedNode) restart(t *testing.T, dir string) *witnessedNode {
	t.Helper()
	keys := wn.Keys
	wn.Stop()
	n := nodetest.Start(t, nodetest.Options{Dir: dir, Key: wn.Node.Node.Key})
	n.Keys = keys
	return &witnessedNode{Node: n, ours: wn.ours, lw: wn.lw, policy: wn.policy, text: wn.text}
}

// copyDir copies the files of a stopped node's data directory.
func copyDir(t testing.TB, from string) string {
	t.Helper()
	to := t.TempDir()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return to
}

// TestSplitView is what a dishonest host would show one member: the
// node's store is rolled back to an earlier state and extended
// differently. Both witnesses (ours and litewitness) refuse the forked
// checkpoints, first as a rollback (they hold a larger tree), then as
// inconsistent (422) once the fork outgrows what they cosigned; the
// forked checkpoint the node serves lacks the quorum, naming both; our
// witness keeps the node-signed forked request as evidence.
func TestSplitView(t *testing.T) {
	ctx := context.Background()
	wn := startWitnessedNode(t, nodetest.Options{})
	for i := 0; i < 3; i++ {
		wn.Send(t, "RU", "ru-us", deconflict.Routine, fmt.Sprintf("agreed %d", i))
	}
	wn.waitCosigned(t, 4)
	dir := wn.Dir
	wn.Stop()
	snapshot := copyDir(t, dir) // the store as it was at size 4

	wn = wn.restart(t, dir)
	for i := 0; i < 3; i++ {
		wn.Send(t, "US", "ru-us", deconflict.Flash, fmt.Sprintf("US objects %d", i))
	}
	wn.waitCosigned(t, 7)

	// The host rolls the store back to size 4 and writes another history.
	wn = wn.restart(t, snapshot)
	member := wn.Client("RU")
	wn.Send(t, "RU", "ru-us", deconflict.Routine, "no objection was ever received")
	eventually(t, "both witnesses refusing the rolled-back checkpoint", func() (bool, string) {
		st, _ := member.WitnessStatus(ctx, "ru-us")
		return len(st) == 2 && st[0].State == node.WitnessRefused && st[1].State == node.WitnessRefused &&
			st[0].Held == 7 && st[1].Held == 7, fmt.Sprintf("%+v", st)
	})
	for i := 0; i < 4; i++ {
		wn.Send(t, "RU", "ru-us", deconflict.Routine, fmt.Sprintf("forged %d", i))
	}
	eventually(t, "both witnesses refusing the forked checkpoint of size 9 as inconsistent", func() (bool, string) {
		st, _ := member.WitnessStatus(ctx, "ru-us")
		ok := len(st) == 2
		for _, s := range st {
			ok = ok && s.State == node.WitnessRefused && strings.Contains(s.Error, "422") && s.AskedSize == 9
		}
		return ok, fmt.Sprintf("%+v", st)
	})
	cp, err := member.Checkpoint(ctx, "ru-us")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(cp, fmt.Appendf(nil, "%s\n9\n", wn.Origin("ru-us"))) {
		t.Fatalf("forked checkpoint %q", cp)
	}
	_, err = wn.policy.Verify(cp)
	var qe *witness.QuorumError
	if !errors.As(err, &qe) || !slices.Equal(qe.Missing, []string{"RU-W", "LW"}) {
		t.Fatalf("Verify of the forked checkpoint = %v, want the quorum missing RU-W and LW", err)
	}
	rs, err := wn.ours.Store.Refusals(ctx, wn.Origin("ru-us"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) == 0 || rs[len(rs)-1].Status != http.StatusUnprocessableEntity || !bytes.Contains(rs[len(rs)-1].Body, cp[:bytes.Index(cp, []byte("\n\n"))]) {
		t.Fatalf("our witness kept %d refusals; want the forked checkpoint of size 9 among them", len(rs))
	}
	// Both witnesses still hold the honest tree of size 7.
	if l, _ := wn.ours.Store.Log(ctx, wn.Origin("ru-us")); l.Size != 7 {
		t.Fatalf("our witness holds size %d, want 7", l.Size)
	}
}
