package detect_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/sim"
)

// runBatches feeds reports (time-ordered) to e as run does, but hands
// UpdateBatch every report between two ticks at once, as the node hands
// it a feed's batch and Replay a second of a recording.
func runBatches(e *detect.Engine, reports []deconflict.Report) []detect.Event {
	var out []detect.Event
	var next time.Time
	for i := 0; i < len(reports); {
		r := reports[i]
		if next.IsZero() {
			next = r.Time.Truncate(time.Second).Add(time.Second)
		}
		for !r.Time.Before(next) {
			out = append(out, e.Tick(next)...)
			next = next.Add(time.Second)
		}
		j := i + 1
		for j < len(reports) && reports[j].Time.Before(next) {
			j++
		}
		out = append(out, e.UpdateBatch(reports[i:j])...)
		i = j
	}
	return out
}

// eventStrings renders events in full (every field, floats exactly).
func eventStrings(evs []detect.Event) []string {
	out := make([]string, len(evs))
	for i, ev := range evs {
		out[i] = fmt.Sprintf("%+v", ev)
	}
	return out
}

// identical fails unless the two runs' events, open encounters and
// counters (but the entries examined) are the same.
func identical(t *testing.T, what string, seq, bat *detect.Engine, a, b []detect.Event) {
	t.Helper()
	g, w := eventStrings(b), eventStrings(a)
	if !slices.Equal(g, w) {
		for i := range min(len(g), len(w)) {
			if g[i] != w[i] {
				t.Fatalf("%s: %d events in batches, %d one by one; first difference (event %d):\n batch %s\nupdate %s", what, len(g), len(w), i, g[i], w[i])
			}
		}
		t.Fatalf("%s: %d events in batches, %d one by one", what, len(g), len(w))
	}
	if g, w := eventStrings(openEvents(bat)), eventStrings(openEvents(seq)); !slices.Equal(g, w) {
		t.Fatalf("%s: open encounters differ", what)
	}
	s1, s2 := seq.Stats(), bat.Stats()
	s1.Candidate, s2.Candidate = 0, 0
	if s1 != s2 {
		t.Fatalf("%s: stats %+v in batches, %+v one by one", what, s2, s1)
	}
}

func openEvents(e *detect.Engine) []detect.Event {
	var out []detect.Event
	for _, en := range e.Open() {
		out = append(out, detect.Event{Encounter: en})
	}
	return out
}

// TestBatchTrafficBox: BlueSky's traffic box, every pair watched, loaded
// by UpdateBatch (in bulk: the run is every aircraft) gives exactly the
// events of Update on each aircraft in turn, and the engines stay the
// same: the next minute of reports, through Update, gives the same events
// on both.
func TestBatchTrafficBox(t *testing.T) {
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	for _, n := range []int{1000, 4000} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			s := sim.TrafficBox(n, uint64(n), 1000e3, time.Minute)
			var first, next []deconflict.Report
			seen := map[string]bool{}
			for _, r := range s.All() {
				if !seen[r.ID] {
					seen[r.ID] = true
					first = append(first, r)
				} else {
					next = append(next, r)
				}
			}
			// The box's snapshot (one instant), then the moving box's
			// first reports (spread over 5 s).
			for _, load := range [][]deconflict.Report{s.Snapshot(s.Start), first} {
				cfg := detect.Config{Pair: every, Civilian: true}
				seq, bat := MustEngine(t, cfg), MustEngine(t, cfg)
				var a []detect.Event
				for _, r := range load {
					a = append(a, seq.Update(r)...)
				}
				b := bat.UpdateBatch(load)
				opened := 0
				for _, ev := range a {
					if ev.Type == detect.Opened {
						opened++
					}
				}
				if opened < 20 {
					t.Fatalf("only %d encounters", opened)
				}
				identical(t, "load", seq, bat, a, b)
				if load[0].Time.Equal(load[len(load)-1].Time) {
					continue
				}
				a, b = run(seq, next), run(bat, next)
				identical(t, "after the load", seq, bat, a, b)
				t.Logf("%d aircraft, %d encounters at the load, %d events after", n, opened, len(a))
			}
		})
	}
}

// TestBatchMatchesUpdate: on the project's scenarios (the Baltic with its
// zones and shadowing, the realistic load with ships, low aircraft and
// parties, dense traffic on the antimeridian and where three faces of the
// cube meet, ships and low aircraft together, the moving traffic box with
// late reports), feeding every second's reports to UpdateBatch, with
// every run of new tracks loaded in bulk however short, gives exactly the
// events of Update on each report.
func TestBatchMatchesUpdate(t *testing.T) {
	defer detect.SetBulkRun(1, 1<<20)()
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	type tc struct {
		name  string
		cfg   detect.Config
		rs    []deconflict.Report
		zones []detect.Zone
		start time.Time
	}
	baltic := sim.Baltic(1)
	load := sim.Load(8000, 1)
	cases := []tc{
		{"baltic", detect.Config{}, baltic.All(), baltic.Zones, baltic.Start},
		{"load", detect.Config{CompactEvery: time.Minute}, load.Reports(load.Start, load.Start.Add(2*time.Minute)), nil, load.Start},
		{"airsea", detect.Config{AirCellM: 20e3, SeaCellM: 8e3, CompactEvery: 30 * time.Second}, airSeaScenario(1).All(), nil, t0},
		{"box-late", detect.Config{Pair: every, Civilian: true, AirCellM: 20e3}, late(boxScenario(2).All(), 2, 20), nil, t0},
	}
	for _, pl := range places {
		s := denseScenario(pl.at, 1)
		zone := detect.Zone{ID: "z", Owner: "A", Center: geo.Destination(pl.at, 45, 8e3), RadiusM: 4e3, MinAltM: math.NaN(), MaxAltM: 3300}
		cases = append(cases, tc{"dense-" + pl.name, detect.Config{AirCellM: 25e3, SeaCellM: 10e3, CompactEvery: 20 * time.Second}, jitter(s.All(), 2), []detect.Zone{zone}, s.Start})
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seq, bat := MustEngine(t, c.cfg), MustEngine(t, c.cfg)
			for _, z := range c.zones {
				if _, err := seq.AddZone(z, c.start); err != nil {
					t.Fatal(err)
				}
				if _, err := bat.AddZone(z, c.start); err != nil {
					t.Fatal(err)
				}
			}
			a, b := run(seq, c.rs), runBatches(bat, c.rs)
			identical(t, c.name, seq, bat, a, b)
			opened := 0
			for _, ev := range a {
				if ev.Type == detect.Opened {
					opened++
				}
			}
			if opened < 10 {
				t.Fatalf("only %d encounters: the scenario tests too little", opened)
			}
			t.Logf("%d reports, %d events, %d encounters", len(c.rs), len(a), opened)
		})
	}
}

// TestBatchMatchesReference: the moving traffic box fed in batches (every
// run of new tracks in bulk) gives the all-pairs reference's events.
func TestBatchMatchesReference(t *testing.T) {
	defer detect.SetBulkRun(1, 1<<20)()
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rs := boxScenario(seed).All()
			if seed == 2 {
				rs = jitter(rs, seed)
			}
			e := MustEngine(t, detect.Config{Pair: every, Civilian: true, AirCellM: 20e3, CompactEvery: 30 * time.Second})
			got := runBatches(e, rs)
			ref := newAllPairs()
			ref.pair, ref.civilian = every, true
			sameEvents(t, got, runRef(ref, rs), len(rs))
		})
	}
}

// TestBatchOddReports: batches mixing new tracks with reports Update
// ignores (no ID, no position, latitude out of range, unknown domain, no
// time), IDs repeated within the batch, reports older than their track's
// last, tracks changing domain and long IDs give Update's events and
// counters, with runs loaded in bulk between them.
func TestBatchOddReports(t *testing.T) {
	defer detect.SetBulkRun(8, 1<<20)()
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	base := trafficBox(600, 3)
	rng := rand.New(rand.NewPCG(5, 6))
	var batches [][]deconflict.Report
	for round := range 4 {
		var b []deconflict.Report
		for i, r := range base {
			r.Time = r.Time.Add(time.Duration(round) * 5 * time.Second)
			switch k := rng.IntN(40); {
			case k == 0:
				r.ID = ""
			case k == 1:
				r.Lat = math.NaN()
			case k == 2:
				r.Lat = 95
			case k == 3:
				r.Domain = "space"
			case k == 4:
				r.Time = time.Time{}
			case k == 5:
				r.Domain = deconflict.Sea // changes domain
			case k == 6:
				r.ID = fmt.Sprintf("a-callsign-longer-than-fifteen-bytes-%d", i)
			case k == 7 && len(b) > 0:
				b = append(b, b[rng.IntN(len(b))]) // repeated in the batch
			case k == 8:
				r.Time = r.Time.Add(-20 * time.Second) // older than its last
			}
			b = append(b, r)
		}
		batches = append(batches, b)
	}
	cfg := detect.Config{Pair: every, Civilian: true}
	seq, bat := MustEngine(t, cfg), MustEngine(t, cfg)
	var a, b []detect.Event
	for _, rs := range batches {
		for _, r := range rs {
			a = append(a, seq.Update(r)...)
		}
		b = append(b, bat.UpdateBatch(rs)...)
	}
	identical(t, "odd", seq, bat, a, b)
	if st := seq.Stats(); st.Ignored == 0 || st.Open < 5 {
		t.Fatalf("%+v: the batches test too little", st)
	}
}
