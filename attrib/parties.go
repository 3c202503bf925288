package attrib

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/deconflict/deconflict"
)

// File is a parties file (JSON): the parties, their declared assets and
// the countries whose ships and aircraft count as theirs. See
// docs/picture.md.
type File struct {
	Parties []Party `json:"parties"`
	// DefaultAlliances, unless false, fills the membership of countries
	// no party lists from the built-in table (DefaultAlliances).
	DefaultAlliances *bool `json:"default_alliances,omitempty"`
}

// Party is one party in a parties file.
type Party struct {
	ID        string   `json:"id"`                  // the party: "RU", "NATO", "US"
	Countries []string `json:"countries,omitempty"` // ISO 3166-1 alpha-2 of its flag states
	MMSI      []string `json:"mmsi,omitempty"`      // declared ships (9 digits)
	ICAO      []string `json:"icao,omitempty"`      // declared aircraft (6 hex digits)
	Callsigns []string `json:"callsigns,omitempty"` // callsign patterns, '*' any run: "RFF*"
	IDs       []string `json:"ids,omitempty"`       // other track identities: "RU:frigate-1"
}

// MaxFileSize is the largest parties file Load reads (bytes).
const MaxFileSize = 16 << 20

// LoadFile reads a parties file; see Load.
func LoadFile(path string) (*Attributor, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	a, err := Load(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return a, nil
}

// Load reads a parties file and returns its Attributor. Countries map to
// the first party that lists them (list "US" before "NATO" to attribute
// US-registered aircraft to the US). Errors have code EINVALID and name
// the entry at fault: an unknown field, a malformed MMSI, ICAO address,
// country or pattern, an asset two parties declare.
func Load(r io.Reader) (*Attributor, error) {
	f, err := ReadFile(r)
	if err != nil {
		return nil, err
	}
	return New(f)
}

// ReadFile parses a parties file without building its Attributor, for
// callers that merge more parties into it (the node's declared assets).
func ReadFile(r io.Reader) (File, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return File{}, err
	}
	if len(b) > MaxFileSize {
		return File{}, deconflict.Errorf(deconflict.ETOOLARGE, "parties file over %d bytes", MaxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return File{}, deconflict.Errorf(deconflict.EINVALID, "parties file: %v", err)
	}
	return f, nil
}

// New returns the Attributor of a parties file's content.
func New(f File) (*Attributor, error) {
	a := &Attributor{assets: map[string]string{}, countries: map[string]string{}}
	bad := func(format string, args ...any) error {
		return deconflict.Errorf(deconflict.EINVALID, "parties file: "+format, args...)
	}
	seen := map[string]bool{}
	claim := func(i int, id, what string) error {
		if p, ok := a.assets[id]; ok && p != f.Parties[i].ID {
			return bad("parties[%d] (%s): %s declared by %s too", i, f.Parties[i].ID, what, p)
		}
		a.assets[id] = f.Parties[i].ID
		return nil
	}
	for i, p := range f.Parties {
		if p.ID == "" || strings.TrimSpace(p.ID) != p.ID || len(p.ID) > 64 {
			return nil, bad("parties[%d]: id %q: want 1 to 64 characters without surrounding space", i, p.ID)
		}
		if seen[p.ID] {
			return nil, bad("parties[%d]: party %q listed twice", i, p.ID)
		}
		seen[p.ID] = true
		for j, c := range p.Countries {
			if !isCountry(c) {
				return nil, bad("parties[%d] (%s): countries[%d] %q: want an ISO 3166-1 alpha-2 code such as \"FR\"", i, p.ID, j, c)
			}
			if _, ok := a.countries[c]; !ok {
				a.countries[c] = p.ID
			}
		}
		for j, m := range p.MMSI {
			if len(m) != 9 || strings.Trim(m, "0123456789") != "" {
				return nil, bad("parties[%d] (%s): mmsi[%d] %q: want 9 digits", i, p.ID, j, m)
			}
			if err := claim(i, "mmsi:"+m, "mmsi "+m); err != nil {
				return nil, err
			}
		}
		for j, h := range p.ICAO {
			if len(h) != 6 || strings.Trim(strings.ToLower(h), "0123456789abcdef") != "" {
				return nil, bad("parties[%d] (%s): icao[%d] %q: want 6 hex digits", i, p.ID, j, h)
			}
			if err := claim(i, "icao:"+strings.ToLower(h), "icao "+h); err != nil {
				return nil, err
			}
		}
		for j, id := range p.IDs {
			if id == "" || len(id) > 128 {
				return nil, bad("parties[%d] (%s): ids[%d] %q: want 1 to 128 characters", i, p.ID, j, id)
			}
			if err := claim(i, id, "id "+id); err != nil {
				return nil, err
			}
		}
		for j, c := range p.Callsigns {
			parts, err := compilePattern(c)
			if err != nil {
				return nil, bad("parties[%d] (%s): callsigns[%d] %v", i, p.ID, j, err)
			}
			a.callsigns = append(a.callsigns, callsignPattern{parts: parts, party: p.ID})
		}
	}
	if f.DefaultAlliances == nil || *f.DefaultAlliances {
		for c, p := range defaultParties {
			if _, ok := a.countries[c]; !ok {
				a.countries[c] = p
			}
		}
	}
	return a, nil
}
