package node_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
)

// faultyStore is a real store that can be told to fail appends or to
// hide one envelope from reads.
type faultyStore struct {
	deconflict.Store
	failAppend atomic.Bool
	hide       atomic.Int64 // 1 + the index hidden from FindEnvelopes; 0 for none
	// ackGate, when set, holds every AckStatus call until it is closed;
	// each held call first sends on ackHeld, if set, when it can.
	ackGate atomic.Pointer[chan struct{}]
	ackHeld atomic.Pointer[chan struct{}]
}

func (s *faultyStore) AckStatus(ctx context.Context, channel string, index int64) ([]deconflict.PendingAck, error) {
	if g := s.ackGate.Load(); g != nil {
		if h := s.ackHeld.Load(); h != nil {
			select {
			case *h <- struct{}{}:
			default:
			}
		}
		<-*g
	}
	return s.Store.AckStatus(ctx, channel, index)
}

func (s *faultyStore) Append(ctx context.Context, b *deconflict.Batch) error {
	if s.failAppend.Load() {
		return errors.New("disk full")
	}
	return s.Store.Append(ctx, b)
}

func (s *faultyStore) FindEnvelopes(ctx context.Context, channel string, from int64, limit int) ([]*deconflict.Envelope, error) {
	envs, err := s.Store.FindEnvelopes(ctx, channel, from, limit)
	if h := s.hide.Load() - 1; h >= 0 {
		out := envs[:0:0]
		for _, e := range envs {
			if e.Index != h {
				out = append(out, e)
			}
		}
		envs = out
	}
	return envs, err
}

// fixture is a node over a real SQLite file with parties RU and US, the
// channel ru-us, and a clock the test moves. The node is not opened: its
// deadline and webhook loops do not run, and the test runs their work
// (CheckDeadlines, DeliverWebhooks) itself, at the times it chooses.
type fixture struct {
	t     *testing.T
	clk   *nodetest.Clock
	store *faultyStore
	n     *node.Node
	keys  map[string]ed25519.PrivateKey
}

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, p *deconflict.Policy) *fixture {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	fx := &fixture{t: t, clk: nodetest.NewClock(t0), store: &faultyStore{Store: db}, keys: map[string]ed25519.PrivateKey{}}
	fx.n = node.New(fx.store, nodeKey, "node-test")
	fx.n.Now = fx.clk.Now
	fx.n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Cleanup(func() { fx.n.Close() })
	for _, id := range []string{"RU", "US"} {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		if err := fx.n.CreateParty(ctx, deconflict.NodeAuthor, &deconflict.Party{ID: id, Keys: []deconflict.PartyKey{{Party: id, Public: pub}}}); err != nil {
			t.Fatal(err)
		}
		fx.keys[id] = priv
	}
	c := &deconflict.Channel{ID: "ru-us", Members: []string{"RU", "US"}}
	if p != nil {
		c.Policy = *p
	}
	if err := fx.n.CreateChannel(ctx, deconflict.NodeAuthor, c); err != nil {
		t.Fatal(err)
	}
	return fx
}

func (fx *fixture) signed(party string, p *deconflict.Payload) *deconflict.Signed {
	fx.t.Helper()
	p.V, p.ID, p.Channel, p.Author, p.Time = 1, deconflict.NewEnvelopeID(), "ru-us", party, fx.clk.Now()
	s, err := deconflict.SignPayload(fx.keys[party], p)
	if err != nil {
		fx.t.Fatal(err)
	}
	return s
}

func (fx *fixture) send(party string, prec deconflict.Precedence, text string) *deconflict.Receipt {
	fx.t.Helper()
	r, err := fx.n.Submit(context.Background(), fx.signed(party, &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: prec, Text: text}))
	if err != nil {
		fx.t.Fatal(err)
	}
	return r
}

func (fx *fixture) envelopes() []*deconflict.Envelope {
	fx.t.Helper()
	envs, err := fx.n.Envelopes(context.Background(), deconflict.NodeAuthor, "ru-us", 0, 1000)
	if err != nil {
		fx.t.Fatal(err)
	}
	return envs
}

func kinds(envs []*deconflict.Envelope) string {
	var out []string
	for _, e := range envs {
		out = append(out, e.Kind)
	}
	return strings.Join(out, ",")
}

func policy(flash time.Duration, webhooks ...string) *deconflict.Policy {
	p := deconflict.DefaultPolicy()
	p.AckDeadlines[deconflict.Flash] = deconflict.Duration(flash)
	p.Webhooks = webhooks
	return &p
}

// TestAckDeadline: a flash message gives the other member a duty with
// the channel's deadline; nothing is recorded before it, and one
// missed-ack, naming RU, after it, however often the deadlines are checked.
func TestAckDeadline(t *testing.T) {
	fx := newFixture(t, policy(2*time.Minute))
	ctx := context.Background()
	msg := fx.send("US", deconflict.Flash, "request intentions")
	duties, err := fx.n.AckDuties(ctx, deconflict.NodeAuthor, "ru-us")
	if err != nil {
		t.Fatal(err)
	}
	if len(duties) != 1 || duties[0].Party != "RU" || !duties[0].Deadline.Equal(t0.Add(2*time.Minute)) {
		t.Fatalf("duties %+v, want RU's by %s", duties, t0.Add(2*time.Minute))
	}
	fx.clk.Add(2*time.Minute - time.Second)
	if err := fx.n.CheckDeadlines(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fx.envelopes()), "message"; got != want {
		t.Fatalf("log before the deadline: %s, want %s", got, want)
	}
	fx.clk.Add(time.Second)
	for range 3 {
		if err := fx.n.CheckDeadlines(ctx); err != nil {
			t.Fatal(err)
		}
	}
	envs := fx.envelopes()
	if got, want := kinds(envs), "message,missed-ack"; got != want {
		t.Fatalf("log after the deadline: %s, want %s", got, want)
	}
	p, err := deconflict.ParsePayload(envs[1].Payload)
	if err != nil {
		t.Fatal(err)
	}
	if p.Ack == nil || *p.Ack != msg.Index || fmt.Sprint(p.AckFrom) != "[RU]" || envs[1].Author != deconflict.NodeAuthor {
		t.Fatalf("missed-ack %+v by %s, want the node naming RU for message %d", p, envs[1].Author, msg.Index)
	}
	if got := fx.n.Metrics().MissedAcks.Load(); got != 1 {
		t.Fatalf("MissedAcks=%d, want 1", got)
	}
	// A late acknowledgement is still logged and settles the duty.
	if _, err := fx.n.Submit(ctx, fx.signed("RU", &deconflict.Payload{Kind: deconflict.KindAck, Ack: &msg.Index})); err != nil {
		t.Fatal(err)
	}
	if open, _ := fx.n.Inbox(ctx, "RU", "ru-us"); len(open) != 0 {
		t.Fatalf("RU's inbox after acknowledging: %+v", open)
	}
}

// TestAcksInOneBatch: a message and its acknowledgement submitted in one
// batch settle the duty in the same append; the deadline then passes
// without a missed-ack.
func TestAcksInOneBatch(t *testing.T) {
	fx := newFixture(t, policy(time.Minute))
	ctx := context.Background()
	msg := fx.signed("US", &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Text: "one"})
	zero := int64(0)
	ack := fx.signed("RU", &deconflict.Payload{Kind: deconflict.KindAck, Ack: &zero})
	res, err := fx.n.SubmitBatch(ctx, "ru-us", []*deconflict.Signed{msg, ack})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("envelope %d: %v", i, r.Err)
		}
	}
	if got := res[1].Receipt.Index; got != 1 {
		t.Fatalf("ack at index %d, want 1", got)
	}
	fx.clk.Add(time.Hour)
	if err := fx.n.CheckDeadlines(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := kinds(fx.envelopes()), "message,ack"; got != want {
		t.Fatalf("log: %s, want %s (no missed-ack)", got, want)
	}
	st, err := fx.store.AckStatus(ctx, "ru-us", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].AckIndex == nil || *st[0].AckIndex != 1 {
		t.Fatalf("duty of message 0: %+v, want acknowledged at 1", st)
	}
}

// TestWebhookBackoff: a missed acknowledgement queues a call to the
// channel's webhook; a failing receiver is tried again after 1 s, 2 s,
// 4 s ... (each up to a quarter more) and given up after
// MaxWebhookAttempts; a call is never made before it is due.
func TestWebhookBackoff(t *testing.T) {
	var calls atomic.Int64
	var mu sync.Mutex
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies = append(bodies, string(b))
		mu.Unlock()
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	fx := newFixture(t, policy(time.Minute, srv.URL))
	ctx := context.Background()
	fx.send("US", deconflict.Flash, "request intentions")
	fx.clk.Add(time.Minute)
	if err := fx.n.CheckDeadlines(ctx); err != nil {
		t.Fatal(err)
	}
	backoff := time.Second
	for attempt := 1; attempt <= node.MaxWebhookAttempts; attempt++ {
		if err := fx.n.DeliverWebhooks(ctx); err != nil {
			t.Fatal(err)
		}
		if got := calls.Load(); got != int64(attempt) {
			t.Fatalf("after attempt %d: %d calls", attempt, got)
		}
		// Not due again at once: calling again makes no call.
		if err := fx.n.DeliverWebhooks(ctx); err != nil {
			t.Fatal(err)
		}
		if got := calls.Load(); got != int64(attempt) {
			t.Fatalf("attempt %d repeated before its backoff: %d calls", attempt, got)
		}
		jobs, err := fx.store.DueWebhooks(ctx, fx.clk.Now().Add(24*time.Hour), 10)
		if err != nil {
			t.Fatal(err)
		}
		if attempt == node.MaxWebhookAttempts {
			if len(jobs) != 0 {
				t.Fatalf("after %d attempts the call is still queued: %+v", attempt, jobs)
			}
			break
		}
		if len(jobs) != 1 || jobs[0].Attempts != attempt || jobs[0].LastErr == "" {
			t.Fatalf("after attempt %d: jobs %+v", attempt, jobs)
		}
		wait := jobs[0].NextTry.Sub(fx.clk.Now())
		if wait < backoff || wait > backoff+backoff/4 {
			t.Fatalf("attempt %d: next try in %s, want %s to %s", attempt, wait, backoff, backoff+backoff/4)
		}
		fx.clk.Set(jobs[0].NextTry)
		backoff = min(2*backoff, 256*time.Second)
	}
	fx.clk.Add(time.Hour)
	if err := fx.n.DeliverWebhooks(ctx); err != nil {
		t.Fatal(err)
	}
	if got, want := calls.Load(), int64(node.MaxWebhookAttempts); got != want {
		t.Fatalf("%d calls after giving up, want %d", got, want)
	}
	if got := fx.n.Metrics().WebhookFail.Load(); got != int64(node.MaxWebhookAttempts) {
		t.Fatalf("WebhookFail=%d, want %d", got, node.MaxWebhookAttempts)
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(bodies[0], `"event":"missed-ack"`) || !strings.Contains(bodies[0], `"missing":["RU"]`) {
		t.Fatalf("webhook body %s, want the missed-ack naming RU", bodies[0])
	}
}

// TestWebhookDelivered: a receiver that answers 2xx gets the call once.
func TestWebhookDelivered(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls.Add(1) }))
	defer srv.Close()
	fx := newFixture(t, policy(time.Minute, srv.URL))
	ctx := context.Background()
	fx.send("US", deconflict.Flash, "request intentions")
	fx.clk.Add(time.Minute)
	if err := fx.n.CheckDeadlines(ctx); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := fx.n.DeliverWebhooks(ctx); err != nil {
			t.Fatal(err)
		}
		fx.clk.Add(time.Hour)
	}
	if got := calls.Load(); got != 1 {
		t.Fatalf("%d calls, want 1", got)
	}
	if got := fx.n.Metrics().WebhookOK.Load(); got != 1 {
		t.Fatalf("WebhookOK=%d, want 1", got)
	}
}

// TestFailingCommit: when the store refuses a batch, the sender gets an
// error, the log keeps its size and checkpoint, and the next append
// takes the index the failed one would have had.
func TestFailingCommit(t *testing.T) {
	fx := newFixture(t, nil)
	ctx := context.Background()
	fx.send("US", deconflict.Routine, "zero")
	cp, size, err := fx.n.Checkpoint(ctx, deconflict.NodeAuthor, "ru-us")
	if err != nil {
		t.Fatal(err)
	}
	fx.store.failAppend.Store(true)
	failed := fx.signed("US", &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "one"})
	if _, err := fx.n.Submit(ctx, failed); err == nil {
		t.Fatal("Submit while the store fails: nil error")
	}
	cp2, size2, err := fx.n.Checkpoint(ctx, deconflict.NodeAuthor, "ru-us")
	if err != nil {
		t.Fatal(err)
	}
	if size2 != size || string(cp2) != string(cp) {
		t.Fatalf("after a failed commit: size %d, want %d; checkpoint changed: %v", size2, size, string(cp2) != string(cp))
	}
	fx.store.failAppend.Store(false)
	r, err := fx.n.Submit(ctx, failed) // the same envelope, now accepted
	if err != nil {
		t.Fatal(err)
	}
	if got, want := r.Index, size; got != want {
		t.Fatalf("index after the failure %d, want %d", got, want)
	}
	if got, want := kinds(fx.envelopes()), "message,message"; got != want {
		t.Fatalf("log %s, want %s", got, want)
	}
}

// TestRingWraps: with a ring of 8 envelopes and 30 appended, reads and
// followers from any index get every envelope once, in order, from the
// ring where it still holds them and from the store below.
func TestRingWraps(t *testing.T) {
	defer node.SetRingSize(8)()
	fx := newFixture(t, nil)
	ctx := context.Background()
	var ids []string
	for i := range 30 {
		r := fx.send("US", deconflict.Routine, fmt.Sprint("message ", i))
		ids = append(ids, r.ID)
	}
	for _, from := range []int64{0, 5, 21, 22, 25, 29} {
		// Read as the author, whose reads log no seen envelopes.
		envs, err := fx.n.Envelopes(ctx, "US", "ru-us", from, 4)
		if err != nil {
			t.Fatal(err)
		}
		if len(envs) != int(min(4, 30-from)) {
			t.Fatalf("Envelopes(from %d): %d envelopes", from, len(envs))
		}
		for i, e := range envs {
			if want := from + int64(i); e.Index != want || e.ID != ids[want] {
				t.Fatalf("Envelopes(from %d)[%d]: index %d id %s, want %d %s", from, i, e.Index, e.ID, want, ids[want])
			}
		}
	}
	for _, from := range []int64{0, 20, 26} {
		fctx, cancel := context.WithCancel(ctx)
		var got []int64
		err := fx.n.Follow(fctx, "US", "ru-us", from, func(e *deconflict.Envelope) error {
			if e.ID != ids[e.Index] {
				t.Errorf("follow from %d: index %d has id %s, want %s", from, e.Index, e.ID, ids[e.Index])
			}
			got = append(got, e.Index)
			if e.Index == 29 {
				cancel()
			}
			return nil
		})
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("follow from %d: %v", from, err)
		}
		if len(got) != int(30-from) || got[0] != from || got[len(got)-1] != 29 {
			t.Fatalf("follow from %d: indexes %v", from, got)
		}
		for i := 1; i < len(got); i++ {
			if got[i] != got[i-1]+1 {
				t.Fatalf("follow from %d: indexes %v, not consecutive", from, got)
			}
		}
	}
}

// TestFollowGap: a follower reading from the store where an envelope is
// missing gets an error naming it after the envelopes before it, instead
// of reading the same range again forever.
func TestFollowGap(t *testing.T) {
	defer node.SetRingSize(4)()
	fx := newFixture(t, nil)
	ctx := context.Background()
	for i := range 12 {
		fx.send("US", deconflict.Routine, fmt.Sprint("message ", i))
	}
	fx.store.hide.Store(1 + 3)
	var got []int64
	done := make(chan error, 1)
	go func() {
		done <- fx.n.FollowBatches(ctx, "RU", "ru-us", 0, func(envs []*deconflict.Envelope) error {
			for _, e := range envs {
				got = append(got, e.Index)
			}
			return nil
		})
	}()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("FollowBatches over a store with a gap did not return")
	}
	if err == nil || !strings.Contains(err.Error(), "envelope 3 is missing") {
		t.Fatalf("FollowBatches: %v, want an error naming envelope 3", err)
	}
	if fmt.Sprint(got) != "[0 1 2]" {
		t.Fatalf("delivered %v before the gap, want [0 1 2]", got)
	}
}
