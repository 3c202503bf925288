package deconflict

import "time"

// Zone is a declared area as the node keeps it and the API shows and
// takes it: an exercise area, a hazard area, a special caution area. The
// engine's form of it is detect.Zone.
type Zone struct {
	ID      string       `json:"id"`
	Name    string       `json:"name,omitempty"`
	Kind    string       `json:"kind"`
	Owner   string       `json:"owner"`
	Polygon [][2]float64 `json:"polygon,omitempty"` // [lat, lon] vertices
	Center  *[2]float64  `json:"center,omitempty"`  // [lat, lon]
	RadiusM float64      `json:"radius_m,omitempty"`
	MinAltM *float64     `json:"min_alt_m"`
	MaxAltM *float64     `json:"max_alt_m"`
	From    *time.Time   `json:"from,omitempty"`
	Until   *time.Time   `json:"until,omitempty"`
}

// Assets are the ships and aircraft a party declares as its own: the
// first rule of attribution, before flags.
type Assets struct {
	MMSI      []string `json:"mmsi,omitempty"`      // 9 digits
	ICAO      []string `json:"icao,omitempty"`      // 6 hex digits
	Callsigns []string `json:"callsigns,omitempty"` // patterns, '*' any run: "RFF*"
}

// AssetIdent is one identifier of a declaration as storage keeps it: its
// kind ("mmsi", "icao" or "callsign"), its position among those of its
// kind, and the identifier.
type AssetIdent struct {
	Kind  string
	N     int
	Ident string
}

// Idents lists a's identifiers by kind, in order: the rows a backend stores.
func (a *Assets) Idents() []AssetIdent {
	var out []AssetIdent
	for _, l := range []struct {
		kind string
		ids  []string
	}{{"mmsi", a.MMSI}, {"icao", a.ICAO}, {"callsign", a.Callsigns}} {
		for i, id := range l.ids {
			out = append(out, AssetIdent{Kind: l.kind, N: i, Ident: id})
		}
	}
	return out
}

// AddIdent appends one stored identifier of kind to a (the inverse of
// Idents, row by row in order); an unknown kind is ignored.
func (a *Assets) AddIdent(kind, ident string) {
	switch kind {
	case "mmsi":
		a.MMSI = append(a.MMSI, ident)
	case "icao":
		a.ICAO = append(a.ICAO, ident)
	case "callsign":
		a.Callsigns = append(a.Callsigns, ident)
	}
}
