package live

import (
	"context"
	"fmt"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
)

// refreshPairs recomputes which party pairs share a channel and tells the engine.
func (l *Picture) refreshPairs(ctx context.Context) error {
	chans, err := l.log.Channels(ctx, deconflict.NodeAuthor)
	if err != nil {
		return err
	}
	pairs := map[[2]string]detect.Thresholds{}
	for _, c := range chans {
		th, err := detect.PolicyThresholds(&c.Policy)
		if err != nil {
			return fmt.Errorf("channel %s: %w", c.ID, err)
		}
		for _, a := range c.Members {
			for _, b := range c.Members {
				if a < b {
					k := [2]string{a, b}
					if old, ok := pairs[k]; ok {
						th = widest(old, th)
					}
					pairs[k] = th
				}
			}
		}
	}
	l.mu.Lock()
	l.pairs = pairs
	l.mu.Unlock()
	return nil
}

// channelsChanged recomputes the party pairs and makes the engine forget
// its cached answers, in the engine's goroutine.
func (l *Picture) channelsChanged(ctx context.Context) error {
	if err := l.refreshPairs(ctx); err != nil {
		return err
	}
	done := make(chan struct{})
	select {
	case l.ops <- func(e *detect.Engine) { e.SetPair(l.pair); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
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

// widest returns, tier by tier, the larger of two sets of thresholds:
// parties that share several channels are watched by the most cautious.
func widest(a, b detect.Thresholds) detect.Thresholds {
	vol := func(x, y detect.Volume) detect.Volume {
		return detect.Volume{HorizontalM: max(x.HorizontalM, y.HorizontalM), VerticalM: max(x.VerticalM, y.VerticalM), LookaheadS: max(x.LookaheadS, y.LookaheadS)}
	}
	return detect.Thresholds{
		Sea: detect.SeaThresholds{AdvisoryM: max(a.Sea.AdvisoryM, b.Sea.AdvisoryM), DangerousM: max(a.Sea.DangerousM, b.Sea.DangerousM),
			CriticalM: max(a.Sea.CriticalM, b.Sea.CriticalM), LookaheadS: max(a.Sea.LookaheadS, b.Sea.LookaheadS)},
		Air: detect.AirThresholds{Advisory: vol(a.Air.Advisory, b.Air.Advisory), Warning: vol(a.Air.Warning, b.Air.Warning),
			Critical: vol(a.Air.Critical, b.Air.Critical), NMAC: vol(a.Air.NMAC, b.Air.NMAC)},
	}
}

// EnvelopeScale is how far above the defaults a channel may set its
// thresholds; the engine's spatial index is sized for it, and larger
// values are clamped.
const EnvelopeScale = 3

func scaled(t detect.Thresholds, k float64) detect.Thresholds {
	v := func(x detect.Volume) detect.Volume {
		return detect.Volume{HorizontalM: x.HorizontalM * k, VerticalM: x.VerticalM * k, LookaheadS: x.LookaheadS * k}
	}
	return detect.Thresholds{
		Sea: detect.SeaThresholds{AdvisoryM: t.Sea.AdvisoryM * k, DangerousM: t.Sea.DangerousM * k, CriticalM: t.Sea.CriticalM * k, LookaheadS: t.Sea.LookaheadS * k},
		Air: detect.AirThresholds{Advisory: v(t.Air.Advisory), Warning: v(t.Air.Warning), Critical: v(t.Air.Critical), NMAC: v(t.Air.NMAC)},
	}
}
