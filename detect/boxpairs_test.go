package detect_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/positions"
)

// The flags of TestBoxSnapshotPairs, a helper of the BlueSky comparison
// (scripts/bench-bluesky.py, docs/benchmarks.md), not a check.
var (
	boxSnapshot = flag.String("box.snapshot", "", "TestBoxSnapshotPairs: positions CSV of a traffic box snapshot (deconflict simulate --scenario box --snapshot 0s)")
	boxPairs    = flag.String("box.pairs", "", "TestBoxSnapshotPairs: write the engine's pairs in conflict (a,b with a < b, sorted) to this file")
	boxBatch    = flag.Bool("box.batch", false, "TestBoxSnapshotPairs: load the snapshot with UpdateBatch instead of Update on each report")
	boxOther    = flag.String("box.other", "", "TestBoxSnapshotPairs: pairs found by another detector (a,b per line, further columns ignored): log the pairs only one side has, with the engine's geometry of each")
)

// TestBoxSnapshotPairs runs the engine (every pair watched, the default
// thresholds: 5 NM, 1,000 ft, 300 s) on the snapshot that -box.snapshot
// names (Update on each report, or UpdateBatch with -box.batch), as
// BenchmarkTrafficBox does on the same traffic in memory, and
// writes its pairs in conflict; with -box.other it compares them with
// another detector's (BlueSky's, written by bench-bluesky.py --pairs) and
// logs each pair found by one side only with its distance now, CPA, time
// to CPA, the interval of predicted loss of separation and the vertical
// separation, as the engine computes them (geo.StateBased on the engine's geometry). Skipped
// without -box.snapshot.
func TestBoxSnapshotPairs(t *testing.T) {
	if *boxSnapshot == "" {
		t.Skip("a helper of scripts/bench-bluesky.py: give -box.snapshot FILE")
	}
	f, err := os.Open(*boxSnapshot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rs []deconflict.Report
	if err := positions.ReadAll(bufio.NewReader(f), func(r deconflict.Report) error {
		rs = append(rs, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	cfg := detect.Config{Pair: every, Civilian: true, Tracks: len(rs)}
	var e *detect.Engine
	if *boxBatch {
		e = MustEngine(t, cfg)
		e.UpdateBatch(rs)
	} else {
		e = fill(t, rs, cfg)
	}
	ours := map[[2]string]bool{}
	for _, en := range e.Open() {
		if en.Kind == detect.Approach {
			ours[pairOf(en.A, en.B)] = true
		}
	}
	sorted := slices.SortedFunc(func(yield func([2]string) bool) {
		for p := range ours {
			if !yield(p) {
				return
			}
		}
	}, func(x, y [2]string) int { return strings.Compare(x[0]+","+x[1], y[0]+","+y[1]) })
	t.Logf("aircraft %d, engine pairs in conflict %d", len(rs), len(sorted))
	if *boxPairs != "" {
		var b strings.Builder
		for _, p := range sorted {
			fmt.Fprintf(&b, "%s,%s\n", p[0], p[1])
		}
		if err := os.WriteFile(*boxPairs, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if *boxOther == "" {
		return
	}
	data, err := os.ReadFile(*boxOther)
	if err != nil {
		t.Fatal(err)
	}
	theirs := map[[2]string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fs := strings.Split(line, ",")
		if len(fs) < 2 {
			t.Fatalf("%s:%d: want a,b", *boxOther, i+1)
		}
		theirs[pairOf(fs[0], fs[1])] = true
	}
	motion := map[string]geo.Motion{}
	for _, r := range rs {
		motion[r.ID] = geo.NewMotion(r.Lat, r.Lon, r.AltM, r.SpeedMS, r.CourseDeg, r.ClimbMS)
	}
	both := 0
	explain := func(side string, p [2]string) {
		a, b := motion[p[0]], motion[p[1]]
		const rpz = 5 * deconflict.MetresPerNM
		c, _ := geo.StateBased(a, b, rpz, 1000*deconflict.MetresPerFoot, 300)
		in := "-" // no horizontal loss of 5 NM at all
		if c.CPAM < rpz {
			in = fmt.Sprintf("%.1f..%.1f", c.InS, c.OutS)
		}
		t.Logf("%s only: %s,%s dist_m=%.0f cpa_m=%.0f tcpa_s=%.1f in_s=%s dalt_m=%.2f", side, p[0], p[1], geo.ClosestApproach(a, b).DistanceM, c.CPAM, c.TCPAS, in, b.AltM-a.AltM)
	}
	for _, p := range sorted {
		if theirs[p] {
			both++
		} else {
			explain("engine", p)
		}
	}
	for p := range theirs {
		if !ours[p] {
			explain("other", p)
		}
	}
	t.Logf("both %d, engine only %d, other only %d", both, len(ours)-both, len(theirs)-both)
}

func pairOf(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}
