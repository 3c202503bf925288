package http_test

import (
	"context"
	"errors"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// dialSigned opens the WebSocket at path signed by key.
func dialSigned(ctx context.Context, t *testing.T, tn *nodetest.Node, party, path string) *websocket.Conn {
	t.Helper()
	k, ts, sig := dhttp.SignRequest(tn.Keys[party], "GET", path, time.Now(), nil)
	h := http.Header{}
	h.Set(dhttp.HeaderKey, k)
	h.Set(dhttp.HeaderTime, ts)
	h.Set(dhttp.HeaderSig, sig)
	conn, _, err := websocket.Dial(ctx, "ws://"+tn.Server.Addr()+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return conn
}

// TestCloseEndsStreams: Server.Close ends open hotline and picture watches
// with 1001 "node shutting down" (http.Server.Shutdown alone leaves
// hijacked connections open), returns once their handlers have ended,
// and a stream opened to the closed server is refused.
func TestCloseEndsStreams(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		t.Fatal(err)
	}
	tn.AddParties(t, "RU", "US")
	tn.AddChannel(t, "ru-us-syria", []string{"RU", "US"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	before := runtime.NumGoroutine()

	hotline := dialSigned(ctx, t, tn, "RU", "/v1/channels/ru-us-syria/watch?batch=1&after=-1")
	defer hotline.CloseNow()
	picture := dialSigned(ctx, t, tn, "RU", "/v1/picture/watch")
	defer picture.CloseNow()
	// Both streams are live: the hotline delivers a message sent now.
	tn.Send(t, "US", "ru-us-syria", deconflict.Routine, "before close")
	if _, _, err := hotline.Read(ctx); err != nil {
		t.Fatalf("hotline before Close: %v", err)
	}

	closed := make(chan error, 1)
	go func() { closed <- tn.Server.Close() }()
	for name, c := range map[string]*websocket.Conn{"hotline watch": hotline, "picture watch": picture} {
		for {
			_, _, err := c.Read(ctx)
			if err == nil {
				continue // messages already under way
			}
			if ctx.Err() != nil {
				t.Fatalf("%s still open after Close: %v", name, err)
			}
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusGoingAway || ce.Reason != "node shutting down" {
				t.Fatalf("%s ended with %v, want 1001 node shutting down", name, err)
			}
			break
		}
	}
	select {
	case err := <-closed:
		if err != nil {
			t.Fatalf("Close: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("Close did not return")
	}
	if _, _, err := websocket.Dial(ctx, "ws://"+tn.Server.Addr()+"/v1/picture/watch", nil); err == nil {
		t.Fatal("a stream opened to the closed server")
	}

	// The streams' goroutines (handlers, close watchers, readers) end:
	// the count comes back to where it was before they opened.
	hotline.CloseNow()
	picture.CloseNow()
	for runtime.NumGoroutine() > before {
		select {
		case <-ctx.Done():
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before the streams opened:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		case <-time.After(10 * time.Millisecond):
		}
	}
}
