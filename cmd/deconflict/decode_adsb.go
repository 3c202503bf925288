package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/adsb"
)

// The ADS-B formats of 'decode' and 'scan': SBS-1 BaseStation lines
// (also stratux recordings), readsb/dump1090 aircraft.json snapshots,
// readsb trace files, the traffic library's JSON exports and raw Mode S
// in the Beast binary format. decode prints one JSON object per message with
// readsb's names and units (see docs/picture.md); scan reads reports in SI
// units, SBS lines merged per aircraft.
func init() {
	decodeFormats[adsb.FormatSBS] = decodeSBS
	decodeFormats[adsb.FormatAircraftJSON] = decodeJSONDocs(aircraftJSONMessages)
	decodeFormats[adsb.FormatTrace] = decodeJSONDocs(traceMessages)
	reportFormats[adsb.FormatSBS] = readSBSReports
	reportFormats[adsb.FormatAircraftJSON] = readJSONDocReports(aircraftJSONMessages)
	reportFormats[adsb.FormatTrace] = readJSONDocReports(traceMessages)
	decodeFormats[adsb.FormatTraffic] = decodeJSONDocs(trafficMessages)
	reportFormats[adsb.FormatTraffic] = readJSONDocReports(trafficMessages)
	decodeFormats[adsb.FormatBeast] = decodeBeast
	reportFormats[adsb.FormatBeast] = readBeastReports
}

// eachBeastFrame calls fn with every Mode S frame (short and long) of a
// Beast byte stream, read in chunks. It returns the number of bytes
// skipped as garbage (or cut off at the end).
func eachBeastFrame(r io.Reader, fn func(n int, f adsb.BeastFrame) error) (skipped int, err error) {
	buf := make([]byte, 0, 128<<10)
	chunk := make([]byte, 64<<10)
	n := 0
	for {
		k, rerr := r.Read(chunk)
		buf = append(buf, chunk[:k]...)
		frames, consumed, sk := adsb.ParseBeast(buf)
		skipped += sk
		for _, f := range frames {
			n++
			if f.Type == '1' { // Mode A/C: no identity to attach it to
				continue
			}
			if err := fn(n, f); err != nil {
				return skipped, err
			}
		}
		buf = append(buf[:0], buf[consumed:]...)
		if errors.Is(rerr, io.EOF) {
			return skipped + len(buf), nil
		}
		if rerr != nil {
			return skipped, rerr
		}
	}
}

func decodeBeast(r io.Reader, name string, w io.Writer, errw io.Writer) (decoded, failed int, err error) {
	var d adsb.ModeSDecoder
	var buf []byte
	skipped, err := eachBeastFrame(r, func(n int, f adsb.BeastFrame) error {
		m, ok, derr := d.Decode(f.Data, f.Timestamp)
		if derr != nil {
			failed++
			if errw != nil {
				fmt.Fprintf(errw, "%s: frame %d: %s\n", name, n, errorText(derr))
			}
			return nil
		}
		if !ok {
			return nil
		}
		decoded++
		buf = append(m.AppendJSON(buf[:0]), '\n')
		_, werr := w.Write(buf)
		return werr
	})
	if skipped > 0 {
		failed++
		if errw != nil {
			fmt.Fprintf(errw, "%s: %d bytes outside Beast frames skipped\n", name, skipped)
		}
	}
	return decoded, failed, err
}

func readBeastReports(r io.Reader, emit func(deconflict.Report) error) error {
	var d adsb.ModeSDecoder
	_, err := eachBeastFrame(r, func(n int, f adsb.BeastFrame) error {
		m, ok, err := d.Decode(f.Data, f.Timestamp)
		if err != nil || !ok {
			return nil
		}
		if rep, ok := d.Merge(&m); ok {
			return emit(rep)
		}
		return nil
	})
	return err
}

// maxSBSLine is the longest SBS line read (bytes); a complete line is
// under 200 bytes, stratux recordings have runs of NUL padding.
const maxSBSLine = 1 << 20

func decodeSBS(r io.Reader, name string, w io.Writer, errw io.Writer) (decoded, failed int, err error) {
	var d adsb.SBSDecoder
	buf := make([]byte, 0, 512)
	err = eachLine(r, func(n int, line []byte) error {
		m, ok, derr := d.Decode(line)
		if derr != nil {
			failed++
			if errw != nil {
				fmt.Fprintf(errw, "%s:%d: %s\n", name, n, errorText(derr))
			}
			return nil
		}
		if !ok {
			return nil
		}
		decoded++
		buf = append(m.AppendJSON(buf[:0]), '\n')
		_, werr := w.Write(buf)
		return werr
	})
	return decoded, failed, err
}

func readSBSReports(r io.Reader, emit func(deconflict.Report) error) error {
	var d adsb.SBSDecoder
	return eachLine(r, func(n int, line []byte) error {
		m, ok, err := d.Decode(line)
		if err != nil || !ok {
			return nil
		}
		if rep, ok := d.Merge(&m); ok {
			return emit(rep)
		}
		return nil
	})
}

// eachLine calls fn with every line of r and its number (from 1). A line
// longer than maxSBSLine is an error that stops reading.
func eachLine(r io.Reader, fn func(n int, line []byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxSBSLine)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(n, sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

// jsonDocMessages decodes one JSON document into messages and the errors
// of its parts that could not be decoded.
type jsonDocMessages func(doc []byte) ([]adsb.Message, []error, error)

func aircraftJSONMessages(doc []byte) ([]adsb.Message, []error, error) {
	s, err := adsb.ParseAircraftJSON(doc)
	if err != nil {
		return nil, nil, err
	}
	return s.Aircraft, s.Errors, nil
}

func trafficMessages(doc []byte) ([]adsb.Message, []error, error) {
	t, err := adsb.ParseTrafficJSON(doc)
	if err != nil {
		return nil, nil, err
	}
	return t.Points, t.Errors, nil
}

func traceMessages(doc []byte) ([]adsb.Message, []error, error) {
	t, err := adsb.ParseTrace(doc)
	if err != nil {
		return nil, nil, err
	}
	return t.Points, t.Errors, nil
}

// eachJSONDoc calls fn with every JSON document of r: one (a file written
// by readsb), one per line (a recording of snapshots; a bad line is
// reported to bad and skipped), or several pretty-printed one after
// another. In that last form a syntax error ends the input: it is
// reported to bad and reading stops, since the next document cannot be
// found reliably.
func eachJSONDoc(r io.Reader, fn func(n int, doc []byte) error, bad func(n int, err error)) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var first []byte
	for len(bytes.TrimSpace(first)) == 0 {
		line, err := br.ReadBytes('\n')
		first = line
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return err
			}
			break
		}
	}
	if len(bytes.TrimSpace(first)) == 0 {
		return nil
	}
	if json.Valid(first) {
		// One document per line.
		n := 1
		if err := fn(n, bytes.TrimSpace(first)); err != nil {
			return err
		}
		for {
			line, err := br.ReadBytes('\n')
			if line = bytes.TrimSpace(line); len(line) > 0 {
				n++
				if !json.Valid(line) {
					bad(n, fmt.Errorf("line %d: not a complete JSON document; skipped", n))
				} else if ferr := fn(n, line); ferr != nil {
					return ferr
				}
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					return nil
				}
				return err
			}
		}
	}
	dec := json.NewDecoder(io.MultiReader(bytes.NewReader(first), br))
	for n := 1; ; n++ {
		var raw json.RawMessage
		err := dec.Decode(&raw)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var se *json.SyntaxError
			if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) {
				bad(n, fmt.Errorf("offset %d: %v; rest of input skipped", dec.InputOffset(), err))
				return nil
			}
			return err
		}
		if err := fn(n, raw); err != nil {
			return err
		}
	}
}

func decodeJSONDocs(parse jsonDocMessages) decodeFunc {
	return func(r io.Reader, name string, w io.Writer, errw io.Writer) (decoded, failed int, err error) {
		report := func(n int, err error) {
			failed++
			if errw != nil {
				fmt.Fprintf(errw, "%s: document %d: %s\n", name, n, errorText(err))
			}
		}
		var buf []byte
		err = eachJSONDoc(r, func(n int, doc []byte) error {
			msgs, errs, perr := parse(doc)
			if perr != nil {
				report(n, perr)
				return nil
			}
			for _, e := range errs {
				report(n, e)
			}
			for i := range msgs {
				decoded++
				buf = append(msgs[i].AppendJSON(buf[:0]), '\n')
				if _, err := w.Write(buf); err != nil {
					return err
				}
			}
			return nil
		}, report)
		return decoded, failed, err
	}
}

func readJSONDocReports(parse jsonDocMessages) reportFormat {
	return func(r io.Reader, emit func(deconflict.Report) error) error {
		return eachJSONDoc(r, func(n int, doc []byte) error {
			msgs, _, err := parse(doc)
			if err != nil {
				return nil
			}
			for i := range msgs {
				if err := emit(msgs[i].Report()); err != nil {
					return err
				}
			}
			return nil
		}, func(int, error) {})
	}
}

// errorText is the message of a decoder's *deconflict.Error, else the
// error itself (a syntax error of the JSON stream).
func errorText(err error) string {
	var e *deconflict.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
