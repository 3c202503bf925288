package http_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

// TestWatchBatchSplit: a watcher with batch=1 that is behind by more than
// one message can carry gets every envelope in order, in JSON arrays of
// at most MaxWatchMessageBytes each.
func TestWatchBatchSplit(t *testing.T) {
	tn := setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const total = 40
	big := strings.Repeat("position report, bearing 270, range 12 NM. ", 40<<10/44)
	for i := 0; i < total; i++ {
		tn.Send(t, "US", "ru-us-syria", deconflict.Routine, big)
	}
	path := "/v1/channels/ru-us-syria/watch?batch=1&after=-1"
	k, ts, sig := dhttp.SignRequest(tn.Keys["RU"], "GET", path, time.Now(), nil)
	h := http.Header{}
	h.Set(dhttp.HeaderKey, k)
	h.Set(dhttp.HeaderTime, ts)
	h.Set(dhttp.HeaderSig, sig)
	conn, _, err := websocket.Dial(ctx, "ws://"+tn.Server.Addr()+path, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(4 * dhttp.MaxWatchMessageBytes)
	var next int64
	messages, multi := 0, 0
	for next < total {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("after %d envelopes: %v", next, err)
		}
		messages++
		var views []dhttp.EnvelopeView
		if err := json.Unmarshal(data, &views); err != nil {
			t.Fatalf("message %d is not a JSON array of envelopes: %v", messages, err)
		}
		if len(views) == 0 {
			t.Fatalf("message %d is an empty array", messages)
		}
		if len(views) > 1 {
			multi++
			if len(data) > dhttp.MaxWatchMessageBytes {
				t.Fatalf("message %d of %d envelopes is %d bytes, over %d", messages, len(views), len(data), dhttp.MaxWatchMessageBytes)
			}
		}
		for _, v := range views {
			if v.Kind != deconflict.KindMessage {
				continue // RU's seen records
			}
			if v.Index != next {
				t.Fatalf("envelope %d delivered, want %d", v.Index, next)
			}
			next++
		}
	}
	t.Logf("%d envelopes in %d messages, %d of several", total, messages, multi)
	if messages < 2 || multi == 0 {
		t.Fatalf("%d messages (%d of several envelopes) for %d envelopes of 40 KiB; want them split and batched", messages, multi, total)
	}
}
