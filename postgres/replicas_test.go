package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

// TestLeadTakeover holds a lease from one handle while another waits for
// it, then ends the holder's session as the death of its process would:
// the holder learns it lost the lease and the other takes it.
func TestLeadTakeover(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	a, b := open(t, dsn), open(t, dsn)
	heldA, releaseA, err := a.Lead(ctx, "timers")
	if err != nil {
		t.Fatal(err)
	}
	defer releaseA()
	type lead struct {
		held    context.Context
		release func()
		err     error
	}
	got := make(chan lead, 1)
	go func() {
		h, r, err := b.Lead(ctx, "timers")
		got <- lead{h, r, err}
	}()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// Wait until b is queued on the lock; then it provably has not got it.
	var holder int
	for deadline := time.Now().Add(30 * time.Second); ; {
		var waiting int
		err := admin.QueryRow(ctx, `SELECT COUNT(*) FILTER (WHERE NOT granted), COALESCE(MAX(pid) FILTER (WHERE granted), 0) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&waiting, &holder)
		if err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second replica never queued for the lease")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case l := <-got:
		t.Fatalf("the second replica got a held lease: %v", l.err)
	default:
	}
	// A lease in another name is independent.
	_, releaseOther, err := b.Lead(ctx, "detector")
	if err != nil {
		t.Fatal(err)
	}
	releaseOther()
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, holder); err != nil {
		t.Fatal(err)
	}
	select {
	case l := <-got:
		if l.err != nil {
			t.Fatal(l.err)
		}
		defer l.release()
		if l.held.Err() != nil {
			t.Fatal("the taken-over lease is already lost")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second replica did not take the lease over")
	}
	select {
	case <-heldA.Done():
	case <-time.After(30 * time.Second):
		t.Fatal("the first holder did not notice that it lost the lease")
	}
}

// TestWatchChanges listens on one handle while another appends, revokes
// a key and changes a policy.
func TestWatchChanges(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := open(t, dsn), open(t, dsn)
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, p := range []*deconflict.Party{{ID: "RU", Created: t0, Keys: []deconflict.PartyKey{{Public: pub, Added: t0}}}, {ID: "US", Created: t0}} {
		if err := a.CreateParty(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	changes := make(chan deconflict.Change, 16)
	listening := make(chan error, 1)
	go func() { listening <- b.WatchChanges(ctx, func(c deconflict.Change) { changes <- c }) }()
	// The listener is up once a change made now reaches it; make changes
	// until one does.
	for up := false; !up; {
		if err := a.CreateChannel(ctx, &deconflict.Channel{ID: "probe" + time.Now().Format("150405.000000"), Members: []string{"RU", "US"}, Created: t0}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-changes:
			up = true
		case err := <-listening:
			t.Fatal(err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	for len(changes) > 0 {
		<-changes
	}
	if err := a.CreateChannel(ctx, &deconflict.Channel{ID: "c", Members: []string{"RU", "US"}, Created: t0}); err != nil {
		t.Fatal(err)
	}
	if err := a.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 0, "x")}}); err != nil {
		t.Fatal(err)
	}
	if err := a.RevokePartyKey(ctx, pub, t0); err != nil {
		t.Fatal(err)
	}
	pol := deconflict.DefaultPolicy()
	if err := a.Append(ctx, &deconflict.Batch{Channel: "c", Envelopes: []*deconflict.Envelope{envelope("c", 1, "y")}, Policy: &pol}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []deconflict.Change{{Channel: "c"}, {Channel: "c", Size: 1}, {Keys: true}, {Channel: "c"}} {
		select {
		case got := <-changes:
			if got != want {
				t.Fatalf("change %+v, want %+v", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("no change %+v", want)
		}
	}
	cancel()
	if err := <-listening; err == nil {
		t.Fatal("WatchChanges returned no error when its context ended")
	}
}

// TestLockChannel: a second process waits for a channel's lock until the
// first releases it; another channel's lock is free meanwhile.
func TestLockChannel(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	a, b := open(t, dsn), open(t, dsn)
	unlockA, err := a.LockChannel(ctx, "c")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan func(), 1)
	go func() {
		unlock, err := b.LockChannel(ctx, "c")
		if err != nil {
			t.Error(err)
		}
		got <- unlock
	}()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	for deadline := time.Now().Add(30 * time.Second); ; {
		var waiting int
		if err := admin.QueryRow(ctx, `SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second process never queued for the channel's lock")
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-got:
		t.Fatal("the second process got a held channel lock")
	default:
	}
	unlockD, err := b.LockChannel(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	unlockD()
	unlockA()
	unlockA() // releasing twice is harmless
	select {
	case unlock := <-got:
		if unlock != nil {
			unlock()
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the second process did not get the released lock")
	}
}

// TestShareReports publishes reports from one handle, more than one
// notification holds, and receives them all, in order, Unknown values
// kept, on another.
func TestShareReports(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, b := open(t, dsn), open(t, dsn)
	got := make(chan []deconflict.Report, 64)
	listening := make(chan error, 1)
	go func() { listening <- b.WatchReports(ctx, func(rs []deconflict.Report) { got <- rs }) }()
	probe := []deconflict.Report{{ID: "probe", Domain: deconflict.Sea, Lat: deconflict.Unknown, Lon: deconflict.Unknown}}
	for up := false; !up; {
		if err := a.PublishReports(ctx, probe); err != nil {
			t.Fatal(err)
		}
		select {
		case <-got:
			up = true
		case err := <-listening:
			t.Fatal(err)
		case <-time.After(100 * time.Millisecond):
		}
	}
	for len(got) > 0 {
		<-got
	}
	var rs []deconflict.Report
	for i := 0; i < 500; i++ {
		rs = append(rs, deconflict.Report{Time: t0.Add(time.Duration(i) * time.Second), ID: fmt.Sprintf("mmsi:%09d", i), Domain: deconflict.Sea, Source: "ais", Lat: 55 + float64(i)/1000, Lon: 19, AltM: deconflict.Unknown, SpeedMS: 5, CourseDeg: 90, ClimbMS: deconflict.Unknown, Name: "SHIP"})
	}
	if err := a.PublishReports(ctx, rs); err != nil {
		t.Fatal(err)
	}
	var back []deconflict.Report
	for len(back) < len(rs) {
		select {
		case part := <-got:
			back = append(back, part...)
		case <-time.After(30 * time.Second):
			t.Fatalf("received %d of %d reports", len(back), len(rs))
		}
	}
	for i, r := range back {
		w := rs[i]
		if r.ID != w.ID || !r.Time.Equal(w.Time) || r.Lat != w.Lat || deconflict.Known(r.AltM) || r.Name != w.Name {
			t.Fatalf("report %d: got %+v, want %+v", i, r, w)
		}
	}
}
