package live

import (
	"context"
	"fmt"
	"slices"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
)

// refreshPairs recomputes which party pairs share a channel and tells the engine.
func (l *Picture) refreshPairs(ctx context.Context) error {
	chans, err := l.log.Channels(ctx, deconflict.NodeAuthor)
	if err != nil {
		return err
	}
	pairs := map[[2]string]detect.Thresholds{}
	env := detect.DefaultThresholds()
	rs, hasRules := l.log.(RulesSource)
	var derived []detect.Zone
	wide := map[[2]string][]geo.Area{}
	wideChans := map[[2]string][]string{}
	refused := l.log.Refused()
	for _, c := range chans {
		th, err := detect.PolicyThresholds(&c.Policy)
		if err != nil {
			return fmt.Errorf("channel %s: %w", c.ID, err)
		}
		if _, r := refused[c.ID]; hasRules && !r {
			// The channel's binding measures: separations set its tiers,
			// zones and notified hazard areas become zones.
			// A channel whose rules cannot be read keeps its policy's
			// thresholds: the picture must not stop for one channel.
			rules, err := rs.ChannelRules(ctx, c.ID)
			if err == nil {
				th = ApplySeparations(th, rules.Separations)
				for _, rr := range rules.Relevance {
					a, aerr := areaOf(rr.Area)
					if aerr != nil {
						l.Logger.Error("relevance measure", "channel", c.ID, "measure", rr.Measure, "err", aerr)
						continue
					}
					for _, x := range c.Members {
						for _, y := range c.Members {
							if k := [2]string{x, y}; x < y {
								wide[k] = append(wide[k], a)
								if !slices.Contains(wideChans[k], c.ID) {
									wideChans[k] = append(wideChans[k], c.ID)
								}
							}
						}
					}
				}
				var zs []detect.Zone
				zs, err = derivedZones(ctx, rs, c, rules)
				derived = append(derived, zs...)
			}
			if err != nil {
				l.Logger.Error("channel rules", "channel", c.ID, "err", err)
			}
		}
		env = env.Widest(th)
		for _, a := range c.Members {
			for _, b := range c.Members {
				if a < b {
					k := [2]string{a, b}
					pt := th
					if old, ok := pairs[k]; ok {
						pt = old.Widest(th)
					}
					pairs[k] = pt
				}
			}
		}
	}
	l.mu.Lock()
	l.envelope = env
	l.pairs = pairs
	l.wide, l.wideChans = wide, wideChans
	l.pending = derived
	l.mu.Unlock()
	return nil
}

// channelsChanged recomputes the party pairs and makes the engine forget
// its cached answers and size its index for the channels' widest
// thresholds, in the engine's goroutine.
func (l *Picture) channelsChanged(ctx context.Context) error {
	if err := l.refreshPairs(ctx); err != nil {
		return err
	}
	l.mu.Lock()
	env, fixed := l.envelope, l.fixedEnvelope
	l.mu.Unlock()
	done := make(chan struct{})
	var envErr error
	select {
	case l.ops <- func(e *detect.Engine) {
		e.SetPair(l.pair)
		if !fixed {
			envErr = e.SetEnvelope(env)
		}
		close(done)
	}:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	if envErr != nil {
		l.Logger.Error("index envelope", "err", envErr)
	}
	l.mu.Lock()
	zs := l.pending
	l.mu.Unlock()
	return l.setDerived(ctx, zs)
}

// widen is the engine's Widen hook: the areas of the binding relevance
// measures of the channels a and b (a < b) share.
func (l *Picture) widen(a, b string) []geo.Area {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.wide[[2]string{a, b}]
}

// pair is the engine's Pair hook: parties are watched when they share a
// channel, with the default thresholds (agreed measures will set them per
// channel).
func (l *Picture) pair(a, b string) (detect.Thresholds, bool) {
	if a == "" || b == "" || a == b {
		return detect.Thresholds{}, false
	}
	if b < a {
		a, b = b, a
	}
	l.mu.Lock()
	th, ok := l.pairs[[2]string{a, b}]
	l.mu.Unlock()
	return th, ok
}
