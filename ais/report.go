package ais

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/deconflict/deconflict"
)

// maxLine is the longest line a Reader accepts; longer lines are skipped
// and reported. NMEA sentences are at most 82 characters, tag blocks and
// feed suffixes add a few dozen.
const maxLine = 4096

// Reader decodes the AIS messages of a stream of lines.
type Reader struct {
	d  *Decoder
	br *bufio.Reader
}

// NewReader returns a Reader of r with a new Decoder.
func NewReader(r io.Reader) *Reader {
	return &Reader{d: NewDecoder(), br: bufio.NewReaderSize(r, 1<<16)}
}

// Decoder returns the Reader's Decoder (for its limits and Stats).
func (r *Reader) Decoder() *Decoder { return r.d }

// Read decodes the next message into m. It returns io.EOF at the end of
// the stream, an *Error for a line that could not be decoded (call Read
// again to go on), or the error of the underlying reader.
func (r *Reader) Read(m *Message) error {
	for {
		line, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull || (err == nil && len(line) > maxLine) {
			// Skip the rest of an overlong line.
			for err == bufio.ErrBufferFull {
				_, err = r.br.ReadSlice('\n')
			}
			if err != nil && err != io.EOF {
				return err
			}
			r.d.stats.Lines++
			return r.d.fail(fmt.Sprintf("line longer than %d bytes", maxLine))
		}
		if len(line) > 0 {
			ok, derr := r.d.Decode(line, m)
			if derr != nil {
				return derr
			}
			if ok {
				return nil
			}
		}
		if err != nil {
			return err
		}
	}
}

// ReadReports decodes an AIS feed from r and calls emit with a Report for
// every position report (types 1, 2, 3, 9, 18, 19, 27) and static report
// (5, 19, 24), in stream order. Lines that cannot be decoded are skipped
// (see Reader for counting them). It returns the first error from emit or
// from r, and nil at the end of r.
func ReadReports(r io.Reader, emit func(deconflict.Report) error) error {
	rd := NewReader(r)
	var m Message
	var rep deconflict.Report
	c := &reportCache{ids: map[uint32]string{}, text: map[string]string{}}
	for {
		if err := rd.Read(&m); err != nil {
			if err == io.EOF {
				return nil
			}
			if _, ok := err.(*Error); ok {
				continue // an undecodable line: skip it
			}
			return err
		}
		if m.report(&rep, c) {
			if err := emit(rep); err != nil {
				return err
			}
		}
	}
}

// Report fills r from m and reports whether m describes a ship or SAR
// aircraft (position types 1, 2, 3, 9, 18, 19, 27; static types 5 and 24).
// Base stations (4, 11) and aids to navigation (21) are not tracks and give
// false. Absent values are deconflict.Unknown: the not-available sentinels
// and out-of-range positions. ID is "mmsi:" and the 9-digit MMSI; Domain is
// Sea, or Air with AltM for a type 9 SAR aircraft; Time is m.Time (zero
// when the feed gives no time). Static reports of ship type 35 or 55 set
// Military (StateShipType); position reports with navigational status at
// anchor or moored set Moored. Name and Callsign allocate.
func (m *Message) Report(r *deconflict.Report) bool { return m.report(r, nil) }

// maxIDCache bounds each of the string caches of ReadReports (ids, names
// and callsigns; tens of bytes each).
const maxIDCache = 1 << 16

// report is Report with an optional cache of ID strings by MMSI.
func (m *Message) report(r *deconflict.Report, c *reportCache) bool {
	switch m.Type {
	case 1, 2, 3, 5, 9, 18, 19, 24, 27:
	default:
		return false
	}
	nan := math.NaN()
	*r = deconflict.Report{
		Time:   m.Time,
		ID:     c.id(m.MMSI),
		Domain: deconflict.Sea,
		Source: "ais",
		Lat:    nan, Lon: nan, AltM: nan, SpeedMS: nan, CourseDeg: nan, ClimbMS: nan,
	}
	switch m.Type {
	case 5, 24:
		var buf [40]byte
		r.Name = c.str(m.AppendShipName(buf[:0]))
		r.Callsign = c.str(m.AppendCallsign(buf[:0]))
		if m.Type == 5 || m.Part != PartA {
			r.Type = ShipTypeText(m.ShipType)
			r.Military = StateShipType(m.ShipType)
		}
		if m.Type == 5 {
			r.Destination = c.str(m.AppendDestination(buf[:0]))
		}
		return true
	case 19:
		var buf [40]byte
		r.Name = c.str(m.AppendShipName(buf[:0]))
		r.Type = ShipTypeText(m.ShipType)
		r.Military = StateShipType(m.ShipType)
	case 9:
		r.Domain = deconflict.Air
		r.Type = "SAR aircraft"
		if alt, ok := m.AltMetres(); ok {
			r.AltM = alt
		}
	}
	lat, okLat := m.LatDeg()
	lon, okLon := m.LonDeg()
	if okLat && okLon {
		r.Lat, r.Lon = lat, lon
	}
	if kn, ok := m.SpeedKnots(); ok {
		r.SpeedMS = kn * deconflict.KnotMS
	}
	if c, ok := m.CourseDeg(); ok {
		r.CourseDeg = c
	}
	switch m.Type {
	case 1, 2, 3:
		r.Moored = m.Status == 1 || m.Status == 5 // at anchor, moored
	}
	return true
}

// StateShipType reports whether an AIS ship type code marks a state
// vessel: 35, military operations, or 55, law enforcement (ITU-R M.1371-5
// Table 53).
func StateShipType(code int) bool { return code == 35 || code == 55 }

// reportCache keeps the strings of reports (ids, names, callsigns) so
// that a stream of reports about the same ships does not allocate them
// again. A nil *reportCache allocates every time.
type reportCache struct {
	ids  map[uint32]string
	text map[string]string
}

func (c *reportCache) id(mmsi uint32) string {
	if c == nil {
		return mmsiID(mmsi)
	}
	id, ok := c.ids[mmsi]
	if !ok {
		if len(c.ids) >= maxIDCache {
			clear(c.ids)
		}
		id = mmsiID(mmsi)
		c.ids[mmsi] = id
	}
	return id
}

func (c *reportCache) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if c == nil {
		return string(b)
	}
	s, ok := c.text[string(b)] // no allocation for the lookup
	if !ok {
		if len(c.text) >= maxIDCache {
			clear(c.text)
		}
		s = string(b)
		c.text[s] = s
	}
	return s
}

// mmsiID formats "mmsi:" and the MMSI in (at least) 9 digits. It allocates the
// string only.
func mmsiID(mmsi uint32) string {
	var b [16]byte // "mmsi:" and up to 10 digits (30 bits)
	copy(b[:], "mmsi:")
	s := strconv.AppendUint(b[5:5], uint64(mmsi), 10)
	n := len(s)
	if n < 9 {
		copy(b[5+9-n:], s)
		for i := 5; i < 5+9-n; i++ {
			b[i] = '0'
		}
		n = 9
	}
	return string(b[:5+n])
}
