package regime

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"time"
)

// Measure kinds.
const (
	SeparationKind            = "separation"
	ZoneKind                  = "zone"
	NotificationThresholdKind = "notification-threshold"
	AckDeadlinesKind          = "ack-deadlines"
	RelevanceKind             = "relevance"
)

// MeasureKinds lists every measure kind.
var MeasureKinds = []string{SeparationKind, ZoneKind, NotificationThresholdKind, AckDeadlinesKind, RelevanceKind}

// Tiers per domain of a separation measure (DESIGN.md's default thresholds).
var Tiers = map[string][]string{
	"sea":     {"advisory", "dangerous", "critical"},
	"air":     {"advisory", "warning", "critical", "nmac"},
	"air-sea": {"dangerous", "critical"},
}

// Measure is a proposal's terms, strictly decoded. Exactly one of the
// kind's parts is set.
type Measure struct {
	Kind string `json:"kind"`
	// NoticePeriod is how long after a member's withdrawal the measure
	// lapses for all (term "notice_period_s"; zero: at once).
	NoticePeriod time.Duration `json:"-"`

	Separation *Separation      `json:"-"`
	Zone       *MeasureZone     `json:"-"`
	Notify     *RegimeThreshold `json:"-"`
	Ack        AckDeadlines     `json:"-"`
	Relevance  *Relevance       `json:"-"`
}

// Separation is a minimum separation agreed for a domain and tier: an
// encounter closer than DistanceM (m) horizontally (and, where the tier
// has it, closer than VerticalM vertically: for air-sea, the aircraft
// below VerticalM above the ship) within WithinS (s) of look-ahead is of
// that tier. Zero VerticalM or WithinS keep the default.
type Separation struct {
	Domain    string  `json:"domain"`
	Tier      string  `json:"tier"`
	DistanceM float64 `json:"distance_m"`
	VerticalM float64 `json:"vertical_m,omitempty"`
	WithinS   float64 `json:"within_s,omitempty"`
}

// MeasureZone is a special caution area or deconfliction zone agreed by
// the members (the 1989 Dangerous Military Activities agreement's special
// caution areas): its area and window, and what entering it requires.
type MeasureZone struct {
	Name     string    `json:"name"`
	ZoneKind string    `json:"zone_kind"` // "special-caution-area" or "deconfliction-zone"
	Area     *Area     `json:"area"`
	Start    time.Time `json:"start,omitzero"` // zero: from binding
	End      time.Time `json:"end,omitzero"`   // zero: until withdrawn
	// EntryNotice is the notice a member must give before entering
	// (term "entry_notice_s"; zero: none required).
	EntryNotice  time.Duration `json:"-"`
	EntryNoticeS int64         `json:"entry_notice_s,omitempty"` // EntryNotice in seconds
	// MinSeparationM is the separation members keep from each other inside (m; zero: none).
	MinSeparationM float64 `json:"min_separation_m,omitempty"`
}

// RegimeThreshold lowers a regime's thresholds of prior notification
// between the members (the Vienna Document's "VD Plus" practice).
type RegimeThreshold struct {
	Regime string     `json:"regime"`
	Notify Thresholds `json:"thresholds"`
}

// AckDeadlines maps precedences to acknowledgement deadlines.
type AckDeadlines map[string]time.Duration

// Relevance widens what is alerted on the channel: encounters involving
// the members' civilian (merchant, airliner) tracks inside Area, which the
// default relevance leaves out.
type Relevance struct {
	Area     *Area `json:"area"`
	Civilian bool  `json:"civilian"`
}

// ParseMeasure decodes a measure's terms strictly. EINVALID names the
// field at fault.
func ParseMeasure(b []byte) (*Measure, error) {
	o, err := parseObject("measure", b)
	if err != nil {
		return nil, err
	}
	m := &Measure{}
	if m.Kind, err = o.str("kind", true); err != nil {
		return nil, err
	}
	notice, err := o.count("notice_period_s", 10*365*24*3600)
	if err != nil {
		return nil, err
	}
	m.NoticePeriod = time.Duration(notice) * time.Second
	switch m.Kind {
	case SeparationKind:
		s := &Separation{}
		if s.Domain, err = o.str("domain", true); err != nil {
			return nil, err
		}
		tiers, ok := Tiers[s.Domain]
		if !ok {
			return nil, invalid("measure.domain: %q, want sea, air or air-sea", s.Domain)
		}
		if s.Tier, err = o.str("tier", true); err != nil {
			return nil, err
		}
		if !slices.Contains(tiers, s.Tier) {
			return nil, invalid("measure.tier: %q, want one of %v for %s", s.Tier, tiers, s.Domain)
		}
		if s.DistanceM, _, err = o.number("distance_m", true, 1, 1_000_000); err != nil {
			return nil, err
		}
		if s.Domain != "sea" {
			if s.VerticalM, _, err = o.number("vertical_m", false, 1, 100_000); err != nil {
				return nil, err
			}
		}
		if s.WithinS, _, err = o.number("within_s", false, 1, 24*3600); err != nil {
			return nil, err
		}
		m.Separation = s
	case ZoneKind:
		z := &MeasureZone{}
		if z.Name, err = o.str("name", true); err != nil {
			return nil, err
		}
		if z.ZoneKind, err = o.str("zone_kind", true); err != nil {
			return nil, err
		}
		if z.ZoneKind != "special-caution-area" && z.ZoneKind != "deconfliction-zone" {
			return nil, invalid("measure.zone_kind: %q, want special-caution-area or deconfliction-zone", z.ZoneKind)
		}
		if z.Area, err = o.area("area", true); err != nil {
			return nil, err
		}
		if z.Start, err = o.time("start", false); err != nil {
			return nil, err
		}
		if z.End, err = o.time("end", false); err != nil {
			return nil, err
		}
		if !z.End.IsZero() && z.End.Before(z.Start) {
			return nil, invalid("measure.end: before start")
		}
		n, err := o.count("entry_notice_s", 365*24*3600)
		if err != nil {
			return nil, err
		}
		z.EntryNotice, z.EntryNoticeS = time.Duration(n)*time.Second, n
		if z.MinSeparationM, _, err = o.number("min_separation_m", false, 0, 1_000_000); err != nil {
			return nil, err
		}
		m.Zone = z
	case NotificationThresholdKind:
		r := &RegimeThreshold{}
		if r.Regime, err = o.str("regime", true); err != nil {
			return nil, err
		}
		if r.Regime != VD11Prior {
			return nil, invalid("measure.regime: %q, only %s has thresholds", r.Regime, VD11Prior)
		}
		th, err := o.child("thresholds", true)
		if err != nil {
			return nil, err
		}
		r.Notify = NotificationThresholds
		any := false
		for _, c := range []struct {
			k string
			p *int64
			d int64
		}{
			{"troops", &r.Notify.Troops, NotificationThresholds.Troops}, {"tanks", &r.Notify.Tanks, NotificationThresholds.Tanks},
			{"acv", &r.Notify.ACV, NotificationThresholds.ACV}, {"artillery", &r.Notify.Artillery, NotificationThresholds.Artillery},
			{"sorties", &r.Notify.Sorties, NotificationThresholds.Sorties},
			{"amphibious_troops", &r.Notify.AmphibiousTroops, NotificationThresholds.AmphibiousTroops},
			{"airborne_troops", &r.Notify.AirborneTroops, NotificationThresholds.AirborneTroops},
		} {
			if _, present := th.raw(c.k); !present {
				continue
			}
			v, err := th.count(c.k, c.d)
			if err != nil {
				return nil, err
			}
			if v < 1 {
				return nil, invalid("%s: want at least 1", th.at(c.k))
			}
			*c.p, any = v, true
		}
		if err := th.done(); err != nil {
			return nil, err
		}
		if !any {
			return nil, invalid("measure.thresholds: empty, want at least one of troops, tanks, acv, artillery, sorties, amphibious_troops, airborne_troops")
		}
		m.Notify = r
	case AckDeadlinesKind:
		m.Ack = AckDeadlines{}
		for _, p := range []string{"flash", "immediate", "priority", "routine"} {
			if _, present := o.raw(p + "_s"); !present {
				continue
			}
			v, err := o.count(p+"_s", 30*24*3600)
			if err != nil {
				return nil, err
			}
			if v < 1 {
				return nil, invalid("measure.%s_s: want at least 1 second", p)
			}
			m.Ack[p] = time.Duration(v) * time.Second
		}
		if len(m.Ack) == 0 {
			return nil, invalid("measure: missing required field \"flash_s\" (or immediate_s, priority_s, routine_s)")
		}
	case RelevanceKind:
		r := &Relevance{}
		if r.Area, err = o.area("area", true); err != nil {
			return nil, err
		}
		if r.Civilian, err = o.boolean("civilian"); err != nil {
			return nil, err
		}
		if !r.Civilian {
			return nil, invalid("measure.civilian: want true (the only widening defined)")
		}
		m.Relevance = r
	default:
		return nil, invalid("measure.kind: unknown kind %q, want one of %v", m.Kind, MeasureKinds)
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return m, nil
}

// Ref is the body of a sign or withdraw envelope: the proposal's index
// and the RFC 6962 hash of its logged leaf (the exact bytes signed).
type Ref struct {
	Index    int64  `json:"index"`
	LeafHash []byte `json:"leaf_hash"` // base64, 32 bytes
}

// ParseRef decodes a sign or withdraw body strictly.
func ParseRef(b []byte) (*Ref, error) {
	o, err := parseObject("body", b)
	if err != nil {
		return nil, err
	}
	idx, present := o.raw("index")
	if !present {
		return nil, o.missing("index")
	}
	_ = idx
	r := &Ref{}
	if r.Index, err = o.count("index", 1<<62); err != nil {
		return nil, err
	}
	h, err := o.str("leaf_hash", true)
	if err != nil {
		return nil, err
	}
	if r.LeafHash, err = base64.StdEncoding.DecodeString(h); err != nil || len(r.LeafHash) != 32 {
		return nil, invalid("body.leaf_hash: want 32 bytes in base64")
	}
	if err := o.done(); err != nil {
		return nil, err
	}
	return r, nil
}

// Marshal returns the body's JSON.
func (r Ref) Marshal() []byte {
	b, _ := json.Marshal(r)
	return b
}
