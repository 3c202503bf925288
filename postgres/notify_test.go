package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/postgres"
	"github.com/deconflict/deconflict/regime"
	"github.com/jackc/pgx/v5"
)

// loggedFindings counts the node-signed findings in channel's log by
// code and the index they are about ("code@index").
func loggedFindings(t *testing.T, db *postgres.DB, channel string) map[string]int {
	t.Helper()
	envs, err := db.FindEnvelopes(context.Background(), channel, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range envs {
		if e.Kind != deconflict.KindFinding {
			continue
		}
		if e.Author != deconflict.NodeAuthor {
			t.Fatalf("finding at %d by %s, want the node", e.Index, e.Author)
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		var f regime.Finding
		if err := json.Unmarshal(p.Body, &f); err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("%s@%d", f.Code, f.About[0])]++
	}
	return out
}

// endLeaseSession ends the database session holding the lease name (as
// when its holder's machine vanishes), so that the lease expires.
func endLeaseSession(t *testing.T, dsn, name string) {
	t.Helper()
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// The advisory lock key of the lease, as postgres.DB.Lead computes it;
	// a bigint key is listed as classid (high 32 bits), objid (low 32 bits).
	h := fnv.New64a()
	h.Write([]byte("deconflict lease " + name))
	key := h.Sum64()
	var pid int
	err = admin.QueryRow(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 1
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, int64(key>>32), int64(key&0xffffffff)).Scan(&pid)
	if err != nil {
		t.Fatalf("the session holding lease %s: %v", name, err)
	}
	if _, err := admin.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
}

// TestFindingsOnceAcrossReplicas: two replicas of one node share a
// PostgreSQL database and a test clock (issue 13: findings are node-signed,
// raised once when the fact becomes true; deadline checks run on the
// node's clock and survive restarts).
//   - A late notification filed through either replica has its late
//     finding in the log when the receipt returns, once.
//   - A request for explanation unanswered for 48 h raises one
//     reply-overdue, however many replicas run their deadline checks at
//     once (both deadline loops, and both replicas' checks called
//     together, as in a lease hand-over when the old holder's tick is
//     still running).
//   - The lease holder's database session ends (its lease expires) before
//     a reply is due, both replicas running: the other raises it, once.
//   - The replica holding the timers lease stops before a reply is due:
//     the other takes the lease and raises the reply-overdue, once; a
//     replica started again on the database raises nothing again.
func TestFindingsOnceAcrossReplicas(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	db := open(t, dsn)
	// The operator sets up on the wall clock, then the test's time starts.
	clk := nodetest.NewClock(time.Now())
	a := nodetest.Start(t, nodetest.Options{Store: db, Now: clk.Now})
	b := a.Replica(t, open(t, dsn))
	a.AddParties(t, "RU", "NATO")
	a.AddChannel(t, "ru-nato", []string{"RU", "NATO"}, nil)
	clk.Set(time.Date(2027, 7, 20, 9, 0, 0, 0, time.UTC))
	client := func(r *nodetest.Node, party string) *dhttp.Client {
		c := r.Client(party)
		c.Now = clk.Now
		return c
	}
	file := func(r *nodetest.Node, party, form string) int64 {
		t.Helper()
		rec, err := client(r, party).Send(ctx, party, &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindNotification, Body: json.RawMessage(form)})
		if err != nil {
			t.Fatal(err)
		}
		return rec.Index
	}
	// waitLease waits until one of the replicas holds the timers lease.
	waitLease := func(rs ...*nodetest.Node) *nodetest.Node {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			for _, r := range rs {
				if r.Leading(node.LeaseTimers) {
					return r
				}
			}
		}
		t.Fatal("no replica holds the timers lease after 30 s")
		return nil
	}
	leader := waitLease(a, b)
	other := map[*nodetest.Node]*nodetest.Node{a: b, b: a}[leader]

	// Late notices through each replica: each finding is logged when the
	// receipt returns.
	const area = `"area":{"polygon":[[54.0,20.0],[54.0,23.0],[55.5,23.0],[55.5,20.0]]}`
	for i, r := range []*nodetest.Node{other, leader} {
		li := file(r, "RU", fmt.Sprintf(`{"regime":"vd11-prior","state":"RU","designation":"LADOGA-%d","purpose":"exercise","start":"2027-08-20","end":"2027-08-25","troops":9500,%s}`, i, area))
		if n := loggedFindings(t, db, "ru-nato")[fmt.Sprintf("late@%d", li)]; n != 1 {
			t.Fatalf("late notice %d filed through replica %d: %d late findings in the log when its receipt returned, want 1", li, i, n)
		}
	}

	// A request unanswered for 48 h: both replicas check together.
	explain := func(r *nodetest.Node, text string) int64 {
		return file(r, "NATO", fmt.Sprintf(`{"regime":"vd11-explanation","state":"NATO","to":"RU","text":%q}`, text))
	}
	q1 := explain(other, "unusual activity near Kaliningrad")
	clk.Add(48*time.Hour + time.Second)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := []*nodetest.Node{a, b}[i%2].CheckFindings(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// waitCount waits for the lease holder's deadline loop to log the
	// finding key, then has every live replica check again (nothing more
	// may come), and counts the log's findings.
	waitCount := func(key string, live ...*nodetest.Node) map[string]int {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); loggedFindings(t, db, "ru-nato")[key] == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		}
		for _, r := range live {
			if err := r.CheckFindings(ctx); err != nil {
				t.Fatal(err)
			}
		}
		return loggedFindings(t, db, "ru-nato")
	}
	if n := waitCount(fmt.Sprintf("reply-overdue@%d", q1), a, b)[fmt.Sprintf("reply-overdue@%d", q1)]; n != 1 {
		t.Fatalf("request %d unanswered for 48 h: %d reply-overdue findings in the log, want 1", q1, n)
	}

	// The lease holder's database session ends (its lease expires) while
	// both replicas run: the other takes the lease and raises the next
	// reply-overdue, once; the old holder, still running, waits for the
	// lease again.
	q2 := explain(leader, "low pass over our ship")
	endLeaseSession(t, dsn, node.LeaseTimers)
	for deadline := time.Now().Add(30 * time.Second); !other.Leading(node.LeaseTimers) || leader.Leading(node.LeaseTimers); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the lease holder's session ended: the other leads %v, the old holder %v", other.Leading(node.LeaseTimers), leader.Leading(node.LeaseTimers))
		}
	}
	clk.Add(48*time.Hour + time.Second)
	if n := waitCount(fmt.Sprintf("reply-overdue@%d", q2), a, b)[fmt.Sprintf("reply-overdue@%d", q2)]; n != 1 {
		t.Fatalf("request %d, its lease holder's lease expired before the reply was due: %d reply-overdue findings in the log, want 1", q2, n)
	}
	leader, other = other, leader

	// The lease holder stops before the next reply is due: the other
	// replica takes the lease and raises the finding, once.
	q3 := explain(leader, "close approach of a frigate")
	leader.Stop()
	if got := waitLease(other); got != other {
		t.Fatal("the remaining replica does not hold the lease")
	}
	clk.Add(48*time.Hour + time.Second)
	fs := waitCount(fmt.Sprintf("reply-overdue@%d", q3), other)
	if n := fs[fmt.Sprintf("reply-overdue@%d", q3)]; n != 1 {
		t.Fatalf("request %d, its lease holder stopped before the reply was due: %d reply-overdue findings in the log, want 1 (log: %v)", q3, n, fs)
	}
	// A replica started again on the database raises nothing again.
	c := a.Replica(t, open(t, dsn))
	clk.Add(time.Hour)
	for _, r := range []*nodetest.Node{c, other} {
		if err := r.CheckFindings(ctx); err != nil {
			t.Fatal(err)
		}
	}
	fs = loggedFindings(t, db, "ru-nato")
	if len(fs) != 5 {
		t.Errorf("after a replica started again: findings %v, want the 5 already raised", fs)
	}
	for k, n := range fs {
		if n != 1 {
			t.Errorf("%s logged %d times", k, n)
		}
	}
	// The remaining replica lists each once.
	views, err := client(other, "RU").Findings(ctx, "ru-nato")
	if err != nil {
		t.Fatal(err)
	}
	if len(views) != 5 {
		t.Errorf("findings listed %+v, want 5 (two late, three reply-overdue)", views)
	}
}
