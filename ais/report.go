package ais

import (
	"bufio"
	"errors"
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
	ids := make(map[uint32]string) // "mmsi:..." strings, reused across reports
	for {
		err := rd.Read(&m)
		var le *Error
		switch {
		case err == io.EOF:
			return nil
		case errors.As(err, &le):
			continue
		case err != nil:
			return err
		}
		if m.report(&rep, ids) {
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
// when the feed gives no time). Name and Callsign allocate.
func (m *Message) Report(r *deconflict.Report) bool { return m.report(r, nil) }

// maxIDCache bounds the ID strings ReadReports keeps (about 40 bytes each).
const maxIDCache = 1 << 16

// report is Report with an optional cache of ID strings by MMSI.
func (m *Message) report(r *deconflict.Report, ids map[uint32]string) bool {
	switch m.Type {
	case 1, 2, 3, 5, 9, 18, 19, 24, 27:
	default:
		return false
	}
	nan := math.NaN()
	*r = deconflict.Report{
		Time:   m.Time,
		ID:     cachedID(m.MMSI, ids),
		Domain: deconflict.Sea,
		Source: "ais",
		Lat:    nan, Lon: nan, AltM: nan, SpeedMS: nan, CourseDeg: nan, ClimbMS: nan,
	}
	switch m.Type {
	case 5, 24:
		if name := m.ShipName(); name != "" {
			r.Name = name
		}
		r.Callsign = m.Callsign()
		if m.Type == 5 || m.Part != PartA {
			r.Type = ShipTypeText(m.ShipType)
		}
		return true
	case 19:
		r.Name = m.ShipName()
		r.Type = ShipTypeText(m.ShipType)
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
	return true
}

func cachedID(mmsi uint32, ids map[uint32]string) string {
	if ids == nil {
		return mmsiID(mmsi)
	}
	id, ok := ids[mmsi]
	if !ok {
		if len(ids) >= maxIDCache {
			clear(ids)
		}
		id = mmsiID(mmsi)
		ids[mmsi] = id
	}
	return id
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
