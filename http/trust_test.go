package http_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// TestBatchNullElement: a batch of [null] used to panic in a batch worker
// goroutine, outside any recover, and end the process.
func TestBatchNullElement(t *testing.T) {
	tn := setup(t)
	good, _ := deconflict.SignPayload(tn.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "x"})
	gb, _ := json.Marshal(good)
	for _, tc := range []struct{ name, path, body string }{
		{"ErrNullUnknownChannel", "/v1/channels/ANY/envelopes/batch", `[null]`},
		{"ErrNullAfterGood", "/v1/channels/ru-us-syria/envelopes/batch", `[` + string(gb) + `,null]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, e := post(t, tn, nil, tc.path, []byte(tc.body), time.Now())
			if status != 400 || e.Code != deconflict.EINVALID || !strings.Contains(e.Message, "null") {
				t.Fatalf("status %d %q %q, want 400 invalid naming the null element", status, e.Code, e.Message)
			}
		})
	}
	if got := logSize(t, tn); got != 0 {
		t.Fatalf("log size %d after refused batches, want 0", got)
	}
	tn.Send(t, "US", "ru-us-syria", deconflict.Routine, "still serving")
}

// TestAmbiguousPayloadRefused: payloads that exact readers and Go's
// encoding/json would read differently are refused at submission.
func TestAmbiguousPayloadRefused(t *testing.T) {
	tn := setup(t)
	us := tn.Keys["US"]
	base := func() string {
		return fmt.Sprintf(`{"v":1,"id":%q,"channel":"ru-us-syria","author":"US","time":%q,"kind":"message","precedence":"routine","text":"x"`, deconflict.NewEnvelopeID(), time.Now().UTC().Format(time.RFC3339Nano))
	}
	note := func(body string) string {
		return fmt.Sprintf(`{"v":1,"id":%q,"channel":"ru-us-syria","author":"US","time":%q,"kind":"note","text":"x","body":%s}`, deconflict.NewEnvelopeID(), time.Now().UTC().Format(time.RFC3339Nano), body)
	}
	deep := strings.Repeat(`[`, 9000) + strings.Repeat(`]`, 9000)
	for _, tc := range []struct{ name, payload, says string }{
		{"ErrAuthorTwiceOtherCase", base() + `,"AUTHOR":"RU"}`, "AUTHOR"},
		{"ErrPrecedenceTwice", base() + `,"Precedence":"flash"}`, "Precedence"},
		{"ErrPrecedenceDuplicate", base() + `,"precedence":"flash"}`, "appears twice"},
		{"ErrFLASH", strings.Replace(base(), `"routine"`, `"FLASH"`, 1) + `}`, "precedence"},
		{"ErrRoutineTitleCase", strings.Replace(base(), `"routine"`, `"Routine"`, 1) + `}`, "precedence"},
		{"ErrNote9000Deep", note(deep), "nested deeper"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, _ := json.Marshal(deconflict.Sign(us, []byte(tc.payload)))
			status, e := post(t, tn, nil, "/v1/channels/ru-us-syria/envelopes", b, time.Now())
			if status != 400 || e.Code != deconflict.EINVALID || !strings.Contains(e.Message, tc.says) {
				t.Fatalf("status %d %q %q, want 400 invalid saying %q", status, e.Code, e.Message, tc.says)
			}
		})
	}
	if got := logSize(t, tn); got != 0 {
		t.Fatalf("log size %d, want 0: every ambiguous payload is refused", got)
	}
	// A request body is decoded as strictly: a policy with a deadline
	// given twice, or in another letter case, is refused.
	for _, body := range []string{`{"ack_deadlines":{"flash":"1m","flash":"1h"}}`, `{"ack_deadlines":{"FLASH":"1s"}}`, `{"Ack_deadlines":{"flash":"1m"}}`} {
		status, e := send(t, tn, tn.Node.Key, "PUT", "/v1/channels/ru-us-syria/policy", []byte(body), time.Now())
		if status != 400 {
			t.Fatalf("policy %s: status %d %q, want 400", body, status, e.Message)
		}
	}
}

// TestMaxPayloadLogged: a payload of exactly the limit is accepted and its
// leaf is served in an entry bundle; one byte more is refused.
func TestMaxPayloadLogged(t *testing.T) {
	tn := setup(t)
	us := tn.Keys["US"]
	mk := func(size int) []byte {
		p := fmt.Sprintf(`{"v":1,"id":%q,"channel":"ru-us-syria","author":"US","time":%q,"kind":"message","precedence":"routine","text":"`, deconflict.NewEnvelopeID(), time.Now().UTC().Format(time.RFC3339Nano))
		p += strings.Repeat("x", size-len(p)-2) + `"}`
		b, _ := json.Marshal(deconflict.Sign(us, []byte(p)))
		return b
	}
	if status, e := post(t, tn, nil, "/v1/channels/ru-us-syria/envelopes", mk(deconflict.MaxEnvelopeBytes), time.Now()); status != 201 {
		t.Fatalf("payload of the limit: status %d %s", status, e.Message)
	}
	if status, _ := post(t, tn, nil, "/v1/channels/ru-us-syria/envelopes", mk(deconflict.MaxEnvelopeBytes+1), time.Now()); status != 413 {
		t.Fatalf("payload over the limit: status %d, want 413", status)
	}
	bundle := getRaw(t, tn.Server.URL(), tn.Keys["RU"], "/v1/channels/ru-us-syria/log/tile/entries/000.p/1")
	if n := int(bundle[0])<<8 | int(bundle[1]); n+2 != len(bundle) || n > 65535 {
		t.Fatalf("bundle entry of %d bytes in a bundle of %d", n, len(bundle))
	}
}

func getRaw(t *testing.T, base string, key ed25519.PrivateKey, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	k, ts, sig := dhttp.SignRequest(key, "GET", path, time.Now(), nil)
	req.Header.Set(dhttp.HeaderKey, k)
	req.Header.Set(dhttp.HeaderTime, ts)
	req.Header.Set(dhttp.HeaderSig, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	return b
}

// TestUnknownChannelsCreateNothing: batches to channels that do not exist
// used to start an appender (a goroutine and its buffers) per name, never
// freed.
func TestUnknownChannelsCreateNothing(t *testing.T) {
	tn := setup(t)
	s, _ := deconflict.SignPayload(tn.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "x"})
	b, _ := json.Marshal([]*deconflict.Signed{s})
	post(t, tn, nil, "/v1/channels/warm-up/envelopes/batch", b, time.Now())
	one, _ := json.Marshal(s)
	before := runtime.NumGoroutine()
	for i := 0; i < 300; i++ {
		ch := fmt.Sprintf("/v1/channels/no-such-%d", i)
		if status, _ := post(t, tn, nil, ch+"/envelopes/batch", b, time.Now()); status != 200 {
			t.Fatalf("batch %d: status %d", i, status)
		}
		if status, _ := post(t, tn, nil, ch+"/envelopes", one, time.Now()); status != 400 {
			t.Fatalf("envelope %d: status %d", i, status)
		}
		for _, path := range []string{"/envelopes", "/watch", "/checkpoint", "/verify", "/notifications"} {
			if status, _ := get(t, tn, tn.Keys["US"], ch+path, time.Now()); status != 404 {
				t.Fatalf("GET %s%s: status %d, want 404", ch, path, status)
			}
		}
	}
	if after := runtime.NumGoroutine(); after > before+50 {
		t.Fatalf("%d goroutines after 300 rounds of requests about unknown channels, %d before: they left something running", after, before)
	}
}

// TestWatchAfterBelowMinusOne: watch?after=-5 used to spin a core.
func TestWatchAfterBelowMinusOne(t *testing.T) {
	tn := setup(t)
	for _, after := range []string{"-5", "-9223372036854775808", "9223372036854775807"} {
		status, e := get(t, tn, tn.Keys["US"], "/v1/channels/ru-us-syria/watch?after="+after, time.Now())
		if status != 400 || !strings.Contains(e.Message, "after") {
			t.Fatalf("after=%s: status %d %q, want 400 naming after", after, status, e.Message)
		}
	}
}

// TestSlowBodyDeadline: a request whose body never arrives is answered
// once the body deadline passes, instead of holding its connection.
func TestSlowBodyDeadline(t *testing.T) {
	tn := setup(t)
	srv := dhttp.NewServer(tn.Node)
	srv.BodyTimeout = 300 * time.Millisecond
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, path := range []string{"/v1/channels/ru-us-syria/envelopes", "/v1/channels/ru-us-syria/envelopes/batch", "/v1/channels/ru-us-syria/policy"} {
		c, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"payload\":", method(path), path)
		c.SetReadDeadline(time.Now().Add(20 * time.Second)) // the test's own bound, far beyond the node's
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%s: no answer to a stalled body: %v", path, err)
		}
		if resp.StatusCode != 400 {
			t.Fatalf("%s: status %d, want 400", path, resp.StatusCode)
		}
		c.Close()
	}
	// A normal request on the same server still works after the deadline.
	var who map[string]string
	if err := dhttp.NewClient(srv.URL(), tn.Keys["US"]).Do(context.Background(), "GET", "/v1/whoami", nil, &who); err != nil || who["party"] != "US" {
		t.Fatalf("whoami: %v %v", who, err)
	}
}

func method(path string) string {
	if strings.HasSuffix(path, "/policy") {
		return "PUT"
	}
	return "POST"
}

// TestHealthzRefusedChannel: /healthz answers 503 while a channel is
// refused; which one and why is told to the operator only, and /metrics
// names no channel.
func TestHealthzRefusedChannel(t *testing.T) {
	tn := setup(t)
	tn.Send(t, "US", "ru-us-syria", deconflict.Routine, "message 0")
	healthz := func(key ed25519.PrivateKey) (int, string) {
		req, _ := http.NewRequest("GET", tn.Server.URL()+"/healthz", nil)
		if key != nil {
			k, ts, sig := dhttp.SignRequest(key, "GET", "/healthz", time.Now(), nil)
			req.Header.Set(dhttp.HeaderKey, k)
			req.Header.Set(dhttp.HeaderTime, ts)
			req.Header.Set(dhttp.HeaderSig, sig)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, body := healthz(nil); status != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("healthy node: %d %s", status, body)
	}
	// The operator alters a stored envelope; the restarted node refuses
	// the channel.
	tn.Stop()
	db, err := sql.Open("sqlite", filepath.Join(tn.Dir, "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`UPDATE envelopes SET payload = CAST(replace(CAST(payload AS TEXT), 'message 0', 'message X') AS BLOB) WHERE channel = 'ru-us-syria' AND idx = 0`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	keys := tn.Keys
	tn = nodetest.Start(t, nodetest.Options{Dir: tn.Dir, Key: tn.Node.Key})
	tn.Keys = keys

	status, body := healthz(nil)
	if status != 503 || !strings.Contains(body, `"degraded"`) || strings.Contains(body, "ru-us-syria") {
		t.Fatalf("anonymous healthz with a refused channel: %d %s, want 503 degraded naming no channel", status, body)
	}
	if status, body := healthz(tn.Keys["US"]); status != 503 || strings.Contains(body, "ru-us-syria") {
		t.Fatalf("a party's healthz: %d %s, want 503 without details", status, body)
	}
	status, body = healthz(tn.Node.Key)
	if status != 503 || !strings.Contains(body, `"ru-us-syria":"index 0`) {
		t.Fatalf("operator's healthz: %d %s, want 503 naming ru-us-syria and the first bad index", status, body)
	}
	resp, err := http.Get(tn.Server.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(m), "ru-us-syria") || strings.Contains(string(m), "channel=") || !strings.Contains(string(m), "deconflict_channels_refused 1\n") {
		t.Fatalf("metrics:\n%s\nwant node-wide figures only, deconflict_channels_refused 1", m)
	}
	// Served read-only for forensics, the channel still makes the node
	// degraded.
	tn.Stop()
	tn = nodetest.Start(t, nodetest.Options{Dir: tn.Dir, Key: tn.Node.Key, ServeAltered: true})
	tn.Keys = keys
	if status, body := healthz(nil); status != 503 || strings.Contains(body, "ru-us-syria") {
		t.Fatalf("anonymous healthz with a channel served altered: %d %s, want 503 naming no channel", status, body)
	}
	if status, body := healthz(tn.Node.Key); status != 503 || !strings.Contains(body, `"frozen_channels":{"ru-us-syria"`) {
		t.Fatalf("operator's healthz with a channel served altered: %d %s", status, body)
	}
}

// TestWatchOutlivesBodyDeadline: the body deadline does not touch
// WebSocket streams, which have no body: a watch opened on a server with a
// short body deadline still delivers after it has long passed.
func TestWatchOutlivesBodyDeadline(t *testing.T) {
	tn := setup(t)
	srv := dhttp.NewServer(tn.Node)
	srv.BodyTimeout = 100 * time.Millisecond
	if err := srv.Listen("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	path := "/v1/channels/ru-us-syria/watch?after=-1"
	k, ts, sig := dhttp.SignRequest(tn.Keys["RU"], "GET", path, time.Now(), nil)
	h := http.Header{}
	h.Set(dhttp.HeaderKey, k)
	h.Set(dhttp.HeaderTime, ts)
	h.Set(dhttp.HeaderSig, sig)
	c, _, err := websocket.Dial(ctx, "ws://"+srv.Addr()+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	time.Sleep(5 * srv.BodyTimeout) // let any deadline the stream might carry pass
	tn.Send(t, "US", "ru-us-syria", deconflict.Flash, "after the deadline")
	_, msg, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("watch stream after the body deadline: %v", err)
	}
	if !strings.Contains(string(msg), `"author":"US"`) {
		t.Fatalf("watch message %s", msg)
	}
}
