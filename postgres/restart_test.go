package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/deconflict/deconflict/node"
)

// TestDatabaseRestart restarts the PostgreSQL server under two running
// replicas: afterwards appends succeed again, a watcher on the other
// replica resumes with no gap, and the timers lease is held again, so a
// deadline that falls due after the restart gets its missed-ack.
func TestDatabaseRestart(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	dsn := pg.NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := nodetest.Start(t, nodetest.Options{Store: open(t, dsn)})
	b := a.Replica(t, open(t, dsn))
	a.AddParties(t, "RU", "US")
	p := deconflict.DefaultPolicy()
	p.AckDeadlines[deconflict.Flash] = deconflict.Duration(time.Second)
	a.AddChannel(t, "c", []string{"RU", "US"}, &p)
	got := make(chan int64, 100)
	go dhttp.NewClient(b.Server.URL(), a.Keys["RU"]).Watch(ctx, "c", -1, func(v *dhttp.EnvelopeView) error {
		got <- v.Index
		return nil
	})
	a.Send(t, "US", "c", deconflict.Routine, "before the restart")
	if err := pg.Halt(); err != nil {
		t.Fatal(err)
	}
	if err := pg.Resume(); err != nil {
		t.Fatal(err)
	}
	us := a.Client("US")
	var flash int64
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		r, err := us.Send(ctx, "US", &deconflict.Payload{Channel: "c", Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Text: "after the restart"})
		if err == nil {
			flash = r.Index
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no append succeeded after the database restarted: %v", err)
		}
	}
	// The watcher on b sees everything, in order, up to the missed-ack
	// the timers write once the FLASH message's deadline passes.
	var missed bool
	for want := int64(0); !missed; want++ {
		select {
		case idx := <-got:
			if idx != want {
				t.Fatalf("watcher on the other replica got index %d, want %d", idx, want)
			}
			if idx > flash {
				e, err := a.Node.Store.FindEnvelope(ctx, "c", idx)
				if err != nil {
					t.Fatal(err)
				}
				missed = e.Kind == deconflict.KindMissedAck
			}
		case <-time.After(60 * time.Second):
			t.Fatalf("watcher stalled at %d; timers lease held by a %v, b %v", want, a.Node.Leading(node.LeaseTimers), b.Node.Leading(node.LeaseTimers))
		}
	}
	// A holder whose session the restart ended notices within a lease
	// check; then exactly one replica holds the lease.
	for deadline := time.Now().Add(30 * time.Second); a.Node.Leading(node.LeaseTimers) == b.Node.Leading(node.LeaseTimers); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timers lease held by a %v and b %v, want exactly one", a.Node.Leading(node.LeaseTimers), b.Node.Leading(node.LeaseTimers))
		}
	}
}
