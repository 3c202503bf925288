package live

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
)

// Zones returns the declared zones and those the channels' logs declare
// (notified hazard areas, binding zone measures), ordered by id.
func (l *Picture) Zones() []detect.Zone {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]detect.Zone, 0, len(l.zones)+len(l.derived))
	for _, z := range l.zones {
		out = append(out, z)
	}
	for _, z := range l.derived {
		out = append(out, z)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddZone declares a zone: the operator for any owner, a party for its
// own. It is kept in the store and given to the engine.
func (l *Picture) AddZone(ctx context.Context, caller string, z detect.Zone) error {
	if caller != deconflict.NodeAuthor && caller != z.Owner {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "zone %s: a party declares only its own zones (owner %s)", z.ID, z.Owner)
	}
	if z.ID == "" {
		return deconflict.Errorf(deconflict.EINVALID, "zone: id is empty")
	}
	l.mu.Lock()
	_, exists := l.zones[z.ID]
	_, derived := l.derived[z.ID]
	l.mu.Unlock()
	exists = exists || derived
	if exists {
		return deconflict.Errorf(deconflict.ECONFLICT, "zone %s already exists", z.ID)
	}
	// The engine belongs to the run goroutine: hand it the zone there.
	done := make(chan error, 1)
	op := func(e *detect.Engine) {
		evs, err := e.AddZone(z, l.Now().UTC())
		if err == nil {
			l.mu.Lock()
			l.zones[z.ID] = z
			l.mu.Unlock()
			l.handle(evs)
		}
		done <- err
	}
	select {
	case l.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := <-done; err != nil {
		return deconflict.Errorf(deconflict.EINVALID, "zone %s: %v", z.ID, err)
	}
	return l.saveZones(ctx)
}

func (l *Picture) loadZones(ctx context.Context) error {
	text, err := l.store.Meta(ctx, "zones")
	if err != nil || text == "" {
		return err
	}
	var zs []deconflict.Zone
	if err := json.Unmarshal([]byte(text), &zs); err != nil {
		return fmt.Errorf("stored zones: %w", err)
	}
	for _, zv := range zs {
		z := EngineZone(&zv)
		if _, err := l.engine.AddZone(z, l.Now()); err != nil {
			return fmt.Errorf("stored zone %s: %w", z.ID, err)
		}
		l.zones[z.ID] = z
	}
	return nil
}

func (l *Picture) saveZones(ctx context.Context) error {
	var out []deconflict.Zone
	for _, z := range l.Zones() {
		l.mu.Lock()
		_, declared := l.zones[z.ID]
		l.mu.Unlock()
		if declared {
			out = append(out, ZoneOf(&z))
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return l.store.SetMeta(ctx, "zones", string(b))
}

// ZoneOf returns the declared (stored and API) form of an engine zone.
func ZoneOf(z *detect.Zone) deconflict.Zone {
	v := deconflict.Zone{ID: z.ID, Name: z.Name, Kind: string(z.Kind), Owner: z.Owner, RadiusM: z.RadiusM,
		MinAltM: deconflict.Nullable(z.MinAltM), MaxAltM: deconflict.Nullable(z.MaxAltM)}
	for _, p := range z.Polygon {
		v.Polygon = append(v.Polygon, [2]float64{p.Lat, p.Lon})
	}
	if z.RadiusM > 0 {
		v.Center = &[2]float64{z.Center.Lat, z.Center.Lon}
	}
	if !z.From.IsZero() {
		t := z.From
		v.From = &t
	}
	if !z.Until.IsZero() {
		t := z.Until
		v.Until = &t
	}
	return v
}

// EngineZone converts a declared zone into the engine's form.
func EngineZone(v *deconflict.Zone) detect.Zone {
	z := detect.Zone{ID: v.ID, Name: v.Name, Kind: detect.ZoneKind(v.Kind), Owner: v.Owner, RadiusM: v.RadiusM, MinAltM: math.NaN(), MaxAltM: math.NaN()}
	for _, p := range v.Polygon {
		z.Polygon = append(z.Polygon, geo.LatLon{Lat: p[0], Lon: p[1]})
	}
	if v.Center != nil {
		z.Center = geo.LatLon{Lat: v.Center[0], Lon: v.Center[1]}
	}
	if v.MinAltM != nil {
		z.MinAltM = *v.MinAltM
	}
	if v.MaxAltM != nil {
		z.MaxAltM = *v.MaxAltM
	}
	if v.From != nil {
		z.From = *v.From
	}
	if v.Until != nil {
		z.Until = *v.Until
	}
	return z
}
