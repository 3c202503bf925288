package deconflict

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Precedence is the urgency of a hotline message, from the highest.
type Precedence string

// Precedences, in the order of the military message-handling tradition.
const (
	Flash     Precedence = "flash"
	Immediate Precedence = "immediate"
	Priority  Precedence = "priority"
	Routine   Precedence = "routine"
)

// Precedences lists every precedence from the highest to the lowest.
var Precedences = []Precedence{Flash, Immediate, Priority, Routine}

// ParsePrecedence accepts a precedence in any letter case. EINVALID otherwise.
func ParsePrecedence(s string) (Precedence, error) {
	p := Precedence(strings.ToLower(s))
	if !slices.Contains(Precedences, p) {
		return "", Errorf(EINVALID, "precedence %q: want flash, immediate, priority or routine", s)
	}
	return p, nil
}

// Default acknowledgement deadlines per precedence.
const (
	DefaultAckFlash     = 2 * time.Minute
	DefaultAckImmediate = 10 * time.Minute
	DefaultAckPriority  = time.Hour
	DefaultAckRoutine   = 24 * time.Hour
)

// Policy is a channel's agreed rules.
type Policy struct {
	// AckDeadlines maps each precedence to how long every other member has
	// to acknowledge a message of that precedence.
	AckDeadlines map[Precedence]Duration `json:"ack_deadlines"`
	// Webhooks are called (POST, JSON) when an acknowledgement is missed.
	Webhooks []string `json:"webhooks,omitempty"`
	// Thresholds are the encounter tiers agreed on the channel (the
	// detection engine's JSON, e.g. {"Sea":{"AdvisoryM":5000}}; fields not
	// given keep their defaults). Absent: the defaults of DESIGN.md.
	Thresholds json.RawMessage `json:"thresholds,omitempty"`
	// Witnesses is a C2SP tlog-policy (https://c2sp.org/tlog-policy)
	// naming the witnesses the node asks to cosign the channel's
	// checkpoints ("witness NAME VKEY URL" lines) and the quorum members
	// are expected to demand. Empty: the channel is not witnessed.
	Witnesses string `json:"witnesses,omitempty"`
}

// PolicyChange is the body of a policy envelope: the channel's policy
// before and after the change, both complete, so that the rules in force
// at any index follow from the log alone (the To of the last policy
// envelope before it; before the first one, its From).
type PolicyChange struct {
	From    Policy   `json:"from"`
	To      Policy   `json:"to"`
	Changed []string `json:"changed"` // what differs: "ack_deadlines.flash", "webhooks", "thresholds"
}

// PolicyPatch names the parts of a policy to change; what it does not
// name stays as it is.
type PolicyPatch struct {
	// AckDeadlines sets the deadlines of the precedences it names.
	AckDeadlines map[Precedence]Duration `json:"ack_deadlines,omitempty"`
	// Webhooks, when not nil, replaces the webhooks (empty: none).
	Webhooks *[]string `json:"webhooks,omitempty"`
	// Thresholds, when not empty, replaces the thresholds (null: the defaults).
	Thresholds json.RawMessage `json:"thresholds,omitempty"`
	// Witnesses, when not nil, replaces the witness policy (empty: none).
	Witnesses *string `json:"witnesses,omitempty"`
}

// Apply returns p changed by the patch (p itself is not modified).
func (pt *PolicyPatch) Apply(p Policy) Policy {
	out := Policy{AckDeadlines: map[Precedence]Duration{}, Webhooks: slices.Clone(p.Webhooks), Thresholds: p.Thresholds, Witnesses: p.Witnesses}
	for k, v := range p.AckDeadlines {
		out.AckDeadlines[k] = v
	}
	for k, v := range pt.AckDeadlines {
		out.AckDeadlines[k] = v
	}
	if pt.Webhooks != nil {
		out.Webhooks = slices.Clone(*pt.Webhooks)
	}
	if len(pt.Thresholds) > 0 {
		out.Thresholds = pt.Thresholds
		if string(pt.Thresholds) == "null" {
			out.Thresholds = nil
		}
	}
	if pt.Witnesses != nil {
		out.Witnesses = *pt.Witnesses
	}
	return out
}

// PolicyDiff names what differs between two policies, in a fixed order:
// "ack_deadlines.<precedence>" for each deadline in force that changed,
// then "webhooks", then "thresholds", then "witnesses".
func PolicyDiff(a, b Policy) []string {
	var out []string
	for _, prec := range Precedences {
		if a.AckDeadline(prec) != b.AckDeadline(prec) {
			out = append(out, "ack_deadlines."+string(prec))
		}
	}
	if !slices.Equal(a.Webhooks, b.Webhooks) {
		out = append(out, "webhooks")
	}
	if string(a.Thresholds) != string(b.Thresholds) {
		out = append(out, "thresholds")
	}
	if a.Witnesses != b.Witnesses {
		out = append(out, "witnesses")
	}
	return out
}

// DefaultPolicy returns the default acknowledgement deadlines and no webhooks.
func DefaultPolicy() Policy {
	return Policy{AckDeadlines: map[Precedence]Duration{
		Flash:     Duration(DefaultAckFlash),
		Immediate: Duration(DefaultAckImmediate),
		Priority:  Duration(DefaultAckPriority),
		Routine:   Duration(DefaultAckRoutine),
	}}
}

// AckDeadline returns the deadline for a message of precedence p, falling
// back to the defaults for a precedence the policy does not name.
func (p *Policy) AckDeadline(prec Precedence) time.Duration {
	if d, ok := p.AckDeadlines[prec]; ok && d > 0 {
		return time.Duration(d)
	}
	return time.Duration(DefaultPolicy().AckDeadlines[prec])
}

// Channel is a bilateral or multilateral forum with its own log.
type Channel struct {
	ID      string    `json:"id"`
	Members []string  `json:"members"`
	Policy  Policy    `json:"policy"`
	Created time.Time `json:"created"`
}

// IsMember reports whether party belongs to the channel.
func (c *Channel) IsMember(party string) bool { return slices.Contains(c.Members, party) }

// Validate checks the channel's id, members and policy. EINVALID otherwise.
func (c *Channel) Validate() error {
	if !ValidChannelID(c.ID) {
		return Errorf(EINVALID, "channel id %q: want 1-64 lowercase letters, digits, '-', '_' or '.'", c.ID)
	}
	if len(c.Members) < 2 {
		return Errorf(EINVALID, "channel %s: needs at least 2 members, has %d", c.ID, len(c.Members))
	}
	seen := map[string]bool{}
	for _, m := range c.Members {
		if seen[m] {
			return Errorf(EINVALID, "channel %s: member %s listed twice", c.ID, m)
		}
		seen[m] = true
	}
	for p, d := range c.Policy.AckDeadlines {
		if !slices.Contains(Precedences, p) {
			return Errorf(EINVALID, "channel %s: ack deadline for precedence %q: want flash, immediate, priority or routine (lowercase)", c.ID, short(string(p)))
		}
		if d <= 0 {
			return Errorf(EINVALID, "channel %s: %s deadline %v must be positive", c.ID, p, time.Duration(d))
		}
	}
	for _, u := range c.Policy.Webhooks {
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return Errorf(EINVALID, "channel %s: webhook %q: want an http:// or https:// URL", c.ID, u)
		}
	}
	return nil
}

// ChannelService creates and finds channels.
type ChannelService interface {
	// CreateChannel stores a new channel. ECONFLICT if the id exists,
	// ENOTFOUND if a member is not a registered party.
	CreateChannel(ctx context.Context, c *Channel) error
	// FindChannel returns a channel. ENOTFOUND if none.
	FindChannel(ctx context.Context, id string) (*Channel, error)
	// FindChannels lists every channel.
	FindChannels(ctx context.Context) ([]*Channel, error)
	// A channel's policy changes only with the envelope that records the
	// change (Batch.Policy), in the append's transaction.
}

// Duration is a time.Duration that reads and writes JSON as Go duration
// text ("2m0s"), or reads a number of seconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	// One meaning only: a JSON string is Go duration text, all of it
	// ("2m", not "2m later" nor "120"); a JSON number is seconds.
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return fmt.Errorf("duration %s: %w", b, err)
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration %s: want Go duration text like \"2m\" or a number of seconds", b)
		}
		*d = Duration(v)
		return nil
	}
	var secs float64
	if err := json.Unmarshal(b, &secs); err != nil {
		return fmt.Errorf("duration %s: want Go duration text like \"2m\" or a number of seconds", b)
	}
	if math.IsNaN(secs) || math.Abs(secs) > float64(math.MaxInt64/int64(time.Second)) {
		return fmt.Errorf("duration %s: out of range", b)
	}
	*d = Duration(secs * float64(time.Second))
	return nil
}
