package main

import (
	"fmt"
	"io"

	"github.com/deconflict/deconflict/ais"
)

func init() {
	reportFormats["ais"] = ais.ReadReports
	decodeFormats["ais"] = decodeAIS
}

// decodeAIS writes every AIS message of r as a gpsd-style JSON line. Like
// 'gpsdecode -j' it prints type 24 static reports only once part B has
// joined its part A. The device field is "stdin" for standard input and
// the file name otherwise.
func decodeAIS(r io.Reader, name string, w io.Writer, errw io.Writer) (decoded, failed int, err error) {
	device := name
	if name == "-" || name == "" {
		device = "stdin"
	}
	rd := ais.NewReader(r)
	var m ais.Message
	buf := make([]byte, 0, 1024)
	for {
		if err := rd.Read(&m); err != nil {
			if err == io.EOF {
				return decoded, failed, nil
			}
			le, ok := err.(*ais.Error)
			if !ok {
				return decoded, failed, err
			}
			failed++
			if errw != nil {
				fmt.Fprintf(errw, "%s:%d: %s\n", name, le.Line, le.Reason)
			}
			continue
		}
		if m.Type == 24 && m.Part != ais.PartAB {
			continue
		}
		buf = m.AppendJSON(buf[:0], device)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return decoded, failed, err
		}
		decoded++
	}
}
