package live

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/regime"
)

// RulesSource is what the picture reads of a channel's agreed measures
// and notifications, when its ChannelLog has them (*node.Node does).
type RulesSource interface {
	// ChannelRules returns the rules the channel's measures put in force now.
	ChannelRules(ctx context.Context, channel string) (*regime.Rules, error)
	// NotifiedAreas returns the areas and windows notified on the channel.
	NotifiedAreas(ctx context.Context, channel string) ([]regime.Notified, error)
}

// ApplySeparations returns th with the binding separations of a channel
// applied: each sets its domain and tier's distance (and vertical and
// look-ahead where given). An outer tier narrower than an agreed inner one
// is widened to it, so the tiers stay nested. An air-sea separation's
// vertical is the height under which the aircraft counts.
func ApplySeparations(th detect.Thresholds, seps []regime.SeparationRule) detect.Thresholds {
	vol := func(v *detect.Volume, s regime.Separation) {
		v.HorizontalM = s.DistanceM
		if s.VerticalM > 0 {
			v.VerticalM = s.VerticalM
		}
		if s.WithinS > 0 {
			v.LookaheadS = s.WithinS
		}
	}
	for _, s := range seps {
		switch s.Domain {
		case "sea":
			switch s.Tier {
			case "advisory":
				th.Sea.AdvisoryM = s.DistanceM
				if s.WithinS > 0 {
					th.Sea.LookaheadS = s.WithinS
				}
			case "dangerous":
				th.Sea.DangerousM = s.DistanceM
			case "critical":
				th.Sea.CriticalM = s.DistanceM
			}
		case "air-sea":
			switch s.Tier {
			case "dangerous":
				vol(&th.AirSea.Dangerous, s.Separation)
			case "critical":
				vol(&th.AirSea.Critical, s.Separation)
			}
		case "air":
			switch s.Tier {
			case "advisory":
				vol(&th.Air.Advisory, s.Separation)
			case "warning":
				vol(&th.Air.Warning, s.Separation)
			case "critical":
				vol(&th.Air.Critical, s.Separation)
			case "nmac":
				vol(&th.Air.NMAC, s.Separation)
			}
		}
	}
	th.Sea.DangerousM = math.Max(th.Sea.DangerousM, th.Sea.CriticalM)
	th.Sea.AdvisoryM = math.Max(th.Sea.AdvisoryM, th.Sea.DangerousM)
	widen := func(outer *detect.Volume, inner detect.Volume) {
		outer.HorizontalM = math.Max(outer.HorizontalM, inner.HorizontalM)
		outer.VerticalM = math.Max(outer.VerticalM, inner.VerticalM)
		outer.LookaheadS = math.Max(outer.LookaheadS, inner.LookaheadS)
	}
	widen(&th.Air.Warning, th.Air.Critical)
	widen(&th.Air.Advisory, th.Air.Warning)
	widen(&th.AirSea.Dangerous, th.AirSea.Critical)
	return th
}

// ApplyRules configures an engine that watches every pair of parties
// alike (scan) with rules, as the live picture applies a channel's: the
// separations set cfg.Thresholds and the relevance measures widen every
// pair of two civilian tracks inside their areas (cfg.Widen).
func ApplyRules(cfg *detect.Config, rules *regime.Rules) error {
	cfg.Thresholds = ApplySeparations(cfg.Thresholds, rules.Separations)
	var areas []geo.Area
	for _, rr := range rules.Relevance {
		a, err := areaOf(rr.Area)
		if err != nil {
			return fmt.Errorf("relevance measure %d: %w", rr.Measure, err)
		}
		areas = append(areas, a)
	}
	if len(areas) > 0 {
		cfg.Widen = func(a, b string) []geo.Area { return areas }
	}
	return nil
}

// derivedZones returns the zones that channel c's log declares: the
// impact and launch areas of launch notifications and the hazard areas
// of INCSEA notices (owned by the notifying party), and the binding zone
// measures (named by their proposer, binding every member).
func derivedZones(ctx context.Context, rs RulesSource, c *deconflict.Channel, rules *regime.Rules) ([]detect.Zone, error) {
	ns, err := rs.NotifiedAreas(ctx, c.ID)
	if err != nil {
		return nil, err
	}
	var out []detect.Zone
	for i, n := range ns {
		if n.Regime != regime.Launch1988 && n.Regime != regime.INCSEANotice {
			continue
		}
		z := zoneOf(n.Area, fmt.Sprintf("notified:%s:%d", n.Label, i), n.Designation, detect.MissileHazardArea, n.State)
		z.From, z.Until = n.From, n.To
		out = append(out, z)
	}
	proposer := map[int64]string{}
	for _, m := range rules.Measures {
		proposer[m.Index] = m.ProposedBy
	}
	for _, zr := range rules.Zones {
		kind := detect.SpecialCautionArea
		if zr.ZoneKind == "deconfliction-zone" {
			kind = detect.DeconflictionZone
		}
		z := zoneOf(zr.Area, fmt.Sprintf("measure:%s:%d", c.ID, zr.Measure), zr.Name, kind, proposer[zr.Measure])
		z.From, z.Until = zr.Start, zr.End
		// Every member signed it: it binds them all, its proposer too.
		z.Members = slices.Clone(c.Members)
		out = append(out, z)
	}
	return out, nil
}

// areaOf returns the engine's area of a measure's area (its altitude
// band aside).
func areaOf(a *regime.Area) (geo.Area, error) {
	if a.Circle != nil {
		return geo.NewCircle(geo.LatLon{Lat: a.Circle.Lat, Lon: a.Circle.Lon}, a.Circle.RadiusM)
	}
	var vs []geo.LatLon
	for _, v := range a.Polygon {
		vs = append(vs, geo.LatLon{Lat: v[0], Lon: v[1]})
	}
	return geo.NewPolygon(vs)
}

func zoneOf(a *regime.Area, id, name string, kind detect.ZoneKind, owner string) detect.Zone {
	z := detect.Zone{ID: id, Name: name, Kind: kind, Owner: owner, MinAltM: math.NaN(), MaxAltM: math.NaN()}
	if a.Circle != nil {
		z.Center, z.RadiusM = geo.LatLon{Lat: a.Circle.Lat, Lon: a.Circle.Lon}, a.Circle.RadiusM
	}
	for _, v := range a.Polygon {
		z.Polygon = append(z.Polygon, geo.LatLon{Lat: v[0], Lon: v[1]})
	}
	if a.AltM != nil {
		z.MinAltM, z.MaxAltM = a.AltM[0], a.AltM[1]
	}
	return z
}

// setDerived replaces the zones derived from the channels' logs with zs,
// in the engine's goroutine. They are not stored: the log is their record.
func (l *Picture) setDerived(ctx context.Context, zs []detect.Zone) error {
	want := map[string]detect.Zone{}
	for _, z := range zs {
		want[z.ID] = z
	}
	done := make(chan error, 1)
	op := func(e *detect.Engine) {
		now := l.Now().UTC()
		var errs []string
		l.mu.Lock()
		old := l.derived
		l.mu.Unlock()
		next := map[string]detect.Zone{}
		var changed []Event
		for id := range old {
			if _, keep := want[id]; keep {
				next[id] = old[id]
				continue
			}
			evs, err := e.RemoveZone(id, now)
			if err != nil {
				errs = append(errs, err.Error())
			}
			l.handle(evs)
			z := old[id]
			changed = append(changed, Event{Type: "zone", Event: "removed", ID: id, Zone: &z})
		}
		for id, z := range want {
			if _, have := old[id]; have {
				continue
			}
			evs, err := e.AddZone(z, now)
			if err != nil {
				errs = append(errs, fmt.Sprintf("zone %s: %v", id, err))
				continue
			}
			next[id] = z
			l.handle(evs)
			changed = append(changed, Event{Type: "zone", Event: "added", ID: id, Zone: &z})
		}
		l.mu.Lock()
		l.derived = next
		l.mu.Unlock()
		// after Zones() has them: a watcher re-reads the zones on these
		for _, ev := range changed {
			l.publish(ev)
		}
		if len(errs) > 0 {
			done <- fmt.Errorf("derived zones: %s", strings.Join(errs, "; "))
			return
		}
		done <- nil
	}
	select {
	case l.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-done
}

// explain returns, for an encounter alerted on channel ch, the channel's
// notifications whose area and window hold either party's track at the
// closest approach (the positions the prediction gives for it), and the text saying so ("RU-1 (RU) inside notified
// ZAPAD-2027, ru-nato:12", or "unexplained").
func (l *Picture) explain(ctx context.Context, ch string, enc *detect.Encounter) ([]string, string) {
	rs, ok := l.log.(RulesSource)
	if !ok {
		return nil, ""
	}
	ns, err := rs.NotifiedAreas(ctx, ch)
	if err != nil {
		l.Logger.Error("notified areas", "channel", ch, "err", err)
		return nil, ""
	}
	p := enc.Prediction
	t := p.CPATime()
	if t.IsZero() {
		t = p.Time
	}
	var labels, texts []string
	for _, side := range []struct {
		id, party string
		pos       detect.Position
	}{{enc.A, enc.PartyA, p.PosA}, {enc.B, enc.PartyB, p.PosB}} {
		if side.id == "" || math.IsNaN(side.pos.Lat) {
			continue
		}
		for _, n := range regime.Explaining(ns, side.party, side.pos.Lat, side.pos.Lon, side.pos.AltM, t) {
			if !slices.Contains(labels, n.Label) {
				labels = append(labels, n.Label)
				texts = append(texts, fmt.Sprintf("%s (%s) inside notified %s, %s", side.id, side.party, n.Designation, n.Label))
			}
		}
	}
	if len(labels) == 0 {
		return nil, "unexplained"
	}
	return labels, strings.Join(texts, "; ")
}
