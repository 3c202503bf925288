package console_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	dhttp "github.com/deconflict/deconflict/http"
)

// TestStreamsPerSession: a console session's watch streams count against
// the session, not its party: one session over the per-client cap is
// refused with 429, while another session of the same officer connects.
func TestStreamsPerSession(t *testing.T) {
	tn := startNode(t)
	base := tn.Server.URL()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	dial := func(b *browserless) (*websocket.Conn, int) {
		t.Helper()
		h := http.Header{}
		for _, c := range b.cookies() {
			h.Add("Cookie", c.Name+"="+c.Value)
		}
		c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+"/v1/channels/ru-us-syria/watch", &websocket.DialOptions{HTTPHeader: h})
		if err == nil {
			t.Cleanup(func() { c.CloseNow() })
			return c, 0
		}
		if resp == nil {
			t.Fatal(err)
		}
		return nil, resp.StatusCode
	}
	a, b := newBrowserless(t, base), newBrowserless(t, base)
	a.login("RU")
	b.login("RU")
	for i := 0; i < dhttp.DefaultMaxStreamsPerClient; i++ {
		if c, status := dial(a); c == nil {
			t.Fatalf("session stream %d refused: %d", i+1, status)
		}
	}
	if c, status := dial(a); c != nil || status != http.StatusTooManyRequests {
		t.Fatalf("stream %d of one session: %v %d, want 429", dhttp.DefaultMaxStreamsPerClient+1, c != nil, status)
	}
	if c, status := dial(b); c == nil {
		t.Fatalf("another session of the same officer refused: %d", status)
	}
}
