package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
)

// TestLinkTestsAcrossReplicas: two replicas share one PostgreSQL
// database; the one holding the timers lease sends the channel's link
// tests (every 5 s here, 5 s to answer) and their results; RU answers the
// first through one replica, US through the other, FR not at all; the
// node logs one test and one result, naming RU and US in time and FR
// missing, and both replicas give the same figures.
func TestLinkTestsAcrossReplicas(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	a := nodetest.Start(t, nodetest.Options{Store: open(t, dsn)})
	b := a.Replica(t, open(t, dsn))
	a.AddParties(t, "RU", "US", "FR")
	every := deconflict.Duration(5 * time.Second)
	a.AddChannel(t, "c", []string{"RU", "US", "FR"}, &deconflict.Policy{LinkTest: &every, LinkTestWithin: &every})
	view := func(n *nodetest.Node) *node.AvailabilityView {
		t.Helper()
		v, err := n.Availability(ctx, "FR", "c", time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	var test node.LinkTestView
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if v := view(b); len(v.Tests) > 0 {
			test = v.Tests[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no link test within 30 s")
		}
	}
	for party, replica := range map[string]*nodetest.Node{"RU": b, "US": a} {
		idx := test.Index
		c := dhttp.NewClient(replica.Server.URL(), a.Keys[party])
		if _, err := c.Send(ctx, party, &deconflict.Payload{Channel: "c", Kind: deconflict.KindLinkAnswer, Ack: &idx}); err != nil {
			t.Fatalf("%s's answer through a replica: %v", party, err)
		}
	}
	// The same figures for the first test on both replicas, once its
	// result is logged.
	states := func(n *nodetest.Node) string {
		v := view(n)
		if len(v.Tests) == 0 || v.Tests[0].Result == nil {
			return "no result yet"
		}
		s := ""
		for _, a := range v.Tests[0].Answers {
			s += a.Party + ":" + a.State + " "
		}
		return s
	}
	want := "RU:answered US:answered FR:missing "
	for deadline := time.Now().Add(30 * time.Second); states(a) != want || states(b) != want; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("first link test on a: %s, on b: %s; want %s", states(a), states(b), want)
		}
	}
	// Stop the tests, then count what the shared log holds.
	hour := deconflict.Duration(time.Hour)
	if _, err := a.Node.PatchPolicy(ctx, deconflict.NodeAuthor, "c", deconflict.PolicyPatch{LinkTest: &hour}); err != nil {
		t.Fatal(err)
	}
	envs, err := a.Node.Envelopes(ctx, deconflict.NodeAuthor, "c", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	seqs, results := map[int64]int{}, map[int64]int{}
	var result deconflict.LinkResultBody
	for _, e := range envs {
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		switch e.Kind {
		case deconflict.KindLinkTest:
			var body deconflict.LinkTestBody
			json.Unmarshal(p.Body, &body)
			seqs[body.Seq]++
		case deconflict.KindLinkResult:
			results[*p.Ack]++
			if *p.Ack == test.Index {
				json.Unmarshal(p.Body, &result)
			}
		}
	}
	for seq, n := range seqs {
		if n != 1 {
			t.Errorf("link test %d logged %d times", seq, n)
		}
	}
	for idx, n := range results {
		if n != 1 {
			t.Errorf("link test at %d has %d results", idx, n)
		}
	}
	var in []string
	for _, x := range result.Answered {
		in = append(in, x.Party)
	}
	if got, want := fmt.Sprint(in, result.Missing), "[RU US] [FR]"; got != want {
		t.Fatalf("link result %s, want %s", got, want)
	}
}
