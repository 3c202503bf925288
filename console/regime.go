package console

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/regime"
)

// NotifyRequest files a notification: the form as JSON.
type NotifyRequest struct {
	Channel string          `json:"channel"`
	Form    json.RawMessage `json:"form"`
	Officer string          `json:"officer,omitempty"` // as in SendRequest
}

// RespondRequest responds to the notification at Index.
type RespondRequest struct {
	Channel  string `json:"channel"`
	Index    *int64 `json:"index"`
	Response string `json:"response"` // accept, question, object, answer, meeting
	Text     string `json:"text,omitempty"`
	Officer  string `json:"officer,omitempty"` // as in SendRequest
}

// MeasureRequest proposes a measure (Terms), or signs or withdraws from
// the proposal at Index (Withdraw).
type MeasureRequest struct {
	Channel  string          `json:"channel"`
	Terms    json.RawMessage `json:"terms,omitempty"`
	Index    *int64          `json:"index,omitempty"`
	Withdraw bool            `json:"withdraw,omitempty"`
	Officer  string          `json:"officer,omitempty"` // as in SendRequest
}

// regimeRoutes serves the console's notification and measure actions,
// signed with the officer's party key like its hotline actions.
func (c *Console) regimeRoutes(s *dhttp.Server) {
	m := s.Mux
	m.HandleFunc("POST /v1/console/notify", c.handle(s, true, c.notify))
	m.HandleFunc("POST /v1/console/respond", c.handle(s, true, c.respond))
	m.HandleFunc("POST /v1/console/measure", c.handle(s, true, c.measure))
}

func (c *Console) notify(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error) {
	var req NotifyRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	if _, err := regime.ParseForm(req.Form); err != nil {
		return 0, nil, err
	}
	return c.submit(r.Context(), s, &deconflict.Payload{Channel: req.Channel, Kind: deconflict.KindNotification, Body: req.Form, Officer: req.Officer})
}

func (c *Console) respond(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error) {
	var req RespondRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	if req.Index == nil {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "respond names no notification index")
	}
	if !slices.Contains(regime.ResponseKinds, req.Response) {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "response %q: want one of %v", req.Response, regime.ResponseKinds)
	}
	if err := checkText("response", req.Text); req.Text != "" && err != nil {
		return 0, nil, err
	}
	b, _ := json.Marshal(node.ResponseBody{Response: req.Response})
	return c.submit(r.Context(), s, &deconflict.Payload{Channel: req.Channel, Kind: deconflict.KindResponse, ReplyTo: req.Index, Text: req.Text, Body: b, Officer: req.Officer})
}

func (c *Console) measure(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error) {
	var req MeasureRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	if req.Index == nil {
		if _, err := regime.ParseMeasure(req.Terms); err != nil {
			return 0, nil, err
		}
		return c.submit(r.Context(), s, &deconflict.Payload{Channel: req.Channel, Kind: deconflict.KindMeasure, Body: req.Terms, Officer: req.Officer})
	}
	// Sign (or withdraw from) the exact bytes logged at Index.
	e, err := c.node.Envelope(r.Context(), s.party, req.Channel, *req.Index)
	if err != nil {
		return 0, nil, err
	}
	if e.Kind != deconflict.KindMeasure {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "index %d is a %s, not a measure", *req.Index, e.Kind)
	}
	kind := deconflict.KindSign
	if req.Withdraw {
		kind = deconflict.KindWithdraw
	}
	ref := regime.Ref{Index: *req.Index, LeafHash: e.LeafHash[:]}
	return c.submit(r.Context(), s, &deconflict.Payload{Channel: req.Channel, Kind: kind, Body: ref.Marshal(), Officer: req.Officer})
}
