package detect_test

import (
	"os"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/ais"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/detect"
)

// readAIS reads an AIS recording and classifies its reports as a live
// node and scan do (attrib: the flag's alliance, state marks remembered
// per MMSI), keeping those with a position.
func readAIS(t *testing.T, path string) []deconflict.Report {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := attrib.NewTracks(attrib.Default())
	var rs []deconflict.Report
	err = ais.ReadReports(f, func(r deconflict.Report) error {
		c.Classify(&r)
		if r.HasPosition() && !r.Time.IsZero() {
			rs = append(rs, r)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// TestRecordingDMA: the Danish Maritime Authority's recording (27 s of
// real traffic off Denmark, merchant ships of NATO and other flags, no
// state ship among them) raises no encounter under the default rules,
// live or in the replay, where it raised 11 live alerts between merchant
// ships before (issue 12). With civilian pairs watched the same engine
// finds them, so it is the relevance rule that removes them.
func TestRecordingDMA(t *testing.T) {
	rs := readAIS(t, "../testdata/ais/dma-aislib/stream_example.txt")
	if len(rs) < 2000 {
		t.Fatalf("%d reports: the recording did not decode", len(rs))
	}
	assets := 0
	for _, r := range rs {
		if r.Asset {
			assets++
		}
	}
	if assets != 0 {
		t.Fatalf("%d reports of state assets: the recording was thought to have none", assets)
	}
	evs := run(MustEngine(t, detect.Config{}), rs)
	for _, ev := range evs {
		t.Errorf("event %s between civilian tracks", summary([]detect.Event{ev}))
	}
	rows, _, err := detect.Replay(rs, detect.Config{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		t.Errorf("encounter %s/%s (%s, %s) between civilian tracks", r.A, r.B, r.PartyA, r.PartyB)
	}
	widened := run(MustEngine(t, detect.Config{Civilian: true}), rs)
	opened := 0
	for _, ev := range widened {
		if ev.Type == detect.Opened {
			opened++
		}
	}
	if opened < 5 {
		t.Fatalf("with civilian pairs watched only %d openings: the recording tests nothing", opened)
	}
	t.Logf("%d reports; civilian pairs watched: %d openings", len(rs), opened)
}
