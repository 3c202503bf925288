package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func fnum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// WriteIncidentsCSV writes one row per incident: id, party_a, party_b, a,
// b, domain, tier, eln_class, opened, closed (empty while open), timeline
// (";"-separated, in brief).
func (r *Report) WriteIncidentsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "party_a", "party_b", "a", "b", "domain", "tier", "eln_class", "opened", "closed", "timeline"})
	for _, i := range r.Incidents {
		closed := ""
		if i.Closed != nil {
			closed = rfc(*i.Closed)
		}
		cw.Write([]string{i.ID, i.PartyA, i.PartyB, i.A, i.B, i.Domain, i.Tier, i.ELN, rfc(i.Opened), closed, strings.Join(i.Timeline, "; ")})
	}
	cw.Flush()
	return cw.Error()
}

// WriteFindingsCSV writes one row per finding: index, code, rule, regime,
// about (";"-separated indexes), state, time, text.
func (r *Report) WriteFindingsCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"index", "code", "rule", "regime", "about", "state", "time", "text"})
	for _, f := range r.Findings {
		var about []string
		for _, a := range f.About {
			about = append(about, i64(a))
		}
		cw.Write([]string{i64(f.Index), f.Code, f.Rule, f.Regime, strings.Join(about, ";"), f.State, rfc(f.Time), f.Text})
	}
	cw.Flush()
	return cw.Error()
}

// WriteAcksCSV writes one row per party: party, due, in_time, late,
// missed, median_flash_s, median_immediate_s (empty: none). Missed
// acknowledgements one by one are WriteMissedCSV's.
func (r *Report) WriteAcksCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"party", "due", "in_time", "late", "missed", "median_flash_s", "median_immediate_s"})
	for _, a := range r.Acks {
		cw.Write([]string{a.Party, itoa(a.Due), itoa(a.InTime), itoa(a.Late), itoa(a.Missed), fnum(a.MedianFlashS), fnum(a.MedianImmediateS)})
	}
	cw.Flush()
	return cw.Error()
}

// WriteMissedCSV writes one row per missed-ack record: index, message,
// kind, precedence, author, sent, recorded, missing (";"-separated),
// officer (the author's officer who sent the message, empty if none).
func (r *Report) WriteMissedCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"index", "message", "kind", "precedence", "author", "sent", "recorded", "missing", "officer"})
	for _, m := range r.MissedAcks {
		cw.Write([]string{i64(m.Index), i64(m.Message), m.Kind, string(m.Precedence), m.Author, rfc(m.Sent), rfc(m.Recorded), strings.Join(m.Missing, ";"), m.Officer})
	}
	cw.Flush()
	return cw.Error()
}

// WriteOfficersCSV writes one row per party and officer that signed in
// the period: party, officer, messages, acks, other.
func (r *Report) WriteOfficersCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"party", "officer", "messages", "acks", "other"})
	for _, o := range r.Officers {
		cw.Write([]string{o.Party, o.Officer, itoa(o.Messages), itoa(o.Acks), itoa(o.Other)})
	}
	cw.Flush()
	return cw.Error()
}

type gjFeature struct {
	Type       string         `json:"type"`
	Geometry   gjGeometry     `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type gjGeometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

func closed(rg [][2]float64) [][2]float64 {
	if len(rg) > 0 && rg[0] != rg[len(rg)-1] {
		rg = append(rg[:len(rg):len(rg)], rg[0])
	}
	return rg
}

// WriteGeoJSON writes a FeatureCollection (RFC 7946): a Point per
// encounter at its closest observed point, a Polygon per notified area and
// measure zone.
func (r *Report) WriteGeoJSON(w io.Writer) error {
	fs := []gjFeature{}
	for _, e := range r.Encounters {
		if math.IsNaN(e.Lat) || math.IsNaN(e.Lon) {
			continue
		}
		props := map[string]any{"kind": "encounter", "id": e.ID, "incident": e.Incident, "a": e.A, "b": e.B, "party_a": e.PartyA, "party_b": e.PartyB,
			"domain": e.Domain, "tier": e.Tier, "eln_class": e.ELN, "first_alert": rfc(e.First), "explained_by": e.Explained}
		if !math.IsNaN(e.ClosestM) {
			props["closest_m"] = e.ClosestM
		}
		if e.Airprox != "" {
			props["airprox_class"] = e.Airprox
		}
		fs = append(fs, gjFeature{"Feature", gjGeometry{"Point", [2]float64{e.Lon, e.Lat}}, props})
	}
	for _, a := range r.Areas() {
		fs = append(fs, gjFeature{"Feature", gjGeometry{"Polygon", [][][2]float64{closed(a.Ring)}}, map[string]any{"kind": a.Kind, "name": a.Name, "index": a.Index}})
	}
	enc := json.NewEncoder(w)
	return enc.Encode(map[string]any{"type": "FeatureCollection", "features": fs})
}

// WriteKML writes a KML 2.2 document with the same features as WriteGeoJSON.
func (r *Report) WriteKML(w io.Writer) error {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<kml xmlns="http://www.opengis.net/kml/2.2"><Document>`)
	fmt.Fprintf(&b, "<name>%s</name>", esc("Record of channel "+r.Channel+" "+day(r.From)+" to "+day(r.To)))
	for _, t := range Tiers {
		c := tierColor(t)
		fmt.Fprintf(&b, `<Style id="%s"><IconStyle><color>ff%02x%02x%02x</color></IconStyle></Style>`, t, c.B, c.G, c.R)
	}
	b.WriteString(`<Style id="area"><LineStyle><color>ffb06c2b</color><width>2</width></LineStyle><PolyStyle><fill>0</fill></PolyStyle></Style>`)
	for _, e := range r.Encounters {
		if math.IsNaN(e.Lat) || math.IsNaN(e.Lon) {
			continue
		}
		fmt.Fprintf(&b, "<Placemark><name>%s</name><description>%s</description><styleUrl>#%s</styleUrl><TimeStamp><when>%s</when></TimeStamp><Point><coordinates>%s,%s</coordinates></Point></Placemark>",
			esc(e.A+" / "+e.B), esc(fmt.Sprintf("%s %s encounter (%s), closest %s", e.Tier, e.Domain, e.ELN, meters(e.ClosestM))), e.Tier, rfc(e.First), fnum(e.Lon), fnum(e.Lat))
	}
	for _, a := range r.Areas() {
		var cs []string
		for _, p := range closed(a.Ring) {
			cs = append(cs, fnum(p[0])+","+fnum(p[1]))
		}
		fmt.Fprintf(&b, "<Placemark><name>%s</name><description>%s #%d</description><styleUrl>#area</styleUrl><Polygon><outerBoundaryIs><LinearRing><coordinates>%s</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>",
			esc(a.Name), a.Kind, a.Index, strings.Join(cs, " "))
	}
	b.WriteString("</Document></kml>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
