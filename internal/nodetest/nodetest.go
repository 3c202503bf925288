// Package nodetest starts real nodes (SQLite file in a temporary
// directory, HTTP on 127.0.0.1:0) for tests, with parties and channels.
package nodetest

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/detect"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
)

// Node is a running test node.
type Node struct {
	*node.Node
	DB     *sqlite.DB
	Live   *live.Picture // the live picture, once EnableLive
	Server *dhttp.Server
	Dir    string
	Keys   map[string]ed25519.PrivateKey // party -> key
	opts   Options                       // as started, Dir and Key filled in
}

// Clock is a clock that a test moves by hand, safe to share between
// nodes (Options.Now: c.Now) and their clients.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that says t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Add moves the clock by d (back if d is negative).
func (c *Clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Set sets the clock to t.
func (c *Clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// Options adjust a test node.
type Options struct {
	Dir  string             // data directory; a new temporary one when ""
	Key  ed25519.PrivateKey // node key; a new one when nil
	Now  func() time.Time
	Tick time.Duration
	// ServeAltered serves channels whose stored log fails its check (read-only).
	ServeAltered bool
	// Store is the node's store, which the caller closes; SQLite in Dir
	// when nil. A store that coordinates replicas (PostgreSQL) makes the
	// node a replica, as serve does.
	Store deconflict.Store
	// FullCheck re-checks every signature at start-up, not only those of
	// envelopes added since the last checked checkpoint.
	FullCheck bool
	// Attach is what the node allows as attachments (defaults when zero).
	Attach node.AttachLimits
}

// Start starts a node and stops it when the test ends.
func Start(tb testing.TB, o Options) *Node {
	tb.Helper()
	ctx := context.Background()
	if o.Dir == "" {
		o.Dir = tb.TempDir()
	}
	if o.Key == nil {
		_, o.Key, _ = ed25519.GenerateKey(rand.Reader)
	}
	var db *sqlite.DB
	store := o.Store
	if store == nil {
		var err error
		if db, err = sqlite.Open(ctx, filepath.Join(o.Dir, "deconflict.db")); err != nil {
			tb.Fatal(err)
		}
		store = db
	}
	n := node.New(store, o.Key, "test-node")
	if r, ok := store.(deconflict.Replicas); ok {
		n.Replicas = r
	}
	n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if o.Now != nil {
		n.Now = o.Now
	}
	n.ServeAltered = o.ServeAltered
	n.FullCheck = o.FullCheck
	n.Attach = o.Attach
	if o.Tick > 0 {
		n.TickInterval = o.Tick
	} else {
		n.TickInterval = 20 * time.Millisecond
	}
	if err := n.Open(ctx); err != nil {
		if db != nil {
			db.Close()
		}
		tb.Fatal(err)
	}
	s := dhttp.NewServer(n)
	if err := s.Listen("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tn := &Node{Node: n, DB: db, Server: s, Dir: o.Dir, Keys: map[string]ed25519.PrivateKey{}, opts: o}
	tb.Cleanup(tn.Stop)
	return tn
}

// Replica starts another node with tn's key and options on store (one
// that coordinates replicas, such as PostgreSQL, sharing tn's database),
// in a directory of its own, knowing the same parties' keys (one map).
func (tn *Node) Replica(tb testing.TB, store deconflict.Store) *Node {
	tb.Helper()
	o := tn.opts
	o.Dir, o.Store = "", store
	r := Start(tb, o)
	r.Keys = tn.Keys
	return r
}

// Restart stops tn and starts a node again with its options (its
// directory, key and store), knowing the same parties' keys; tn is not
// to be used after.
func (tn *Node) Restart(tb testing.TB) *Node {
	tb.Helper()
	tn.Stop()
	tn2 := Start(tb, tn.opts)
	tn2.Keys = tn.Keys
	return tn2
}

// Stop stops the server, the node and the store (idempotent).
func (tn *Node) Stop() {
	if tn.Server == nil {
		return
	}
	tn.Server.Close()
	if tn.Live != nil {
		tn.Live.Close()
	}
	tn.Node.Close()
	if tn.DB != nil {
		tn.DB.Close()
	}
	tn.Server = nil
}

// EnableLive starts the node's live picture with the parties file base
// (nil: the default alliances) and engine configuration cfg, and serves it.
func (tn *Node) EnableLive(base *attrib.File, cfg detect.Config) error {
	p := live.New(tn.Node, tn.Node.Store)
	p.Now, p.Logger = tn.Node.Now, tn.Node.Logger
	if bus, ok := tn.Node.Store.(live.ReportBus); ok && tn.Node.Replicas != nil {
		p.Bus = bus
		p.Leading = func() bool { return tn.Node.Leading(node.LeaseDetector) }
		tn.Node.OnLease(node.LeaseDetector, p.WakeAlerts)
	}
	if err := p.Open(context.Background(), base, cfg); err != nil {
		return err
	}
	tn.Live = p
	tn.Server.SetLive(p)
	return nil
}

// Operator returns a client signing with the node key.
func (tn *Node) Operator() *dhttp.Client { return dhttp.NewClient(tn.Server.URL(), tn.Node.Key) }

// Client returns a client signing with party's key.
func (tn *Node) Client(party string) *dhttp.Client {
	return dhttp.NewClient(tn.Server.URL(), tn.Keys[party])
}

// AddParties registers parties with fresh keys.
func (tn *Node) AddParties(tb testing.TB, ids ...string) {
	tb.Helper()
	for _, id := range ids {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		if err := tn.Operator().CreateParty(context.Background(), &dhttp.PartyRequest{ID: id, Keys: []string{deconflict.EncodeKey(pub)}}); err != nil {
			tb.Fatal(err)
		}
		tn.Keys[id] = priv
	}
}

// AddChannel creates a channel with the default policy unless p is given.
func (tn *Node) AddChannel(tb testing.TB, id string, members []string, p *deconflict.Policy) {
	tb.Helper()
	c := &deconflict.Channel{ID: id, Members: members}
	if p != nil {
		c.Policy = *p
	}
	if err := tn.Operator().CreateChannel(context.Background(), c); err != nil {
		tb.Fatal(err)
	}
}

// Send sends a message from party and returns the receipt.
func (tn *Node) Send(tb testing.TB, party, channel string, prec deconflict.Precedence, text string) *deconflict.Receipt {
	tb.Helper()
	r, err := tn.Client(party).Send(context.Background(), party, &deconflict.Payload{Channel: channel, Kind: deconflict.KindMessage, Precedence: prec, Text: text})
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
