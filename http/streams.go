package http

import (
	"context"
	"net/http"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
)

// SessionWatch, when a Server has one, watches the console session a
// stream was opened with (a request without a signature): ended is closed
// once the session may no longer read (signed out, expired, its user
// removed or moved to another party); release is called when the stream
// ends. ended is nil when the request carries no session.
type SessionWatch func(r *http.Request) (ended <-chan struct{}, release func())

// streamContext returns ctx, ended early, with the WebSocket c closed
// with a reason, when the credentials the stream r was opened with end:
// its key's revocation (a signed request), or its console session's end
// (SessionWatch). What a revoked key or an ended session may no longer
// read, its open stream does not go on reading. Call stop when the
// stream ends.
func (s *Server) streamContext(ctx context.Context, r *http.Request, c *websocket.Conn) (_ context.Context, stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var ended <-chan struct{}
	reason, release := "", func() {}
	if pub, err := deconflict.DecodeKey(r.Header.Get(HeaderKey)); err == nil {
		ended, reason = s.Node.WatchKey(ctx, pub), "key revoked"
	} else if s.SessionWatch != nil {
		ended, release = s.SessionWatch(r)
		reason = "console session ended; sign in again"
	}
	if ended == nil {
		return ctx, func() { cancel(); release() }
	}
	go func() {
		select {
		case <-ended:
			if ctx.Err() == nil {
				c.Close(websocket.StatusPolicyViolation, reason)
			}
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, func() { cancel(); release() }
}
