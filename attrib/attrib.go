// Package attrib attributes tracks to parties. In order: the assets a
// party declared (MMSI, ICAO address, track identity, callsign patterns),
// else the party a source itself named (a party's own positions), else
// the flag: the country of the AIS Maritime Identification Digits (ITU)
// or of the ICAO 24-bit address block (ICAO Annex 10), and that
// country's party by alliance membership. What is left is unattributed.
//
// The ITU and ICAO tables and the default alliance membership are CSV
// files in data/, embedded in the binary, each naming its source.
package attrib

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/deconflict/deconflict"
)

// How a track was attributed, as Attribute returns it.
const (
	HowAsset    = "asset"    // the track is an asset a party declared
	HowCallsign = "callsign" // its callsign matches a party's declared pattern
	HowSource   = "source"   // the report's source named the party (positions CSV)
	HowMID      = "mid"      // flag state from the MMSI's Maritime Identification Digits
	HowICAO     = "icao"     // state of registry from the ICAO 24-bit address block
)

//go:embed data/*.csv
var dataFS embed.FS

// midEntry is one row of data/mid.csv.
type midEntry struct {
	country, sovereign, name string
}

// block is one row of data/icao24.csv.
type block struct {
	start, end uint32
	country    string
	name       string
}

var (
	mids           map[int]midEntry // MID -> flag
	blocks         []block          // sorted by start, not overlapping
	militaryBlocks []block          // data/icao24-military.csv, sorted, not overlapping
	defaultParties map[string]string
)

func init() {
	var err error
	if mids, err = loadMIDs(); err != nil {
		panic(err) // the embedded table is broken: a build fault, caught by the tests
	}
	if blocks, err = loadBlocks("icao24.csv"); err != nil {
		panic(err)
	}
	if militaryBlocks, err = loadBlocks("icao24-military.csv"); err != nil {
		panic(err)
	}
	if defaultParties, err = loadAlliances(); err != nil {
		panic(err)
	}
}

// readTable reads an embedded CSV file, skipping "#" comment lines and
// the header, checking the header names.
func readTable(name string, header ...string) ([][]string, error) {
	b, err := dataFS.ReadFile("data/" + name)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(b))
	cr.Comment = '#'
	cr.FieldsPerRecord = len(header)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("attrib: data/%s: %w", name, err)
	}
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(header, ",") {
		return nil, fmt.Errorf("attrib: data/%s: header is not %s", name, strings.Join(header, ","))
	}
	return rows[1:], nil
}

func loadMIDs() (map[int]midEntry, error) {
	rows, err := readTable("mid.csv", "mid", "country", "sovereign", "name")
	if err != nil {
		return nil, err
	}
	m := make(map[int]midEntry, len(rows))
	for i, r := range rows {
		mid, err := strconv.Atoi(r[0])
		if err != nil || mid < 200 || mid > 799 || !isCountry(r[1]) || !isCountry(r[2]) {
			return nil, fmt.Errorf("attrib: data/mid.csv: row %d: %v", i+2, r)
		}
		if _, dup := m[mid]; dup {
			return nil, fmt.Errorf("attrib: data/mid.csv: MID %d twice", mid)
		}
		m[mid] = midEntry{country: r[1], sovereign: r[2], name: r[3]}
	}
	return m, nil
}

func loadBlocks(name string) ([]block, error) {
	rows, err := readTable(name, "start", "end", "country", "name")
	if err != nil {
		return nil, err
	}
	bs := make([]block, 0, len(rows))
	for i, r := range rows {
		s, err1 := strconv.ParseUint(r[0], 16, 24)
		e, err2 := strconv.ParseUint(r[1], 16, 24)
		if err1 != nil || err2 != nil || e < s || (r[2] != "" && !isCountry(r[2])) {
			return nil, fmt.Errorf("attrib: data/%s: row %d: %v", name, i+2, r)
		}
		bs = append(bs, block{start: uint32(s), end: uint32(e), country: r[2], name: r[3]})
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].start < bs[j].start })
	for i := 1; i < len(bs); i++ {
		if bs[i].start <= bs[i-1].end {
			return nil, fmt.Errorf("attrib: data/%s: %s overlaps %s", name, bs[i].name, bs[i-1].name)
		}
	}
	return bs, nil
}

func loadAlliances() (map[string]string, error) {
	rows, err := readTable("alliances.csv", "country", "party")
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(rows))
	for i, r := range rows {
		if !isCountry(r[0]) || r[1] == "" {
			return nil, fmt.Errorf("attrib: data/alliances.csv: row %d: %v", i+2, r)
		}
		m[r[0]] = r[1]
	}
	return m, nil
}

func isCountry(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// DefaultAlliances returns a copy of the built-in alliance membership
// (data/alliances.csv): NATO's 32 member states to "NATO", RU to "RU".
func DefaultAlliances() map[string]string {
	m := make(map[string]string, len(defaultParties))
	for k, v := range defaultParties {
		m[k] = v
	}
	return m
}

// MMSI kinds, by the form of the number (ITU-R M.585).
const (
	KindShip        = "ship"         // MIDxxxxxx
	KindGroup       = "group"        // 0MIDxxxxx, group of ship stations
	KindCoast       = "coast"        // 00MIDxxxx, coast station (AIS base station)
	KindSARAircraft = "sar-aircraft" // 111MIDxxx
	KindHandheld    = "handheld"     // 8MIDxxxxx, handheld VHF with DSC and GNSS
	KindCraft       = "craft"        // 98MIDxxxx, craft associated with a parent ship
	KindAtoN        = "aton"         // 99MIDxxxx, aid to navigation
)

// MID returns the Maritime Identification Digits of an MMSI (given as
// up to 9 decimal digits; fewer are left-padded with zeros, as decoders
// print coast stations' numbers) and the kind of station its form shows.
// ok is false for numbers without a MID: AIS-SART (970), man overboard
// (972) and EPIRB-AIS (974) devices, and malformed numbers.
func MID(mmsi string) (mid int, kind string, ok bool) {
	if len(mmsi) == 0 || len(mmsi) > 9 {
		return 0, "", false
	}
	var d [9]byte
	pad := 9 - len(mmsi)
	for i := range d {
		if i < pad {
			d[i] = 0
			continue
		}
		c := mmsi[i-pad]
		if c < '0' || c > '9' {
			return 0, "", false
		}
		d[i] = c - '0'
	}
	three := func(i int) int { return int(d[i])*100 + int(d[i+1])*10 + int(d[i+2]) }
	switch {
	case d[0] >= 2 && d[0] <= 7:
		mid, kind = three(0), KindShip
	case d[0] == 0 && d[1] == 0:
		mid, kind = three(2), KindCoast
	case d[0] == 0:
		mid, kind = three(1), KindGroup
	case d[0] == 1 && d[1] == 1 && d[2] == 1:
		mid, kind = three(3), KindSARAircraft
	case d[0] == 8:
		mid, kind = three(1), KindHandheld
	case d[0] == 9 && d[1] == 8:
		mid, kind = three(2), KindCraft
	case d[0] == 9 && d[1] == 9:
		mid, kind = three(2), KindAtoN
	default:
		return 0, "", false
	}
	if mid < 200 || mid > 799 {
		return 0, "", false
	}
	return mid, kind, true
}

// MIDCountry returns the flag (ISO 3166-1 alpha-2) of a MID, the state
// responsible for it (differs for territories: FO gives DK), and false
// when the ITU has not allocated the MID.
func MIDCountry(mid int) (country, sovereign string, ok bool) {
	e, ok := mids[mid]
	return e.country, e.sovereign, ok
}

// ICAOCountry returns the state of registry (ISO 3166-1 alpha-2) whose
// ICAO Annex 10 block holds a 24-bit address, and false when no state's
// block does (unallocated or ICAO's own blocks).
func ICAOCountry(icao uint32) (country string, ok bool) {
	i := sort.Search(len(blocks), func(i int) bool { return blocks[i].end >= icao })
	if i < len(blocks) && blocks[i].start <= icao && blocks[i].country != "" {
		return blocks[i].country, true
	}
	return "", false
}

// MilitaryICAO reports whether a 24-bit address lies in a range of state
// aircraft (data/icao24-military.csv, which names its sources).
func MilitaryICAO(icao uint32) bool {
	i := sort.Search(len(militaryBlocks), func(i int) bool { return militaryBlocks[i].end >= icao })
	return i < len(militaryBlocks) && militaryBlocks[i].start <= icao
}

// militaryID reports whether a track identity "icao:hhhhhh" has a
// military address (MilitaryICAO).
func militaryID(id string) bool {
	hex, ok := strings.CutPrefix(id, "icao:")
	if !ok || len(hex) != 6 {
		return false
	}
	v, err := strconv.ParseUint(hex, 16, 24)
	return err == nil && MilitaryICAO(uint32(v))
}

// IsAsset reports whether the track id, attributed as how (Attribute),
// is a state asset of its party, as DESIGN.md's "Relevance" defines it:
// declared by the party (HowAsset, HowCallsign), named by the source
// (HowSource: the positions CSV's party), or marked military or state by
// the source itself (military: readsb dbFlags bit 0, AIS ship type 35 or
// 55) or by a military ICAO address (MilitaryICAO). Otherwise the track
// is civilian and its party, if any, only its affiliation.
func IsAsset(id, how string, military bool) bool {
	switch how {
	case HowAsset, HowCallsign, HowSource:
		return true
	}
	return military || militaryID(id)
}

// Flag returns the country of a track identity ("mmsi:NNNNNNNNN" by its
// MID, "icao:hhhhhh" by its address block), the state responsible for
// it, and how it was found (HowMID or HowICAO). It returns empty strings
// for other identities and for numbers no table covers.
func Flag(id string) (country, sovereign, how string) {
	switch {
	case strings.HasPrefix(id, "mmsi:"):
		mid, _, ok := MID(id[len("mmsi:"):])
		if !ok {
			return "", "", ""
		}
		c, s, ok := MIDCountry(mid)
		if !ok {
			return "", "", ""
		}
		return c, s, HowMID
	case strings.HasPrefix(id, "icao:"):
		hex := id[len("icao:"):]
		if len(hex) != 6 {
			return "", "", ""
		}
		v, err := strconv.ParseUint(hex, 16, 24)
		if err != nil {
			return "", "", ""
		}
		c, ok := ICAOCountry(uint32(v))
		if !ok {
			return "", "", ""
		}
		return c, c, HowICAO
	}
	return "", "", ""
}

// Attributor attributes reports to parties. Build one with Default or
// Load; it is immutable and safe for concurrent use.
type Attributor struct {
	assets    map[string]string // track identity -> party
	callsigns []callsignPattern // in declaration order
	countries map[string]string // ISO alpha-2 -> party
}

type callsignPattern struct {
	parts []string // the pattern split at '*', upper case
	party string
}

// Default returns an Attributor with no declared assets and the default
// alliance membership (DefaultAlliances).
func Default() *Attributor {
	return &Attributor{assets: map[string]string{}, countries: DefaultAlliances()}
}

// Attribute returns the party of r and how it was found (one of the How
// constants), or "", "" when r is unattributed. It does not allocate.
func (a *Attributor) Attribute(r *deconflict.Report) (party, how string) {
	if p, ok := a.assets[r.ID]; ok {
		return p, HowAsset
	}
	if r.Callsign != "" {
		for i := range a.callsigns {
			if matchPattern(a.callsigns[i].parts, r.Callsign) {
				return a.callsigns[i].party, HowCallsign
			}
		}
	}
	if r.Party != "" {
		return r.Party, HowSource
	}
	country, sovereign, how := Flag(r.ID)
	if how == "" {
		return "", ""
	}
	if p, ok := a.countries[country]; ok {
		return p, how
	}
	if p, ok := a.countries[sovereign]; ok {
		return p, how
	}
	return "", ""
}

// Countries returns a copy of the country to party membership in use.
func (a *Attributor) Countries() map[string]string {
	m := make(map[string]string, len(a.countries))
	for k, v := range a.countries {
		m[k] = v
	}
	return m
}

// matchPattern matches s against a pattern split at its '*' wildcards,
// ASCII case-insensitively.
func matchPattern(parts []string, s string) bool {
	if len(parts) == 1 {
		return strings.EqualFold(parts[0], s)
	}
	first, last := parts[0], parts[len(parts)-1]
	if len(s) < len(first)+len(last) || !strings.EqualFold(s[:len(first)], first) ||
		!strings.EqualFold(s[len(s)-len(last):], last) {
		return false
	}
	s = s[len(first) : len(s)-len(last)]
	for _, p := range parts[1 : len(parts)-1] {
		i := indexFold(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return true
}

// indexFold is strings.Index ignoring ASCII case, p upper case.
func indexFold(s, p string) int {
	for i := 0; i+len(p) <= len(s); i++ {
		if strings.EqualFold(s[i:i+len(p)], p) {
			return i
		}
	}
	return -1
}

// compilePattern checks a callsign pattern: 1 to 16 printable ASCII
// characters other than space, '*' matching any run.
func compilePattern(p string) ([]string, error) {
	if len(p) == 0 || len(p) > 16 {
		return nil, fmt.Errorf("%q: want 1 to 16 characters", p)
	}
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] > '~' {
			return nil, fmt.Errorf("%q: character %d is not printable ASCII", p, i+1)
		}
	}
	if strings.Trim(p, "*") == "" {
		return nil, fmt.Errorf("%q: matches every callsign", p)
	}
	return strings.Split(strings.ToUpper(p), "*"), nil
}

// Tracks classifies a stream of reports (a recording): each report's
// party (Attribute) and whether its track is a state asset (IsAsset),
// remembering per track identity that a static report marked it military
// or state (AIS ship type 35 or 55 comes in static reports only, which
// position reports do not repeat). The live picture keeps the same mark
// per track (picture.Track.Military). Not safe for concurrent use.
type Tracks struct {
	a        *Attributor
	military map[string]bool // identities marked military or state so far
}

// NewTracks returns a Tracks attributing with a.
func NewTracks(a *Attributor) *Tracks { return &Tracks{a: a, military: map[string]bool{}} }

// Classify sets r.Party, r.Asset and r.Military (from what earlier
// reports of the track said).
func (t *Tracks) Classify(r *deconflict.Report) {
	if r.Military {
		t.military[r.ID] = true
	} else if t.military[r.ID] {
		r.Military = true
	}
	var how string
	r.Party, how = t.a.Attribute(r)
	r.Asset = r.Party != "" && IsAsset(r.ID, how, r.Military)
}
