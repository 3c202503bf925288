package detect_test

import (
	"bufio"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/positions"
)

// Optional additions to TestBlueSkyPairs (without them it checks the
// committed cases only, never less): another snapshot and BlueSky's pairs
// for it, checked the same way (the 50,000 of docs/benchmarks.md), and a
// directory to write the engine's pairs of every case to.
var (
	blueskySnapshot = flag.String("bluesky.snapshot", "", "TestBlueSkyPairs: also check this positions CSV (deconflict simulate --scenario box --snapshot 0s; .gz read as gzip) ...")
	blueskyPairs    = flag.String("bluesky.pairs", "", "TestBlueSkyPairs: ... against these pairs of BlueSky's (scripts/bench-bluesky.py --pairs: a,b per line, further columns ignored)")
	blueskyWrite    = flag.String("bluesky.write", "", "TestBlueSkyPairs: write the engine's pairs in conflict of each case (a,b with a < b, sorted) to DIR/engineN.pairs")
)

// BlueSky's conflict-detection defaults (asas_pzr, asas_pzh,
// asas_dtlookahead), written here rather than taken from detect: the
// engine's defaults are what is checked.
const (
	bsRPZ       = 5 * deconflict.MetresPerNM
	bsHPZ       = 1000 * deconflict.MetresPerFoot
	bsLookahead = 300.0
)

// The edges of the thresholds within which the engine and BlueSky may
// decide a pair differently (BlueSky's flat earth on a sphere of 6,371 km
// against the engine's ellipsoid: distances 0.3-0.4% apart, up to 586 m
// at CPA in these snapshots), measured by the engine's own geometry.
const (
	edgeCPA      = 0.025 * bsRPZ // CPA within 2.5% of 5 NM
	edgeEntryS   = 20.0          // entry into loss of separation within 20 s of 300 s
	edgeVertical = 1e-3          // |Δalt| within 1 mm of 1,000 ft
	edgeNow      = 0.01 * bsRPZ  // the distance now within 1% of 5 NM, diverging
)

// TestBlueSkyPairs checks the engine's pairs in conflict against an
// independent implementation's: BlueSky's compiled CStateBased (TU Delft,
// not in the project; see testdata/bluesky/README.md), run on traffic box
// snapshots of the project's simulator. With every pair watched and the
// default thresholds (5 NM, 1,000 ft, 300 s, BlueSky's too), loaded by
// Update on each report and, separately, by UpdateBatch, the engine must
// find the same pair sets both ways; the pairs both it and BlueSky find
// must be at least 98% of each side's; and every pair only one side finds
// must sit on an edge of the thresholds by the engine's own geometry
// (geo.StateBased): CPA within 2.5% of 5 NM, entry into loss of separation
// within 20 s of the 300 s lookahead, vertical separation within 1 mm of
// 1,000 ft, or the distance now within 1% of 5 NM while diverging. A pair
// off every edge is a disagreement the two geometries do not explain.
func TestBlueSkyPairs(t *testing.T) {
	type bcase struct{ name, snapshot, pairs string }
	dir := filepath.Join("testdata", "bluesky")
	cases := []bcase{
		{"2000", filepath.Join(dir, "box2000.csv"), filepath.Join(dir, "cstatebased2000.pairs")},
		{"10000", filepath.Join(dir, "box10000.csv.gz"), filepath.Join(dir, "cstatebased10000.pairs")},
	}
	if (*blueskySnapshot == "") != (*blueskyPairs == "") {
		t.Fatal("-bluesky.snapshot and -bluesky.pairs go together")
	}
	if *blueskySnapshot != "" {
		cases = append(cases, bcase{"flag", *blueskySnapshot, *blueskyPairs})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rs := bsReadSnapshot(t, c.snapshot)
			theirs := bsReadPairs(t, c.pairs)
			ours := bsEnginePairs(t, rs, false)
			if batch := bsEnginePairs(t, rs, true); !maps.Equal(ours, batch) {
				t.Errorf("Update and UpdateBatch differ: %d pairs against %d, %d only by Update, %d only by UpdateBatch",
					len(ours), len(batch), len(bsMinus(ours, batch)), len(bsMinus(batch, ours)))
			}
			if *blueskyWrite != "" {
				bsWritePairs(t, filepath.Join(*blueskyWrite, "engine"+strconv.Itoa(len(rs))+".pairs"), ours)
			}
			oursOnly, theirsOnly := bsMinus(ours, theirs), bsMinus(theirs, ours)
			both := len(ours) - len(oursOnly)
			t.Logf("aircraft %d: BlueSky %d pairs, engine %d, both %d, engine only %d, BlueSky only %d",
				len(rs), len(theirs), len(ours), both, len(oursOnly), len(theirsOnly))
			if len(ours) == 0 || len(theirs) == 0 {
				t.Fatalf("no pairs: engine %d, BlueSky %d", len(ours), len(theirs))
			}
			for side, n := range map[string]int{"engine": len(ours), "BlueSky": len(theirs)} {
				if float64(both) < 0.98*float64(n) {
					t.Errorf("pairs both find: %d, %.2f%% of the %s's %d (want at least 98%%)", both, 100*float64(both)/float64(n), side, n)
				}
			}
			motion := make(map[string]geo.Motion, len(rs))
			for _, r := range rs {
				motion[r.ID] = geo.NewMotion(r.Lat, r.Lon, r.AltM, r.SpeedMS, r.CourseDeg, r.ClimbMS)
			}
			type tally struct {
				n      int
				maxOff float64
			}
			edges := map[string]tally{}
			check := func(side string, ps [][2]string) {
				for _, p := range ps {
					edge, off, why := bsEdge(motion[p[0]], motion[p[1]])
					if edge == "" {
						t.Errorf("%s only, on no edge of the thresholds: %s,%s %s", side, p[0], p[1], why)
						continue
					}
					k := side + " only, " + edge
					edges[k] = tally{edges[k].n + 1, max(edges[k].maxOff, off)}
				}
			}
			check("engine", oursOnly)
			check("BlueSky", theirsOnly)
			for _, k := range slices.Sorted(maps.Keys(edges)) {
				t.Logf("%s: %d pairs, at most %.3g off", k, edges[k].n, edges[k].maxOff)
			}
		})
	}
}

// bsEdge names the edge of the thresholds the pair a, b sits on by the
// engine's geometry and how far from it the pair is, or returns "" and
// the geometry.
func bsEdge(a, b geo.Motion) (edge string, off float64, why string) {
	c, _ := geo.StateBased(a, b, bsRPZ, bsHPZ, bsLookahead)
	dist := geo.ClosestApproach(a, b).DistanceM
	dalt := b.AltM - a.AltM
	switch {
	case math.Abs(math.Abs(dalt)-bsHPZ) <= edgeVertical:
		return "vertical separation 1,000 ft (m off)", math.Abs(math.Abs(dalt) - bsHPZ), ""
	case math.Abs(c.CPAM-bsRPZ) <= edgeCPA:
		return "CPA at 5 NM (% off)", 100 * math.Abs(c.CPAM-bsRPZ) / bsRPZ, ""
	case c.CPAM < bsRPZ && math.Abs(c.InS-bsLookahead) <= edgeEntryS:
		return "entry at 300 s (s off)", math.Abs(c.InS - bsLookahead), ""
	case math.Abs(dist-bsRPZ) <= edgeNow && c.TCPAS < 0:
		return "at 5 NM now, diverging (% off)", 100 * math.Abs(dist-bsRPZ) / bsRPZ, ""
	}
	in := "-"
	if c.CPAM < bsRPZ {
		in = fmt.Sprintf("%.1f..%.1f", c.InS, c.OutS)
	}
	return "", 0, fmt.Sprintf("dist_m=%.0f cpa_m=%.0f tcpa_s=%.1f in_s=%s dalt_m=%.3f", dist, c.CPAM, c.TCPAS, in, dalt)
}

// bsEnginePairs runs an engine watching every pair with the default
// thresholds on rs (Update on each report, or UpdateBatch on them all)
// and returns its pairs in conflict.
func bsEnginePairs(t *testing.T, rs []deconflict.Report, batch bool) map[[2]string]bool {
	t.Helper()
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	e := MustEngine(t, detect.Config{Pair: every, Civilian: true, Tracks: len(rs)})
	if batch {
		e.UpdateBatch(rs)
	} else {
		for _, r := range rs {
			e.Update(r)
		}
	}
	ps := map[[2]string]bool{}
	for _, en := range e.Open() {
		if en.Kind == detect.Approach {
			ps[pairOf(en.A, en.B)] = true
		}
	}
	return ps
}

func bsReadSnapshot(t *testing.T, name string) []deconflict.Report {
	t.Helper()
	f, err := os.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = bufio.NewReader(f)
	if strings.HasSuffix(name, ".gz") {
		z, err := gzip.NewReader(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer z.Close()
		r = bufio.NewReader(z)
	}
	var rs []deconflict.Report
	if err := positions.ReadAll(r, func(r deconflict.Report) error {
		rs = append(rs, r)
		return nil
	}); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rs) == 0 {
		t.Fatalf("%s: no reports", name)
	}
	return rs
}

func bsReadPairs(t *testing.T, name string) map[[2]string]bool {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	ps := map[[2]string]bool{}
	for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		fs := strings.Split(line, ",")
		if len(fs) < 2 || fs[0] == "" || fs[1] == "" || fs[0] == fs[1] {
			t.Fatalf("%s:%d: want a,b: %q", name, i+1, line)
		}
		ps[pairOf(fs[0], fs[1])] = true
	}
	return ps
}

func bsWritePairs(t *testing.T, name string, ps map[[2]string]bool) {
	t.Helper()
	var b strings.Builder
	for _, p := range bsSorted(ps) {
		fmt.Fprintf(&b, "%s,%s\n", p[0], p[1])
	}
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bsMinus returns the pairs of x not in y, sorted.
func bsMinus(x, y map[[2]string]bool) [][2]string {
	var out [][2]string
	for _, p := range bsSorted(x) {
		if !y[p] {
			out = append(out, p)
		}
	}
	return out
}

func bsSorted(ps map[[2]string]bool) [][2]string {
	return slices.SortedFunc(maps.Keys(ps), func(x, y [2]string) int {
		if c := strings.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return strings.Compare(x[1], y[1])
	})
}

func pairOf(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}
