package console

import (
	"bytes"
	"fmt"
	"net/http"
	"regexp"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/report"
)

// channelName is what a channel id may hold in a download's file name.
var channelName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// reportRoutes serves GET /console/report?channel=C&from=DATE&to=DATE&format=html|pdf:
// the record of the period (docs/reports.md), read with the signed-in
// officer's party as deconflict report reads it with a member's key, as
// a download.
func (c *Console) reportRoutes(s *dhttp.Server) {
	s.Mux.HandleFunc("GET /console/report", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		body, name, ctype, err := c.report(r)
		if err != nil {
			dhttp.WriteError(w, r, c.logger, err)
			return
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
		w.Write(body)
	})
}

func (c *Console) report(r *http.Request) ([]byte, string, string, error) {
	sess, err := c.session(r)
	if err != nil {
		return nil, "", "", err
	}
	if sess == nil {
		return nil, "", "", deconflict.Errorf(deconflict.EUNAUTHORIZED, "not signed in to the console")
	}
	q := r.URL.Query()
	channel, format := q.Get("channel"), q.Get("format")
	if !channelName.MatchString(channel) {
		return nil, "", "", deconflict.Errorf(deconflict.EINVALID, "report: channel %.40q: want a channel id", channel)
	}
	if format != "html" && format != "pdf" {
		return nil, "", "", deconflict.Errorf(deconflict.EINVALID, "report: format %.20q: want html or pdf", format)
	}
	from, to, err := report.ParsePeriod(q.Get("from"), q.Get("to"))
	if err != nil {
		return nil, "", "", err
	}
	ctx, party := r.Context(), sess.party
	ch, err := c.node.Channel(ctx, party, channel)
	if err != nil {
		return nil, "", "", err
	}
	cp, envs, err := report.Fetch(func() ([]byte, error) {
		cp, _, _, err := c.node.CosignedCheckpoint(ctx, party, channel)
		return cp, err
	}, func(from int64, limit int) ([]*deconflict.Envelope, error) {
		return c.node.AuditEnvelopes(ctx, party, channel, from, limit) // a report reads the record; it is no delivery
	})
	if err != nil {
		return nil, "", "", err
	}
	rep, err := report.Build(report.Input{Channel: ch, Checkpoint: cp, Envelopes: envs, From: from, To: to, Member: party,
		Generated: c.Now(), NodeKey: c.node.PublicKey(), Basemap: Basemap()})
	if err != nil {
		return nil, "", "", err
	}
	var b bytes.Buffer
	ctype := "text/html; charset=utf-8"
	if format == "pdf" {
		err, ctype = rep.WritePDF(&b), "application/pdf"
	} else {
		err = rep.WriteHTML(&b)
	}
	name := fmt.Sprintf("%s-%s-%s.%s", channel, from.Format("20060102"), to.Format("20060102"), format)
	return b.Bytes(), name, ctype, err
}
