package live

// An internal test: it raises encounter events directly (handle), which
// the engine would otherwise have to be driven into.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/sqlite"
)

// blockingLog is a channel log whose SubmitNode waits until released, as
// a node busy with a slow disk would.
type blockingLog struct {
	release chan struct{}
	mu      sync.Mutex
	posted  map[string]bool // alert body -> posted
}

func (b *blockingLog) Channels(ctx context.Context, caller string) ([]*deconflict.Channel, error) {
	return []*deconflict.Channel{{ID: "ru-us", Members: []string{"RU", "US"}}}, nil
}
func (b *blockingLog) Refused() map[string]string                          { return nil }
func (b *blockingLog) OnChannelsChanged(f func(ctx context.Context) error) {}
func (b *blockingLog) SubmitNode(ctx context.Context, p *deconflict.Payload) (*deconflict.Receipt, error) {
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	b.mu.Lock()
	b.posted[string(p.Body)] = true
	b.mu.Unlock()
	return &deconflict.Receipt{}, nil
}

func (b *blockingLog) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.posted)
}

var t0 = time.Date(2026, 12, 2, 2, 0, 0, 0, time.UTC)

// TestAlertsNotDroppedWhenQueueFull: with the poster stuck and a memory
// queue of one, fifty alerts are raised; each reaches the log once the
// poster moves again (the outbox took what the queue could not).
func TestAlertsNotDroppedWhenQueueFull(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bl := &blockingLog{release: make(chan struct{}), posted: map[string]bool{}}
	l := New(bl, db)
	l.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	l.AlertQueue = 1
	if err := l.Open(ctx, nil, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 50
	var evs []detect.Event
	for i := 0; i < n; i++ {
		evs = append(evs, detect.Event{Type: detect.Opened, Alert: true, Encounter: detect.Encounter{ID: uint64(i + 1), A: fmt.Sprint("a", i), B: "b", PartyA: "RU", PartyB: "US", Severity: detect.Critical, Opened: t0.Add(time.Duration(i) * time.Second)}})
	}
	l.handle(evs)
	if got := l.Stats().AlertsOverflow; got == 0 {
		t.Fatalf("no alert overflowed to the outbox with a queue of 1 and a stuck poster")
	}
	close(bl.release)
	deadline := time.Now().Add(20 * time.Second)
	for bl.count() < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := bl.count(); got != n {
		t.Fatalf("%d of %d alerts posted, want all", got, n)
	}
	st := l.Stats()
	if st.AlertsLost != 0 || st.AlertsQueued != n {
		t.Fatalf("stats %+v: want %d queued, none lost", st, n)
	}
}

// TestAlertQueuedOncePerKey: two pictures on one outbox (as two replicas
// on one database) raise the same events, numbered differently by their
// engines; each alert is queued once, the second counted as left, and
// both name the incident alike.
func TestAlertQueuedOncePerKey(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bl := &blockingLog{release: make(chan struct{}), posted: map[string]bool{}}
	var pics []*Picture
	for i := 0; i < 2; i++ {
		l := New(bl, db)
		l.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		l.Leading = func() bool { return false } // neither posts: the outbox keeps what they queue
		if err := l.Open(ctx, nil, detect.Config{}); err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		pics = append(pics, l)
	}
	enc := func(id uint64, sev detect.Severity, a, b string) detect.Encounter {
		return detect.Encounter{ID: id, Kind: detect.Approach, A: a, B: b, PartyA: "RU", PartyB: "US", Severity: sev, Opened: t0}
	}
	// The second engine numbered the encounter 7 and saw its tracks the
	// other way round.
	pics[0].queueAlert(ctx, detect.Event{Type: detect.Opened, Alert: true, Encounter: enc(1, detect.Advisory, "a", "b")})
	pics[1].queueAlert(ctx, detect.Event{Type: detect.Opened, Alert: true, Encounter: enc(7, detect.Advisory, "b", "a")})
	pics[1].queueAlert(ctx, detect.Event{Type: detect.Escalated, Alert: true, Encounter: enc(7, detect.Critical, "b", "a")})
	pics[0].queueAlert(ctx, detect.Event{Type: detect.Escalated, Alert: true, Encounter: enc(1, detect.Critical, "a", "b")})
	due, err := db.DueAlerts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2 {
		t.Fatalf("%d alerts in the outbox, want 2 (opened, escalated)", len(due))
	}
	a, b := pics[0].Stats(), pics[1].Stats()
	if a.AlertsQueued != 1 || b.AlertsQueued != 1 || a.AlertsLeft != 1 || b.AlertsLeft != 1 {
		t.Fatalf("queued %d and %d, left %d and %d; want 1/1 queued, 1/1 left", a.AlertsQueued, b.AlertsQueued, a.AlertsLeft, b.AlertsLeft)
	}
	// The same pair meeting at another time is another incident.
	e1, e7, later := enc(1, detect.Advisory, "a", "b"), enc(7, detect.Critical, "b", "a"), enc(2, detect.Advisory, "a", "b")
	later.Opened = t0.Add(time.Hour)
	if id1, id7, idl := IncidentID(&e1), IncidentID(&e7), IncidentID(&later); id1 != id7 || id1 == idl || !strings.HasPrefix(id1, "inc-20261202T020000-") {
		t.Fatalf("incident ids %s, %s (the same encounter), %s (a later one)", id1, id7, idl)
	}
	if due[0].Key == due[1].Key || !strings.HasPrefix(due[1].Key, IncidentID(&e1)+"/") {
		t.Fatalf("keys %q, %q", due[0].Key, due[1].Key)
	}
}

// TestLateEngineJoinsIncident: a picture that started while an encounter
// was open opens it at a later report; its opening joins the incident
// the first picture opened (not alerted again), its escalation has the
// same key as the first's, and once the encounter closed the same pair
// meeting again opens a new incident.
func TestLateEngineJoinsIncident(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	bl := &blockingLog{release: make(chan struct{}), posted: map[string]bool{}}
	var pics []*Picture
	for i := 0; i < 2; i++ {
		l := New(bl, db)
		l.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		l.Leading = func() bool { return false }
		if err := l.Open(ctx, nil, detect.Config{}); err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		pics = append(pics, l)
	}
	first := detect.Encounter{ID: 1, Kind: detect.Approach, A: "a", B: "b", PartyA: "RU", PartyB: "US", Severity: detect.Advisory, Opened: t0}
	late := first
	late.ID, late.Opened = 3, t0.Add(2*time.Minute)
	pics[0].queueAlert(ctx, detect.Event{Type: detect.Opened, Alert: true, Encounter: first})
	pics[1].queueAlert(ctx, detect.Event{Type: detect.Opened, Alert: true, Encounter: late})
	if got, want := pics[1].IncidentID(&late), IncidentID(&first); got != want || IncidentID(&late) == want {
		t.Fatalf("the late engine's encounter is in incident %s, want the first's %s", got, want)
	}
	first.Severity, late.Severity = detect.Critical, detect.Critical
	pics[1].queueAlert(ctx, detect.Event{Type: detect.Escalated, Alert: true, Encounter: late})
	pics[0].queueAlert(ctx, detect.Event{Type: detect.Escalated, Alert: true, Encounter: first})
	pics[0].queueAlert(ctx, detect.Event{Type: detect.Closed, Alert: true, Encounter: first})
	pics[1].queueAlert(ctx, detect.Event{Type: detect.Closed, Alert: true, Encounter: late})
	due, err := db.DueAlerts(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, j := range due {
		keys = append(keys, j.Key)
	}
	inc := IncidentID(&first)
	want := []string{inc + "/opened/advisory", inc + "/escalated/critical", inc + "/closed"}
	if strings.Join(keys, " ") != strings.Join(want, " ") {
		t.Fatalf("outbox keys %q, want %q", keys, want)
	}
	// The late picture queued the escalation first; the first picture the
	// opening and the closing.
	if a, b := pics[0].Stats(), pics[1].Stats(); a.AlertsQueued != 2 || a.AlertsLeft != 1 || b.AlertsQueued != 1 || b.AlertsLeft != 2 {
		t.Fatalf("queued %d and %d, left %d and %d; want 2/1 queued, 1/2 left", a.AlertsQueued, b.AlertsQueued, a.AlertsLeft, b.AlertsLeft)
	}
	again := first
	again.ID, again.Opened, again.Severity = 9, t0.Add(time.Hour), detect.Advisory
	pics[1].queueAlert(ctx, detect.Event{Type: detect.Opened, Alert: true, Encounter: again})
	if got := pics[1].IncidentID(&again); got != IncidentID(&again) || got == inc {
		t.Fatalf("the pair meeting again after the close is in incident %s", got)
	}
	if st := pics[1].Stats(); st.AlertsQueued != 2 {
		t.Fatalf("the new meeting was not queued: %+v", st)
	}
}
