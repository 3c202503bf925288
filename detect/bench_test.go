package detect_test

import (
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/sim"
)

// loadSet is a sim.Load scenario split into a first report per track (a
// full pass) and the minute of reports that follows (incremental updates).
type loadSet struct {
	first, next []deconflict.Report
}

var (
	loadMu   sync.Mutex
	loadSets = map[int]*loadSet{}
	firsts   = map[int][]deconflict.Report{}
)

// loadReports returns the first reports and the minute that follows.
func loadReports(n int) *loadSet {
	loadMu.Lock()
	defer loadMu.Unlock()
	if s, ok := loadSets[n]; ok {
		return s
	}
	sc := sim.Load(n, 1)
	ls := &loadSet{}
	seen := make(map[string]bool, n)
	for _, r := range sc.Reports(sc.Start, sc.Start.Add(10*time.Second)) {
		if !seen[r.ID] {
			seen[r.ID] = true
			ls.first = append(ls.first, r)
		} else {
			ls.next = append(ls.next, r)
		}
	}
	ls.next = append(ls.next, sc.Reports(sc.Start.Add(10*time.Second), sc.Start.Add(70*time.Second))...)
	loadSets[n] = ls
	return ls
}

// firstReports returns the first report of every track of sim.Load(n, 1)
// (as loadReports, without keeping the minute that follows: the full
// pass benchmarks hold only what the engine is given, so that the
// collector's work is the engine's).
func firstReports(n int) []deconflict.Report {
	loadMu.Lock()
	defer loadMu.Unlock()
	if s, ok := loadSets[n]; ok {
		return s.first
	}
	if rs, ok := firsts[n]; ok {
		return rs
	}
	sc := sim.Load(n, 1)
	seen := make(map[string]bool, n)
	var rs []deconflict.Report
	for _, r := range sc.Reports(sc.Start, sc.Start.Add(10*time.Second)) {
		if !seen[r.ID] {
			seen[r.ID] = true
			rs = append(rs, r)
		}
	}
	firsts[n] = rs
	return rs
}

func fill(tb testing.TB, rs []deconflict.Report, cfg detect.Config) *detect.Engine {
	e := MustEngine(tb, cfg)
	for _, r := range rs {
		e.Update(r)
	}
	return e
}

// BenchmarkFullPass: N tracks (sim.Load, realistic density) inserted into
// an empty engine, each compared with its candidates: every pair within
// reach evaluated once; by Update on each report (N=...) and by
// UpdateBatch on them all (batch/N=..., as the node hands it a feed's
// first batch).
func BenchmarkFullPass(b *testing.B) {
	for _, batch := range []bool{false, true} {
		for _, n := range []int{10_000, 50_000, 200_000} {
			name := fmt.Sprintf("N=%d", n)
			if batch {
				name = "batch/" + name
			}
			b.Run(name, func(b *testing.B) { fullPass(b, n, batch) })
		}
	}
}

func fullPass(b *testing.B, n int, batch bool) {
	{
		{
			first := firstReports(n)
			b.ResetTimer()
			var st detect.Stats
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				var e *detect.Engine
				if batch {
					e = MustEngine(b, detect.Config{Tracks: n})
					e.UpdateBatch(first)
				} else {
					e = fill(b, first, detect.Config{Tracks: n})
				}
				st = e.Stats()
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/pass")
			b.ReportMetric(sec, "s/pass")
			b.ReportMetric(sec*1e9/float64(n), "ns/track")
			b.ReportMetric(float64(st.Pairs)/float64(n), "pairs/track")
			b.ReportMetric(float64(st.Candidate)/float64(n), "entries/track")
			b.ReportMetric(float64(st.Open), "encounters")
		}
	}
}

// BenchmarkFullPassBruteForce: the same with every pair compared by the
// all-pairs reference of the tests (allPairs), at N = 10,000 and 50,000 only: it grows as N².
func BenchmarkFullPassBruteForce(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			first := firstReports(n)
			b.ResetTimer()
			var st detect.Stats
			for i := 0; i < b.N; i++ {
				r := newAllPairs()
				for _, rep := range first {
					r.Update(rep)
				}
				st = detect.Stats{Open: len(r.open), Pairs: r.Pairs}
			}
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(sec, "s/pass")
			b.ReportMetric(sec*1e9/float64(n), "ns/track")
			b.ReportMetric(float64(st.Open), "encounters")
		})
	}
}

// BenchmarkUpdate: incremental updates on a loaded (and compacted) engine:
// the next minute of reports of every track, in time order.
func BenchmarkUpdate(b *testing.B) {
	for _, n := range []int{10_000, 50_000, 200_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			ls := loadReports(n)
			e := fill(b, ls.first, detect.Config{})
			e.Compact() // as Tick does every few minutes
			// The set-up's garbage (the reports split, an earlier run's
			// engine) is collected before the clock starts, not during the
			// updates.
			runtime.GC()
			b.ResetTimer()
			k := 0
			cpu := cpuTime()
			var busy time.Duration
			for i := 0; i < b.N; i++ {
				if k == len(ls.next) {
					b.StopTimer()
					c := cpuTime()
					e = fill(b, ls.first, detect.Config{})
					e.Compact()
					runtime.GC()
					busy += cpuTime() - c
					k = 0
					b.StartTimer()
				}
				e.Update(ls.next[k])
				k++
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
			b.ReportMetric(float64(b.N)/(cpuTime()-cpu-busy).Seconds(), "updates/cpu-s")
		})
	}
}

// BenchmarkCompact: one Compact of N tracks.
func BenchmarkCompact(b *testing.B) {
	n := 200_000
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
		ls := loadReports(n)
		e := fill(b, ls.first, detect.Config{})
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e.Compact()
		}
	})
}

// BenchmarkTick: one Tick over N live tracks (none lost).
func BenchmarkTick(b *testing.B) {
	n := 200_000
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
		ls := loadReports(n)
		e := fill(b, ls.first, detect.Config{})
		at := ls.first[len(ls.first)-1].Time
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			e.Tick(at)
		}
	})
}

// BenchmarkMemory reports the heap held per track by a loaded engine.
func BenchmarkMemory(b *testing.B) {
	for _, n := range []int{10_000, 200_000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			first := firstReports(n)
			var perTrack float64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				e := fill(b, first, detect.Config{})
				runtime.GC()
				runtime.ReadMemStats(&after)
				perTrack = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(e)
			}
			b.ReportMetric(perTrack, "B/track")
		})
	}
}

// BenchmarkMemoryParties: the heap held per track with the tracks' party
// labels spread over 10 and over 10,000 parties, every pair watched (as
// `scan` with a label per aircraft): the pair cache's memory does not
// depend on the number of parties.
func BenchmarkMemoryParties(b *testing.B) {
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, a != b }
	const n = 10_000
	for _, parties := range []int{10, 10_000} {
		b.Run(fmt.Sprintf("N=%d/parties=%d", n, parties), func(b *testing.B) {
			first := slices.Clone(firstReports(n))
			for i := range first {
				first[i].Party = fmt.Sprintf("P%d", i%parties)
			}
			var perTrack float64
			for i := 0; i < b.N; i++ {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				e := fill(b, first, detect.Config{Pair: every, Civilian: true})
				runtime.GC()
				runtime.ReadMemStats(&after)
				perTrack = float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
				runtime.KeepAlive(e)
			}
			b.ReportMetric(perTrack, "B/track")
		})
	}
}

// airSnapshot returns the aircraft of sim.Load(n, 1) all at 10 s after its
// start: what `deconflict simulate --scenario load --n N --snapshot 10s`
// writes, which scripts/bench-bluesky.py feeds to BlueSky's detection.
func airSnapshot(n int) []deconflict.Report {
	sc := sim.Load(n, 1)
	var out []deconflict.Report
	for _, r := range sc.Snapshot(sc.Start.Add(10 * time.Second)) {
		if r.Domain == deconflict.Air {
			out = append(out, r)
		}
	}
	return out
}

// BenchmarkBlueSkySnapshot: a full pass over the aircraft of a load
// snapshot with every pair watched, as BlueSky's state-based detection
// checks every pair (5 NM, 1,000 ft, 300 s: the advisory tier), to compare
// with scripts/bench-bluesky.py on the same snapshot. conflict_pairs is the
// number of pairs with an encounter open.
func BenchmarkBlueSkySnapshot(b *testing.B) {
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	for _, n := range []int{10_000, 25_000, 50_000} {
		rs := airSnapshot(n)
		b.Run(fmt.Sprintf("aircraft=%d", len(rs)), func(b *testing.B) {
			var st detect.Stats
			for i := 0; i < b.N; i++ {
				e := fill(b, rs, detect.Config{Pair: every, Civilian: true, Tracks: len(rs)})
				st = e.Stats()
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pass")
			b.ReportMetric(float64(st.Open), "conflict_pairs")
		})
	}
}

// trafficBox is BlueSky's traffic box (issue 18, sim.TrafficBox): n
// aircraft uniform over 1,000 x 1,000 km around 55N 20E, altitudes
// uniform 1,000-12,000 m, ground speeds 100-250 m/s, random tracks, level
// flight, all at one instant: what `deconflict simulate --scenario box
// --n N --snapshot 0s` writes, which scripts/bench-bluesky.py feeds to
// BlueSky's detection.
func trafficBox(n int, seed uint64) []deconflict.Report {
	s := sim.TrafficBox(n, seed, 1000e3, time.Minute)
	return s.Snapshot(s.Start)
}

// naiveGrid is the simplest index for the traffic box, as issue 18
// describes it: a uniform grid of flat local coordinates with cells of
// rpz + 2 vmax lookahead and altitude bands of 1,000 ft; each aircraft is
// compared (geo.StateBased, 5 NM, 1,000 ft, 300 s) with those of the 3x3
// cells around it and the bands within the vertical threshold. It returns
// the pairs in conflict.
func naiveGrid(rs []deconflict.Report) int {
	const rpz, hpz, look, vmax = 5 * deconflict.MetresPerNM, 1000 * deconflict.MetresPerFoot, 300.0, 250.0
	const cell, band = rpz + 2*vmax*look, 1000 * deconflict.MetresPerFoot
	type key struct{ x, y, z int }
	ms := make([]geo.Motion, len(rs))
	keys := make([]key, len(rs))
	grid := map[key][]int32{}
	cosLat := math.Cos(55 * math.Pi / 180)
	for i, r := range rs {
		ms[i] = geo.NewMotion(r.Lat, r.Lon, r.AltM, r.SpeedMS, r.CourseDeg, r.ClimbMS)
		k := key{int(math.Floor(r.Lon * 111320 * cosLat / cell)), int(math.Floor(r.Lat * 110574 / cell)), int(math.Floor(r.AltM / band))}
		keys[i] = k
		grid[k] = append(grid[k], int32(i))
	}
	n := 0
	for i, k := range keys {
		for dx := -1; dx <= 1; dx++ {
			for dy := -1; dy <= 1; dy++ {
				for dz := -1; dz <= 1; dz++ {
					for _, j := range grid[key{k.x + dx, k.y + dy, k.z + dz}] {
						if int(j) > i {
							if _, ok := geo.StateBased(ms[i], ms[j], rpz, hpz, look); ok {
								n++
							}
						}
					}
				}
			}
		}
	}
	return n
}

// BenchmarkTrafficBox: a full pass over BlueSky's traffic box with every
// pair watched, the engine (engine-batch: the snapshot handed to
// UpdateBatch, as the node and scan hand it a batch; engine: Update on
// each report) against the naive grid with altitude bands in the same
// process (issue 18). conflict_pairs: the engine's open
// encounters and the grid's pairs in conflict, which agree away from the
// boundary (the grid's flat cells are only an index; both evaluate pairs
// with geo.StateBased).
func BenchmarkTrafficBox(b *testing.B) {
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	for _, n := range []int{2_000, 5_000, 10_000, 50_000} {
		rs := trafficBox(n, 1)
		b.Run(fmt.Sprintf("engine/N=%d", n), func(b *testing.B) {
			var st detect.Stats
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				e := fill(b, rs, detect.Config{Pair: every, Civilian: true, Tracks: n})
				st = e.Stats()
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/pass")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pass")
			b.ReportMetric(float64(st.Open), "conflict_pairs")
			b.ReportMetric(float64(st.Pairs)/float64(n), "pairs/track")
			b.ReportMetric(float64(st.Candidate)/float64(n), "entries/track")
		})
		b.Run(fmt.Sprintf("engine-batch/N=%d", n), func(b *testing.B) {
			var st detect.Stats
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				e := MustEngine(b, detect.Config{Pair: every, Civilian: true, Tracks: n})
				e.UpdateBatch(rs)
				st = e.Stats()
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/pass")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pass")
			b.ReportMetric(float64(st.Open), "conflict_pairs")
			b.ReportMetric(float64(st.Pairs)/float64(n), "pairs/track")
			b.ReportMetric(float64(st.Candidate)/float64(n), "entries/track")
		})
		b.Run(fmt.Sprintf("naive-grid/N=%d", n), func(b *testing.B) {
			pairs := 0
			cpu := cpuTime()
			for i := 0; i < b.N; i++ {
				pairs = naiveGrid(rs)
			}
			b.ReportMetric((cpuTime()-cpu).Seconds()/float64(b.N), "cpu-s/pass")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/pass")
			b.ReportMetric(float64(pairs), "conflict_pairs")
		})
	}
}

// BenchmarkTrafficBoxUpdates: the engine's predictive updates on the
// moving traffic box (sim.TrafficBox, 10,000 aircraft reporting every 5 s,
// every pair watched): the first report of every aircraft loads the
// engine, and the next 55 s of reports (110,000) are timed, as
// Tile38's roaming geofence is given them (`deconflict simulate
// --scenario box --n 10000 --duration 1m`, see docs/benchmarks.md).
func BenchmarkTrafficBoxUpdates(b *testing.B) {
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	const n = 10_000
	s := sim.TrafficBox(n, 1, 1000e3, time.Minute)
	var first, next []deconflict.Report
	seen := make(map[string]bool, n)
	for _, r := range s.All() {
		if !seen[r.ID] {
			seen[r.ID] = true
			first = append(first, r)
		} else {
			next = append(next, r)
		}
	}
	b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
		cfg := detect.Config{Pair: every, Civilian: true, Tracks: n}
		e := fill(b, first, cfg)
		b.ResetTimer()
		cpu := cpuTime()
		k := 0
		var busy time.Duration
		for i := 0; i < b.N; i++ {
			if k == len(next) {
				b.StopTimer()
				c := cpuTime()
				e = fill(b, first, cfg)
				busy += cpuTime() - c
				k = 0
				b.StartTimer()
			}
			e.Update(next[k])
			k++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
		b.ReportMetric(float64(b.N)/(cpuTime()-cpu-busy).Seconds(), "updates/cpu-s")
		b.ReportMetric(float64(e.Stats().Open), "open")
	})
}
