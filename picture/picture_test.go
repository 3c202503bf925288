package picture_test

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/picture"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// clock is a test clock.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func report(id string, d deconflict.Domain, sec int, lat, lon float64) deconflict.Report {
	nan := math.NaN()
	return deconflict.Report{ID: id, Domain: d, Source: "test", Time: t0.Add(time.Duration(sec) * time.Second),
		Lat: lat, Lon: lon, AltM: nan, SpeedMS: nan, CourseDeg: nan, ClimbMS: nan}
}

func mustGet(tb testing.TB, tab *picture.Table, id string) picture.Track {
	tb.Helper()
	tr, err := tab.Get(id)
	if err != nil {
		tb.Fatal(err)
	}
	return tr
}

func TestTable_Update(t *testing.T) {
	c := &clock{t0}
	tab := picture.New(picture.Options{Now: c.Now})
	r := report("icao:3c6444", deconflict.Air, 0, 54.1, 13.2)
	r.SpeedMS, r.CourseDeg, r.AltM, r.ClimbMS, r.Callsign = 200, 90, 10000, -5, "DLH1"

	steps := []struct {
		name string
		r    deconflict.Report
		want picture.Result
	}{
		{"Created", r, picture.Created},
		{"DuplicateFromAnotherReceiver", r, picture.Duplicate},
		{"Updated", func() deconflict.Report { x := r; x.Time = t0.Add(time.Second); x.Lon = 13.21; return x }(), picture.Updated},
		{"Old", func() deconflict.Report { x := r; x.Lon = 13.0; return x }(), picture.Old},
		{"NoID", report("", deconflict.Air, 5, 1, 1), picture.Invalid},
		{"NoDomain", report("x", "", 5, 1, 1), picture.Invalid},
		{"LatOutOfRange", report("y", deconflict.Sea, 5, 91, 1), picture.Invalid},
		{"OtherDomain", report("icao:3c6444", deconflict.Sea, 9, 1, 1), picture.Invalid},
	}
	for _, s := range steps {
		if got := tab.Update(&s.r); got != s.want {
			t.Fatalf("%s: Update=%v, want %v", s.name, got, s.want)
		}
	}
	tr := mustGet(t, tab, "icao:3c6444")
	if got, want := tr.Lon, 13.21; got != want {
		t.Fatalf("Lon=%v, want %v", got, want)
	}
	if got, want := tr.Time, t0.Add(time.Second); !got.Equal(want) {
		t.Fatalf("Time=%v, want %v", got, want)
	}
	// Course 90 degrees: all east.
	if !(math.Abs(tr.EastMS-200) < 1e-9 && math.Abs(tr.NorthMS) < 1e-9) {
		t.Fatalf("velocity east=%v north=%v, want 200, 0", tr.EastMS, tr.NorthMS)
	}
	if tr.AltM != 10000 || tr.ClimbMS != -5 || tr.Callsign != "DLH1" {
		t.Fatalf("track %+v", tr)
	}
	if got, want := tab.Len(), 1; got != want {
		t.Fatalf("Len=%d, want %d", got, want)
	}
	if _, err := tab.Get("icao:000000"); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("Get of a missing track: %v, want ENOTFOUND", err)
	}
}

func TestTable_DuplicateFillsUnknown(t *testing.T) {
	tab := picture.New(picture.Options{})
	a := report("mmsi:211234560", deconflict.Sea, 0, 54, 10)
	b := a
	b.SpeedMS, b.CourseDeg = 5, 180
	tab.Update(&a)
	if got, want := tab.Update(&b), picture.Duplicate; got != want {
		t.Fatalf("Update=%v, want %v", got, want)
	}
	tr := mustGet(t, tab, a.ID)
	if got, want := tr.NorthMS, -5.0; math.Abs(got-want) > 1e-9 {
		t.Fatalf("NorthMS=%v, want %v", got, want)
	}
}

func TestTable_StaticOnly(t *testing.T) {
	tab := picture.New(picture.Options{})
	s := report("mmsi:273000001", deconflict.Sea, 0, math.NaN(), math.NaN())
	s.Name, s.Type = "ADMIRAL X", "Military ops"
	if got, want := tab.Update(&s), picture.Created; got != want {
		t.Fatalf("Update=%v, want %v", got, want)
	}
	p := report("mmsi:273000001", deconflict.Sea, 10, 44.5, 33.5)
	tab.Update(&p)
	// Static data arriving later, with an older time, still counts.
	s2 := s
	s2.Callsign = "UBXY"
	if got, want := tab.Update(&s2), picture.Updated; got != want {
		t.Fatalf("Update=%v, want %v", got, want)
	}
	tr := mustGet(t, tab, p.ID)
	if tr.Name != "ADMIRAL X" || tr.Callsign != "UBXY" || tr.Lat != 44.5 || !tr.Time.Equal(p.Time) {
		t.Fatalf("track %+v", tr)
	}
}

func TestTable_Sweep(t *testing.T) {
	c := &clock{t0}
	tab := picture.New(picture.Options{Now: c.Now})
	air := report("icao:abcdef", deconflict.Air, 0, 1, 1)
	sea := report("mmsi:211000000", deconflict.Sea, 0, 2, 2)
	tab.Update(&air)
	tab.Update(&sea)
	sub := tab.Subscribe(picture.Query{}, 16)
	defer sub.Close()

	steps := []struct {
		after         time.Duration
		lost, removed int
		n             int
	}{
		{60 * time.Second, 0, 0, 2},
		{61 * time.Second, 1, 0, 2}, // air lost after 60 s
		{5*time.Minute + time.Second, 0, 1, 1},
		{8*time.Minute + time.Second, 1, 0, 1}, // sea lost after 8 min
		{10*time.Minute + time.Second, 0, 1, 0},
	}
	for _, s := range steps {
		c.now = t0.Add(s.after)
		lost, removed := tab.Sweep()
		if lost != s.lost || removed != s.removed || tab.Len() != s.n {
			t.Fatalf("at %v: lost=%d removed=%d len=%d, want %d %d %d", s.after, lost, removed, tab.Len(), s.lost, s.removed, s.n)
		}
	}
	var got []string
	for len(sub.C) > 0 {
		e := <-sub.C
		got = append(got, e.Kind.String()+" "+e.Track.ID)
	}
	want := []string{"lost icao:abcdef", "removed icao:abcdef", "lost mmsi:211000000", "removed mmsi:211000000"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events %v, want %v", got, want)
	}
}

func TestTable_LostTrackComesBack(t *testing.T) {
	c := &clock{t0}
	tab := picture.New(picture.Options{Now: c.Now})
	r := report("icao:abcdef", deconflict.Air, 0, 1, 1)
	tab.Update(&r)
	c.now = t0.Add(2 * time.Minute)
	tab.Sweep()
	if !mustGet(t, tab, r.ID).Lost {
		t.Fatal("track not lost")
	}
	if got := len(tab.Query(picture.Query{})); got != 0 {
		t.Fatalf("Query without IncludeLost: %d tracks, want 0", got)
	}
	// A static report as old as the last one does not revive it.
	s := report("icao:abcdef", deconflict.Air, 0, math.NaN(), math.NaN())
	if got, want := tab.Update(&s), picture.Duplicate; got != want {
		t.Fatalf("Update=%v, want %v", got, want)
	}
	if !mustGet(t, tab, r.ID).Lost {
		t.Fatal("track revived by an old static report")
	}
	// A newer one does.
	s.Time = t0.Add(110 * time.Second)
	if got, want := tab.Update(&s), picture.Updated; got != want {
		t.Fatalf("Update=%v, want %v", got, want)
	}
	if mustGet(t, tab, r.ID).Lost {
		t.Fatal("track still lost after a newer static report")
	}
	c.now = t0.Add(4 * time.Minute)
	tab.Sweep()
	r2 := report("icao:abcdef", deconflict.Air, 239, 1.1, 1)
	tab.Update(&r2)
	if mustGet(t, tab, r.ID).Lost {
		t.Fatal("track still lost after a report")
	}
}

func TestTable_Query(t *testing.T) {
	attribute := func(r *deconflict.Report) (string, string) {
		switch r.ID[:min(4, len(r.ID))] {
		case "icao":
			return "NATO", "test"
		case "mmsi":
			return "RU", "test"
		}
		return "", ""
	}
	tab := picture.New(picture.Options{Attribute: attribute})
	rs := []deconflict.Report{
		report("icao:000001", deconflict.Air, 0, 54, 13),
		report("icao:000002", deconflict.Air, 0, 60, 25),
		report("mmsi:273000001", deconflict.Sea, 0, 54.5, 14),
		report("X:1", deconflict.Sea, 0, 10, 179.5),
		report("X:2", deconflict.Sea, 0, 10, -179.5),
	}
	if got, want := tab.UpdateBatch(rs), 5; got != want {
		t.Fatalf("UpdateBatch=%d, want %d", got, want)
	}
	baltic := &picture.Box{South: 53, West: 10, North: 56, East: 15}
	pacific := &picture.Box{South: 0, West: 179, North: 20, East: -179}
	tests := []struct {
		name string
		q    picture.Query
		want int
	}{
		{"All", picture.Query{}, 5},
		{"Box", picture.Query{Box: baltic}, 2},
		{"BoxAndParty", picture.Query{Box: baltic, Party: "NATO"}, 1},
		{"Domain", picture.Query{Domain: deconflict.Air}, 2},
		{"Party", picture.Query{Party: "RU"}, 1},
		{"Unattributed", picture.Query{Party: picture.Unattributed}, 2},
		{"Antimeridian", picture.Query{Box: pacific}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(tab.Query(tt.q)); got != tt.want {
				t.Fatalf("%d tracks, want %d", got, tt.want)
			}
		})
	}
	t.Run("Reattribute", func(t *testing.T) {
		sub := tab.Subscribe(picture.Query{}, 16)
		defer sub.Close()
		tab.Reattribute(func(r *deconflict.Report) (string, string) {
			if r.ID == "X:1" {
				return "X", "asset"
			}
			return attribute(r)
		})
		if got, want := mustGet(t, tab, "X:1").Party, "X"; got != want {
			t.Fatalf("Party=%q, want %q", got, want)
		}
		if got, want := len(sub.C), 1; got != want {
			t.Fatalf("%d events, want %d", got, want)
		}
	})
}

func TestTable_CallsignReattributes(t *testing.T) {
	tab := picture.New(picture.Options{Attribute: func(r *deconflict.Report) (string, string) {
		if r.Callsign == "RFF001" {
			return "RU", "callsign"
		}
		return "", ""
	}})
	r := report("icao:154321", deconflict.Air, 0, 1, 1)
	tab.Update(&r)
	if got := mustGet(t, tab, r.ID).Party; got != "" {
		t.Fatalf("Party=%q, want none", got)
	}
	r.Time, r.Callsign = r.Time.Add(time.Second), "RFF001"
	tab.Update(&r)
	if got, want := mustGet(t, tab, r.ID).Party, "RU"; got != want {
		t.Fatalf("Party=%q, want %q", got, want)
	}
}

func TestSubscription_SlowSubscriberDrops(t *testing.T) {
	tab := picture.New(picture.Options{})
	sub := tab.Subscribe(picture.Query{Domain: deconflict.Sea}, 2)
	defer sub.Close()
	// Ten updates of a sea track, one of an air track (filtered out):
	// the table never blocks, the subscriber gets 2 and is told of 8.
	for i := 0; i < 10; i++ {
		r := report("mmsi:211000000", deconflict.Sea, i, 54, 10+float64(i)/100)
		tab.Update(&r)
	}
	a := report("icao:abcdef", deconflict.Air, 0, 1, 1)
	tab.Update(&a)
	if got, want := sub.Dropped(), uint64(8); got != want {
		t.Fatalf("Dropped=%d, want %d", got, want)
	}
	<-sub.C
	<-sub.C
	r := report("mmsi:211000000", deconflict.Sea, 20, 54, 11)
	tab.Update(&r)
	e := <-sub.C
	if got, want := e.Dropped, uint64(8); got != want {
		t.Fatalf("Event.Dropped=%d, want %d", got, want)
	}
	if got, want := e.Track.Lon, 11.0; got != want {
		t.Fatalf("Lon=%v, want %v", got, want)
	}
	sub.Close()
	sub.Close()
	if _, ok := <-sub.C; ok {
		t.Fatal("channel open after Close")
	}
}

func TestTable_Concurrent(t *testing.T) {
	tab := picture.New(picture.Options{})
	sub := tab.Subscribe(picture.Query{}, 1)
	defer sub.Close()
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 1000; i++ {
				r := report(fmt.Sprintf("icao:%06x", i%50), deconflict.Air, i, float64(g), 1)
				tab.Update(&r)
				tab.Query(picture.Query{Party: "x"})
			}
			done <- true
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	if got, want := tab.Len(), 50; got != want {
		t.Fatalf("Len=%d, want %d", got, want)
	}
}

// BenchmarkUpdate moves 100,000 tracks round-robin: the steady state of
// a busy feed, one core, no subscriber.
func BenchmarkUpdate(b *testing.B) { benchUpdate(b, 100_000, false) }

// BenchmarkUpdateSubscribed is BenchmarkUpdate with one subscriber that
// reads nothing (every event dropped after the buffer fills).
func BenchmarkUpdateSubscribed(b *testing.B) { benchUpdate(b, 100_000, true) }

func benchUpdate(b *testing.B, tracks int, subscribe bool) {
	tab := picture.New(picture.Options{Attribute: func(*deconflict.Report) (string, string) { return "P", "test" }})
	if subscribe {
		defer tab.Subscribe(picture.Query{}, 0).Close()
	}
	rs := make([]deconflict.Report, tracks)
	for i := range rs {
		rs[i] = report(fmt.Sprintf("icao:%06x", i), deconflict.Air, 0, 50+float64(i%1000)/100, float64(i/1000)/100)
		rs[i].SpeedMS, rs[i].CourseDeg, rs[i].AltM, rs[i].ClimbMS = 200, 45, 10000, 0
		tab.Update(&rs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		r := &rs[n%tracks]
		r.Time = r.Time.Add(time.Second)
		r.Lat += 1e-5
		tab.Update(r)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkUpdateBatch is BenchmarkUpdate through UpdateBatch, 256
// reports per lock.
func BenchmarkUpdateBatch(b *testing.B) {
	const tracks, batch = 100_000, 256
	tab := picture.New(picture.Options{})
	rs := make([]deconflict.Report, tracks)
	for i := range rs {
		rs[i] = report(fmt.Sprintf("icao:%06x", i), deconflict.Air, 0, 50, float64(i)/1e4)
		rs[i].SpeedMS, rs[i].CourseDeg = 200, 45
	}
	tab.UpdateBatch(rs)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		start := (n * batch) % tracks
		end := min(start+batch, tracks)
		for i := start; i < end; i++ {
			rs[i].Time = rs[i].Time.Add(time.Second)
		}
		tab.UpdateBatch(rs[start:end])
		n += end - start
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "updates/s")
}

// BenchmarkMemoryPerTrack fills a table with 200,000 tracks (DESIGN.md's
// global traffic) and reports the heap it holds per track, identity
// strings and index included.
func BenchmarkMemoryPerTrack(b *testing.B) {
	const tracks = 200_000
	ids := make([]string, tracks)
	for i := range ids {
		ids[i] = fmt.Sprintf("mmsi:%09d", 200000000+i)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		tab := picture.New(picture.Options{})
		for i, id := range ids {
			r := report(id, deconflict.Sea, 0, float64(i%90), float64(i%180))
			r.Name, r.Callsign = "SHIP NAME", "CALL"
			tab.Update(&r)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/tracks, "bytes/track")
		runtime.KeepAlive(tab)
	}
}

func TestTable_Run(t *testing.T) {
	// Run sweeps until its context ends; it returns the context's error.
	tab := picture.New(picture.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- tab.Run(ctx, time.Millisecond) }()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("Run=%v, want %v", err, context.Canceled)
	}
}

// BenchmarkQuery selects the tracks of one party in a box out of
// 100,000 (the cost of a console view or an API query).
func BenchmarkQuery(b *testing.B) {
	const tracks = 100_000
	tab := picture.New(picture.Options{Attribute: func(r *deconflict.Report) (string, string) {
		if r.ID[len(r.ID)-1]%2 == 0 {
			return "RU", "test"
		}
		return "NATO", "test"
	}})
	for i := 0; i < tracks; i++ {
		r := report(fmt.Sprintf("mmsi:%09d", 200000000+i), deconflict.Sea, 0, float64(i%180)-90, float64(i%360)-180)
		tab.Update(&r)
	}
	q := picture.Query{Box: &picture.Box{South: 50, West: 0, North: 60, East: 30}, Party: "RU"}
	for b.Loop() {
		tab.Query(q)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/tracks, "ns/track")
}
