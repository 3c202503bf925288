package http_test

import (
	"bytes"
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// TestSignedWriteReplay: a captured operator PUT .../policy replayed later
// does not restore the old deadlines, not even after a restart.
func TestSignedWriteReplay(t *testing.T) {
	dir := t.TempDir()
	tn := nodetest.Start(t, nodetest.Options{Dir: dir})
	tn.AddParties(t, "RU", "US")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	key := tn.Node.Key

	// The captured request: it sets a 30-minute flash deadline.
	path := "/v1/channels/ru-us/policy"
	old := []byte(`{"ack_deadlines":{"flash":"30m0s"}}`)
	nonce := dhttp.NewNonce()
	k, ts, sig := dhttp.SignRequestNonce(key, "PUT", path, time.Now(), old, nonce)
	captured := http.Header{}
	captured.Set(dhttp.HeaderKey, k)
	captured.Set(dhttp.HeaderTime, ts)
	captured.Set(dhttp.HeaderSig, sig)
	captured.Set(dhttp.HeaderNonce, nonce)
	replay := func(tn *nodetest.Node) int {
		req, _ := http.NewRequest("PUT", tn.Server.URL()+path, bytes.NewReader(old))
		req.Header = captured.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got, want := replay(tn), http.StatusOK; got != want {
		t.Fatalf("first PUT: status %d, want %d", got, want)
	}
	// The operator then shortens the deadline to 2 minutes.
	newer := deconflict.DefaultPolicy()
	newer.AckDeadlines = map[deconflict.Precedence]deconflict.Duration{deconflict.Flash: deconflict.Duration(2 * time.Minute)}
	if err := tn.Operator().SetPolicy(context.Background(), "ru-us", &newer); err != nil {
		t.Fatal(err)
	}
	flash := func(tn *nodetest.Node) time.Duration {
		c, err := tn.Operator().Channel(context.Background(), "ru-us")
		if err != nil {
			t.Fatal(err)
		}
		return c.Policy.AckDeadline(deconflict.Flash)
	}
	if got, want := replay(tn), http.StatusConflict; got != want {
		t.Fatalf("replayed PUT: status %d, want %d", got, want)
	}
	if got, want := flash(tn), 2*time.Minute; got != want {
		t.Fatalf("flash deadline %v after the replay, want %v", got, want)
	}
	// The same request body sent twice by the client is two writes, each
	// with its own nonce: both accepted.
	for i := 0; i < 2; i++ {
		if err := tn.Operator().SetPolicy(context.Background(), "ru-us", &newer); err != nil {
			t.Fatalf("write %d of the same policy: %v", i, err)
		}
	}
	tn.Stop()
	tn = nodetest.Start(t, nodetest.Options{Dir: dir, Key: key})
	if got, want := replay(tn), http.StatusConflict; got != want {
		t.Fatalf("replayed PUT after a restart: status %d, want %d", got, want)
	}
	if got, want := flash(tn), 2*time.Minute; got != want {
		t.Fatalf("flash deadline %v after the replay, want %v", got, want)
	}
}
