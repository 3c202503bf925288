// Package positions reads and writes the positions CSV of DESIGN.md:
//
//	time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms
//
// time is RFC 3339 or Unix seconds (fractions allowed); domain is air or
// sea; lat, lon in degrees; alt_m in metres, speed_ms in m/s, course_deg in
// degrees true, climb_ms in m/s (positive up). Empty numeric fields are
// Unknown (alt_m and climb_ms are empty at sea). The header line is
// required; its columns may come in any order, and only time, id, domain,
// lat and lon are required.
package positions

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

// Header is the column list the Writer writes.
var Header = []string{"time", "id", "party", "domain", "lat", "lon", "alt_m", "speed_ms", "course_deg", "climb_ms"}

const (
	cTime = iota
	cID
	cParty
	cDomain
	cLat
	cLon
	cAlt
	cSpeed
	cCourse
	cClimb
	nCols
)

// Reader reads position reports from a positions CSV.
type Reader struct {
	r    *csv.Reader
	col  [nCols]int // column of each field, -1 when absent
	head bool
	// Source is copied into each report's Source ("csv" by default).
	Source string
}

// NewReader returns a Reader of r.
func NewReader(r io.Reader) *Reader {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	return &Reader{r: cr, Source: "csv"}
}

func (r *Reader) line() int {
	l, _ := r.r.FieldPos(0)
	return l
}

func (r *Reader) errorf(format string, args ...any) error {
	return deconflict.Errorf(deconflict.EINVALID, "positions: line %d: %s", r.line(), fmt.Sprintf(format, args...))
}

func (r *Reader) header() error {
	rec, err := r.r.Read()
	if err == io.EOF {
		return deconflict.Errorf(deconflict.EINVALID, "positions: empty input, want header %q", strings.Join(Header, ","))
	} else if err != nil {
		return csvError(err)
	}
	for i := range r.col {
		r.col[i] = -1
	}
	for i, name := range rec {
		name = strings.TrimSpace(strings.TrimPrefix(name, "\ufeff"))
		k := -1
		for j, h := range Header {
			if strings.EqualFold(name, h) {
				k = j
			}
		}
		if k < 0 {
			return r.errorf("unknown column %q (want %s)", name, strings.Join(Header, ","))
		}
		if r.col[k] >= 0 {
			return r.errorf("column %q twice", name)
		}
		r.col[k] = i
	}
	for _, k := range []int{cTime, cID, cDomain, cLat, cLon} {
		if r.col[k] < 0 {
			return r.errorf("header lacks column %q", Header[k])
		}
	}
	r.head = true
	return nil
}

func csvError(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return deconflict.Errorf(deconflict.EINVALID, "positions: line %d: %v", pe.Line, pe.Err)
	}
	return err
}

// Read returns the next report, or io.EOF at the end. Errors are
// EINVALID *deconflict.Error values naming the line, the field and the
// reason: "positions: line 7: lat \"91\": out of range [-90, 90]".
func (r *Reader) Read() (deconflict.Report, error) {
	if !r.head {
		if err := r.header(); err != nil {
			return deconflict.Report{}, err
		}
	}
	rec, err := r.r.Read()
	if err != nil {
		if err == io.EOF {
			return deconflict.Report{}, io.EOF
		}
		return deconflict.Report{}, csvError(err)
	}
	get := func(k int) string {
		if c := r.col[k]; c >= 0 && c < len(rec) {
			return strings.TrimSpace(rec[c])
		}
		return ""
	}
	rep := deconflict.Report{Source: r.Source, ID: get(cID), Party: get(cParty)}
	if rep.ID == "" {
		return rep, r.errorf("empty id")
	}
	if rep.Time, err = ParseTime(get(cTime)); err != nil {
		return rep, r.errorf("time %q: %v", get(cTime), err)
	}
	switch d := get(cDomain); d {
	case "air", "sea":
		rep.Domain = deconflict.Domain(d)
	default:
		return rep, r.errorf("domain %q: want air or sea", d)
	}
	num := func(k int, lo, hi float64, required bool) (float64, error) {
		s := get(k)
		if s == "" {
			if required {
				return 0, r.errorf("empty %s", Header[k])
			}
			return deconflict.Unknown, nil
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, r.errorf("%s %q: not a number", Header[k], s)
		}
		if v < lo || v > hi {
			return 0, r.errorf("%s %q: out of range [%g, %g]", Header[k], s, lo, hi)
		}
		return v, nil
	}
	if rep.Lat, err = num(cLat, -90, 90, true); err != nil {
		return rep, err
	}
	if rep.Lon, err = num(cLon, -180, 180, true); err != nil {
		return rep, err
	}
	if rep.AltM, err = num(cAlt, -1000, 100e3, false); err != nil {
		return rep, err
	}
	if rep.SpeedMS, err = num(cSpeed, 0, 3000, false); err != nil {
		return rep, err
	}
	if rep.CourseDeg, err = num(cCourse, 0, 360, false); err != nil {
		return rep, err
	}
	if rep.CourseDeg == 360 {
		rep.CourseDeg = 0
	}
	if rep.ClimbMS, err = num(cClimb, -500, 500, false); err != nil {
		return rep, err
	}
	return rep, nil
}

// ReadAll calls emit with every report of r in order. It returns the first
// error of reading or of emit.
func ReadAll(r io.Reader, emit func(deconflict.Report) error) error {
	rd := NewReader(r)
	for {
		rep, err := rd.Read()
		if err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := emit(rep); err != nil {
			return err
		}
	}
}

// ParseTime parses RFC 3339 (with or without fractional seconds) or Unix
// seconds (with an optional fraction, up to nanoseconds).
func ParseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, errors.New("empty")
	}
	if strings.ContainsAny(s, "-:T") && len(s) >= 20 {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}, errors.New("not RFC 3339 or Unix seconds")
		}
		return t.UTC(), nil
	}
	sec, frac, _ := strings.Cut(s, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || n < 0 || n > 1<<40 || len(frac) > 9 {
		return time.Time{}, errors.New("not RFC 3339 or Unix seconds")
	}
	var ns int64
	if frac != "" {
		f, err := strconv.ParseUint(frac, 10, 64)
		if err != nil {
			return time.Time{}, errors.New("not RFC 3339 or Unix seconds")
		}
		ns = int64(f)
		for i := len(frac); i < 9; i++ {
			ns *= 10
		}
	}
	return time.Unix(n, ns).UTC(), nil
}

// Writer writes reports as a positions CSV, header first.
type Writer struct {
	w    *csv.Writer
	head bool
	rec  []string
}

// NewWriter returns a Writer to w. Call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: csv.NewWriter(w), rec: make([]string, nCols)}
}

// Write writes r: time as RFC 3339 (UTC, nanoseconds when needed), numbers
// in their shortest exact form, Unknown as an empty field.
func (w *Writer) Write(r deconflict.Report) error {
	if !w.head {
		if err := w.w.Write(Header); err != nil {
			return err
		}
		w.head = true
	}
	f := func(v float64) string {
		if !deconflict.Known(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	w.rec[cTime] = r.Time.UTC().Format(time.RFC3339Nano)
	w.rec[cID] = r.ID
	w.rec[cParty] = r.Party
	w.rec[cDomain] = string(r.Domain)
	w.rec[cLat] = f(r.Lat)
	w.rec[cLon] = f(r.Lon)
	w.rec[cAlt] = f(r.AltM)
	w.rec[cSpeed] = f(r.SpeedMS)
	w.rec[cCourse] = f(r.CourseDeg)
	w.rec[cClimb] = f(r.ClimbMS)
	return w.w.Write(w.rec)
}

// Flush writes buffered data (the header alone when no report was
// written) and returns any error of writing.
func (w *Writer) Flush() error {
	if !w.head {
		w.head = true
		if err := w.w.Write(Header); err != nil {
			return err
		}
	}
	w.w.Flush()
	return w.w.Error()
}
