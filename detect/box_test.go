package detect_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/sim"
)

// boxScenario is BlueSky's traffic box (sim.TrafficBox) shrunk to 180
// aircraft over 100 x 100 km, so that the all-pairs reference can follow it
// for 8 minutes, with the vertical movements the index's altitude bands
// must survive: a third of the aircraft keep level, some drift at up to
// 0.3 m/s (level for the index, whose bands allow for the drift), some
// climb or descend at 5-15 m/s for a while and level off again (their
// entries change band), some climb throughout; report intervals of 1 to 10
// s, and some aircraft fall silent beyond their lost time.
func boxScenario(seed uint64) *sim.Scenario {
	box := sim.TrafficBox(180, seed, 100e3, 8*time.Minute)
	rng := rand.New(rand.NewPCG(seed, 0xb0c5))
	s := &sim.Scenario{Name: "box-moving", Start: box.Start, Duration: box.Duration}
	for _, m := range box.Movers {
		l := m.Legs[0]
		var legs []sim.Leg
		switch rng.IntN(4) {
		case 0: // level
			legs = []sim.Leg{l}
		case 1: // drifting, within the index's level climb
			l.ClimbMS = (rng.Float64()*2 - 1) * 0.3
			legs = []sim.Leg{l}
		case 2: // level, a climb or descent, level again
			up := l
			up.DurationS, up.ClimbMS = 20+rng.Float64()*60, (5+rng.Float64()*10)*float64(1-2*rng.IntN(2))
			first := l
			first.DurationS = rng.Float64() * 200
			legs = []sim.Leg{first, up, l}
		default: // climbing or descending throughout
			l.ClimbMS = (rng.Float64()*2 - 1) * 8
			legs = []sim.Leg{l}
		}
		s.Movers = append(s.Movers, &sim.Mover{
			ID: m.ID, Party: m.Party, Domain: m.Domain, Start: m.Start, AltM: m.AltM, Legs: legs,
			IntervalS: 1 + float64(rng.IntN(10)), OffsetS: rng.Float64() * 60,
		})
		if rng.IntN(10) == 0 {
			s.Movers[len(s.Movers)-1].IntervalS *= 15
		}
	}
	return sim.Custom(s, seed)
}

// late delivers reports up to maxS seconds late, as merged feeds do: the
// engine then meets entries newer than the report it evaluates, which
// the altitude bands' window must allow for. A report older than its
// track's last is ignored by the engine and the reference alike.
func late(rs []deconflict.Report, seed uint64, maxS float64) []deconflict.Report {
	rng := rand.New(rand.NewPCG(seed, 0x1a7e))
	type delivery struct {
		at time.Time
		r  deconflict.Report
	}
	ds := make([]delivery, len(rs))
	for i, r := range rs {
		ds[i] = delivery{r.Time.Add(time.Duration(rng.Float64() * maxS * float64(time.Second))), r}
	}
	slices.SortStableFunc(ds, func(a, b delivery) int { return a.at.Compare(b.at) })
	out := make([]deconflict.Report, len(ds))
	for i, d := range ds {
		out[i] = d.r
	}
	return out
}

// TestTrafficBoxMatchesReference: on BlueSky-style traffic (every pair
// watched, altitudes spread over 11 km, aircraft levelling off and
// drifting, reports jittered or delivered late), the engine, whose cells
// keep their level aircraft's altitude bands and read only the entries in
// bands within reach, gives the all-pairs reference's events, and its
// bands pruned: it examined fewer entries than a loop over whole cells
// would.
func TestTrafficBoxMatchesReference(t *testing.T) {
	every := func(a, b string) (detect.Thresholds, bool) { return detect.Thresholds{}, true }
	for seed := uint64(1); seed <= 4; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rs := boxScenario(seed).All()
			switch seed % 3 {
			case 1:
				rs = jitter(rs, seed)
			case 2:
				rs = late(rs, seed, 20)
			}
			cfg := detect.Config{Pair: every, Civilian: true, AirCellM: 20e3, CompactEvery: 30 * time.Second}
			e := MustEngine(t, cfg)
			got := run(e, rs)
			ref := newAllPairs()
			ref.pair, ref.civilian = every, true
			want := runRef(ref, rs)
			sameEvents(t, got, want, len(rs))
			// The same reports on an engine whose aircraft all climb a
			// little faster than the index's level: one band, every
			// entry read. The banded engine must read fewer.
			steep := slices.Clone(rs)
			for i := range steep {
				steep[i].ClimbMS = 0.5
			}
			e2 := MustEngine(t, cfg)
			run(e2, steep)
			if a, b := e.Stats().Candidate, e2.Stats().Candidate; a*2 > b {
				t.Errorf("%d entries examined with bands, %d without: the bands prune too little", a, b)
			}
		})
	}
}
