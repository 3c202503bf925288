package detect_test

import (
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
)

func TestThresholdsValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*detect.Thresholds)
		want   string // in the error; "" valid
	}{
		{"Defaults", func(*detect.Thresholds) {}, ""},
		{"NegativeSea", func(th *detect.Thresholds) { th.Sea.LookaheadS = -1 }, "sea lookahead threshold -1 must be positive"},
		{"SeaNotNested", func(th *detect.Thresholds) { th.Sea.CriticalM = th.Sea.DangerousM + 1 }, "sea critical CPA"},
		{"AirNotNested", func(th *detect.Thresholds) { th.Air.Critical.VerticalM = th.Air.Warning.VerticalM * 2 }, "air critical vertical"},
		{"NMACZero", func(th *detect.Thresholds) { th.Air.NMAC.HorizontalM = 0 }, "NMAC horizontal"},
		{"NaN", func(th *detect.Thresholds) { th.Air.Warning.LookaheadS = th.Air.Warning.LookaheadS * 0 / 0 }, "air warning lookahead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := detect.DefaultThresholds()
			tc.change(&th)
			err := th.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("Validate: %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("Validate: %v, want an error naming %q", err, tc.want)
			}
		})
	}
}

// TestThresholdsWidestScale: Widest takes the larger of every number,
// Scale multiplies every number; both keep the tiers nested.
func TestThresholdsWidestScale(t *testing.T) {
	d := detect.DefaultThresholds()
	a, b := d, d
	a.Sea.AdvisoryM = 3 * d.Sea.AdvisoryM
	b.Air.Warning.VerticalM = d.Air.Advisory.VerticalM
	b.Air.NMAC.LookaheadS = 7
	w := a.Widest(b)
	want := d
	want.Sea.AdvisoryM, want.Air.Warning.VerticalM, want.Air.NMAC.LookaheadS = a.Sea.AdvisoryM, b.Air.Warning.VerticalM, 7
	if w != want {
		t.Fatalf("Widest = %+v, want %+v", w, want)
	}
	if w != b.Widest(a) {
		t.Fatal("Widest is not symmetric")
	}
	s := d.Scale(3)
	if s.Sea.CriticalM != 3*d.Sea.CriticalM || s.Air.NMAC.VerticalM != 3*d.Air.NMAC.VerticalM || s.Air.Critical.LookaheadS != 3*d.Air.Critical.LookaheadS {
		t.Fatalf("Scale(3) = %+v", s)
	}
	for _, th := range []detect.Thresholds{w, s} {
		if err := th.Validate(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestEnvelopeClamps: thresholds a Pair hook gives beyond the envelope
// are clamped to it, tiers nested again: a pair watched with 10 NM at sea
// under an envelope of 2 NM opens nothing at 3 NM.
func TestEnvelopeClamps(t *testing.T) {
	wide := detect.DefaultThresholds().Scale(5)
	e := MustEngine(t, detect.Config{Pair: func(a, b string) (detect.Thresholds, bool) { return wide, a != b }})
	rs := merge(
		// mmsi:2 passes 3 NM east of mmsi:1 (a pair of stationary ships
		// would open nothing whatever the thresholds).
		mover("mmsi:1", "A", deconflict.Sea, places[0].at, 0, 0, 0, 0, 10, 60),
		mover("mmsi:2", "B", deconflict.Sea, geo.Destination(geo.Destination(places[0].at, 90, 3*nm), 180, 3000), 0, 5, 0, 0, 10, 60),
	)
	if evs := run(e, rs); len(evs) != 0 {
		t.Fatalf("events %s, want none beyond the envelope", summary(evs))
	}
	e = MustEngine(t, detect.Config{Envelope: wide, Pair: func(a, b string) (detect.Thresholds, bool) { return wide, a != b }})
	if evs := run(e, rs); !strings.Contains(summary(evs), "opened mmsi:1/mmsi:2 advisory") {
		t.Fatalf("events %q, want an advisory at 3 NM under 5x thresholds (10 NM)", summary(evs))
	}
}

// TestSetEnvelope: the index sized again in the middle of dense traffic
// (twice the defaults, then back) loses nothing: the events are the
// all-pairs reference's. And a pair watched with wider tiers than the
// envelope is clamped until the envelope widens.
func TestSetEnvelope(t *testing.T) {
	s := denseScenario(places[0].at, 9)
	rs := s.All()
	e := MustEngine(t, detect.Config{})
	n := len(rs) / 3
	got := run(e, rs[:n])
	if err := e.SetEnvelope(detect.DefaultThresholds().Scale(2)); err != nil {
		t.Fatal(err)
	}
	got = append(got, run(e, rs[n:2*n])...)
	if err := e.SetEnvelope(detect.DefaultThresholds()); err != nil {
		t.Fatal(err)
	}
	got = append(got, run(e, rs[2*n:])...)
	sameEvents(t, got, runRef(newAllPairs(), rs), len(rs))

	if err := e.SetEnvelope(detect.Thresholds{}); err == nil {
		t.Fatal("SetEnvelope of zero thresholds: nil error")
	}

	wide := detect.DefaultThresholds().Scale(5)
	rs = merge(
		mover("mmsi:1", "A", deconflict.Sea, places[0].at, 0, 0, 0, 0, 10, 600),
		mover("mmsi:2", "B", deconflict.Sea, geo.Destination(geo.Destination(places[0].at, 90, 3*nm), 180, 3000), 0, 5, 0, 0, 10, 600),
	)
	e = MustEngine(t, detect.Config{Pair: func(a, b string) (detect.Thresholds, bool) { return wide, a != b }})
	if evs := run(e, rs[:20]); len(evs) != 0 {
		t.Fatalf("before widening: %s, want nothing", summary(evs))
	}
	if err := e.SetEnvelope(wide); err != nil {
		t.Fatal(err)
	}
	if evs := run(e, rs[20:]); !strings.Contains(summary(evs), "opened mmsi:1/mmsi:2 advisory") {
		t.Fatalf("after widening: %q, want an advisory at 3 NM", summary(evs))
	}
}
