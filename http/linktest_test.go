package http_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func metricsText(t *testing.T, tn *nodetest.Node) string {
	t.Helper()
	resp, err := http.Get(tn.Server.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestAvailabilityAPI: a link test answered by RU in time and by US not
// at all, through the API: the availability route's figures, the
// node-wide /metrics figures naming no channel, and the labelled ones
// only with MetricsChannels; a bad period is refused, and a non-member
// reads nothing.
func TestAvailabilityAPI(t *testing.T) {
	clk := &testClock{t: time.Now().UTC()} // the operator client signs with the real clock
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now, Tick: time.Hour})
	tn.AddParties(t, "RU", "US", "FR")
	tn.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	client := func(party string) *dhttp.Client {
		c := tn.Client(party)
		c.Now = clk.Now
		return c
	}
	ctx := context.Background()
	if m := metricsText(t, tn); !strings.Contains(m, "deconflict_link_ends 0\n") || !strings.Contains(m, "deconflict_link_availability_lowest_ratio 1\n") {
		t.Fatalf("metrics before any test:\n%s", m)
	}
	clk.Add(time.Hour)
	if err := tn.Node.CheckLinkTests(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := client("RU").Availability(ctx, "ru-us", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Tests) != 1 || !v.Tests[0].Open {
		t.Fatalf("tests %+v, want one open", v.Tests)
	}
	clk.Add(5 * time.Second)
	idx := v.Tests[0].Index
	if _, err := client("RU").Send(ctx, "RU", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindLinkAnswer, Ack: &idx}); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if err := tn.Node.CheckLinkTests(ctx); err != nil {
		t.Fatal(err)
	}
	v, err = client("US").Availability(ctx, "ru-us", clk.Now().Add(-2*time.Hour), clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Parties) != 2 || v.Parties[0].Party != "RU" || *v.Parties[0].Percent != 100 || v.Parties[0].MaxDelayMS != 5000 ||
		v.Parties[1].Party != "US" || *v.Parties[1].Percent != 0 || v.Parties[1].Unanswered != 1 || v.Tests[0].Open || v.Tests[0].Result == nil {
		t.Fatalf("availability %+v", v)
	}
	if _, err := client("RU").Availability(ctx, "ru-us", clk.Now(), clk.Now().Add(-time.Hour)); deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Fatalf("to before from: %v, want invalid", err)
	}
	var out any
	if err := getJSON(client("RU"), "/v1/channels/ru-us/availability?from=yesterday", &out); deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), `from "yesterday"`) {
		t.Fatalf("from=yesterday: %v, want invalid naming it", err)
	}
	if _, err := client("FR").Availability(ctx, "ru-us", time.Time{}, time.Time{}); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("a non-member: %v, want not found", err)
	}

	m := metricsText(t, tn)
	for _, want := range []string{"deconflict_link_tests_total 1\n", "deconflict_link_ends 2\n", "deconflict_link_ends_unavailable 1\n",
		"deconflict_link_answers_ratio 0.5\n", "deconflict_link_availability_lowest_ratio 0\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(m, "ru-us") || strings.Contains(m, "party=") {
		t.Errorf("/metrics names a channel or a party without MetricsChannels:\n%s", m)
	}
	tn.Server.MetricsChannels = true
	m = metricsText(t, tn)
	for _, want := range []string{`deconflict_link_availability_ratio{channel="ru-us",party="RU"} 1` + "\n", `deconflict_link_availability_ratio{channel="ru-us",party="US"} 0` + "\n",
		`deconflict_link_tests_closed{channel="ru-us",party="US"} 1` + "\n", `deconflict_link_tests_answered{channel="ru-us",party="RU"} 1` + "\n"} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics with MetricsChannels lacks %q", want)
		}
	}
}
