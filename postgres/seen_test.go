package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// TestSeenOnceAcrossReplicas: two replicas of one node share a database.
// A party's fetches of a message through both, one after the other and
// many at once, log one seen record for it, not one per replica; each
// replica's acknowledgement states then say it was seen.
func TestSeenOnceAcrossReplicas(t *testing.T) {
	dsn := server.NewDatabase(t)
	ctx := context.Background()
	db := open(t, dsn)
	a := nodetest.Start(t, nodetest.Options{Store: db})
	b := a.Replica(t, open(t, dsn))
	a.AddParties(t, "RU", "US")
	a.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	send := func(text string) int64 {
		r, err := a.Client("US").Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return r.Index
	}
	fetch := func(r *nodetest.Node) {
		if _, err := r.Client("RU").Envelopes(ctx, "ru-us", 0, 1000); err != nil {
			t.Error(err)
		}
	}
	// b reads the channel's seen records once (m1), then m2's is logged
	// through a: b's next fetch must not log it again.
	m1 := send("first")
	fetch(b)
	m2 := send("second")
	fetch(a)
	fetch(b)
	// m3 is fetched through both replicas at once.
	m3 := send("third")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fetch([]*nodetest.Node{a, b}[i%2])
		}()
	}
	wg.Wait()
	fetch(a)
	fetch(b)

	envs, err := db.FindEnvelopes(ctx, "ru-us", 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range envs {
		if e.Kind != deconflict.KindSeen {
			continue
		}
		p, err := deconflict.ParsePayload(e.Payload)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d:%s", *p.Ack, p.AckFrom[0]))
	}
	slices.Sort(got)
	want := []string{fmt.Sprintf("%d:RU", m1), fmt.Sprintf("%d:RU", m2), fmt.Sprintf("%d:RU", m3)}
	slices.Sort(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("seen records %v, want one per message %v", got, want)
	}
	for name, r := range map[string]*nodetest.Node{"a": a, "b": b} {
		duties, err := r.Client("US").Acks(ctx, "ru-us")
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range duties {
			if d.Party == "RU" && d.Seen == nil {
				t.Fatalf("replica %s: RU's duty of message %d is not seen", name, d.Index)
			}
		}
	}
}
