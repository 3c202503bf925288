package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/deconflict/deconflict"
)

// DefaultPlayTick is how often a Player delivers reports unless its Tick
// is set: twice a second, as often as the demo's picture is redrawn.
const DefaultPlayTick = 500 * time.Millisecond

// Player plays scenarios on a clock, in real time or Speed times faster,
// as the demo does: at every tick it hands Sink the reports of the
// scenario time elapsed since the previous tick, with their times moved
// onto the clock and, when Speed is not 1, their speeds and climb rates
// multiplied by Speed so that predictions match the faster picture. When
// a scenario ends it plays Next(round), round 1, 2, ..., from the clock's
// time then.
type Player struct {
	Speed float64                                                 // scenario time per clock time; 0 means 1
	Now   func() time.Time                                        // the clock; default time.Now
	Tick  <-chan time.Time                                        // when to deliver; default every DefaultPlayTick
	Next  func(round uint64) *Scenario                            // the scenario of each next round; nil replays the same one
	Sink  func(ctx context.Context, rs []deconflict.Report) error // takes each tick's reports (none: not called)
}

// Play plays s, then the scenarios Next gives, until ctx is cancelled
// (it returns nil) or Sink fails (it returns Sink's error). A scenario
// without a duration is an error (it would play nothing, forever).
func (p *Player) Play(ctx context.Context, s *Scenario) error {
	speed := p.Speed
	if speed == 0 {
		speed = 1
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	tick := p.Tick
	if tick == nil {
		t := time.NewTicker(DefaultPlayTick)
		defer t.Stop()
		tick = t.C
	}
	// Each round starts on the clock's time read at the tick that ended
	// the previous one, so that rounds follow each other with no gap
	// whatever the goroutines' timing.
	start := now().UTC()
	for round := uint64(1); ; round++ {
		if s == nil || s.Duration <= 0 {
			return fmt.Errorf("play round %d: the scenario has no duration", round)
		}
		end := s.Start.Add(s.Duration)
		prev := s.Start
		var last time.Time
		for prev.Before(end) {
			select {
			case <-ctx.Done():
				return nil
			case <-tick:
			}
			last = now().UTC()
			at := s.Start.Add(time.Duration(float64(last.Sub(start)) * speed))
			if at.After(end) {
				at = end
			}
			rs := s.Reports(prev, at)
			prev = at
			for i := range rs {
				rs[i].Time = start.Add(time.Duration(float64(rs[i].Time.Sub(s.Start)) / speed))
				if speed != 1 {
					rs[i].SpeedMS *= speed
					rs[i].ClimbMS *= speed
				}
			}
			if len(rs) > 0 {
				if err := p.Sink(ctx, rs); err != nil {
					return err
				}
			}
		}
		start = last
		if p.Next != nil {
			s = p.Next(round)
		}
	}
}
