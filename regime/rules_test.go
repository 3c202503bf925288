package regime_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/regime"
)

var t0 = time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)

func leaf(i int64) [32]byte { return deconflict.LeafHash([]byte{byte(i), 'x'}) }

func ref(i int64) []byte {
	h := leaf(i)
	return regime.Ref{Index: i, LeafHash: h[:]}.Marshal()
}

// channelLog is a channel's log: proposals, signatures, a withdrawal and
// other envelopes, with the times the node received them.
func channelLog() []regime.LogEntry {
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	return []regime.LogEntry{
		{Index: 0, Kind: "message", Author: "US", Received: at(0)},
		{Index: 1, Kind: regime.KindMeasure, Author: "US", Received: at(1), Body: []byte(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":3000}`)},
		{Index: 2, Kind: "message", Author: "RU", Received: at(2)},
		{Index: 3, Kind: regime.KindSign, Author: "RU", Received: at(3), Body: ref(1)},
		{Index: 4, Kind: regime.KindMeasure, Author: "RU", Received: at(4), Body: []byte(`{"kind":"zone","name":"BALTIC-SCA","zone_kind":"special-caution-area","area":{"circle":{"lat":55,"lon":19,"radius_m":20000}},"entry_notice_s":3600,"notice_period_s":3600}`)},
		{Index: 5, Kind: regime.KindMeasure, Author: "US", Received: at(5), Body: []byte(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":5000}`)},
		{Index: 6, Kind: regime.KindSign, Author: "US", Received: at(6), Body: ref(4)},
		{Index: 7, Kind: regime.KindMeasure, Author: "US", Received: at(7), Body: []byte(`{"kind":"ack-deadlines","flash_s":60}`)},
		{Index: 8, Kind: regime.KindWithdraw, Author: "US", Received: at(10), Body: ref(4)},
		{Index: 9, Kind: regime.KindSign, Author: "RU", Received: at(20), Body: ref(5)},
		{Index: 10, Kind: "message", Author: "RU", Received: at(69)},
		{Index: 11, Kind: regime.KindSign, Author: "RU", Received: at(70), Body: ref(7)},
		{Index: 12, Kind: "message", Author: "RU", Received: at(71)},
	}
}

// reference recomputes, with no code of the package, which measures are
// binding at index n: every member signed (the proposer by proposing) at
// or before n, and no withdrawal at or before n whose notice (given here
// per measure) ended by the time of entry n.
func reference(entries []regime.LogEntry, members []string, n int64, notice map[int64]time.Duration) []int64 {
	tn := entries[n].Received
	var out []int64
	for _, p := range entries[:n+1] {
		if p.Kind != regime.KindMeasure {
			continue
		}
		signers := map[string]bool{p.Author: true}
		lapsed := false
		for _, e := range entries[:n+1] {
			if strings.Contains(string(e.Body), `"index":`+itoa(p.Index)+`,`) {
				switch e.Kind {
				case regime.KindSign:
					signers[e.Author] = true
				case regime.KindWithdraw:
					lapsed = !tn.Before(e.Received.Add(notice[p.Index]))
				}
			}
		}
		all := true
		for _, m := range members {
			all = all && signers[m]
		}
		if all && !lapsed {
			out = append(out, p.Index)
		}
	}
	return out
}

func TestRulesReplay(t *testing.T) {
	members := []string{"RU", "US"}
	entries := channelLog()
	for i := range entries {
		entries[i].LeafHash = leaf(entries[i].Index)
	}
	notice := map[int64]time.Duration{4: time.Hour}
	b := regime.NewBook(members)
	for _, e := range entries {
		if err := b.Add(e); err != nil {
			t.Fatalf("entry %d: %v", e.Index, err)
		}
	}
	for n := int64(0); n < int64(len(entries)); n++ {
		r := regime.RulesAt(members, entries, n)
		if got, want := r, b.At(n, entries[n].Received); !slices.EqualFunc(got.Measures, want.Measures, func(a, b regime.MeasureState) bool { return a.State == b.State && a.Index == b.Index }) {
			t.Fatalf("index %d: replay and incremental book differ", n)
		}
		var got []int64
		for _, s := range r.Measures {
			if s.State == regime.Binding {
				got = append(got, s.Index)
			}
		}
		if want := reference(entries, members, n, notice); !slices.Equal(got, want) {
			t.Errorf("index %d: binding %v, want %v", n, got, want)
		}
	}
	// What the rules say at chosen indexes.
	sep := func(n int64) float64 {
		r := regime.RulesAt(members, entries, n)
		if len(r.Separations) == 0 {
			return 0
		}
		if len(r.Separations) != 1 {
			t.Fatalf("index %d: %d sea/dangerous separations, want the last binding one", n, len(r.Separations))
		}
		return r.Separations[0].DistanceM
	}
	for _, c := range []struct {
		n    int64
		want float64
	}{{2, 0}, {3, 3000}, {8, 3000}, {9, 5000}, {12, 5000}} {
		if got := sep(c.n); got != c.want {
			t.Errorf("index %d: sea dangerous separation %g m, want %g", c.n, got, c.want)
		}
	}
	zones := func(n int64) int { return len(regime.RulesAt(members, entries, n).Zones) }
	if zones(5) != 0 || zones(6) != 1 || zones(9) != 1 || zones(10) != 1 || zones(11) != 0 {
		t.Errorf("zone in force at 5,6,9,10,11: %d %d %d %d %d, want 0 1 1 1 0 (withdrawn at 10 min, notice 1 h)",
			zones(5), zones(6), zones(9), zones(10), zones(11))
	}
	r := regime.RulesAt(members, entries, 11)
	if got, want := r.AckDeadlines["flash"], time.Minute; got != want {
		t.Errorf("flash deadline %v, want %v", got, want)
	}
	st := r.Measures[1]
	if st.State != regime.Withdrawn || st.WithdrawnBy != "US" || !st.Lapses.Equal(t0.Add(70*time.Minute)) {
		t.Errorf("zone measure %+v, want withdrawn by US lapsing at 01:10", st)
	}
	if r := regime.RulesAt(members, entries, 6); !slices.Equal(r.Measures[2].Awaiting, []string{"RU"}) {
		t.Errorf("measure 5 awaiting %v, want [RU]", r.Measures[2].Awaiting)
	}
}

func TestBookRefuses(t *testing.T) {
	members := []string{"RU", "US"}
	b := regime.NewBook(members)
	must := func(e regime.LogEntry) {
		t.Helper()
		e.LeafHash = leaf(e.Index)
		if err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	must(regime.LogEntry{Index: 0, Kind: regime.KindMeasure, Author: "US", Received: t0, Body: []byte(`{"kind":"separation","domain":"air","tier":"warning","distance_m":3000,"vertical_m":300}`)})
	other := leaf(99)
	for _, c := range []struct {
		name string
		e    regime.LogEntry
		code string
	}{
		{"OtherBytes", regime.LogEntry{Index: 1, Kind: regime.KindSign, Author: "RU", Body: regime.Ref{Index: 0, LeafHash: other[:]}.Marshal()}, deconflict.EINVALID},
		{"NoProposal", regime.LogEntry{Index: 1, Kind: regime.KindSign, Author: "RU", Body: ref(7)}, deconflict.EINVALID},
		{"NotMember", regime.LogEntry{Index: 1, Kind: regime.KindSign, Author: "FR", Body: ref(0)}, deconflict.EFORBIDDEN},
		{"SignOwn", regime.LogEntry{Index: 1, Kind: regime.KindSign, Author: "US", Body: ref(0)}, deconflict.ECONFLICT},
		{"WithdrawNotBinding", regime.LogEntry{Index: 1, Kind: regime.KindWithdraw, Author: "US", Body: ref(0)}, deconflict.ECONFLICT},
		{"BadTerms", regime.LogEntry{Index: 1, Kind: regime.KindMeasure, Author: "US", Body: []byte(`{"kind":"separation","domain":"sea","tier":"warning","distance_m":3000}`)}, deconflict.EINVALID},
		{"BadRef", regime.LogEntry{Index: 1, Kind: regime.KindSign, Author: "RU", Body: []byte(`{"index":0}`)}, deconflict.EINVALID},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := deconflict.ErrorCode(b.Check(c.e)); got != c.code {
				t.Errorf("code %q, want %q", got, c.code)
			}
		})
	}
	must(regime.LogEntry{Index: 1, Kind: regime.KindSign, Author: "RU", Received: t0, Body: ref(0)})
	if err := b.Check(regime.LogEntry{Index: 2, Kind: regime.KindSign, Author: "RU", Body: ref(0)}); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Errorf("second signature: %v, want conflict", err)
	}
	must(regime.LogEntry{Index: 2, Kind: regime.KindWithdraw, Author: "RU", Received: t0, Body: ref(0)})
	if err := b.Check(regime.LogEntry{Index: 3, Kind: regime.KindWithdraw, Author: "US", Body: ref(0)}); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Errorf("second withdrawal: %v, want conflict", err)
	}
	if got := b.At(2, t0).Measures[0].State; got != regime.Withdrawn {
		t.Errorf("state %s, want withdrawn at once (no notice period)", got)
	}
}

func TestParseMeasureErrors(t *testing.T) {
	for _, c := range []struct{ name, m, want string }{
		{"UnknownKind", `{"kind":"ceasefire"}`, `unknown kind "ceasefire"`},
		{"NoKind", `{"domain":"sea"}`, `missing required field "kind"`},
		{"BadTier", `{"kind":"separation","domain":"sea","tier":"nmac","distance_m":1}`, `tier: "nmac"`},
		{"NoDistance", `{"kind":"separation","domain":"sea","tier":"critical"}`, `missing required field "distance_m"`},
		{"VerticalAtSea", `{"kind":"separation","domain":"sea","tier":"critical","distance_m":100,"vertical_m":10}`, `unknown field "vertical_m"`},
		{"Duplicate", `{"kind":"separation","domain":"sea","domain":"air","tier":"critical","distance_m":100}`, `"domain" appears twice`},
		{"ZoneNoArea", `{"kind":"zone","name":"Z","zone_kind":"special-caution-area"}`, `missing required field "area"`},
		{"ZoneBadKind", `{"kind":"zone","name":"Z","zone_kind":"exercise","area":{"circle":{"lat":1,"lon":1,"radius_m":1}}}`, `zone_kind: "exercise"`},
		{"ThresholdRaised", `{"kind":"notification-threshold","regime":"vd11-prior","thresholds":{"troops":10000}}`, `thresholds.troops: 10000`},
		{"ThresholdUnknown", `{"kind":"notification-threshold","regime":"vd11-prior","thresholds":{"ships":3}}`, `unknown field "ships"`},
		{"ThresholdOtherRegime", `{"kind":"notification-threshold","regime":"launch-1988","thresholds":{"troops":1}}`, `only vd11-prior`},
		{"AckEmpty", `{"kind":"ack-deadlines"}`, `missing required field "flash_s"`},
		{"AckZero", `{"kind":"ack-deadlines","flash_s":0}`, `flash_s: want at least 1`},
		{"RelevanceNotCivilian", `{"kind":"relevance","area":{"circle":{"lat":1,"lon":1,"radius_m":1}}}`, `civilian: want true`},
		{"NegativeNotice", `{"kind":"ack-deadlines","flash_s":5,"notice_period_s":-1}`, `notice_period_s: -1`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := regime.ParseMeasure([]byte(c.m))
			if deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want invalid containing %q", err, c.want)
			}
		})
	}
	m, err := regime.ParseMeasure([]byte(`{"kind":"notification-threshold","regime":"vd11-prior","thresholds":{"troops":5000}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.Notify.Notify.Troops, int64(5000); got != want {
		t.Errorf("troops %d, want %d", got, want)
	}
	if got, want := m.Notify.Notify.Tanks, regime.NotificationThresholds.Tanks; got != want {
		t.Errorf("tanks %d, want the default %d", got, want)
	}
}

// TestZoneSeparations: a zone's minimum separation is broken by an
// approach closer than it, inside the area (either track), within the
// window; not at the separation itself, outside, before the start or at
// the end, nor by a zone without one.
func TestZoneSeparations(t *testing.T) {
	start := time.Date(2027, 9, 1, 0, 0, 0, 0, time.UTC)
	zone := func(terms string) regime.ZoneRule {
		m, err := regime.ParseMeasure([]byte(terms))
		if err != nil {
			t.Fatal(err)
		}
		return regime.ZoneRule{Measure: 7, MeasureZone: *m.Zone}
	}
	r := &regime.Rules{Zones: []regime.ZoneRule{
		zone(`{"kind":"zone","name":"DZ","zone_kind":"deconfliction-zone","area":{"circle":{"lat":55.5,"lon":19,"radius_m":10000}},"min_separation_m":3000,"start":"2027-09-01T00:00:00Z","end":"2027-09-02T00:00:00Z"}`),
		zone(`{"kind":"zone","name":"SCA","zone_kind":"special-caution-area","area":{"circle":{"lat":55.5,"lon":19,"radius_m":10000}}}`),
	}}
	in, out := [3]float64{55.5, 19.05, 0}, [3]float64{56.5, 19, 0}
	for _, tc := range []struct {
		name string
		d    float64
		at   time.Time
		pos  [][3]float64
		want int
	}{
		{"Breach", 1500, start.Add(time.Hour), [][3]float64{in, out}, 1},
		{"SecondTrackInside", 1500, start.Add(time.Hour), [][3]float64{out, in}, 1},
		{"AtTheSeparation", 3000, start.Add(time.Hour), [][3]float64{in}, 0},
		{"Outside", 1500, start.Add(time.Hour), [][3]float64{out, out}, 0},
		{"BeforeStart", 1500, start.Add(-time.Second), [][3]float64{in}, 0},
		{"AtEnd", 1500, start.Add(24 * time.Hour), [][3]float64{in}, 0},
	} {
		got := r.ZoneSeparations(tc.d, tc.at, tc.pos...)
		if len(got) != tc.want || tc.want == 1 && (got[0].Name != "DZ" || got[0].Measure != 7) {
			t.Errorf("%s: %+v, want %d (DZ, measure 7)", tc.name, got, tc.want)
		}
	}
}
