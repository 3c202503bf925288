package attrib_test

import (
	"math"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
)

func TestMID(t *testing.T) {
	tests := []struct {
		mmsi string
		mid  int
		kind string
		ok   bool
	}{
		{"273345678", 273, attrib.KindShip, true},
		{"211234560", 211, attrib.KindShip, true},
		{"023612345", 236, attrib.KindGroup, true},
		{"002320123", 232, attrib.KindCoast, true},
		{"2320123", 232, attrib.KindCoast, true}, // coast station printed without its leading zeros
		{"111273123", 273, attrib.KindSARAircraft, true},
		{"827312345", 273, attrib.KindHandheld, true},
		{"982731234", 273, attrib.KindCraft, true},
		{"992111234", 211, attrib.KindAtoN, true},
		{"970012345", 0, "", false}, // AIS-SART
		{"972012345", 0, "", false}, // MOB
		{"974012345", 0, "", false}, // EPIRB-AIS
		{"123456789", 0, "", false},
		{"1234567890", 0, "", false},
		{"27334567x", 0, "", false},
		{"", 0, "", false},
		{"000012345", 0, "", false}, // MID 001
	}
	for _, tt := range tests {
		t.Run(tt.mmsi, func(t *testing.T) {
			mid, kind, ok := attrib.MID(tt.mmsi)
			if mid != tt.mid || kind != tt.kind || ok != tt.ok {
				t.Fatalf("MID(%q)=%d,%q,%v, want %d,%q,%v", tt.mmsi, mid, kind, ok, tt.mid, tt.kind, tt.ok)
			}
		})
	}
}

func TestFlag(t *testing.T) {
	tests := []struct {
		id, country, sovereign, how string
	}{
		{"mmsi:273345678", "RU", "RU", attrib.HowMID},
		{"mmsi:366123456", "US", "US", attrib.HowMID},
		{"mmsi:231123456", "FO", "DK", attrib.HowMID},
		{"mmsi:477123456", "HK", "CN", attrib.HowMID},
		{"mmsi:636012345", "LR", "LR", attrib.HowMID},
		{"mmsi:775999999", "VE", "VE", attrib.HowMID},
		{"mmsi:201000001", "AL", "AL", attrib.HowMID},
		{"mmsi:217000000", "", "", ""}, // MID 217 is not allocated
		{"icao:3c6444", "DE", "DE", attrib.HowICAO},
		{"icao:154321", "RU", "RU", attrib.HowICAO},
		{"icao:ae01c5", "US", "US", attrib.HowICAO},
		{"icao:43c6f1", "GB", "GB", attrib.HowICAO},
		{"icao:4b8123", "TR", "TR", attrib.HowICAO},
		{"icao:501c00", "HR", "HR", attrib.HowICAO},
		{"icao:501bff", "", "", ""}, // between Albania and Croatia
		{"icao:e94fff", "BO", "BO", attrib.HowICAO},
		{"icao:f00001", "", "", ""}, // ICAO temporary
		{"icao:zzzzzz", "", "", ""},
		{"icao:abc", "", "", ""},
		{"RU:frigate-1", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			c, s, how := attrib.Flag(tt.id)
			if c != tt.country || s != tt.sovereign || how != tt.how {
				t.Fatalf("Flag(%q)=%q,%q,%q, want %q,%q,%q", tt.id, c, s, how, tt.country, tt.sovereign, tt.how)
			}
		})
	}
}

// TestTables checks the embedded tables against counts and rows checked
// by hand in the sources: the ITU MID table has 292 MIDs (201-775),
// and every default alliance member has a MID.
func TestTables(t *testing.T) {
	n := 0
	for mid := 200; mid < 800; mid++ {
		if _, _, ok := attrib.MIDCountry(mid); ok {
			n++
		}
	}
	if got, want := n, 292; got != want {
		t.Errorf("%d MIDs, want %d", got, want)
	}
	members := 0
	for _, p := range attrib.DefaultAlliances() {
		if p == "NATO" {
			members++
		}
	}
	if got, want := members, 32; got != want {
		t.Errorf("%d NATO members, want %d", got, want)
	}
	// Every NATO member and Russia has both a MID and an ICAO block.
	for c := range attrib.DefaultAlliances() {
		foundMID := false
		for mid := 200; mid < 800; mid++ {
			if country, _, ok := attrib.MIDCountry(mid); ok && country == c {
				foundMID = true
			}
		}
		if !foundMID {
			t.Errorf("no MID for %s", c)
		}
	}
}

func TestAttributor(t *testing.T) {
	f := `{
	  "parties": [
	    {"id": "US", "countries": ["US"], "icao": ["AE01C5"], "callsigns": ["RCH*"]},
	    {"id": "RU", "countries": ["RU", "BY"], "mmsi": ["211999999"], "callsigns": ["RFF*01", "RSD0*"], "ids": ["RU:frigate-1"]},
	    {"id": "NATO", "countries": ["FR"]}
	  ]
	}`
	a, err := attrib.Load(strings.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	rep := func(id, callsign, party string) *deconflict.Report {
		return &deconflict.Report{ID: id, Callsign: callsign, Party: party, Lat: nan, Lon: nan}
	}
	tests := []struct {
		name       string
		r          *deconflict.Report
		party, how string
	}{
		{"AssetMMSIOverFlag", rep("mmsi:211999999", "", ""), "RU", attrib.HowAsset},
		{"AssetICAO", rep("icao:ae01c5", "RCH123", ""), "US", attrib.HowAsset},
		{"AssetID", rep("RU:frigate-1", "", ""), "RU", attrib.HowAsset},
		{"CallsignPattern", rep("icao:3c6444", "rff7701", ""), "RU", attrib.HowCallsign},
		{"CallsignPatternNoMatch", rep("icao:3c6444", "RFF7702", ""), "NATO", attrib.HowICAO},
		{"CallsignPrefix", rep("icao:aaaaaa", "RCH4211", ""), "US", attrib.HowCallsign},
		{"Source", rep("X:1", "", "FR"), "FR", attrib.HowSource},
		{"FlagFirstPartyWins", rep("icao:ae0000", "", ""), "US", attrib.HowICAO},
		{"FlagListed", rep("mmsi:206123456", "", ""), "RU", attrib.HowMID},
		{"FlagDefaultAlliance", rep("mmsi:211123456", "", ""), "NATO", attrib.HowMID},
		{"FlagTerritorySovereign", rep("mmsi:231123456", "", ""), "NATO", attrib.HowMID},
		{"FlagRU", rep("icao:154321", "", ""), "RU", attrib.HowICAO},
		{"Unattributed", rep("mmsi:412123456", "", ""), "", ""},
		{"UnknownID", rep("something", "", ""), "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			party, how := a.Attribute(tt.r)
			if party != tt.party || how != tt.how {
				t.Fatalf("Attribute=%q,%q, want %q,%q", party, how, tt.party, tt.how)
			}
		})
	}
	t.Run("Default", func(t *testing.T) {
		d := attrib.Default()
		for _, tt := range []struct{ id, party string }{
			{"icao:ae01c5", "NATO"}, {"mmsi:273345678", "RU"}, {"icao:780001", ""}, {"mmsi:246000000", "NATO"},
		} {
			if got, _ := d.Attribute(rep(tt.id, "", "")); got != tt.party {
				t.Errorf("Attribute(%s)=%q, want %q", tt.id, got, tt.party)
			}
		}
	})
	t.Run("NoDefaultAlliances", func(t *testing.T) {
		a, err := attrib.Load(strings.NewReader(`{"parties":[{"id":"RU","countries":["RU"]}],"default_alliances":false}`))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := a.Attribute(rep("icao:ae01c5", "", "")); got != "" {
			t.Fatalf("Attribute=%q, want unattributed", got)
		}
	})
	t.Run("NoAllocation", func(t *testing.T) {
		r := rep("icao:3c6444", "DLH123", "")
		if n := testing.AllocsPerRun(100, func() { a.Attribute(r) }); n != 0 {
			t.Fatalf("%v allocations, want 0", n)
		}
	})
}

func TestLoad_Err(t *testing.T) {
	tests := []struct{ name, file, want string }{
		{"Syntax", `{"parties": [`, "parties file:"},
		{"UnknownField", `{"parties": [{"id": "RU", "ships": []}]}`, `unknown field "ships"`},
		{"NoID", `{"parties": [{"countries": ["RU"]}]}`, `parties[0]: id ""`},
		{"TwiceParty", `{"parties": [{"id": "RU"}, {"id": "RU"}]}`, `party "RU" listed twice`},
		{"Country", `{"parties": [{"id": "RU", "countries": ["RUS"]}]}`, `countries[0] "RUS"`},
		{"MMSI", `{"parties": [{"id": "RU", "mmsi": ["27312345"]}]}`, `mmsi[0] "27312345": want 9 digits`},
		{"ICAO", `{"parties": [{"id": "RU", "icao": ["15432G"]}]}`, `icao[0] "15432G": want 6 hex digits`},
		{"Pattern", `{"parties": [{"id": "RU", "callsigns": ["**"]}]}`, `matches every callsign`},
		{"PatternSpace", `{"parties": [{"id": "RU", "callsigns": ["RF F"]}]}`, `not printable`},
		{"TwoClaims", `{"parties": [{"id": "RU", "mmsi": ["273123456"]}, {"id": "NATO", "mmsi": ["273123456"]}]}`, "mmsi 273123456 declared by RU too"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := attrib.Load(strings.NewReader(tt.file))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err=%v, want it to contain %q", err, tt.want)
			}
			if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
				t.Fatalf("code %q, want %q", got, want)
			}
		})
	}
}

func BenchmarkAttribute(b *testing.B) {
	a := attrib.Default()
	r := &deconflict.Report{ID: "icao:3c6444", Callsign: "DLH123"}
	for b.Loop() {
		a.Attribute(r)
	}
}

// TestIsAsset: affiliation is not an asset. A Danish merchant ship is
// NATO-affiliated and civilian; declared, source-named and
// military-marked tracks are assets.
func TestIsAsset(t *testing.T) {
	for _, tc := range []struct {
		id, how  string
		military bool
		want     bool
	}{
		{"mmsi:219000001", attrib.HowMID, false, false},
		{"mmsi:219000001", attrib.HowMID, true, true}, // AIS ship type 35 or 55
		{"icao:3c6444", attrib.HowICAO, false, false},
		{"icao:3c6444", attrib.HowICAO, true, true},   // readsb dbFlags
		{"icao:ae1234", attrib.HowICAO, false, true},  // US state range
		{"icao:adf7c7", attrib.HowICAO, false, false}, // the last N-number address
		{"icao:adf7c8", attrib.HowICAO, false, true},
		{"mmsi:273000001", attrib.HowAsset, false, true},
		{"RU:frigate-1", attrib.HowSource, false, true},
		{"icao:151abc", attrib.HowCallsign, false, true},
		{"icao:zzzzzz", "", false, false},
	} {
		if got := attrib.IsAsset(tc.id, tc.how, tc.military); got != tc.want {
			t.Errorf("IsAsset(%s, %s, %v) = %v, want %v", tc.id, tc.how, tc.military, got, tc.want)
		}
	}
}

// TestTracksRemembersStaticMark: a static report of ship type 35 marks
// the MMSI, and the position reports that follow are a state asset's.
func TestTracksRemembersStaticMark(t *testing.T) {
	c := attrib.NewTracks(attrib.Default())
	pos := func() deconflict.Report {
		return deconflict.Report{ID: "mmsi:273000001", Domain: deconflict.Sea, Lat: 55, Lon: 20}
	}
	r := pos()
	c.Classify(&r)
	if r.Party != "RU" || r.Asset {
		t.Fatalf("before the static report: party %q asset %v, want RU civilian", r.Party, r.Asset)
	}
	static := deconflict.Report{ID: "mmsi:273000001", Domain: deconflict.Sea, Lat: math.NaN(), Lon: math.NaN(), Military: true}
	c.Classify(&static)
	r = pos()
	c.Classify(&r)
	if r.Party != "RU" || !r.Asset || !r.Military {
		t.Fatalf("after a static report of type 35: party %q asset %v military %v, want an RU asset", r.Party, r.Asset, r.Military)
	}
	other := deconflict.Report{ID: "mmsi:273000002", Domain: deconflict.Sea, Lat: 55, Lon: 20}
	c.Classify(&other)
	if other.Asset {
		t.Fatal("another MMSI became an asset")
	}
}
