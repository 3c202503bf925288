package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

func init() {
	register("channel", &command{
		Summary: "(operator) create channels and set their policy; list yours",
		Usage: `
usage: deconflict channel create ID --members A,B[,C] [--ack flash=2m,immediate=10m,...] [--renotify flash=1m,immediate=5m] [--link-test 1h] [--link-test-within 60s] [--webhook URL]...
       deconflict channel policy ID [--ack flash=1m,...] [--renotify flash=30s,immediate=0s] [--link-test 30m|0s] [--link-test-within 30s] [--webhook URL]... [--no-webhooks]
       deconflict channel list [--json] [--key FILE | --data DIR]
       deconflict channel witnesses ID [--policy FILE | --clear] [--json]

A channel is a forum of two or more parties with its own log and rules:
acknowledgement deadlines per precedence (defaults flash 2m, immediate 10m,
priority 1h, routine 24h) and escalation webhooks called when an
acknowledgement is missed. --renotify sets how often a FLASH or IMMEDIATE
message not yet acknowledged is notified again (defaults flash 1m,
immediate 5m; 0s turns it off). --link-test sets how often the node sends
a link test on the channel, which every member answers (default 1h, as
the Washington-Moscow link is tested; 0s: no tests), --link-test-within
how soon an answer must reach the node to count towards the member's
availability (default 60s; 'deconflict availability'). 'list' prints the channels a party's key
(--key) is a member of, or with the node key (--data) every channel: one
a line, ID, members and creation time, tab-separated (--json: one JSON
object per line).

'policy' changes only what it names: --ack sets the deadlines of the
precedences it lists, --webhook replaces the webhooks, --no-webhooks
removes them. Every change is a node-signed policy envelope in the
channel's log (before and after), which members see with watch and verify.

'witnesses --policy FILE' (operator) sets the witnesses the node asks to
cosign the channel's checkpoints: a C2SP tlog-policy file with a
"witness NAME VKEY URL" line per witness and the quorum members should
demand (verify --policy). The policy is logged like any policy change.
It prints the channel's origin and log key, which each witness's operator
gives to 'deconflict witness add-log'. Without --policy it lists each
witness's state as the node sees it (ok, behind, refused, unreachable).

example:
  deconflict channel create ru-us-syria --members RU,US --ack flash=1m --webhook http://127.0.0.1:9000/escalate`,
		Run: runChannel,
	})
}

type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(v string) error { *f = append(*f, v); return nil }

// parseAcks reads --ack: the default deadlines with those named changed.
func parseAcks(s string) (map[deconflict.Precedence]deconflict.Duration, error) {
	return parseAcksOver(deconflict.DefaultPolicy().AckDeadlines, s)
}

// parseAcksOver reads --ack into out, changing only the precedences named.
func parseAcksOver(out map[deconflict.Precedence]deconflict.Duration, s string) (map[deconflict.Precedence]deconflict.Duration, error) {
	if s == "" {
		return out, nil
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--ack %q: want PRECEDENCE=DURATION pairs like flash=2m", kv)
		}
		p, err := deconflict.ParsePrecedence(strings.TrimSpace(k))
		if err != nil {
			return nil, fmt.Errorf("--ack: %s", deconflict.ErrorMessage(err))
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("--ack %s=%q: want a positive duration like 90s or 2m", k, v)
		}
		out[p] = deconflict.Duration(d)
	}
	return out, nil
}

// parseRenotify reads --renotify: flash and immediate intervals, 0s for off.
func parseRenotify(s string) (map[deconflict.Precedence]deconflict.Duration, error) {
	if s == "" {
		return nil, nil
	}
	out := map[deconflict.Precedence]deconflict.Duration{}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("--renotify %q: want PRECEDENCE=DURATION pairs like flash=1m", kv)
		}
		p, err := deconflict.ParsePrecedence(strings.TrimSpace(k))
		if err != nil || p != deconflict.Flash && p != deconflict.Immediate {
			return nil, fmt.Errorf("--renotify %q: only flash and immediate are re-notified", k)
		}
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil || d < 0 || d > 0 && d < time.Second {
			return nil, fmt.Errorf("--renotify %s=%q: want 0s (off) or a duration of at least 1s like 30s or 5m", k, v)
		}
		out[p] = deconflict.Duration(d)
	}
	return out, nil
}

// durationFlag is a duration flag that knows whether it was given.
type durationFlag struct{ d *deconflict.Duration }

func (f *durationFlag) String() string {
	if f.d == nil {
		return ""
	}
	return time.Duration(*f.d).String()
}

func (f *durationFlag) Set(v string) error {
	d, err := time.ParseDuration(v)
	if err != nil {
		return fmt.Errorf("want a duration like 1h, 30m or 60s")
	}
	x := deconflict.Duration(d)
	f.d = &x
	return nil
}

// linkTestFlags are --link-test and --link-test-within; the node checks
// their values (EINVALID names what is wrong).
type linkTestFlags struct{ interval, within durationFlag }

func runChannel(ctx context.Context, m *Main, args []string) error {
	return m.runSubcommand(ctx, "channel", args, map[string]subcommand{
		"create": func(ctx context.Context, m *Main, args []string) error { return runChannelSet(ctx, m, "create", args) },
		"policy": func(ctx context.Context, m *Main, args []string) error { return runChannelSet(ctx, m, "policy", args) },
		"list":   runChannelList,
		// witnesses: cmd/deconflict/witness.go
		"witnesses": runChannelWitnesses,
	})
}

// runChannelSet creates a channel (sub "create") or changes what the flags
// name of its policy (sub "policy").
func runChannelSet(ctx context.Context, m *Main, sub string, args []string) error {
	fs := m.newFlagSet("channel")
	cf := m.addClientFlags(fs, true)
	var members *string
	if sub == "create" {
		members = fs.String("members", "", "member parties, comma-separated")
	}
	acks := fs.String("ack", "", "acknowledgement deadlines, e.g. flash=2m,immediate=10m")
	renotify := fs.String("renotify", "", "re-notification intervals, e.g. flash=1m,immediate=5m (0s: off)")
	var lt linkTestFlags
	fs.Var(&lt.interval, "link-test", "link test interval, e.g. 1h (0s: no link tests)")
	fs.Var(&lt.within, "link-test-within", "how soon an answer to a link test must come to count, e.g. 60s")
	var hooks multiFlag
	fs.Var(&hooks, "webhook", "escalation webhook URL (repeatable)")
	var noHooks *bool
	if sub == "policy" {
		noHooks = fs.Bool("no-webhooks", false, "remove every webhook")
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("channel %s: want exactly one channel ID", sub)
	}
	rn, err := parseRenotify(*renotify)
	if err != nil {
		return &usageError{err}
	}
	if sub == "policy" {
		return changePolicy(ctx, m, cf, pos[0], *acks, rn, lt, hooks, *noHooks)
	}
	ad, err := parseAcks(*acks)
	if err != nil {
		return &usageError{err}
	}
	pol := deconflict.Policy{AckDeadlines: ad, Webhooks: hooks, Renotify: rn, LinkTest: lt.interval.d, LinkTestWithin: lt.within.d}
	var ms []string
	if sub == "create" {
		if ms = splitList(*members); len(ms) == 0 {
			return usagef("channel create: --members A,B is required")
		}
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	ch := &deconflict.Channel{ID: pos[0], Members: ms, Policy: pol}
	if err := c.CreateChannel(ctx, ch); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "channel %s created with members %s\n", ch.ID, strings.Join(ms, ", "))
	return nil
}

// changePolicy changes only what the flags name of a channel's policy.
func changePolicy(ctx context.Context, m *Main, cf *clientFlags, id, acks string, renotify map[deconflict.Precedence]deconflict.Duration, lt linkTestFlags, hooks []string, noHooks bool) error {
	patch := &deconflict.PolicyPatch{Renotify: renotify, LinkTest: lt.interval.d, LinkTestWithin: lt.within.d}
	var err error
	if patch.AckDeadlines, err = parseAcksOver(map[deconflict.Precedence]deconflict.Duration{}, acks); err != nil {
		return &usageError{err}
	}
	switch {
	case noHooks && len(hooks) > 0:
		return usagef("channel policy: --no-webhooks and --webhook exclude each other")
	case noHooks:
		patch.Webhooks = &[]string{}
	case len(hooks) > 0:
		patch.Webhooks = &hooks
	}
	if len(patch.AckDeadlines) == 0 && patch.Webhooks == nil && len(patch.Renotify) == 0 && patch.LinkTest == nil && patch.LinkTestWithin == nil {
		return usagef("channel policy: nothing to change: give --ack, --renotify, --link-test, --link-test-within, --webhook or --no-webhooks")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	ch, err := c.PatchPolicy(ctx, id, patch)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "channel %s policy updated:", id)
	for _, p := range deconflict.Precedences {
		fmt.Fprintf(m.Stdout, " %s %s", p, ch.Policy.AckDeadline(p))
	}
	fmt.Fprintf(m.Stdout, "; re-notify flash %s immediate %s", ch.Policy.RenotifyInterval(deconflict.Flash), ch.Policy.RenotifyInterval(deconflict.Immediate))
	fmt.Fprintf(m.Stdout, "; link test %s within %s", ch.Policy.LinkTestInterval(), ch.Policy.LinkTestAnswerWithin())
	fmt.Fprintf(m.Stdout, "; %d webhooks\n", len(ch.Policy.Webhooks))
	return nil
}

func runChannelList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("channel")
	cf := m.addPartyOrOperatorFlags(fs)
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("channel list: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	cs, err := c.Channels(ctx)
	if err != nil {
		return err
	}
	return writeList(m.Stdout, *asJSON, cs, func(c *deconflict.Channel) []string {
		return []string{c.ID, strings.Join(c.Members, ","), c.Created.UTC().Format(time.RFC3339)}
	})
}
