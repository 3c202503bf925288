package http

import (
	"context"
	"net/http"
	"net/url"
	"strconv"

	"github.com/deconflict/deconflict/node"
)

// witnessRoutes serves what members need of a channel's witnesses: their
// status as the node sees it, and C2SP tlog-proof files whose checkpoint
// carries the cosignatures given so far. The cosigned checkpoint itself
// is served at /checkpoint and /log/checkpoint.
func (s *Server) witnessRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /v1/channels/{id}/witnesses", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return s.Node.WitnessStatus(r.Context(), caller, r.PathValue("id"))
	}))
	m.HandleFunc("GET /v1/channels/{id}/envelopes/{index}/tlog-proof", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		idx, err := intParam(r.PathValue("index"), "index")
		if err != nil {
			return nil, err
		}
		b, err := s.Node.TlogProof(r.Context(), caller, r.PathValue("id"), idx)
		if err != nil {
			return nil, err
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(b)
		return nil, nil
	}))
}

// WitnessStatus returns the state of each witness of a channel.
func (c *Client) WitnessStatus(ctx context.Context, channel string) ([]node.WitnessStatus, error) {
	var out []node.WitnessStatus
	return out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/witnesses", nil, &out)
}

// TlogProof returns the envelope at index as a C2SP tlog-proof file.
func (c *Client) TlogProof(ctx context.Context, channel string, index int64) ([]byte, error) {
	var out []byte
	return out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/envelopes/"+strconv.FormatInt(index, 10)+"/tlog-proof", nil, &out)
}
