package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// dialWatch opens party's watch stream on srv: the connection, or the
// refusal's status and JSON error.
func dialWatch(ctx context.Context, t *testing.T, tn *nodetest.Node, srv *dhttp.Server, party string) (*websocket.Conn, int, dhttp.ErrorResponse) {
	t.Helper()
	path := "/v1/channels/ru-us-syria/watch"
	k, ts, sig := dhttp.SignRequest(tn.Keys[party], "GET", path, time.Now(), nil)
	h := http.Header{}
	h.Set(dhttp.HeaderKey, k)
	h.Set(dhttp.HeaderTime, ts)
	h.Set(dhttp.HeaderSig, sig)
	c, resp, err := websocket.Dial(ctx, "ws://"+srv.Addr()+path, &websocket.DialOptions{HTTPHeader: h})
	if err == nil {
		return c, 0, dhttp.ErrorResponse{}
	}
	if resp == nil {
		t.Fatalf("%s: watch: %v", party, err)
	}
	var e dhttp.ErrorResponse
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("%s: refusal %d is not a JSON error: %q", party, resp.StatusCode, b)
	}
	return nil, resp.StatusCode, e
}

// limitMetric returns a /metrics line's value.
func limitMetric(t *testing.T, srv *dhttp.Server, name string) string {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			return v
		}
	}
	t.Fatalf("/metrics has no %s", name)
	return ""
}

// TestStreamLimits: a party's streams over the per-client cap are refused
// with 429 naming the limit, before the upgrade, while another party still
// connects; the total cap refuses the next; a closed stream frees its slot.
func TestStreamLimits(t *testing.T) {
	tn := setup(t)
	srv := dhttp.NewServer(tn.Node)
	srv.MaxStreamsPerClient, srv.MaxStreams = 2, 3
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var ru []*websocket.Conn
	for i := 0; i < 2; i++ {
		c, status, e := dialWatch(ctx, t, tn, srv, "RU")
		if c == nil {
			t.Fatalf("RU stream %d refused: %d %+v", i+1, status, e)
		}
		defer c.CloseNow()
		ru = append(ru, c)
	}
	if c, status, e := dialWatch(ctx, t, tn, srv, "RU"); c != nil || status != 429 || e.Code != deconflict.ETOOMANY || !strings.Contains(e.Message, "--max-streams-per-client") || !strings.Contains(e.Message, "2") {
		t.Fatalf("RU's third stream: %v %d %+v, want 429 naming --max-streams-per-client", c != nil, status, e)
	}
	us, status, e := dialWatch(ctx, t, tn, srv, "US")
	if us == nil {
		t.Fatalf("US's stream refused while RU is at its cap: %d %+v", status, e)
	}
	defer us.CloseNow()
	if c, status, e := dialWatch(ctx, t, tn, srv, "US"); c != nil || status != 429 || !strings.Contains(e.Message, "--max-streams)") {
		t.Fatalf("a fourth stream on a node of 3: %v %d %+v, want 429 naming --max-streams", c != nil, status, e)
	}
	if v := limitMetric(t, srv, "deconflict_http_streams_open"); v != "3" {
		t.Fatalf("streams open %s, want 3", v)
	}
	if v := limitMetric(t, srv, `deconflict_http_streams_refused_total{limit="client"}`); v != "1" {
		t.Fatalf("refused at the client limit %s, want 1", v)
	}
	if v := limitMetric(t, srv, `deconflict_http_streams_refused_total{limit="total"}`); v != "1" {
		t.Fatalf("refused at the total limit %s, want 1", v)
	}
	// Closing one of RU's streams frees its slot once the node has seen the
	// close: RU connects again (retried until then, bounded by ctx).
	ru[0].Close(websocket.StatusNormalClosure, "")
	for {
		c, status, e := dialWatch(ctx, t, tn, srv, "RU")
		if c != nil {
			defer c.CloseNow()
			break
		}
		if status != 429 {
			t.Fatalf("RU after closing a stream: %d %+v", status, e)
		}
		if ctx.Err() != nil {
			t.Fatal("RU's closed stream never freed its slot")
		}
	}
}

// TestConnLimit: a connection over the cap is answered 503 with a JSON
// error naming the limit and closed, while an open client still works;
// a closed connection frees its slot.
func TestConnLimit(t *testing.T) {
	tn := setup(t)
	srv := dhttp.NewServer(tn.Node)
	srv.MaxConns = 2
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	deadline := time.Now().Add(30 * time.Second)
	type client struct {
		c net.Conn
		r *bufio.Reader
	}
	dial := func() *client {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(deadline)
		return &client{c, bufio.NewReader(c)}
	}
	get := func(cl *client) (*http.Response, string) {
		fmt.Fprintf(cl.c, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
		resp, err := http.ReadResponse(cl.r, nil)
		if err != nil {
			return nil, err.Error()
		}
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	a, b := dial(), dial()
	defer a.c.Close()
	for _, cl := range []*client{a, b} {
		if resp, _ := get(cl); resp == nil || resp.StatusCode != 200 {
			t.Fatalf("a connection under the cap: %v", resp)
		}
	}
	c := dial()
	resp, body := get(c)
	c.c.Close()
	var e dhttp.ErrorResponse
	if resp == nil || resp.StatusCode != 503 || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(e.Message, "--max-conns") {
		t.Fatalf("a third connection on a cap of 2: %v %q, want 503 naming --max-conns", resp, body)
	}
	resp, body = get(a)
	if resp == nil || resp.StatusCode != 200 {
		t.Fatalf("an open client at the cap: %v %q", resp, body)
	}
	if !strings.Contains(body, "deconflict_http_connections_refused_total 1\n") || !strings.Contains(body, "deconflict_http_connections_open 2\n") {
		t.Fatalf("/metrics does not count 2 open and 1 refused:\n%s", body)
	}
	// Once the node has seen b close, a new connection is served (retried
	// until then, bounded by the deadline).
	b.c.Close()
	for {
		d := dial()
		resp, body := get(d)
		d.c.Close()
		if resp != nil && resp.StatusCode == 200 {
			break
		}
		if resp == nil || resp.StatusCode != 503 || time.Now().After(deadline) {
			t.Fatalf("after a close: %v %q", resp, body)
		}
	}
}
