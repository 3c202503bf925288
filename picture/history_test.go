package picture_test

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/picture"
)

func mustHistory(tb testing.TB, tab *picture.Table, id string) []picture.HistoryPoint {
	tb.Helper()
	_, h, err := tab.History(id)
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// refHistory is an independent reference of the ring's contract, over
// the whole list of a track's position reports (times in ms, in order):
// stored points are chosen greedily, each the first report at least the
// interval after the stored point before it; the latest report is always
// the last point; the ring keeps the last `points` of those, and only
// those within age of the latest are returned.
func refHistory(times []int64, points int, interval, age int64) []int64 {
	var kept []int64
	for _, ms := range times {
		if len(kept) == 0 || ms-kept[len(kept)-1] >= interval {
			kept = append(kept, ms)
		}
	}
	if last := times[len(times)-1]; kept[len(kept)-1] != last {
		kept = append(kept, last)
	}
	if len(kept) > points {
		kept = kept[len(kept)-points:]
	}
	var out []int64
	for _, ms := range kept {
		if ms >= times[len(times)-1]-age {
			out = append(out, ms)
		}
	}
	return out
}

func TestTable_History(t *testing.T) {
	t.Run("Spacing", func(t *testing.T) {
		// Reports every 10 s for 40 minutes: points 30 s apart, the
		// track's position last, none older than 30 minutes, at most 64.
		tab := picture.New(picture.Options{})
		var last deconflict.Report
		for s := 0; s <= 2400; s += 10 {
			r := report("mmsi:211234560", deconflict.Sea, s, 54+float64(s)*1e-5, 10)
			r.SpeedMS, r.CourseDeg, r.Source = 5, 0, "ais"
			tab.Update(&r)
			last = r
		}
		h := mustHistory(t, tab, "mmsi:211234560")
		if got, want := len(h), 61; got != want { // 1200 s, 1230 s, ... 2400 s
			t.Fatalf("len=%d, want %d", got, want)
		}
		if got, want := h[len(h)-1].Time, last.Time; !got.Equal(want) {
			t.Fatalf("last point at %v, want the track's %v", got, want)
		}
		if got, want := h[0].Time, last.Time.Add(-picture.DefaultHistoryAge); !got.Equal(want) {
			t.Fatalf("first point at %v, want %v", got, want)
		}
		for i := 1; i < len(h); i++ {
			if d := h[i].Time.Sub(h[i-1].Time); d != picture.DefaultHistoryInterval {
				t.Fatalf("points %d and %d are %v apart, want %v", i-1, i, d, picture.DefaultHistoryInterval)
			}
		}
		p := h[len(h)-1]
		if math.Abs(p.Lat-last.Lat) > 1e-7 || p.Lon != 10 || p.SpeedMS != 5 || p.CourseDeg != 0 || p.Source != "ais" || !math.IsNaN(p.AltM) {
			t.Fatalf("last point %+v, want the report %+v", p, last)
		}
	})
	t.Run("Reference", func(t *testing.T) {
		// Random report intervals against the reference, for several
		// bounds, ring wrap-around included.
		rng := rand.New(rand.NewSource(7))
		for _, o := range []picture.HistoryOptions{
			{Points: 1, Interval: time.Second, Age: time.Hour},
			{Points: 4, Interval: 5 * time.Second, Age: time.Hour},
			{Points: 64, Interval: 30 * time.Second, Age: 10 * time.Minute},
			{Points: 7, Interval: 20 * time.Second, Age: 90 * time.Second},
		} {
			tab := picture.New(picture.Options{History: o})
			var times []int64
			ms := t0.UnixMilli()
			for n := 0; n < 500; n++ {
				ms += rng.Int63n(25_000)
				r := report("icao:3c6444", deconflict.Air, 0, 50, 10)
				r.Time = time.UnixMilli(ms)
				if tab.Update(&r) == picture.Duplicate {
					continue
				}
				times = append(times, ms)
				want := refHistory(times, o.Points, o.Interval.Milliseconds(), o.Age.Milliseconds())
				h := mustHistory(t, tab, r.ID)
				got := make([]int64, len(h))
				for i := range h {
					got[i] = h[i].Time.UnixMilli()
				}
				if fmt.Sprint(got) != fmt.Sprint(want) {
					t.Fatalf("%+v, after %d reports: history %v, want %v", o, len(times), got, want)
				}
			}
		}
	})
	t.Run("OldAndDuplicate", func(t *testing.T) {
		// Reports older than the track, or of the same time, add nothing.
		tab := picture.New(picture.Options{})
		for _, s := range []int{0, 60, 30, 60} {
			r := report("mmsi:211234560", deconflict.Sea, s, 54, 10)
			tab.Update(&r)
		}
		if got, want := len(mustHistory(t, tab, "mmsi:211234560")), 2; got != want {
			t.Fatalf("len=%d, want %d", got, want)
		}
	})
	t.Run("StaticOnly", func(t *testing.T) {
		tab := picture.New(picture.Options{})
		r := report("mmsi:211234560", deconflict.Sea, 0, math.NaN(), math.NaN())
		r.Name = "FERRY"
		tab.Update(&r)
		if got := mustHistory(t, tab, r.ID); len(got) != 0 {
			t.Fatalf("history %v, want none for a track without position", got)
		}
	})
	t.Run("Off", func(t *testing.T) {
		tab := picture.New(picture.Options{History: picture.HistoryOptions{Points: -1}})
		r := report("mmsi:211234560", deconflict.Sea, 0, 54, 10)
		tab.Update(&r)
		if got := mustHistory(t, tab, r.ID); len(got) != 0 {
			t.Fatalf("history %v, want none", got)
		}
	})
	t.Run("Removed", func(t *testing.T) {
		// A removed track's history goes with it; the track moved into
		// its place keeps its own.
		c := &clock{t0}
		tab := picture.New(picture.Options{Now: c.Now})
		a := report("mmsi:211234560", deconflict.Sea, 0, 54, 10)
		tab.Update(&a)
		for s := 0; s <= 600; s += 60 {
			b := report("mmsi:211234561", deconflict.Sea, s, 55, float64(s)/600)
			tab.Update(&b)
		}
		c.now = t0.Add(picture.DefaultSeaRemove + time.Second)
		if _, removed := tab.Sweep(); removed != 1 {
			t.Fatalf("removed %d, want 1", removed)
		}
		if _, _, err := tab.History(a.ID); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
			t.Fatalf("History of a removed track: %v, want %s", err, deconflict.ENOTFOUND)
		}
		h := mustHistory(t, tab, "mmsi:211234561")
		if got, want := len(h), 11; got != want {
			t.Fatalf("len=%d, want %d", got, want)
		}
		if h[0].Lat != 55 || h[0].Lon != 0 || h[10].Lon != 1 {
			t.Fatalf("history %+v, want the moved track's own", h)
		}
	})
}

// BenchmarkMemoryPerTrackHistory is BenchmarkMemoryPerTrack with every
// ring full (64 positions a track, 20,000 tracks): the most the history
// can cost.
func BenchmarkMemoryPerTrackHistory(b *testing.B) {
	const tracks = 20_000
	ids := make([]string, tracks)
	for i := range ids {
		ids[i] = fmt.Sprintf("mmsi:%09d", 200000000+i)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tab := picture.New(picture.Options{})
		for s := 0; s < picture.DefaultHistoryPoints; s++ {
			for i, id := range ids {
				r := report(id, deconflict.Sea, s*30, float64(i%90), float64(i%180))
				r.Name, r.Callsign = "SHIP NAME", "CALL"
				tab.Update(&r)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/tracks, "bytes/track")
		runtime.KeepAlive(tab)
	}
}

func TestTable_Destination(t *testing.T) {
	// A static report's destination is kept; one without keeps the last.
	tab := picture.New(picture.Options{})
	r := report("mmsi:351759000", deconflict.Sea, 0, 54, 10)
	tab.Update(&r)
	s := report("mmsi:351759000", deconflict.Sea, 10, math.NaN(), math.NaN())
	s.Name, s.Destination = "EVER DIADEM", "NEW YORK"
	if got := tab.Update(&s); got != picture.Updated {
		t.Fatalf("static report: %v, want %v", got, picture.Updated)
	}
	r = report("mmsi:351759000", deconflict.Sea, 20, 54.1, 10)
	tab.Update(&r)
	if got := mustGet(t, tab, r.ID); got.Destination != "NEW YORK" || got.Name != "EVER DIADEM" {
		t.Fatalf("track %q bound for %q, want EVER DIADEM bound for NEW YORK", got.Name, got.Destination)
	}
}

// TestUpdateEachBacklog: a backlog whose first reports are older than the
// removal time keeps its track and whole history ring however a
// concurrent sweep falls, as the live picture applies its batches (with
// Update per report, a sweep between two of them removes the track and
// the ring starts again from a later report).
func TestUpdateEachBacklog(t *testing.T) {
	end := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	tb := picture.New(picture.Options{Now: func() time.Time { return end }, History: picture.HistoryOptions{Points: 1000, Interval: time.Second, Age: time.Hour}})
	const n = 600 // a report every 2 s for 20 minutes, the first half past the sea removal time (10 min)
	var rs []deconflict.Report
	for i := range n {
		rs = append(rs, deconflict.Report{ID: "ship", Domain: deconflict.Sea, Time: end.Add(time.Duration(i-n+1) * 2 * time.Second),
			Lat: 55, Lon: 19 + float64(i)*1e-4, AltM: deconflict.Unknown, SpeedMS: 5, CourseDeg: 90, ClimbMS: deconflict.Unknown})
	}
	stop := make(chan struct{})
	done := make(chan int)
	go func() {
		removed := 0
		for {
			select {
			case <-stop:
				done <- removed
				return
			default:
				_, r := tb.Sweep()
				removed += r
			}
		}
	}()
	var results []picture.Result
	tb.UpdateEach(rs, func(i int, res picture.Result, tr *picture.Track) {
		if tr == nil || !tr.Time.Equal(rs[i].Time) {
			t.Errorf("report %d: track %v, want the one it moved to %s", i, tr, rs[i].Time)
		}
		results = append(results, res)
	})
	close(stop)
	if removed := <-done; removed != 0 {
		t.Errorf("sweeps removed %d tracks during and after the backlog, want none", removed)
	}
	if results[0] != picture.Created || results[n-1] != picture.Updated {
		t.Errorf("results %v ... %v, want Created first and Updated after", results[0], results[n-1])
	}
	_, h, err := tb.History("ship")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != n || !h[0].Time.Equal(rs[0].Time) {
		t.Fatalf("history has %d points from %v, want all %d from %v", len(h), h[0].Time, n, rs[0].Time)
	}
}
