package live

import (
	"context"
	"sort"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
)

func (l *Picture) attribute(r *deconflict.Report) (party, how string) {
	return l.attr.Load().Attribute(r)
}

// rebuild makes the attributor of the base parties file and the declared
// assets, and re-attributes the picture's tracks with it.
func (l *Picture) rebuild(assets map[string]deconflict.Assets) error {
	f := l.base
	f.Parties = append([]attrib.Party(nil), l.base.Parties...)
	ids := make([]string, 0, len(assets))
	for id := range assets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := assets[id]
		found := false
		for i := range f.Parties {
			if f.Parties[i].ID == id {
				p := f.Parties[i]
				p.MMSI = append(append([]string(nil), p.MMSI...), a.MMSI...)
				p.ICAO = append(append([]string(nil), p.ICAO...), a.ICAO...)
				p.Callsigns = append(append([]string(nil), p.Callsigns...), a.Callsigns...)
				f.Parties[i], found = p, true
			}
		}
		if !found {
			f.Parties = append(f.Parties, attrib.Party{ID: id, MMSI: a.MMSI, ICAO: a.ICAO, Callsigns: a.Callsigns})
		}
	}
	a, err := attrib.New(f)
	if err != nil {
		return err
	}
	base, err := attrib.New(l.base)
	if err != nil {
		return err
	}
	l.attr.Store(a)
	l.baseAttr.Store(base)
	if l.Table != nil {
		l.Table.Reattribute(l.attribute)
	}
	return nil
}

func (l *Picture) loadAssets(ctx context.Context) error {
	as, err := l.store.FindAssets(ctx)
	if err != nil {
		return err
	}
	l.assets = as
	return l.rebuild(l.assets)
}

// DeclareAssets replaces the assets party declares as its own: the party
// itself or the operator. EINVALID (naming the entry) for a malformed
// identity or one another party already claims.
func (l *Picture) DeclareAssets(ctx context.Context, caller, party string, a deconflict.Assets) error {
	if caller != deconflict.NodeAuthor && caller != party {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "assets of %s: a party declares only its own", party)
	}
	if _, err := l.store.FindParty(ctx, party); err != nil {
		return err
	}
	l.amu.Lock()
	defer l.amu.Unlock()
	next := make(map[string]deconflict.Assets, len(l.assets)+1)
	for k, v := range l.assets {
		next[k] = v
	}
	next[party] = a
	if err := l.rebuild(next); err != nil {
		return err
	}
	if err := l.store.SetAssets(ctx, party, &a); err != nil {
		l.rebuild(l.assets)
		return err
	}
	l.assets = next
	return nil
}

// DeclaredAssets returns every party's declared assets.
func (l *Picture) DeclaredAssets() map[string]deconflict.Assets {
	l.amu.Lock()
	defer l.amu.Unlock()
	out := make(map[string]deconflict.Assets, len(l.assets))
	for k, v := range l.assets {
		out[k] = v
	}
	return out
}
