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
usage: deconflict channel create ID --members A,B[,C] [--ack flash=2m,immediate=10m,...] [--webhook URL]...
       deconflict channel policy ID [--ack flash=1m,...] [--webhook URL]... [--no-webhooks]
       deconflict channel list

A channel is a forum of two or more parties with its own log and rules:
acknowledgement deadlines per precedence (defaults flash 2m, immediate 10m,
priority 1h, routine 24h) and escalation webhooks called when an
acknowledgement is missed. 'list' works for any party key.

'policy' changes only what it names: --ack sets the deadlines of the
precedences it lists, --webhook replaces the webhooks, --no-webhooks
removes them. Every change is a node-signed policy envelope in the
channel's log (before and after), which members see with watch and verify.

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

func runChannel(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("channel: want a subcommand: create, policy or list")
	}
	sub := args[0]
	fs := m.newFlagSet("channel")
	cf := m.addClientFlags(fs, sub != "list")
	members := fs.String("members", "", "member parties, comma-separated")
	acks := fs.String("ack", "", "acknowledgement deadlines, e.g. flash=2m,immediate=10m")
	var hooks multiFlag
	fs.Var(&hooks, "webhook", "escalation webhook URL (repeatable)")
	noHooks := fs.Bool("no-webhooks", false, "policy: remove every webhook")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	switch sub {
	case "create", "policy":
		if len(pos) != 1 {
			return fmt.Errorf("channel %s: want exactly one channel ID", sub)
		}
		if sub == "policy" {
			patch := &deconflict.PolicyPatch{}
			if patch.AckDeadlines, err = parseAcksOver(map[deconflict.Precedence]deconflict.Duration{}, *acks); err != nil {
				return err
			}
			switch {
			case *noHooks && len(hooks) > 0:
				return fmt.Errorf("channel policy: --no-webhooks and --webhook exclude each other")
			case *noHooks:
				patch.Webhooks = &[]string{}
			case len(hooks) > 0:
				h := []string(hooks)
				patch.Webhooks = &h
			}
			if len(patch.AckDeadlines) == 0 && patch.Webhooks == nil {
				return fmt.Errorf("channel policy: nothing to change: give --ack, --webhook or --no-webhooks")
			}
			ch, err := c.PatchPolicy(ctx, pos[0], patch)
			if err != nil {
				return err
			}
			fmt.Fprintf(m.Stdout, "channel %s policy updated:", pos[0])
			for _, p := range deconflict.Precedences {
				fmt.Fprintf(m.Stdout, " %s %s", p, ch.Policy.AckDeadline(p))
			}
			fmt.Fprintf(m.Stdout, "; %d webhooks\n", len(ch.Policy.Webhooks))
			return nil
		}
		ad, err := parseAcks(*acks)
		if err != nil {
			return err
		}
		pol := deconflict.Policy{AckDeadlines: ad, Webhooks: hooks}
		if *members == "" {
			return fmt.Errorf("channel create: --members A,B is required")
		}
		var ms []string
		for _, p := range strings.Split(*members, ",") {
			if p = strings.TrimSpace(p); p != "" {
				ms = append(ms, p)
			}
		}
		ch := &deconflict.Channel{ID: pos[0], Members: ms, Policy: pol}
		if err := c.CreateChannel(ctx, ch); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "channel %s created with members %s\n", ch.ID, strings.Join(ms, ", "))
	case "list":
		cs, err := c.Channels(ctx)
		if err != nil {
			return err
		}
		return writeJSONLines(m.Stdout, cs)
	default:
		return fmt.Errorf("channel: unknown subcommand %q: want create, policy or list", sub)
	}
	return nil
}
