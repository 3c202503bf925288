package live

// An internal test: it raises encounter events directly (handle), which
// the engine would otherwise have to be driven into.

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
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
		evs = append(evs, detect.Event{Type: detect.Opened, Alert: true, Encounter: detect.Encounter{ID: uint64(i + 1), A: "a", B: "b", PartyA: "RU", PartyB: "US", Severity: detect.Critical}})
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
