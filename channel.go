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

// Default re-notification intervals: a FLASH or IMMEDIATE message that a
// member has not acknowledged is notified to it again at this interval
// (re-notify envelope, escalation webhooks, console), up to
// DefaultRenotifyMax times. DefaultRenotifyImmediate is Mattermost's
// persistent notification interval (5 min); DefaultRenotifyFlash is
// proposed here, as FLASH's 2 min deadline is shorter than that.
const (
	DefaultRenotifyFlash     = time.Minute
	DefaultRenotifyImmediate = 5 * time.Minute
	// DefaultRenotifyMax bounds the re-notifications of one message
	// (proposed: 6 min of FLASH, 30 min of IMMEDIATE), so that an
	// abandoned message does not grow the log for ever.
	DefaultRenotifyMax = 6
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
	// Renotify maps flash and immediate to the interval at which a message
	// not yet acknowledged is notified again to the members that owe the
	// acknowledgement; a precedence not named takes its default
	// (DefaultRenotifyFlash, DefaultRenotifyImmediate), "0s" turns it off.
	// Priority and routine messages are not re-notified.
	Renotify map[Precedence]Duration `json:"renotify,omitempty"`
	// LinkTest is the interval at which the node sends a link test on the
	// channel, which every member answers (linktest.go); nil:
	// DefaultLinkTestInterval, "0s": no link tests.
	LinkTest *Duration `json:"link_test,omitempty"`
	// LinkTestWithin is how soon an answer to a link test must reach the
	// node to count towards the member's availability; nil:
	// DefaultLinkTestWithin.
	LinkTestWithin *Duration `json:"link_test_within,omitempty"`
}

// RenotifyInterval returns the re-notification interval of a message of
// precedence prec; 0: it is not re-notified.
func (p *Policy) RenotifyInterval(prec Precedence) time.Duration {
	if d, ok := p.Renotify[prec]; ok {
		return max(time.Duration(d), 0)
	}
	switch prec {
	case Flash:
		return DefaultRenotifyFlash
	case Immediate:
		return DefaultRenotifyImmediate
	}
	return 0
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
	// Renotify sets the re-notification intervals of the precedences it
	// names ("0s": off).
	Renotify map[Precedence]Duration `json:"renotify,omitempty"`
	// LinkTest, when not nil, sets the link test interval ("0s": off).
	LinkTest *Duration `json:"link_test,omitempty"`
	// LinkTestWithin, when not nil, sets how soon an answer must come.
	LinkTestWithin *Duration `json:"link_test_within,omitempty"`
}

// Apply returns p changed by the patch (p itself is not modified).
func (pt *PolicyPatch) Apply(p Policy) Policy {
	out := Policy{AckDeadlines: map[Precedence]Duration{}, Webhooks: slices.Clone(p.Webhooks), Thresholds: p.Thresholds, Witnesses: p.Witnesses,
		LinkTest: p.LinkTest, LinkTestWithin: p.LinkTestWithin}
	if pt.LinkTest != nil {
		d := *pt.LinkTest
		out.LinkTest = &d
	}
	if pt.LinkTestWithin != nil {
		d := *pt.LinkTestWithin
		out.LinkTestWithin = &d
	}
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
	if len(p.Renotify)+len(pt.Renotify) > 0 {
		out.Renotify = map[Precedence]Duration{}
		for k, v := range p.Renotify {
			out.Renotify[k] = v
		}
		for k, v := range pt.Renotify {
			out.Renotify[k] = v
		}
	}
	return out
}

// PolicyDiff names what differs between two policies, in a fixed order:
// "ack_deadlines.<precedence>" for each deadline in force that changed,
// then "webhooks", then "thresholds", then "witnesses", then
// "renotify.<precedence>" for each re-notification interval in force that
// changed, then "link_test" and "link_test_within" (the values in force).
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
	for _, prec := range []Precedence{Flash, Immediate} {
		if a.RenotifyInterval(prec) != b.RenotifyInterval(prec) {
			out = append(out, "renotify."+string(prec))
		}
	}
	if a.LinkTestInterval() != b.LinkTestInterval() {
		out = append(out, "link_test")
	}
	if a.LinkTestAnswerWithin() != b.LinkTestAnswerWithin() {
		out = append(out, "link_test_within")
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
	for p, d := range c.Policy.Renotify {
		if p != Flash && p != Immediate {
			return Errorf(EINVALID, "channel %s: renotify interval for precedence %q: want flash or immediate (lowercase)", c.ID, short(string(p)))
		}
		if d < 0 || d > 0 && time.Duration(d) < time.Second {
			return Errorf(EINVALID, "channel %s: %s renotify interval %v: want 0 (off) or at least 1s", c.ID, p, time.Duration(d))
		}
	}
	if d := c.Policy.LinkTest; d != nil && (*d < 0 || *d > 0 && time.Duration(*d) < time.Second) {
		return Errorf(EINVALID, "channel %s: link test interval %v: want 0 (off) or at least 1s", c.ID, time.Duration(*d))
	}
	if d := c.Policy.LinkTestWithin; d != nil && time.Duration(*d) < time.Second {
		return Errorf(EINVALID, "channel %s: link test answer time %v: want at least 1s", c.ID, time.Duration(*d))
	}
	if iv, w := c.Policy.LinkTestInterval(), c.Policy.LinkTestAnswerWithin(); iv > 0 && w > iv {
		return Errorf(EINVALID, "channel %s: link test answer time %v is longer than the interval %v between tests", c.ID, w, iv)
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
