package console

import (
	"net/http"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

// LinkAnswerRequest answers the link test at Index: the console page
// sends it by itself while an officer is signed in (linktest.js).
type LinkAnswerRequest struct {
	Channel string `json:"channel"`
	Index   *int64 `json:"index"`
	Officer string `json:"officer,omitempty"` // as in SendRequest
}

// linkTestRoutes serves the console's answer to a link test, signed with
// the officer's party key like its hotline actions. The figures are the
// API's (GET /v1/channels/{id}/availability), which a session reads.
func (c *Console) linkTestRoutes(s *dhttp.Server) {
	s.Mux.HandleFunc("POST /v1/console/link-answer", c.handle(s, true, c.linkAnswer))
}

func (c *Console) linkAnswer(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error) {
	var req LinkAnswerRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	if req.Index == nil {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "link answer names no link test index")
	}
	return c.submit(r.Context(), s, &deconflict.Payload{Channel: req.Channel, Kind: deconflict.KindLinkAnswer, Ack: req.Index, Officer: req.Officer})
}
