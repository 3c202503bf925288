package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
)

// seenOf returns the (message index, party) of every seen envelope of
// channel, in log order, read as the operator (whose reads log nothing).
func seenOf(t *testing.T, tn *nodetest.Node, channel string) []string {
	t.Helper()
	envs, err := tn.Node.Envelopes(context.Background(), deconflict.NodeAuthor, channel, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range envs {
		if e.Kind != deconflict.KindSeen {
			continue
		}
		if e.Author != deconflict.NodeAuthor {
			t.Fatalf("seen envelope %d authored by %s, want the node", e.Index, e.Author)
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%s", *p.Ack, p.AckFrom[0]))
	}
	return out
}

// TestSeen: through a real node and HTTP, a member's fetches of a message
// (envelopes, inbox, watch; many at once) log one seen envelope for it;
// the other member never fetches it. The missed acknowledgement then says
// who saw it and did not answer and who it never reached; the
// acknowledgement states say so too, and a restarted node logs no second
// seen envelope.
func TestSeen(t *testing.T) {
	ctx := context.Background()
	clk := nodetest.NewClock(time.Now())
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now, Tick: time.Hour})
	tn.AddParties(t, "US", "RU", "FR")
	pol := deconflict.DefaultPolicy()
	pol.AckDeadlines[deconflict.Flash] = deconflict.Duration(2 * time.Minute)
	tn.AddChannel(t, "hot", []string{"US", "RU", "FR"}, &pol)
	us, ru := client(tn, "US", clk), client(tn, "RU", clk)

	msg, err := us.Send(ctx, "US", &deconflict.Payload{Channel: "hot", Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Text: "state your intentions"})
	if err != nil {
		t.Fatal(err)
	}
	// The author's own fetch, and the operator's, log nothing.
	if _, err := us.Envelopes(ctx, "hot", 0, 100); err != nil {
		t.Fatal(err)
	}
	if got := seenOf(t, tn, "hot"); len(got) != 0 {
		t.Fatalf("seen after the author's fetch: %v, want none", got)
	}

	clk.Add(30 * time.Second)
	var wg sync.WaitGroup
	errs := make(chan error, 30)
	for i := range 30 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			switch i % 3 {
			case 0:
				_, err = ru.Envelopes(ctx, "hot", 0, 100)
			case 1:
				_, err = ru.Inbox(ctx, "hot")
			case 2:
				wctx, cancel := context.WithCancel(ctx)
				defer cancel()
				err = ru.Watch(wctx, "hot", -1, func(v *dhttp.EnvelopeView) error {
					cancel() // the first envelope delivered is enough
					return nil
				})
				if wctx.Err() != nil {
					err = nil
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fmt.Sprint(seenOf(t, tn, "hot")), fmt.Sprintf("[%d:RU]", msg.Index); got != want {
		t.Fatalf("seen envelopes after 30 concurrent fetches by RU: %s, want %s", got, want)
	}
	seenTime := clk.Now().UTC()

	inbox, err := ru.Inbox(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	if len(inbox) != 1 || inbox[0].Seen == nil || !inbox[0].Seen.Equal(seenTime) {
		t.Fatalf("RU's inbox %+v, want the message seen at %s", inbox, seenTime)
	}

	clk.Add(2 * time.Minute)
	if err := tn.Node.CheckDeadlines(ctx); err != nil {
		t.Fatal(err)
	}
	envs, err := tn.Node.Envelopes(ctx, deconflict.NodeAuthor, "hot", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	last := envs[len(envs)-1]
	if last.Kind != deconflict.KindMissedAck {
		t.Fatalf("last envelope %s, want missed-ack", last.Kind)
	}
	p, err := deconflict.ParsePayload(last.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var body node.MissedAckBody
	if err := json.Unmarshal(p.Body, &body); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(body.Missing, body.Seen, body.Unseen), "[FR RU] [RU] [FR]"; got != want {
		t.Fatalf("missed-ack missing, seen, unseen: %s, want %s", got, want)
	}
	if !strings.Contains(p.Text, "RU: seen at "+seenTime.Format(time.RFC3339)+" and not answered") || !strings.Contains(p.Text, "FR: never delivered") {
		t.Fatalf("missed-ack text %q does not tell seen from never delivered", p.Text)
	}

	duties, err := us.Acks(ctx, "hot")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, d := range duties {
		got[d.Party] = d.Seen != nil
	}
	if fmt.Sprint(got) != "map[FR:false RU:true]" {
		t.Fatalf("acknowledgement states (party: seen) %v, want RU seen, FR not", got)
	}

	// A restarted node reads who saw what from its log.
	tn2 := tn.Restart(t)
	ru2 := client(tn2, "RU", clk)
	if _, err := ru2.Envelopes(ctx, "hot", 0, 100); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(seenOf(t, tn2, "hot")), fmt.Sprintf("[%d:RU]", msg.Index); got != want {
		t.Fatalf("seen envelopes after a restart and another fetch: %s, want %s", got, want)
	}
}

// seenIn returns the (message index, party) of every seen envelope of envs.
func seenIn(t *testing.T, envs []*deconflict.Envelope) []string {
	t.Helper()
	var out []string
	for _, e := range envs {
		if e.Kind != deconflict.KindSeen {
			continue
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%d:%s", *p.Ack, p.AckFrom[0]))
	}
	slices.Sort(out)
	return out
}

// followAll follows ru-us as RU until want envelopes are delivered, and
// fails the test if they are not within 30 s (a delivery held up).
func followAll(t *testing.T, fx *fixture, want int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := 0
	done := make(chan error, 1)
	go func() {
		done <- fx.n.FollowBatches(ctx, "RU", "ru-us", 0, func(envs []*deconflict.Envelope) error {
			if got += len(envs); got >= want {
				cancel()
			}
			return nil
		})
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("following ru-us delivered %d of %d envelopes while the seen writer was held", got, want)
	}
}

// TestSeenOffTheWatchPath: a follower gets every message while the seen
// writer is held in the store (its duty check blocked); once the store
// answers, every message has its one seen record, which a member's fetch
// (waiting for the records) then finds in the log.
func TestSeenOffTheWatchPath(t *testing.T) {
	fx := newFixture(t, nil)
	var want []string
	for i := range 12 {
		r := fx.send("US", deconflict.Routine, fmt.Sprint("message ", i))
		want = append(want, fmt.Sprintf("%d:RU", r.Index))
	}
	slices.Sort(want)
	gate := make(chan struct{})
	fx.store.ackGate.Store(&gate)
	followAll(t, fx, 12)
	if got := seenIn(t, fx.envelopes()); len(got) != 0 {
		t.Fatalf("seen records %v while the writer is held, want none yet", got)
	}
	close(gate)
	if _, err := fx.n.Envelopes(context.Background(), "RU", "ru-us", 0, 1000); err != nil {
		t.Fatal(err)
	}
	if got := seenIn(t, fx.envelopes()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("seen records %v, want %v", got, want)
	}
	if got := fx.n.Metrics().SeenLogged.Load(); got != 12 {
		t.Fatalf("SeenLogged=%d, want 12", got)
	}
	followAll(t, fx, 24) // the seen records themselves log nothing more
	if got := seenIn(t, fx.envelopes()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("seen records after following again %v, want %v", got, want)
	}
}

// TestSeenQueuedAtClose: seen records still queued when the node closes
// are logged before its appenders stop, and a node restarted on the store
// finds them.
func TestSeenQueuedAtClose(t *testing.T) {
	fx := newFixture(t, nil)
	var want []string
	for i := range 12 {
		r := fx.send("US", deconflict.Routine, fmt.Sprint("message ", i))
		want = append(want, fmt.Sprintf("%d:RU", r.Index))
	}
	slices.Sort(want)
	gate := make(chan struct{})
	fx.store.ackGate.Store(&gate)
	followAll(t, fx, 12)
	closed := make(chan error, 1)
	go func() { closed <- fx.n.Close() }()
	close(gate)
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Close with seen records queued did not return")
	}
	n2 := node.New(fx.store, fx.n.Key, "node-test")
	n2.Now = fx.clk.Now
	defer n2.Close()
	envs, err := n2.Envelopes(context.Background(), deconflict.NodeAuthor, "ru-us", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if got := seenIn(t, envs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("seen records after Close and a restart %v, want %v", got, want)
	}
}

// TestSeenQueueFull: while the seen writer is held in the store, fetches
// beyond its queue are delivered at once and their records left to a
// later fetch, which logs them: every message ends with one record.
func TestSeenQueueFull(t *testing.T) {
	defer node.SetSeenQueueSize(4)()
	fx := newFixture(t, nil)
	var want []string
	record := func(r *deconflict.Receipt) { want = append(want, fmt.Sprintf("%d:RU", r.Index)) }
	record(fx.send("US", deconflict.Routine, "message 0"))
	gate, held := make(chan struct{}), make(chan struct{}, 1)
	fx.store.ackHeld.Store(&held)
	fx.store.ackGate.Store(&gate)
	followAll(t, fx, 1)
	<-held // the writer checks message 0's duties, and waits
	for i := 1; i <= 8; i++ {
		record(fx.send("US", deconflict.Routine, fmt.Sprint("message ", i)))
	}
	slices.Sort(want)
	followAll(t, fx, 9)
	if got := fx.n.Metrics().SeenDropped.Load(); got != 4 {
		t.Fatalf("SeenDropped=%d with 8 first fetches and a queue of 4, want 4", got)
	}
	close(gate)
	// The first fetch may find the queue still full; it returns once the
	// queued records are logged, and the next fetch queues the rest.
	for range 2 {
		if _, err := fx.n.Envelopes(context.Background(), "RU", "ru-us", 0, 1000); err != nil {
			t.Fatal(err)
		}
	}
	if got := seenIn(t, fx.envelopes()); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("seen records %v, want %v", got, want)
	}
}

// TestSeenRidesWithMessages: a watcher's seen record waits in the
// appender for a message to share its commit (here for as long as the
// test runs), so it is logged with the next messages and takes no commit
// of its own; a read that waits for its records does not wait for a
// message.
func TestSeenRidesWithMessages(t *testing.T) {
	defer node.SetLazyDelay(time.Hour)()
	fx := newFixture(t, nil)
	first := fx.send("US", deconflict.Routine, "message 0")
	batches := fx.n.Metrics().Batches.Load()
	followAll(t, fx, 1) // RU's seen record of message 0, not waited for
	want := []string{fmt.Sprintf("%d:RU", first.Index)}
	sent := 0
	for fmt.Sprint(seenIn(t, fx.envelopes())) != fmt.Sprint(want) {
		if sent == 10000 {
			t.Fatalf("seen records %v after 10,000 more messages, want %v", seenIn(t, fx.envelopes()), want)
		}
		fx.send("US", deconflict.Routine, fmt.Sprint("message ", sent+1))
		sent++
	}
	if got := fx.n.Metrics().Batches.Load() - batches; got != int64(sent) {
		t.Fatalf("%d commits for %d messages and a seen record, want %d: the record took its own", got, sent, sent)
	}
	// RU's read waits for its records of the other messages: they commit
	// at once, with no message to wait for.
	if _, err := fx.n.Envelopes(context.Background(), "RU", "ru-us", 0, 1000); err != nil {
		t.Fatal(err)
	}
	if got := len(seenIn(t, fx.envelopes())); got != sent+1 {
		t.Fatalf("%d seen records after RU's read, want %d", got, sent+1)
	}
}
