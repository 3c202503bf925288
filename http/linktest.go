package http

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
)

// linkTestRoutes serves a channel's link tests and its members'
// availability. Answering a test is POST /v1/channels/{id}/envelopes of a
// link-answer, like any envelope.
func (s *Server) linkTestRoutes() {
	s.Mux.HandleFunc("GET /v1/channels/{id}/availability", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		q := r.URL.Query()
		to := s.Node.Now().Add(time.Nanosecond) // now included
		if v := q.Get("to"); v != "" {
			t, err := parsePeriodTime("to", v)
			if err != nil {
				return nil, err
			}
			to = t
		}
		from := to.Add(-deconflict.DefaultAvailabilityPeriod)
		if v := q.Get("from"); v != "" {
			t, err := parsePeriodTime("from", v)
			if err != nil {
				return nil, err
			}
			from = t
		}
		return s.Node.Availability(r.Context(), caller, r.PathValue("id"), from, to)
	}))
}

// parsePeriodTime reads a period bound: RFC 3339, or a date YYYY-MM-DD
// (00:00 UTC).
func parsePeriodTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, deconflict.Errorf(deconflict.EINVALID, "%s %q: want RFC 3339 (2026-12-01T12:00:00Z) or a date YYYY-MM-DD", name, v)
}

// Availability returns the link tests of channel in [from, to) and each
// member's availability over them; a zero to is the node's now, a zero
// from DefaultAvailabilityPeriod before to.
func (c *Client) Availability(ctx context.Context, channel string, from, to time.Time) (*node.AvailabilityView, error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.UTC().Format(time.RFC3339Nano))
	}
	if !to.IsZero() {
		q.Set("to", to.UTC().Format(time.RFC3339Nano))
	}
	path := "/v1/channels/" + url.PathEscape(channel) + "/availability"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	var out node.AvailabilityView
	return &out, c.do(ctx, "GET", path, nil, &out)
}

// writeLinkMetrics writes the link tests' figures to /metrics: node-wide
// only, like every figure there (which channel and which party: the
// availability API, to members and the operator), over the
// DefaultAvailabilityPeriod before now. With MetricsChannels each
// channel's and party's own figures are added, labelled.
func (s *Server) writeLinkMetrics(ctx context.Context, w io.Writer) {
	ends, err := s.Node.LinkEnds(ctx, deconflict.DefaultAvailabilityPeriod)
	if err != nil {
		s.Logger.Error("metrics: link tests", "err", err)
		return
	}
	fmt.Fprintf(w, "# HELP deconflict_link_tests_total Link test envelopes this node logged since start.\n# TYPE deconflict_link_tests_total counter\ndeconflict_link_tests_total %d\n", s.Node.Metrics().LinkTests.Load())
	tested, down, tests, answered := 0, 0, 0, 0
	lowest := 1.0
	for _, e := range ends {
		if e.Tests == 0 {
			continue
		}
		tested++
		tests += e.Tests
		answered += e.Answered
		lowest = min(lowest, float64(e.Answered)/float64(e.Tests))
		if e.LastMissed {
			down++
		}
	}
	fmt.Fprintf(w, "# HELP deconflict_link_ends Member ends (a party on a channel) asked by a link test closed in the last 24 h.\n# TYPE deconflict_link_ends gauge\ndeconflict_link_ends %d\n", tested)
	fmt.Fprintf(w, "# HELP deconflict_link_ends_unavailable Member ends that did not answer their channel's last closed link test in time.\n# TYPE deconflict_link_ends_unavailable gauge\ndeconflict_link_ends_unavailable %d\n", down)
	fmt.Fprintf(w, "# HELP deconflict_link_answers_ratio Share of the link tests closed in the last 24 h answered in time, over every end.\n# TYPE deconflict_link_answers_ratio gauge\ndeconflict_link_answers_ratio %s\n", ratio(answered, tests))
	fmt.Fprintf(w, "# HELP deconflict_link_availability_lowest_ratio The lowest availability of an end over the last 24 h (1 when no test closed).\n# TYPE deconflict_link_availability_lowest_ratio gauge\ndeconflict_link_availability_lowest_ratio %s\n", formatRatio(lowest))
	if !s.MetricsChannels {
		return
	}
	fmt.Fprintf(w, "# HELP deconflict_link_availability_ratio A party's availability on a channel over the last 24 h: link tests answered in time over tests closed (absent with no test closed).\n# TYPE deconflict_link_availability_ratio gauge\n")
	for _, e := range ends {
		if e.Tests > 0 {
			fmt.Fprintf(w, "deconflict_link_availability_ratio{channel=%q,party=%q} %s\n", e.Channel, e.Party, ratio(e.Answered, e.Tests))
		}
	}
	fmt.Fprintf(w, "# HELP deconflict_link_tests_closed Link tests closed in the last 24 h that asked a party on a channel.\n# TYPE deconflict_link_tests_closed gauge\n")
	for _, e := range ends {
		fmt.Fprintf(w, "deconflict_link_tests_closed{channel=%q,party=%q} %d\n", e.Channel, e.Party, e.Tests)
	}
	fmt.Fprintf(w, "# HELP deconflict_link_tests_answered Of those, the tests the party answered in time.\n# TYPE deconflict_link_tests_answered gauge\n")
	for _, e := range ends {
		fmt.Fprintf(w, "deconflict_link_tests_answered{channel=%q,party=%q} %d\n", e.Channel, e.Party, e.Answered)
	}
}

// ratio formats a/b, 1 when b is 0 (nothing was asked, nothing failed).
func ratio(a, b int) string {
	if b == 0 {
		return "1"
	}
	return formatRatio(float64(a) / float64(b))
}

func formatRatio(r float64) string { return strconv.FormatFloat(r, 'g', 6, 64) }
