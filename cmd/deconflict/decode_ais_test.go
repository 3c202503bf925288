package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
)

// runAIS runs the deconflict command line in process.
func runAIS(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	err = m.Run(context.Background(), args)
	return out.String(), errb.String(), err
}

func TestDecodeAIS(t *testing.T) {
	t.Run("File", func(t *testing.T) {
		out, errs, err := runAIS(t, "", "decode", "--format", "ais", "--errors", "../../testdata/ais/gpsd/sample.aivdm")
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if got, want := len(lines), 97; got != want {
			t.Errorf("%d messages, want %d (gpsdecode -j prints 97)", got, want)
		}
		for i, l := range lines {
			if !json.Valid([]byte(l)) {
				t.Fatalf("line %d is not JSON: %s", i+1, l)
			}
		}
		want := `{"class":"AIS","device":"../../testdata/ais/gpsd/sample.aivdm","type":1,"repeat":0,"mmsi":371798000,"scaled":true,"status":0,"status_text":"Under way using engine","turn":"fastleft","speed":12.3,"accuracy":true,"lon":-123.395383,"lat":48.381633,"course":224.0,"heading":215,"second":33,"maneuver":0,"raim":false,"radio":34017}`
		if lines[0] != want {
			t.Errorf("first message\n%s\nwant\n%s", lines[0], want)
		}
		// --errors names the file, the line and the reason; the decoder
		// goes on after each.
		for _, want := range []string{
			"../../testdata/ais/gpsd/sample.aivdm:978: not an NMEA sentence\n",
			"decode: 97 messages decoded, 1 lines could not be decoded\n",
		} {
			if !strings.Contains(errs, want) {
				t.Errorf("stderr %q does not contain %q", errs, want)
			}
		}
	})
	t.Run("Stdin", func(t *testing.T) {
		in := "$GPZDA,114702.51,27,01,2012,,*66\n!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*30\n!AIVDM,1,1,,B,91b55wi;hbOS@OdQAC062Ch2089h,0*31\n"
		out, errs, err := runAIS(t, in, "decode", "--format", "ais", "-")
		if err != nil {
			t.Fatal(err)
		}
		want := `{"class":"AIS","device":"stdin","type":9,"repeat":0,"mmsi":111232511,"scaled":true,"alt":303,"speed":42,"accuracy":false,"lon":-6.278843,"lat":58.144000,"course":154.5,"second":15,"regional":0,"dte":1,"raim":false,"radio":33392}` + "\n"
		if out != want {
			t.Errorf("got %s want %s", out, want)
		}
		// Without --errors only the count is reported.
		if got, want := errs, "decode: 1 messages decoded, 1 lines could not be decoded\n"; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})
	t.Run("Gzip", func(t *testing.T) {
		out, _, err := runAIS(t, "", "decode", "--format", "ais", "../../testdata/ais/amsa-risky/ais.txt.gz")
		if err != nil {
			t.Fatal(err)
		}
		if got, min := strings.Count(out, "\n"), 33000; got < min {
			t.Errorf("%d messages from the AMSA recording, want at least %d", got, min)
		}
	})
}

func TestReportFormatAIS(t *testing.T) {
	read, ok := reportFormats["ais"]
	if !ok {
		t.Fatal(`reportFormats["ais"] not registered`)
	}
	in := "\\s:rEV02,c:1334337317*58\\!AIVDM,1,1,,B,19NWuLhuRb5QHfCpPcwj`26B0<02,0*5F\n"
	var got []deconflict.Report
	if err := read(strings.NewReader(in), func(r deconflict.Report) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d reports, want 1", len(got))
	}
	r := got[0]
	if r.ID != "mmsi:636091763" || r.Domain != deconflict.Sea || r.Source != "ais" || r.Time.Unix() != 1334337317 || !r.HasPosition() {
		t.Errorf("report %+v", r)
	}
}
