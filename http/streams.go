package http

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
)

// SessionWatch, when a Server has one, watches the console session a
// stream was opened with (a request without a signature): ended is closed
// once the session may no longer read (signed out, expired, its user
// removed or moved to another party); release is called when the stream
// ends. ended is nil when the request carries no session.
type SessionWatch func(r *http.Request) (ended <-chan struct{}, release func())

// streams tracks a server's open streams, so that Close can end them:
// http.Server.Shutdown does not end hijacked (WebSocket) connections.
type streams struct {
	mu      sync.Mutex
	closing chan struct{} // closed when Close begins; made on first use
	closed  bool
	open    sync.WaitGroup // one per stream between streamContext and its stop
}

// done returns the channel closed when the server's Close begins.
func (st *streams) done() chan struct{} {
	if st.closing == nil {
		st.closing = make(chan struct{})
	}
	return st.closing
}

// begin counts a new stream; false once Close has begun.
func (st *streams) begin() (closing <-chan struct{}, ok bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return nil, false
	}
	st.open.Add(1)
	return st.done(), true
}

// shut ends every stream (their contexts are cancelled and their
// WebSockets closed with 1001) and returns a channel closed once all of
// them have ended.
func (st *streams) shut() <-chan struct{} {
	st.mu.Lock()
	if !st.closed {
		st.closed = true
		close(st.done())
	}
	st.mu.Unlock()
	ended := make(chan struct{})
	go func() { st.open.Wait(); close(ended) }()
	return ended
}

// Going-away close of a stream when its node shuts down: clients
// reconnect, to this node once it is back or to another.
const shutdownReason = "node shutting down"

// streamContext returns ctx, ended early, with the WebSocket c closed
// with a reason, when the credentials the stream r was opened with end:
// its key's revocation (a signed request), or its console session's end
// (SessionWatch), and when the server closes (status 1001, going away).
// What a revoked key or an ended session may no longer read, its open
// stream does not go on reading. Call stop when the stream ends.
func (s *Server) streamContext(ctx context.Context, r *http.Request, c *websocket.Conn) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	closing, ok := s.streams.begin()
	if !ok {
		c.Close(websocket.StatusGoingAway, shutdownReason)
		cancel()
		return ctx, func() {}
	}
	var ended <-chan struct{}
	reason, release := "", func() {}
	if pub, err := deconflict.DecodeKey(r.Header.Get(HeaderKey)); err == nil {
		ended, reason = s.Node.WatchKey(ctx, pub), "key revoked"
	} else if s.SessionWatch != nil {
		ended, release = s.SessionWatch(r)
		reason = "console session ended; sign in again"
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-ended: // nil, and never ready, without credentials to watch
			if ctx.Err() == nil {
				c.Close(websocket.StatusPolicyViolation, reason)
			}
			cancel()
		case <-closing:
			if ctx.Err() == nil {
				c.Close(websocket.StatusGoingAway, shutdownReason)
			}
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(); <-done; release(); s.streams.open.Done() }
}

// DefaultWatchLinger is Server.WatchLinger's default. It is longer than a
// durable commit (about 3 ms of fsync here), so that a watcher of a busy
// channel takes two commits or more per write, and adds at most 5 ms to
// a message that follows another closely (docs/benchmarks.md, "Hotline").
const DefaultWatchLinger = 5 * time.Millisecond

// lingerClock is what a linger reads the time from and waits on.
type lingerClock struct {
	now   func() time.Time
	after func(time.Duration) <-chan time.Time
}

// linger paces one watch stream's writes: settle, called when new
// envelopes are ready, returns at once when gap or more has passed since
// the last write began (writing), and otherwise waits for the next tick
// of a grid of period gap that every stream shares (multiples of gap since
// the Unix epoch): at most gap, and the streams woken by the same commits
// then write together the same batch, whose encoding they share
// (viewCache). Counted from the start of the write, a stream whose writes
// take longer than gap (a loaded node, a slow client) never lingers.
type linger struct {
	gap   time.Duration
	clock lingerClock
	last  time.Time // when the last write began; zero before the first
}

func (s *Server) newLinger() *linger {
	g := s.WatchLinger
	if g == 0 {
		g = DefaultWatchLinger
	}
	c := s.clock
	if c.now == nil {
		c.now = time.Now
	}
	if c.after == nil {
		c.after = time.After
	}
	return &linger{gap: g, clock: c}
}

func (l *linger) writing() { l.last = l.clock.now() }

func (l *linger) settle(ctx context.Context) error {
	if l.last.IsZero() {
		return nil
	}
	now := l.clock.now()
	if now.Sub(l.last) >= l.gap {
		return nil
	}
	d := l.gap - time.Duration(now.UnixNano()%int64(l.gap))
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-l.clock.after(d):
		return nil
	}
}
