package http_test

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// deadURL returns the URL of a loopback port nothing listens on.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	return "http://" + ln.Addr().String()
}

// TestClientFailsOver gives the client a replica that does not answer
// before one that does: requests and watches move to the second.
func TestClientFailsOver(t *testing.T) {
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US")
	tn.AddChannel(t, "c", []string{"RU", "US"}, nil)
	ctx := context.Background()
	us := dhttp.NewClient(deadURL(t)+", "+tn.Server.URL()+"/", tn.Keys["US"])
	for i := int64(0); i < 3; i++ {
		r, err := us.Send(ctx, "US", &deconflict.Payload{Channel: "c", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "over the second replica"})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if r.Index != i {
			t.Fatalf("receipt index %d, want %d", r.Index, i)
		}
	}
	ru := dhttp.NewClient(deadURL(t)+","+tn.Server.URL(), tn.Keys["RU"])
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var got []int64
	err := ru.Watch(wctx, "c", 0, func(v *dhttp.EnvelopeView) error {
		got = append(got, v.Index)
		if len(got) == 2 {
			cancel()
		}
		return nil
	})
	if err != context.Canceled {
		t.Fatalf("watch: %v", err)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("watch after 0 delivered %v, want [1 2]", got)
	}
	// With every replica down, the error names the last one tried.
	_, err = dhttp.NewClient(deadURL(t)+","+deadURL(t), tn.Keys["RU"]).Channels(ctx)
	if err == nil {
		t.Fatal("no error with every replica down")
	}
}
