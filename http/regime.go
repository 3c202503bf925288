package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/regime"
)

// regimeRoutes serves a channel's notifications, findings and measures.
// Filing them is POST /v1/channels/{id}/envelopes like any envelope.
func (s *Server) regimeRoutes() {
	m := s.Mux
	m.HandleFunc("GET /v1/channels/{id}/notifications", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return s.Node.Notifications(r.Context(), caller, r.PathValue("id"))
	}))
	m.HandleFunc("GET /v1/channels/{id}/findings", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return s.Node.Findings(r.Context(), caller, r.PathValue("id"))
	}))
	m.HandleFunc("GET /v1/channels/{id}/measures", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		at := int64(-1)
		if v := r.URL.Query().Get("at"); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return nil, deconflict.Errorf(deconflict.EINVALID, "at %q: want a log index (0 or more)", v)
			}
			at = n
		}
		return s.Node.Measures(r.Context(), caller, r.PathValue("id"), at)
	}))
}

// Notifications returns a channel's notifications with their state.
func (c *Client) Notifications(ctx context.Context, channel string) ([]node.NotificationView, error) {
	var out []node.NotificationView
	return out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/notifications", nil, &out)
}

// Findings returns a channel's node-signed findings in log order.
func (c *Client) Findings(ctx context.Context, channel string) ([]node.FindingView, error) {
	var out []node.FindingView
	return out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/findings", nil, &out)
}

// Measures returns the rules in force at index at (the latest when at < 0)
// with every measure's state.
func (c *Client) Measures(ctx context.Context, channel string, at int64) (*regime.Rules, error) {
	path := "/v1/channels/" + url.PathEscape(channel) + "/measures"
	if at >= 0 {
		path += "?at=" + strconv.FormatInt(at, 10)
	}
	var out regime.Rules
	return &out, c.do(ctx, "GET", path, nil, &out)
}
