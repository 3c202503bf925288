package http_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

// lingerClock is a clock that moves only when told, and whose waits end
// only when fired: a linger test waits for no real time.
type lingerClock struct {
	t       *testing.T
	mu      sync.Mutex
	now     time.Time
	allow   bool               // whether a wait is expected now
	waiting chan time.Duration // each wait's duration, as it begins
	fire    chan time.Time     // ends the current wait
}

func (c *lingerClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *lingerClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	allow := c.allow
	c.mu.Unlock()
	if !allow {
		c.t.Errorf("the stream lingered %v before a message that followed no recent write", d)
		fired := make(chan time.Time, 1)
		fired <- time.Time{}
		return fired
	}
	c.waiting <- d
	return c.fire
}

func (c *lingerClock) set(now time.Time, allow bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now, c.allow = now, allow
}

// TestWatchLinger: a batched watch stream sends a message at once when
// it follows no recent write (the first, and one after a quiet spell of
// WatchLinger), and holds one that follows its last write closely until
// the linger ends, sending with it everything committed meanwhile in one
// message.
func TestWatchLinger(t *testing.T) {
	tn := setup(t)
	srv := dhttp.NewServer(tn.Node)
	srv.WatchLinger = time.Hour
	t0 := time.Date(2026, 12, 2, 14, 0, 0, 0, time.UTC)
	clk := &lingerClock{t: t, now: t0, waiting: make(chan time.Duration), fire: make(chan time.Time)}
	dhttp.SetLingerClock(srv, clk.Now, clk.After)
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// US watches what it sends itself: it owes no acknowledgement, so
	// no seen record joins the stream.
	path := "/v1/channels/ru-us-syria/watch?batch=1&after=-1"
	old := tn.Server
	tn.Server = srv
	conn := dialSigned(ctx, t, tn, "US", path)
	tn.Server = old
	defer conn.CloseNow()
	// next reads one message: the texts of its envelopes.
	next := func() []string {
		t.Helper()
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var views []dhttp.EnvelopeView
		if err := json.Unmarshal(data, &views); err != nil {
			t.Fatalf("message %q: %v", data, err)
		}
		var texts []string
		for _, v := range views {
			var p deconflict.Payload
			if err := json.Unmarshal(v.Payload, &p); err != nil {
				t.Fatalf("envelope %d: %v", v.Index, err)
			}
			texts = append(texts, p.Text)
		}
		return texts
	}
	send := func(text string) { tn.Send(t, "US", "ru-us-syria", deconflict.Routine, text) }

	// The first message goes out at once (After fails the test if called).
	send("a")
	if got := next(); len(got) != 1 || got[0] != "a" {
		t.Fatalf("first message %q, want [a]", got)
	}
	// One right after it (the clock has not moved) waits for the
	// linger's next tick (t0 is on one: a full WatchLinger), and what is
	// committed meanwhile goes with it.
	clk.set(t0, true)
	send("b")
	select {
	case d := <-clk.waiting:
		if d != time.Hour {
			t.Fatalf("lingered %v right after a write on a tick, want a full WatchLinger (1h)", d)
		}
	case <-ctx.Done():
		t.Fatal("the stream did not linger before a message that followed its last write at once")
	}
	send("c")
	clk.fire <- t0.Add(time.Hour)
	if got := next(); len(got) != 2 || got[0] != "b" || got[1] != "c" {
		t.Fatalf("message after the linger %q, want [b c] in one message", got)
	}
	// After a quiet spell of WatchLinger the next message goes out at once.
	clk.set(t0.Add(time.Hour), false)
	send("d")
	if got := next(); len(got) != 1 || got[0] != "d" {
		t.Fatalf("message after a quiet spell %q, want [d]", got)
	}
}
