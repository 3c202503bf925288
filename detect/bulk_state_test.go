package detect

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/geo"
)

// snapshot returns n reports at one instant (the external tests have sim's
// scenarios; sim imports detect): with mixed, ships and aircraft of three
// parties and unattributed, assets and civilian, aircraft low and high, level, climbing and
// descending, over 300 x 300 km; else BlueSky's traffic box, aircraft
// level at 1,000-12,000 m over 1,000 x 1,000 km.
func snapshot(n int, seed uint64, mixed bool) []deconflict.Report {
	rng := rand.New(rand.NewPCG(seed, 99))
	at := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	center := geo.LatLon{Lat: 55, Lon: 20}
	side := 1000e3
	if mixed {
		side = 300e3
	}
	out := make([]deconflict.Report, n)
	for i := range out {
		p := geo.Destination(geo.Destination(center, 90, (rng.Float64()-0.5)*side), 0, (rng.Float64()-0.5)*side)
		r := deconflict.Report{Time: at, ID: fmt.Sprintf("icao:%06x", i), Domain: deconflict.Air, Lat: p.Lat, Lon: p.Lon,
			AltM: 1000 + rng.Float64()*11000, SpeedMS: 100 + rng.Float64()*150, CourseDeg: rng.Float64() * 360}
		if mixed {
			r.Party = []string{"RU", "NATO", "SE", ""}[rng.IntN(4)] // "": unattributed, alone without a Pair hook
			r.Asset = rng.IntN(3) == 0
			switch rng.IntN(4) {
			case 0:
				r.ID, r.Domain, r.AltM, r.SpeedMS = fmt.Sprintf("mmsi:%09d", i), deconflict.Sea, math.NaN(), rng.Float64()*12
			case 1:
				r.AltM, r.SpeedMS, r.ClimbMS = 50+rng.Float64()*1500, 50+rng.Float64()*100, (rng.Float64()-0.5)*10
			case 2:
				r.ClimbMS = (rng.Float64() - 0.5) * 20
			}
		}
		out[i] = r
	}
	return out
}

// TestBulkState: after UpdateBatch loads a run in bulk, the engine's
// state is the one Update on each report leaves (but for the candidate
// loop's stamps): the tracks, their registrations and cell lists, the
// cells' entries, runs and bands, the ID table, the open encounters and
// the counters but the entries examined. Checked on BlueSky's traffic
// box (every pair watched) and on mixed traffic (ships, low aircraft,
// parties), loaded into an empty engine and into one holding tracks.
func TestBulkState(t *testing.T) {
	every := func(a, b string) (Thresholds, bool) { return Thresholds{}, true }
	mixed := snapshot(8000, 3, true)
	cases := []struct {
		name   string
		cfg    Config
		before []deconflict.Report
		run    []deconflict.Report
	}{
		{"box", Config{Pair: every, Civilian: true}, nil, snapshot(3000, 7, false)},
		{"mixed", Config{}, nil, mixed},
		{"mixed-every", Config{Pair: every, Civilian: true}, nil, mixed},
		{"mixed-half", Config{}, mixed[:len(mixed)/2], mixed[len(mixed)/2:]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			seq, bat := mustNew(t, c.cfg), mustNew(t, c.cfg)
			for _, r := range c.before {
				seq.Update(r)
				bat.Update(r)
			}
			var a []Event
			for _, r := range c.run {
				a = append(a, seq.Update(r)...)
			}
			if n := bat.freshRun(c.run); n != len(c.run) || n < bulkMinRun || bulkShare*n < bat.byID.len() {
				t.Fatalf("the run (%d reports, %d fresh) would not be loaded in bulk", len(c.run), n)
			}
			b := bat.UpdateBatch(c.run)
			if fmt.Sprint(a) != fmt.Sprint(b) {
				t.Fatal("events differ")
			}
			if len(a) < 10 {
				t.Fatalf("only %d events", len(a))
			}
			sameState(t, seq, bat)
		})
	}
}

func mustNew(t *testing.T, cfg Config) *Engine {
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// sameState fails unless x and y hold the same state (see TestBulkState).
func sameState(t *testing.T, x, y *Engine) {
	t.Helper()
	if len(x.tracks) != len(y.tracks) || !slices.Equal(x.free, y.free) {
		t.Fatalf("%d tracks (free %v), %d in bulk (free %v)", len(x.tracks), x.free, len(y.tracks), y.free)
	}
	track := func(tr *track) string {
		var encs []uint64
		for _, en := range tr.encs {
			encs = append(encs, en.pub.ID)
		}
		return fmt.Sprintf("%d %d %d %v %v %v %+v %+v %q %v %v %v %v %v %v %v", tr.t, tr.label, tr.domain, tr.live, tr.refReg, tr.still,
			tr.ref, tr.m, tr.id, tr.cells, tr.low, tr.cells2, tr.reg0, tr.reg1, tr.regR, encs)
	}
	for i := range x.tracks {
		if a, b := track(&x.tracks[i]), track(&y.tracks[i]); a != b {
			t.Fatalf("track %d:\n update %s\n   bulk %s", i, a, b)
		}
		if tr := &x.tracks[i]; tr.live {
			j, ok := y.byID.get(tr.id)
			if !ok || j != int32(i) {
				t.Fatalf("track %q: ID table %d %v in bulk, %d", tr.id, j, ok, i)
			}
		}
	}
	if x.byID.len() != y.byID.len() {
		t.Fatalf("ID table: %d, %d in bulk", x.byID.len(), y.byID.len())
	}
	for d := range x.cells {
		if len(x.cells[d]) != len(y.cells[d]) || x.grid[d].Cells() != y.grid[d].Cells() {
			t.Fatalf("grid %d: %d cells, %d in bulk", d, len(x.cells[d]), len(y.cells[d]))
		}
		for c := range x.cells[d] {
			a, b := &x.cells[d][c], &y.cells[d][c]
			if fmt.Sprintf("%+v %+v %v", a.es, a.runs, a.bands) != fmt.Sprintf("%+v %+v %v", b.es, b.runs, b.bands) {
				t.Fatalf("grid %d cell %d:\n update %+v %+v %v\n   bulk %+v %+v %v", d, c, a.es, a.runs, a.bands, b.es, b.runs, b.bands)
			}
		}
	}
	if fmt.Sprint(x.Open()) != fmt.Sprint(y.Open()) {
		t.Fatal("open encounters differ")
	}
	for k, en := range x.open {
		o, ok := y.open[k]
		if !ok || fmt.Sprintf("%+v %d %d %+v %v %v", en.pub, en.a, en.b, en.life, en.alerted, en.alertedAny) != fmt.Sprintf("%+v %d %d %+v %v %v", o.pub, o.a, o.b, o.life, o.alerted, o.alertedAny) {
			t.Fatalf("encounter %x differs", k)
		}
	}
	// The bulk load's encounters come from slabs (newEncounter): each its
	// own storage, and no slab left for the Updates that follow.
	distinct := map[*encounter]bool{}
	for _, en := range y.open {
		if distinct[en] {
			t.Fatalf("encounter %d shares its storage", en.pub.ID)
		}
		distinct[en] = true
	}
	if y.encSlab != nil || y.encChunk != 0 || y.encPtrs != nil {
		t.Fatalf("a slab of %d encounters (chunk %d, %d lists) left after the bulk load", len(y.encSlab), y.encChunk, len(y.encPtrs))
	}
	sx, sy := x.Stats(), y.Stats()
	sx.Candidate, sy.Candidate = 0, 0
	if sx != sy || x.latest != y.latest || x.epoch != y.epoch || x.nextID != y.nextID || len(x.labels) != len(y.labels) {
		t.Fatalf("stats %+v latest %d epoch %d next %d; in bulk %+v %d %d %d", sx, x.latest, x.epoch, x.nextID, sy, y.latest, y.epoch, y.nextID)
	}
}
