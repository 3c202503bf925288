package http

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
)

// Default limits on what clients may hold open (Server.MaxConns,
// MaxStreams, MaxStreamsPerClient; serve --max-conns, --max-streams,
// --max-streams-per-client), so that no client can exhaust the node's
// memory or file descriptors and stop it for everyone.
const (
	DefaultMaxConns            = 4096 // open TCP connections, streams included
	DefaultMaxStreams          = 2048 // open streams (watch, picture watch) in total
	DefaultMaxStreamsPerClient = 32   // open streams per key or console session
)

// limits holds the server's connection and stream counts.
type limits struct {
	conns        atomic.Int64 // open connections
	connsRefused atomic.Int64 // connections refused at the cap

	mu            sync.Mutex
	streams       int            // open streams
	perClient     map[string]int // open streams by client
	refusedTotal  atomic.Int64   // streams refused at MaxStreams
	refusedClient atomic.Int64   // streams refused at MaxStreamsPerClient
}

func orDefault(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// streamClient is who a stream counts against: the request's signing key,
// or its console session (StreamClient), or else its party.
func (s *Server) streamClient(r *http.Request, caller string) string {
	if k := r.Header.Get(HeaderKey); k != "" {
		return "key " + k
	}
	if s.StreamClient != nil {
		if id := s.StreamClient(r); id != "" {
			return "session " + id
		}
	}
	return "party " + caller
}

// streamSlot takes a stream slot for the authenticated request r of
// caller, before its upgrade; release frees it when the stream ends. Over
// a cap it returns ETOOMANY (429) naming the limit.
func (s *Server) streamSlot(r *http.Request, caller string) (release func(), err error) {
	id := s.streamClient(r, caller)
	maxTotal, maxPer := orDefault(s.MaxStreams, DefaultMaxStreams), orDefault(s.MaxStreamsPerClient, DefaultMaxStreamsPerClient)
	l := &s.lim
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perClient[id] >= maxPer {
		l.refusedClient.Add(1)
		return nil, deconflict.Errorf(deconflict.ETOOMANY, "too many open streams for this client: the limit is %d per key or console session (serve --max-streams-per-client); close one first", maxPer)
	}
	if l.streams >= maxTotal {
		l.refusedTotal.Add(1)
		return nil, deconflict.Errorf(deconflict.ETOOMANY, "too many open streams on this node: the limit is %d in total (serve --max-streams); try again later", maxTotal)
	}
	if l.perClient == nil {
		l.perClient = map[string]int{}
	}
	l.perClient[id]++
	l.streams++
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.streams--
			if l.perClient[id]--; l.perClient[id] <= 0 {
				delete(l.perClient, id)
			}
		})
	}, nil
}

// limitListener refuses connections beyond max open ones: each gets a 503
// with a JSON error naming the limit, and is closed.
type limitListener struct {
	net.Listener
	lim *limits
	max int64
}

func (ln *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if ln.lim.conns.Add(1) > ln.max {
			ln.lim.conns.Add(-1)
			ln.lim.connsRefused.Add(1)
			go refuseConn(c, ln.max)
			continue
		}
		return &limitConn{Conn: c, lim: ln.lim}, nil
	}
}

// refuseConn answers a connection over the cap and closes it, without
// waiting on a client that does not read.
func refuseConn(c net.Conn, max int64) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	body := fmt.Sprintf("{\"code\":%q,\"error\":\"too many open connections: the node's limit is %d (serve --max-conns); try again later\"}\n", deconflict.EUNAVAILABLE, max)
	fmt.Fprintf(c, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: %d\r\nRetry-After: 1\r\nConnection: close\r\n\r\n%s", len(body), body)
}

// limitConn frees its slot once closed (a hijacked WebSocket's too).
type limitConn struct {
	net.Conn
	lim  *limits
	once sync.Once
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.lim.conns.Add(-1) })
	return err
}

// writeLimitMetrics writes the connection and stream counts to /metrics.
func (s *Server) writeLimitMetrics(w io.Writer) {
	l := &s.lim
	l.mu.Lock()
	streams := l.streams
	l.mu.Unlock()
	fmt.Fprintf(w, "# HELP deconflict_http_connections_open Open HTTP connections (streams included).\n# TYPE deconflict_http_connections_open gauge\ndeconflict_http_connections_open %d\n", l.conns.Load())
	fmt.Fprintf(w, "# HELP deconflict_http_connections_refused_total Connections refused at the connection limit (serve --max-conns) since start.\n# TYPE deconflict_http_connections_refused_total counter\ndeconflict_http_connections_refused_total %d\n", l.connsRefused.Load())
	fmt.Fprintf(w, "# HELP deconflict_http_streams_open Open streams (watch, picture watch).\n# TYPE deconflict_http_streams_open gauge\ndeconflict_http_streams_open %d\n", streams)
	fmt.Fprintf(w, "# HELP deconflict_http_streams_refused_total Streams refused with 429 at a stream limit since start.\n# TYPE deconflict_http_streams_refused_total counter\ndeconflict_http_streams_refused_total{limit=\"client\"} %d\ndeconflict_http_streams_refused_total{limit=\"total\"} %d\n", l.refusedClient.Load(), l.refusedTotal.Load())
}
