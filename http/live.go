package http

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/picture"
)

// TrackView is a track as the API shows it; unknown numbers are null.
type TrackView struct {
	ID        string            `json:"id"`
	Party     string            `json:"party"`
	How       string            `json:"how,omitempty"`
	Domain    deconflict.Domain `json:"domain"`
	Source    string            `json:"source,omitempty"`
	Time      time.Time         `json:"time"`
	Lat       *float64          `json:"lat"`
	Lon       *float64          `json:"lon"`
	AltM      *float64          `json:"alt_m"`
	SpeedMS   *float64          `json:"speed_ms"`
	CourseDeg *float64          `json:"course_deg"`
	ClimbMS   *float64          `json:"climb_ms"`
	Name      string            `json:"name,omitempty"`
	Callsign  string            `json:"callsign,omitempty"`
	Type      string            `json:"type,omitempty"`
	// Destination: where a ship says it is bound (AIS static reports).
	Destination string `json:"destination,omitempty"`
	Military    bool   `json:"military,omitempty"`
	// Asset: a state ship or aircraft of Party (attrib.IsAsset); false: a
	// civilian track, Party only its affiliation.
	Asset bool `json:"asset"`
	Stale bool `json:"stale"`
	// Trail is the track's stored positions of the last minutes
	// (GET /v1/picture?trail=MINUTES), oldest first, as [lat, lon, Unix
	// seconds], the position to 1e-5 degree (about a metre) and the time
	// to the second, what a trail on a map needs; absent unless asked for.
	// Written by trailOf as one JSON array, not a value per point.
	Trail json.RawMessage `json:"trail,omitempty"`
}

// NewTrackView returns the API view of t.
func NewTrackView(t *picture.Track) TrackView {
	return TrackView{ID: t.ID, Party: t.Party, How: t.How, Domain: t.Domain, Source: t.Source, Time: t.Time,
		Lat: deconflict.Nullable(t.Lat), Lon: deconflict.Nullable(t.Lon), AltM: deconflict.Nullable(t.AltM), SpeedMS: deconflict.Nullable(t.SpeedMS),
		CourseDeg: deconflict.Nullable(t.CourseDeg), ClimbMS: deconflict.Nullable(t.ClimbMS), Name: t.Name, Callsign: t.Callsign,
		Type: t.Type, Destination: t.Destination, Military: t.Military, Asset: t.Party != "" && attrib.IsAsset(t.ID, t.How, t.Military), Stale: t.Lost}
}

// HistoryView is one stored position of a track (GET
// /v1/picture/tracks/{id}); unknown numbers are null.
type HistoryView struct {
	Time      time.Time `json:"time"`
	Lat       float64   `json:"lat"`
	Lon       float64   `json:"lon"`
	AltM      *float64  `json:"alt_m"`
	SpeedMS   *float64  `json:"speed_ms"`
	CourseDeg *float64  `json:"course_deg"`
	Source    string    `json:"source,omitempty"`
}

// TrackDetailView is everything the picture knows of one track: the
// track, the flag of its identity (attrib.Flag: the country of an MMSI's
// MID or an ICAO address block, and the state responsible for it) and its
// stored positions, oldest first, the track's own position last.
type TrackDetailView struct {
	Time      time.Time     `json:"time"`
	Track     TrackView     `json:"track"`
	Flag      string        `json:"flag,omitempty"`
	FlagState string        `json:"flag_state,omitempty"`
	History   []HistoryView `json:"history"`
}

// NewHistoryView returns the API view of p.
func NewHistoryView(p *picture.HistoryPoint) HistoryView {
	return HistoryView{Time: p.Time, Lat: p.Lat, Lon: p.Lon, AltM: deconflict.Nullable(p.AltM), SpeedMS: deconflict.Nullable(p.SpeedMS),
		CourseDeg: deconflict.Nullable(p.CourseDeg), Source: p.Source}
}

// IncidentTracksView is what GET /v1/channels/{id}/incidents/{inc}/tracks
// returns: the incident's tracks with the positions stored with it (and,
// while it is open, those the picture holds now), to replay it.
type IncidentTracksView struct {
	Incident string              `json:"incident"`
	Opened   time.Time           `json:"opened"`
	Closed   *time.Time          `json:"closed,omitempty"`
	Tracks   []IncidentTrackView `json:"tracks"`
}

// IncidentTrackView is one track of an incident and its positions,
// oldest first.
type IncidentTrackView struct {
	ID     string            `json:"id"`
	Domain deconflict.Domain `json:"domain"`
	Party  string            `json:"party"`
	Label  string            `json:"label,omitempty"`
	Points []HistoryView     `json:"points"`
}

// ReportView is a position report as POST /v1/reports takes it.
type ReportView struct {
	Time      time.Time         `json:"time"`
	ID        string            `json:"id"`
	Domain    deconflict.Domain `json:"domain"`
	Source    string            `json:"source,omitempty"`
	Lat       *float64          `json:"lat"`
	Lon       *float64          `json:"lon"`
	AltM      *float64          `json:"alt_m,omitempty"`
	SpeedMS   *float64          `json:"speed_ms,omitempty"`
	CourseDeg *float64          `json:"course_deg,omitempty"`
	ClimbMS   *float64          `json:"climb_ms,omitempty"`
	Party     string            `json:"party,omitempty"`
	Name      string            `json:"name,omitempty"`
	Callsign  string            `json:"callsign,omitempty"`
	Type      string            `json:"type,omitempty"`
	Military  bool              `json:"military,omitempty"`
	// Destination: where a ship says it is bound.
	Destination string `json:"destination,omitempty"`
}

func val(p *float64) float64 {
	if p == nil {
		return deconflict.Unknown
	}
	return *p
}

// NewReportView returns the wire form of r.
func NewReportView(r *deconflict.Report) ReportView {
	return ReportView{Time: r.Time, ID: r.ID, Domain: r.Domain, Source: r.Source, Lat: deconflict.Nullable(r.Lat), Lon: deconflict.Nullable(r.Lon),
		AltM: deconflict.Nullable(r.AltM), SpeedMS: deconflict.Nullable(r.SpeedMS), CourseDeg: deconflict.Nullable(r.CourseDeg), ClimbMS: deconflict.Nullable(r.ClimbMS),
		Party: r.Party, Name: r.Name, Callsign: r.Callsign, Type: r.Type, Military: r.Military, Destination: r.Destination}
}

// Report returns the report the view describes.
func (v *ReportView) Report() deconflict.Report {
	return deconflict.Report{Time: v.Time, ID: v.ID, Domain: v.Domain, Source: v.Source, Lat: val(v.Lat), Lon: val(v.Lon),
		AltM: val(v.AltM), SpeedMS: val(v.SpeedMS), CourseDeg: val(v.CourseDeg), ClimbMS: val(v.ClimbMS),
		Party: v.Party, Name: v.Name, Callsign: v.Callsign, Type: v.Type, Military: v.Military, Destination: v.Destination}
}

// SetLive makes the server serve the live picture p (the picture,
// encounters, zones, reports and assets routes); without it they answer
// EUNAVAILABLE.
func (s *Server) SetLive(p *live.Picture) { s.pic.Store(p) }

func (s *Server) live() (*live.Picture, error) {
	l := s.pic.Load()
	if l == nil {
		return nil, deconflict.Errorf(deconflict.EUNAVAILABLE, "this node runs no live picture")
	}
	return l, nil
}

func parseQuery(r *http.Request) (picture.Query, error) {
	var q picture.Query
	v := r.URL.Query()
	q.Party = v.Get("party")
	if d := v.Get("domain"); d != "" {
		if d != "air" && d != "sea" {
			return q, deconflict.Errorf(deconflict.EINVALID, "domain %q: want air or sea", d)
		}
		q.Domain = deconflict.Domain(d)
	}
	if b := v.Get("bbox"); b != "" {
		parts := strings.Split(b, ",")
		var f [4]float64
		if len(parts) != 4 {
			return q, deconflict.Errorf(deconflict.EINVALID, "bbox %q: want minLon,minLat,maxLon,maxLat", b)
		}
		for i, p := range parts {
			x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
			if err != nil {
				return q, deconflict.Errorf(deconflict.EINVALID, "bbox %q: %q is not a number", b, p)
			}
			f[i] = x
		}
		q.Box = &picture.Box{West: f[0], South: f[1], East: f[2], North: f[3]}
	}
	q.IncludeLost = v.Get("lost") == "1"
	return q, nil
}

// MaxTrailMinutes bounds /v1/picture's trail parameter: the history
// reaches no further back (picture.DefaultHistoryAge).
const MaxTrailMinutes = 30

// parseTrail reads /v1/picture's trail parameter, minutes; 0 when absent.
func parseTrail(r *http.Request) (time.Duration, error) {
	v := r.URL.Query().Get("trail")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxTrailMinutes {
		return 0, deconflict.Errorf(deconflict.EINVALID, "trail %q: want whole minutes from 1 to %d", v, MaxTrailMinutes)
	}
	return time.Duration(n) * time.Minute, nil
}

// trailOf returns the stored positions of track id within d of its
// latest, in the compact trail form (TrackView.Trail); nil when it has
// none. The caller has checked that the track is visible.
func trailOf(l *live.Picture, id string, d time.Duration) json.RawMessage {
	tr, h, err := l.Table.History(id)
	if err != nil {
		return nil // removed meanwhile
	}
	from := tr.Time.Add(-d)
	b := make([]byte, 0, 28*len(h)+2)
	b = append(b, '[')
	for _, p := range h {
		if p.Time.Before(from) {
			continue
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = strconv.AppendFloat(b, math.Round(p.Lat*1e5)/1e5, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendFloat(b, math.Round(p.Lon*1e5)/1e5, 'f', -1, 64)
		b = append(b, ',')
		b = strconv.AppendInt(b, p.Time.Unix(), 10)
		b = append(b, ']')
	}
	if len(b) == 1 {
		return nil
	}
	return append(b, ']')
}

func (s *Server) liveRoutes() {
	m := s.Mux
	m.HandleFunc("GET /v1/picture", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		q, err := parseQuery(r)
		if err != nil {
			return nil, err
		}
		trail, err := parseTrail(r)
		if err != nil {
			return nil, err
		}
		ts := l.Tracks(r.Context(), caller, q)
		out := make([]TrackView, len(ts))
		for i := range ts {
			out[i] = NewTrackView(&ts[i])
			if trail > 0 {
				out[i].Trail = trailOf(l, ts[i].ID, trail)
			}
		}
		return map[string]any{"time": s.Node.Now().UTC(), "tracks": out, "stats": l.Stats()}, nil
	}))
	m.HandleFunc("GET /v1/picture/tracks/{track}", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		tr, h, err := l.TrackHistory(r.Context(), caller, r.PathValue("track"))
		if err != nil {
			return nil, err
		}
		v := TrackDetailView{Time: s.Node.Now().UTC(), Track: NewTrackView(&tr), History: make([]HistoryView, len(h))}
		v.Flag, v.FlagState, _ = attrib.Flag(tr.ID)
		for i := range h {
			v.History[i] = NewHistoryView(&h[i])
		}
		return v, nil
	}))
	m.HandleFunc("GET /v1/encounters", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		encs := l.Encounters(r.Context(), caller, r.URL.Query().Get("closed") == "1")
		out := make([]deconflict.EncounterView, len(encs))
		for i := range encs {
			out[i] = live.NewEncounterView(&encs[i])
			out[i].Incident = l.IncidentID(&encs[i])
			out[i].ExplainedBy = l.Explained(r.Context(), caller, &encs[i])
		}
		return out, nil
	}))
	m.HandleFunc("GET /v1/zones", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		out := []deconflict.Zone{}
		for _, z := range l.VisibleZones(r.Context(), caller) {
			out = append(out, live.ZoneOf(&z))
		}
		return out, nil
	}))
	m.HandleFunc("POST /v1/zones", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var v deconflict.Zone
		if err := DecodeJSON(body, &v); err != nil {
			return nil, err
		}
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		if err := l.AddZone(r.Context(), caller, live.EngineZone(&v)); err != nil {
			return nil, err
		}
		return statusValue{http.StatusCreated, v}, nil
	}))
	m.HandleFunc("DELETE /v1/zones/{zone}", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		if err := l.RemoveZone(r.Context(), caller, r.PathValue("zone")); err != nil {
			return nil, err
		}
		return map[string]string{"removed": r.PathValue("zone")}, nil
	}))
	m.HandleFunc("POST /v1/reports", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var vs []ReportView
		if err := DecodeJSON(body, &vs); err != nil {
			return nil, err
		}
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		rs := make([]deconflict.Report, len(vs))
		for i := range vs {
			rs[i] = vs[i].Report()
		}
		if err := l.Ingest(r.Context(), caller, rs); err != nil {
			return nil, err
		}
		return statusValue{http.StatusAccepted, map[string]int{"accepted": len(rs)}}, nil
	}))
	m.HandleFunc("GET /v1/channels/{id}/incidents", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		incs, err := s.Node.Incidents(r.Context(), caller, r.PathValue("id"))
		if incs == nil {
			incs = []*node.Incident{}
		}
		return incs, err
	}))
	m.HandleFunc("GET /v1/channels/{id}/incidents/{inc}", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return s.Node.Incident(r.Context(), caller, r.PathValue("id"), r.PathValue("inc"))
	}))
	m.HandleFunc("GET /v1/channels/{id}/incidents/{inc}/tracks", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		inc, err := s.Node.Incident(r.Context(), caller, r.PathValue("id"), r.PathValue("inc"))
		if err != nil {
			return nil, err
		}
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		ts, err := l.IncidentTracks(r.Context(), inc.ID, inc.Status == "open")
		if err != nil {
			return nil, err
		}
		out := IncidentTracksView{Incident: inc.ID, Opened: inc.Opened, Closed: inc.Closed, Tracks: make([]IncidentTrackView, len(ts))}
		for i, t := range ts {
			v := IncidentTrackView{ID: t.Track, Domain: t.Domain, Party: t.Party, Label: t.Label, Points: make([]HistoryView, len(t.Points))}
			for k, p := range t.Points {
				v.Points[k] = HistoryView{Time: p.Time, Lat: p.Lat, Lon: p.Lon, AltM: deconflict.Nullable(p.AltM), SpeedMS: deconflict.Nullable(p.SpeedMS), CourseDeg: deconflict.Nullable(p.CourseDeg)}
			}
			out.Tracks[i] = v
		}
		return out, nil
	}))
	m.HandleFunc("GET /v1/channels/{id}/verify", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return s.Node.VerifyChannel(r.Context(), caller, r.PathValue("id"))
	}))
	m.HandleFunc("GET /v1/assets", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		return l.VisibleAssets(r.Context(), caller), nil
	}))
	m.HandleFunc("PUT /v1/assets/{party}", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var a deconflict.Assets
		if err := DecodeJSON(body, &a); err != nil {
			return nil, err
		}
		l, err := s.live()
		if err != nil {
			return nil, err
		}
		if err := l.DeclareAssets(r.Context(), caller, r.PathValue("party"), a); err != nil {
			return nil, err
		}
		return a, nil
	}))
	m.HandleFunc("GET /v1/picture/watch", s.pictureWatch)
}

// pictureWatch streams track changes and encounter events the caller may
// see over a WebSocket: {"type":"track","track":{...}},
// {"type":"removed","id":"..."}, {"type":"encounter","event":"opened",
// "encounter":{...}}, and {"type":"zone","event":"added"|"removed",
// "id":"..."} when a zone the caller may see (GET /v1/zones) is declared,
// withdrawn, or comes or goes with a channel's log (a binding zone
// measure, a launch or INCSEA notice), once GET /v1/zones has it. It
// starts with the current picture.
func (s *Server) pictureWatch(w http.ResponseWriter, r *http.Request) {
	caller, err := s.authenticate(r, nil)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	l, err := s.live()
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	release, err := s.streamSlot(r, caller)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	defer release()
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{r.Host}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx, stop := s.streamContext(c.CloseRead(r.Context()), r, c)
	defer stop()
	sub := l.Subscribe()
	defer l.Unsubscribe(sub)
	send := func(v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return c.Write(wctx, websocket.MessageText, b)
	}
	for _, t := range l.Tracks(ctx, caller, picture.Query{}) {
		if send(map[string]any{"type": "track", "track": NewTrackView(&t)}) != nil {
			return
		}
	}
	for _, e := range l.Encounters(ctx, caller, false) {
		v := live.NewEncounterView(&e)
		v.Incident = l.IncidentID(&e)
		v.ExplainedBy = l.Explained(ctx, caller, &e)
		if send(map[string]any{"type": "encounter", "event": "opened", "encounter": v}) != nil {
			return
		}
	}
	for {
		var ev live.Event
		select {
		case <-ctx.Done():
			return
		case ev = <-sub:
		}
		var msg any
		switch ev.Type {
		case "track":
			if !l.VisibleTrack(ctx, caller, ev.Track) {
				continue
			}
			t := l.ViewTrack(ctx, caller, *ev.Track)
			msg = map[string]any{"type": "track", "track": NewTrackView(&t)}
		case "encounter":
			if !l.VisibleEncounter(ctx, caller, ev.Encounter) {
				continue
			}
			v := live.NewEncounterView(ev.Encounter)
			v.Incident = l.IncidentID(ev.Encounter)
			v.ExplainedBy = l.Explained(ctx, caller, ev.Encounter)
			msg = map[string]any{"type": "encounter", "event": ev.Event, "encounter": v}
		case "zone":
			if ev.Zone == nil || !l.VisibleZone(ctx, caller, ev.Zone) {
				continue
			}
			msg = map[string]any{"type": "zone", "event": ev.Event, "id": ev.ID}
		default:
			if ev.Track != nil && !l.VisibleTrack(ctx, caller, ev.Track) {
				continue
			}
			msg = map[string]any{"type": ev.Type, "id": ev.ID}
		}
		if send(msg) != nil {
			return
		}
	}
}
