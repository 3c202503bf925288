package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/report"
)

func init() {
	register("availability", &command{
		Summary: "each member's availability: the share of link tests it answered in time",
		Usage: `
usage: deconflict availability --channel C [--since DURATION | [--from DATE] [--to DATE]] [--json]

The node sends a link test on every channel at the interval of its policy
(hourly by default; channel policy --link-test) and each member answers
(its console, 'deconflict watch', or 'deconflict linktest --answer'). A
member's availability over a period is the share of the period's link
tests whose answer reached the node within the channel's time to answer
(60 s by default; --link-test-within). Tests still open count in no
figure. A first line says the period, the tests closed and the channel's
interval and time to answer; then one line per member: party, percent
(- when no test closed), answered in time/tests, late, unanswered and the
longest delay of an answer in time, tab-separated; --json prints only one
JSON object per member and line.
The period is the last 24 hours by default; DATE is YYYY-MM-DD (--from:
00:00 UTC that day; --to: the end of that day) or RFC 3339; --since 168h
is the week before now.

example:
  deconflict availability --channel ru-us-syria --since 168h`,
		Run: runAvailability,
	})
	register("linktest", &command{
		Summary: "a channel's link tests and who answered them; --answer answers them",
		Usage: `
usage: deconflict linktest --channel C [--answer] [--since DURATION | [--from DATE] [--to DATE]] [--json]

Lists the link tests of the period (the last 24 hours by default), one a
line: index, number, time, open or closed, and each member's state
(answered in time, late, waiting, missing) with its delay, tab-separated;
--json prints each test as the API shows it. With --answer it first
signs and sends your party's answer (a link-answer envelope, with --key)
to every test of the period that asks your party and that it has not
answered; an answer after the test's time to answer is logged as late.
'deconflict watch' answers link tests by itself as they arrive.

example:
  deconflict linktest --channel ru-us-syria --answer`,
		Run: runLinkTest,
	})
}

// periodFlags reads --from, --to and --since (as report reads dates):
// a bound not given is the API's default (to: now; from: 24 hours before
// to), which a zero time asks for.
// periodFlagSet is a command's --from, --to and --since.
type periodFlagSet struct {
	from, to *string
	since    *time.Duration
}

func addPeriodFlags(fs *flag.FlagSet) periodFlagSet {
	return periodFlagSet{
		from:  fs.String("from", "", "start of the period: YYYY-MM-DD (00:00 UTC) or RFC 3339"),
		to:    fs.String("to", "", "end of the period: YYYY-MM-DD (the end of that day) or RFC 3339 (default now)"),
		since: fs.Duration("since", 0, "the period is this long before now, e.g. 168h"),
	}
}

// period is the period the flags give for command cmd at now.
func (p periodFlagSet) period(cmd string, now time.Time) (from, to time.Time, err error) {
	return periodFlags(cmd, *p.from, *p.to, *p.since, now)
}

func periodFlags(cmd, fromS, toS string, since time.Duration, now time.Time) (from, to time.Time, err error) {
	switch {
	case since < 0:
		return from, to, usagef("%s: --since %s: want a positive duration like 24h", cmd, since)
	case since > 0 && (fromS != "" || toS != ""):
		return from, to, usagef("%s: --since excludes --from and --to", cmd)
	case since > 0:
		return now.Add(-since), now, nil
	case fromS == "" && toS == "":
		return from, to, nil
	}
	f, t := fromS, toS
	if f == "" {
		f = "0001-01-01"
	}
	if t == "" {
		t = "9999-12-30"
	}
	if from, to, err = report.ParsePeriod(f, t); err != nil {
		return from, to, usagef("%s: %s", cmd, deconflict.ErrorMessage(err))
	}
	if fromS == "" {
		from = to.Add(-deconflict.DefaultAvailabilityPeriod)
	}
	if toS == "" {
		to = now
	}
	return from, to, nil
}

// availabilityLine is one --json line of availability.
type availabilityLine struct {
	Channel string              `json:"channel"`
	From    time.Time           `json:"from"`
	To      time.Time           `json:"to"`
	Within  deconflict.Duration `json:"within"`
	node.PartyAvailability
}

func runAvailability(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("availability")
	cf := m.addPartyOrOperatorFlags(fs)
	channel := fs.String("channel", "", "channel id")
	period := addPeriodFlags(fs)
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" {
		return usagef("availability: --channel is required")
	}
	if len(pos) != 0 {
		return usagef("availability: unexpected argument %q", pos[0])
	}
	from, to, err := period.period("availability", time.Now())
	if err != nil {
		return err
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	v, err := c.Availability(ctx, *channel, from, to)
	if err != nil {
		return err
	}
	if *asJSON {
		lines := make([]availabilityLine, len(v.Parties))
		for i, p := range v.Parties {
			lines[i] = availabilityLine{Channel: v.Channel, From: v.From, To: v.To, Within: v.Within, PartyAvailability: p}
		}
		return writeJSONLines(m.Stdout, lines)
	}
	closed := 0
	for _, t := range v.Tests {
		if !t.Open {
			closed++
		}
	}
	interval := "off"
	if v.Interval > 0 {
		interval = "every " + time.Duration(v.Interval).String()
	}
	fmt.Fprintf(m.Stdout, "availability on %s from %s to %s: %d link tests closed (tests %s; an answer within %s counts)\n",
		v.Channel, v.From.Format(time.RFC3339), v.To.Format(time.RFC3339), closed, interval, time.Duration(v.Within))
	return writeList(m.Stdout, false, v.Parties, func(p node.PartyAvailability) []string {
		return []string{p.Party, percentText(p.Percent), fmt.Sprintf("%d/%d answered in time", p.Answered, p.Tests),
			fmt.Sprintf("%d late", p.Late), fmt.Sprintf("%d unanswered", p.Unanswered),
			"longest " + (time.Duration(p.MaxDelayMS) * time.Millisecond).String()}
	})
}

func percentText(p *float64) string {
	if p == nil {
		return "-"
	}
	return strconv.FormatFloat(*p, 'f', 1, 64) + "%"
}

func runLinkTest(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("linktest")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	answer := fs.Bool("answer", false, "answer every test of the period your party has not answered")
	period := addPeriodFlags(fs)
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" {
		return usagef("linktest: --channel is required")
	}
	if len(pos) != 0 {
		return usagef("linktest: unexpected argument %q", pos[0])
	}
	from, to, err := period.period("linktest", time.Now())
	if err != nil {
		return err
	}
	c, party, err := cf.partyClient(ctx)
	if err != nil {
		return err
	}
	v, err := c.Availability(ctx, *channel, from, to)
	if err != nil {
		return err
	}
	if *answer {
		answered := 0
		for _, t := range v.Tests {
			for _, a := range t.Answers {
				if a.Party != party || a.Index != nil {
					continue
				}
				rec, err := answerLinkTest(ctx, c, party, *channel, t.Index)
				if err != nil {
					return fmt.Errorf("answer to link test %d (index %d): %w", t.Seq, t.Index, err)
				}
				late := ""
				if !t.Open {
					late = " (late: its time to answer is over)"
				}
				fmt.Fprintf(m.Stderr, "answered link test %d (index %d): answer at index %d%s\n", t.Seq, t.Index, rec.Index, late)
				answered++
			}
		}
		if answered > 0 {
			if v, err = c.Availability(ctx, *channel, from, to); err != nil {
				return err
			}
		}
	}
	if *asJSON {
		return writeJSONLines(m.Stdout, v.Tests)
	}
	return writeList(m.Stdout, false, v.Tests, func(t node.LinkTestView) []string {
		state := "closed"
		if t.Open {
			state = "open"
		}
		row := []string{strconv.FormatInt(t.Index, 10), "test " + strconv.FormatInt(t.Seq, 10), t.Time.Format(time.RFC3339), state}
		for _, a := range t.Answers {
			s := a.Party + " " + a.State
			if a.DelayMS != nil {
				s += " " + (time.Duration(*a.DelayMS) * time.Millisecond).String()
			}
			row = append(row, s)
		}
		return row
	})
}

// answerLinkTest signs and sends party's answer to the link test at index.
func answerLinkTest(ctx context.Context, c *dhttp.Client, party, channel string, index int64) (*deconflict.Receipt, error) {
	i := index
	return c.Send(ctx, party, &deconflict.Payload{Channel: channel, Kind: deconflict.KindLinkAnswer, Ack: &i})
}

// linkAnswerer answers, for watch, the link tests that ask its party, as
// they are printed: a test received within its interval of now (the
// current one, not the history's), not answered before (the node refuses
// a second answer with a conflict, which is not an error here).
type linkAnswerer struct {
	m       *Main
	c       *dhttp.Client
	party   string
	channel string
	now     func() time.Time
}

func (a *linkAnswerer) see(ctx context.Context, v *dhttp.EnvelopeView) {
	if a == nil || v.Kind != deconflict.KindLinkTest || v.Author != deconflict.NodeAuthor {
		return
	}
	var p struct {
		AckFrom []string                `json:"ack_from"`
		Body    deconflict.LinkTestBody `json:"body"`
	}
	if json.Unmarshal(v.Payload, &p) != nil || !containsString(p.AckFrom, a.party) {
		return
	}
	if age := a.now().Sub(v.Received); age > max(time.Duration(p.Body.Interval), time.Duration(p.Body.Within)) {
		return
	}
	rec, err := answerLinkTest(ctx, a.c, a.party, a.channel, v.Index)
	switch {
	case deconflict.ErrorCode(err) == deconflict.ECONFLICT:
	case err != nil:
		fmt.Fprintf(a.m.Stderr, "watch: answer to link test %d (index %d): %s\n", p.Body.Seq, v.Index, strings.TrimSpace(deconflict.ErrorMessage(err)))
	default:
		fmt.Fprintf(a.m.Stderr, "watch: answered link test %d (index %d) at index %d\n", p.Body.Seq, v.Index, rec.Index)
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
