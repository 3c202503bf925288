package live

import (
	"context"
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
// own. It is kept in the store (ECONFLICT if its id is taken) and given
// to the engine (EINVALID if the engine refuses it).
func (l *Picture) AddZone(ctx context.Context, caller string, z detect.Zone) error {
	if caller != deconflict.NodeAuthor && caller != z.Owner {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "zone %s: a party declares only its own zones (owner %s)", z.ID, z.Owner)
	}
	if z.ID == "" {
		return deconflict.Errorf(deconflict.EINVALID, "zone: id is empty")
	}
	l.mu.Lock()
	_, derived := l.derived[z.ID]
	l.mu.Unlock()
	if derived {
		return deconflict.Errorf(deconflict.ECONFLICT, "zone %s already exists (a channel's log declares it)", z.ID)
	}
	// The store decides which of two declarations of one id wins: each
	// zone is its own row, so concurrent declarations lose nothing.
	rec := ZoneOf(&z)
	if err := l.store.CreateZone(ctx, &rec); err != nil {
		return err
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
			l.publish(Event{Type: "zone", Event: "added", ID: z.ID, Zone: &z})
		}
		done <- err
	}
	var err error
	select {
	case l.ops <- op:
		err = <-done
		if err != nil {
			err = deconflict.Errorf(deconflict.EINVALID, "zone %s: %v", z.ID, err)
		}
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		if derr := l.store.DeleteZone(context.WithoutCancel(ctx), z.ID); derr != nil {
			l.Logger.Error("zone refused but still stored", "zone", z.ID, "err", derr)
		}
		return err
	}
	return nil
}

// RemoveZone withdraws a zone: its owner or the operator. Its open
// encounters close. ENOTFOUND if there is no such zone.
func (l *Picture) RemoveZone(ctx context.Context, caller, id string) error {
	l.mu.Lock()
	z, ok := l.zones[id]
	l.mu.Unlock()
	if !ok {
		return deconflict.Errorf(deconflict.ENOTFOUND, "zone %s not found", id)
	}
	if caller != deconflict.NodeAuthor && caller != z.Owner {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "zone %s: only its owner (%s) or the operator removes it", id, z.Owner)
	}
	if err := l.store.DeleteZone(ctx, id); err != nil {
		return err
	}
	done := make(chan error, 1)
	op := func(e *detect.Engine) {
		evs, err := e.RemoveZone(id, l.Now().UTC())
		if err == nil {
			l.mu.Lock()
			delete(l.zones, id)
			l.mu.Unlock()
			l.handle(evs)
			l.publish(Event{Type: "zone", Event: "removed", ID: id, Zone: &z})
		}
		done <- err
	}
	select {
	case l.ops <- op:
		return <-done
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Picture) loadZones(ctx context.Context) error {
	zs, err := l.store.FindZones(ctx)
	if err != nil {
		return err
	}
	for _, zv := range zs {
		z := EngineZone(zv)
		if _, err := l.engine.AddZone(z, l.Now()); err != nil {
			return fmt.Errorf("stored zone %s: %w", z.ID, err)
		}
		l.zones[z.ID] = z
	}
	return nil
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
