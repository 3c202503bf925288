package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/positions"
)

func init() {
	reportFormats["csv"] = func(r io.Reader, emit func(deconflict.Report) error) error {
		return positions.ReadAll(r, emit)
	}
	register("scan", &command{
		Summary: "find close encounters in recorded or simulated traffic",
		Usage: `
usage: deconflict scan --format ais|sbs|aircraft-json|trace|csv FILE... [--out FILE.csv|.geojson|.json] [--parties FILE] [--all] [--notifications FILE] [--measures FILE | --measures-from LOG --party-key ID=PUB... [--at N]]

Replays the recordings in time order through the encounter engine, as a
live node would have seen them, and writes the encounters actually reached
along the recorded tracks (linearly interpolated between reports): the
encounters CSV of DESIGN.md

  a,b,party_a,party_b,domain,severity,first_alert,closest_time,closest_m,closest_vertical_m

one row per pair and encounter, a < b, ordered by closest_time;
first_alert is when a live node would first have alerted (empty if never).
--out FILE.geojson writes the two tracks and the closest points of each
encounter, FILE.json the rows as JSON; without --out the CSV goes to
standard output. The same input gives byte-identical output.

Parties come, as in a live node, from declared assets and callsign
patterns (--parties FILE, a parties file; see docs/picture.md), then the
report's own party (the positions CSV's party column), then the flag
state's alliance. Only pairs of different, known parties with at least one
state asset (declared, named by the source, or marked military or state:
AIS ship type 35 or 55, ADS-B military flag) are reported, and not pairs
of stationary ships, unless --all is given, which reports every pair.
Thresholds are the defaults of DESIGN.md.
--notifications FILE reads notification forms, one JSON object a line
with its submission "time" beside the form's fields, and adds the column
explained_by: the notifications (FILE:LINE, ';'-separated) whose area
and window hold, at the closest approach, the track of the party that
notified them. --measures FILE reads binding measures, one measure's
terms a line (as 'measure propose' takes them): their separations set
the tiers and their relevance measures widen the pairs watched (two
civilian tracks of different parties inside the area), as a live node
does for a channel where they bind; with a zone measure that has a
min_separation_m, the column measure_breach lists the zone measures
(FILE:LINE) whose minimum separation an encounter broke inside the zone.
--measures-from LOG takes the measures from a channel's log saved with
'deconflict watch --channel C > LOG' instead: the rules in force at index
N (--at, default the log's last) as the node computes them, with a
measure binding once every member signed it. The members are the parties
given with --party-key ID=PUB (one per member, repeatable for a party's
several keys); every measure, sign and withdraw envelope must verify
under one of its author's keys, its leaf hash is recomputed, and a zone
measure's min_separation_m is reported as LOG:INDEX. Completeness of the
log is not checked here: run 'deconflict verify' on the channel first. Files may be
gzip-compressed; "-" is standard input. A progress bar is drawn on a
terminal; a summary goes to standard error.

example:
  deconflict simulate --scenario baltic --out baltic.csv
  deconflict scan --format csv baltic.csv
  deconflict scan --format sbs --all testdata/adsb/stratux/*.log --out enc.geojson`,
		Run: runScan,
	})
}

func runScan(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("scan")
	format := fs.String("format", "csv", "input format: "+strings.Join(reportFormatNames(), ", "))
	out := fs.String("out", "", "output file: .csv, .geojson or .json (default: CSV on standard output)")
	partiesFile := fs.String("parties", "", "parties file (assets and flags) for attribution")
	all := fs.Bool("all", false, "report every pair, whatever the parties")
	measuresFile := fs.String("measures", "", "binding measures (JSON lines, one measure's terms a line) whose separations set the tiers")
	notifications := fs.String("notifications", "", "notification forms (JSON lines, each with its submission \"time\") that explain encounters")
	measuresLog := fs.String("measures-from", "", "a channel's log saved with 'watch --channel C': the rules its measures put in force (members: the --party-key parties)")
	measuresAt := fs.Int64("at", -1, "with --measures-from: the rules in force at this index (default: the log's last)")
	partyKeys := map[string][]string{}
	fs.Func("party-key", "with --measures-from: ID=PUB, a member and one of its keys (repeatable)", func(v string) error {
		id, pub, ok := strings.Cut(v, "=")
		if !ok || id == "" {
			return fmt.Errorf("want ID=PUB")
		}
		k, err := deconflict.DecodeKey(pub)
		if err != nil {
			return errors.New(deconflict.ErrorMessage(err))
		}
		partyKeys[id] = append(partyKeys[id], deconflict.EncodeKey(k))
		return nil
	})
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	read, ok := reportFormats[*format]
	if !ok {
		return usagef("scan: unknown --format %q (want one of %s)", *format, strings.Join(reportFormatNames(), ", "))
	}
	if len(files) == 0 {
		return usagef("scan: no input FILE (use - for standard input)")
	}
	// The same attribution as a live node: declared assets, the source's
	// party, then the flag's alliance; a track is a state asset or
	// civilian (attrib.IsAsset), remembered across its static reports.
	attributor := attrib.Default()
	if *partiesFile != "" {
		if attributor, err = attrib.LoadFile(*partiesFile); err != nil {
			return fmt.Errorf("scan: --parties: %w", err)
		}
	}
	classify := attrib.NewTracks(attributor)
	names := map[string]string{}
	untimed := 0 // position reports without a time, skipped
	var explain, breach func(detect.Row) []string
	if *notifications != "" {
		if explain, err = m.loadExplainer(*notifications); err != nil {
			return fmt.Errorf("scan: --notifications: %w", err)
		}
	}
	kind := "csv"
	if *out != "" {
		switch strings.ToLower(filepath.Ext(*out)) {
		case ".csv":
		case ".geojson":
			kind = "geojson"
		case ".json":
			kind = "json"
		default:
			return usagef("scan: --out %s: want a .csv, .geojson or .json file", *out)
		}
	}
	bar := newProgress(m.Stderr)
	began := time.Now()
	var reports []deconflict.Report
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := m.openInput(name)
		if err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		err = read(rc, func(r deconflict.Report) error {
			classify.Classify(&r)
			// Names come in static reports (AIS 5, 24): keep them for
			// the tracks' position reports.
			if r.Name != "" {
				names[r.ID] = r.Name
			} else if n, ok := names[r.ID]; ok {
				r.Name = n
			}
			if r.HasPosition() && r.Time.IsZero() {
				untimed++ // a feed without times cannot be replayed
				return nil
			}
			if r.HasPosition() {
				reports = append(reports, r)
				if len(reports)%8192 == 0 {
					bar.show(fmt.Sprintf("reading %s: %d reports", filepath.Base(name), len(reports)), -1)
					if err := ctx.Err(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		rc.Close()
		if err != nil {
			return fmt.Errorf("scan: %s: %w", name, err)
		}
	}
	cfg := detect.Config{Thresholds: detect.DefaultThresholds()}
	if *measuresFile != "" && *measuresLog != "" {
		return usagef("scan: --measures and --measures-from: give one")
	}
	if *measuresLog != "" && len(partyKeys) == 0 {
		return usagef("scan: --measures-from needs the members' keys (--party-key ID=PUB for each)")
	}
	if *measuresLog != "" {
		rules, err := m.loadMeasuresLog(*measuresLog, partyKeys, *measuresAt)
		if err != nil {
			return fmt.Errorf("scan: --measures-from: %w", err)
		}
		if err := live.ApplyRules(&cfg, rules); err != nil {
			return fmt.Errorf("scan: --measures-from: %s: %w", *measuresLog, err)
		}
		breach = zoneBreaches(rules, filepath.Base(*measuresLog))
	}
	if *measuresFile != "" {
		rules, err := m.loadMeasures(*measuresFile)
		if err != nil {
			return fmt.Errorf("scan: --measures: %w", err)
		}
		if err := live.ApplyRules(&cfg, rules); err != nil {
			return fmt.Errorf("scan: --measures: %s: %w", *measuresFile, err)
		}
		breach = zoneBreaches(rules, filepath.Base(*measuresFile))
	}
	if *all {
		th := cfg.Thresholds
		cfg.Pair = func(a, b string) (detect.Thresholds, bool) { return th, true }
		cfg.Civilian = true
	}
	if len(reports) == 0 {
		bar.done()
		if untimed > 0 {
			return fmt.Errorf("scan: no position report with a time in %s (%d without one: AIS needs tag blocks or receiver times)", strings.Join(files, ", "), untimed)
		}
		return fmt.Errorf("scan: no position report in %s: is --format %s right?", strings.Join(files, ", "), *format)
	}
	rows, stats, err := detect.Replay(reports, cfg, func(done int) {
		if len(reports) > 0 {
			bar.show(fmt.Sprintf("replaying %d/%d reports", done, len(reports)), float64(done)/float64(len(reports)))
		}
	})
	bar.done()
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}

	var w io.Writer = m.Stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("scan: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	switch kind {
	case "csv":
		err = writeEncountersCSV(bw, rows, explain, breach)
	case "json":
		err = writeEncountersJSON(bw, rows, explain, breach)
	case "geojson":
		err = writeEncountersGeoJSON(bw, rows)
	}
	if err == nil {
		err = bw.Flush()
	}
	if err == nil && f != nil {
		err = f.Close()
	}
	if err != nil {
		return fmt.Errorf("scan: write: %w", err)
	}
	bySev := map[detect.Severity]int{}
	alerted, late := 0, 0
	for _, r := range rows {
		bySev[r.Severity]++
		switch {
		case r.FirstAlert.IsZero() || r.Kind == detect.Shadowing:
		case r.FirstAlert.Before(r.ClosestTime):
			alerted++
		default:
			late++ // the live engine opened only at or after the closest point
		}
	}
	var tiers []string
	for s := detect.Advisory; s <= detect.NMAC; s++ {
		if bySev[s] > 0 {
			tiers = append(tiers, fmt.Sprintf("%s %d", s, bySev[s]))
		}
	}
	tierText := ""
	if len(tiers) > 0 {
		tierText = " (" + strings.Join(tiers, ", ") + ")"
	}
	skipped := ""
	if untimed > 0 {
		skipped = fmt.Sprintf(" (%d without a time skipped)", untimed)
	}
	lateText := ""
	if late > 0 {
		lateText = fmt.Sprintf(", %d only at or after the closest approach", late)
	}
	fmt.Fprintf(m.Stderr, "scan: %d tracks, %d reports%s, %d encounters%s, %d alerted in advance%s; %d live alerts; %s\n",
		stats.Tracks, stats.Reports, skipped, len(rows), tierText, alerted, lateText, stats.Alerts, time.Since(began).Round(time.Millisecond))
	return nil
}

func reportFormatNames() []string {
	names := make([]string, 0, len(reportFormats))
	for n := range reportFormats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// scanTime is the time format of the encounters CSV: RFC 3339, UTC, with
// milliseconds.
const scanTime = "2006-01-02T15:04:05.000Z07:00"

// EncountersHeader is the header of the encounters CSV (DESIGN.md).
const encountersHeader = "a,b,party_a,party_b,domain,severity,first_alert,closest_time,closest_m,closest_vertical_m"

func csvField(s string) string {
	if strings.ContainsAny(s, ",\"\r\n") || strings.TrimSpace(s) != s {
		return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
	}
	return s
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(scanTime)
}

func fmtM(v float64) string {
	if v != v {
		return ""
	}
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "-0.0" {
		s = "0.0"
	}
	return s
}

// writeEncountersCSV writes the encounters CSV; with explain (scan
// --notifications) a column explained_by follows, and with breach (scan
// --measures with a zone's minimum separation) a column measure_breach.
func writeEncountersCSV(w io.Writer, rows []detect.Row, explain, breach func(detect.Row) []string) error {
	header := encountersHeader + ",kind,closest_lat,closest_lon,name_a,name_b"
	if explain != nil {
		header += ",explained_by"
	}
	if breach != nil {
		header += ",measure_breach"
	}
	if _, err := fmt.Fprintln(w, header); err != nil {
		return err
	}
	for _, r := range rows {
		_, err := fmt.Fprintf(w, "%s,%s,%s,%s,%s,%s,%s,%s,%s,%s",
			csvField(r.A), csvField(r.B), csvField(r.PartyA), csvField(r.PartyB), r.Domain, r.Severity,
			fmtTime(r.FirstAlert), fmtTime(r.ClosestTime), fmtM(r.ClosestM), fmtM(r.ClosestVertM))
		if err == nil {
			lat, lon := closestPosition(r)
			_, err = fmt.Fprintf(w, ",%s,%s,%s,%s,%s", r.Kind, fmtDeg(lat), fmtDeg(lon), csvField(trackName(r.TrackA)), csvField(trackName(r.TrackB)))
		}
		if err == nil && explain != nil {
			_, err = fmt.Fprintf(w, ",%s", csvField(strings.Join(explain(r), ";")))
		}
		if err == nil && breach != nil {
			_, err = fmt.Fprintf(w, ",%s", csvField(strings.Join(breach(r), ";")))
		}
		if err == nil {
			_, err = fmt.Fprintln(w)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type jsonRow struct {
	A                string   `json:"a"`
	B                string   `json:"b"`
	PartyA           string   `json:"party_a"`
	PartyB           string   `json:"party_b"`
	Domain           string   `json:"domain"`
	Severity         string   `json:"severity"`
	FirstAlert       *string  `json:"first_alert"`
	ClosestTime      string   `json:"closest_time"`
	ClosestM         float64  `json:"closest_m"`
	ClosestVerticalM *float64 `json:"closest_vertical_m"`
	Start            string   `json:"start"`
	End              string   `json:"end"`
	Kind             string   `json:"kind"` // approach or shadowing
	// AlertedLate: the live engine first alerted only at or after the
	// closest approach (it opened late: the pair came into view close,
	// or its prediction was below the tiers until then).
	AlertedLate bool     `json:"alerted_late,omitempty"`
	ClosestLat  *float64 `json:"closest_lat"`
	ClosestLon  *float64 `json:"closest_lon"`
	NameA       string   `json:"name_a,omitempty"`
	NameB       string   `json:"name_b,omitempty"`
	ExplainedBy []string `json:"explained_by,omitempty"` // scan --notifications: the notifications that explain it
	// MeasureBreach: scan --measures, the zone measures (FILE:LINE) whose
	// minimum separation the encounter broke inside the zone.
	MeasureBreach []string `json:"measure_breach,omitempty"`
}

func toJSONRow(r detect.Row) jsonRow {
	j := jsonRow{A: r.A, B: r.B, PartyA: r.PartyA, PartyB: r.PartyB, Domain: string(r.Domain), Severity: r.Severity.String(),
		ClosestTime: fmtTime(r.ClosestTime), ClosestM: round1(r.ClosestM), Start: fmtTime(r.Start), End: fmtTime(r.End),
		Kind: string(r.Kind), NameA: trackName(r.TrackA), NameB: trackName(r.TrackB),
		AlertedLate: r.Kind != detect.Shadowing && !r.FirstAlert.IsZero() && !r.FirstAlert.Before(r.ClosestTime)}
	if lat, lon := closestPosition(r); lat == lat {
		la, lo := math.Round(lat*1e6)/1e6, math.Round(lon*1e6)/1e6
		j.ClosestLat, j.ClosestLon = &la, &lo
	}
	if !r.FirstAlert.IsZero() {
		s := fmtTime(r.FirstAlert)
		j.FirstAlert = &s
	}
	if r.ClosestVertM == r.ClosestVertM {
		v := round1(r.ClosestVertM)
		j.ClosestVerticalM = &v
	}
	return j
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// closestPosition returns the midpoint (degrees) of the two tracks at the
// closest approach, NaN where they cannot be interpolated.
func closestPosition(r detect.Row) (lat, lon float64) {
	if r.TrackA == nil || r.TrackB == nil {
		return math.NaN(), math.NaN()
	}
	gap := func(t *detect.RecordedTrack) time.Duration {
		if t.Domain == deconflict.Air {
			return deconflict.DefaultAirLost
		}
		return deconflict.DefaultSeaLost
	}
	a, _, okA := r.TrackA.At(r.ClosestTime, gap(r.TrackA))
	b, _, okB := r.TrackB.At(r.ClosestTime, gap(r.TrackB))
	if !okA || !okB {
		return math.NaN(), math.NaN()
	}
	m := geo.ToLatLon(geo.ECEF(a.Lat, a.Lon).Add(geo.ECEF(b.Lat, b.Lon)).Scale(0.5))
	return m.Lat, m.Lon
}

func trackName(t *detect.RecordedTrack) string {
	if t == nil {
		return ""
	}
	return t.Name
}

// fmtDeg formats degrees with 6 decimals, empty for NaN.
func fmtDeg(v float64) string {
	if v != v {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 6, 64)
}

func writeEncountersJSON(w io.Writer, rows []detect.Row, explain, breach func(detect.Row) []string) error {
	out := make([]jsonRow, len(rows))
	for i, r := range rows {
		out[i] = toJSONRow(r)
		if explain != nil {
			out[i].ExplainedBy = explain(r)
		}
		if breach != nil {
			out[i].MeasureBreach = breach(r)
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// writeEncountersGeoJSON writes, for each encounter, the two tracks from
// five minutes before its start to five minutes after its end
// (LineStrings) and the two positions at the closest approach (Points),
// all carrying the encounter's fields and the encounter's index.
func writeEncountersGeoJSON(w io.Writer, rows []detect.Row) error {
	type feature struct {
		Type       string         `json:"type"`
		Geometry   map[string]any `json:"geometry"`
		Properties map[string]any `json:"properties"`
	}
	var feats []feature
	coord := func(lat, lon, alt float64) []float64 {
		c := []float64{math.Round(lon*1e6) / 1e6, math.Round(lat*1e6) / 1e6}
		if alt == alt {
			c = append(c, math.Round(alt))
		}
		return c
	}
	for i, r := range rows {
		jr := toJSONRow(r)
		base := map[string]any{"encounter": i + 1, "encounter_kind": jr.Kind, "a": jr.A, "b": jr.B, "severity": jr.Severity, "domain": jr.Domain,
			"closest_time": jr.ClosestTime, "closest_m": jr.ClosestM, "first_alert": jr.FirstAlert, "closest_vertical_m": jr.ClosestVerticalM}

		for _, side := range []struct {
			role  string
			t     *detect.RecordedTrack
			party string
		}{{"a", r.TrackA, r.PartyA}, {"b", r.TrackB, r.PartyB}} {
			props := func(kind string) map[string]any {
				p := map[string]any{"kind": kind, "track": side.t.ID, "party": side.party, "role": side.role}
				for k, v := range base {
					p[k] = v
				}
				return p
			}
			var line [][]float64
			from, to := r.Start.Add(-5*time.Minute), r.End.Add(5*time.Minute)
			for _, s := range side.t.Samples {
				if !s.Time.Before(from) && !s.Time.After(to) {
					line = append(line, coord(s.Lat, s.Lon, s.AltM))
				}
			}
			if len(line) >= 2 {
				feats = append(feats, feature{"Feature", map[string]any{"type": "LineString", "coordinates": line}, props("track")})
			}
			maxGap := deconflict.DefaultSeaLost
			if side.t.Domain == deconflict.Air {
				maxGap = deconflict.DefaultAirLost
			}
			if p, alt, ok := side.t.At(r.ClosestTime, maxGap); ok {
				feats = append(feats, feature{"Feature", map[string]any{"type": "Point", "coordinates": coord(p.Lat, p.Lon, alt)}, props("closest")})
			}
		}
	}
	if feats == nil {
		feats = []feature{}
	}
	enc := json.NewEncoder(w)
	return enc.Encode(map[string]any{"type": "FeatureCollection", "features": feats})
}

// progress draws a one-line progress bar on a terminal and nothing
// otherwise, at most ten times a second.
type progress struct {
	w    io.Writer
	on   bool
	last time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

// show draws text and, when frac >= 0, a bar of frac (0..1).
func (p *progress) show(text string, frac float64) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last = time.Now()
	bar := ""
	if frac >= 0 {
		n := int(frac * 30)
		bar = "[" + strings.Repeat("=", n) + strings.Repeat(" ", 30-n) + "] "
	}
	fmt.Fprintf(p.w, "\r\033[K%s%s", bar, text)
}

func (p *progress) done() {
	if p.on {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
