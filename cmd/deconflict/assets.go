package main

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/deconflict/deconflict"
)

func init() {
	register("assets", &command{
		Summary: "declare a party's own ships and aircraft; list declarations",
		Usage: `
usage: deconflict assets declare [--party P] [--mmsi M,...] [--icao HEX,...] [--callsign PATTERN,...]
       deconflict assets list [--json]

A party declares the ships (MMSI), aircraft (ICAO 24-bit address) and
callsign patterns ('*' matches any run, e.g. RFF*) that are its own:
attribution takes them before any flag. 'declare' replaces the party's
whole declaration. With a party key it declares for that party; with the
node key (--data) the operator declares for --party. 'list' prints one
party a line: party, MMSIs, ICAO addresses and callsign patterns
(comma-separated), tab-separated; --json prints one JSON object per line.

example:
  deconflict assets declare --key ru.key --mmsi 273456789,273111222 --callsign 'RFF*'
  deconflict assets list --key ru.key`,
		Run: runAssets,
	})
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// assetsLine is one line of 'assets list'.
type assetsLine struct {
	Party string `json:"party"`
	deconflict.Assets
}

func runAssets(ctx context.Context, m *Main, args []string) error {
	return m.runSubcommand(ctx, "assets", args, map[string]subcommand{
		"declare": runAssetsDeclare,
		"list":    runAssetsList,
	})
}

func runAssetsDeclare(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("assets")
	cf := m.addPartyOrOperatorFlags(fs)
	party := fs.String("party", "", "the party (default: the key's own; required with --data)")
	mmsi := fs.String("mmsi", "", "ships' MMSIs, comma-separated")
	icao := fs.String("icao", "", "aircraft ICAO addresses (hex), comma-separated")
	calls := fs.String("callsign", "", "callsign patterns, comma-separated")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("assets declare: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	p := *party
	if p == "" {
		if p, err = c.Whoami(ctx); err != nil {
			return err
		}
	}
	a := deconflict.Assets{MMSI: splitList(*mmsi), ICAO: splitList(*icao), Callsigns: splitList(*calls)}
	if err := c.Do(ctx, "PUT", "/v1/assets/"+url.PathEscape(p), a, nil); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "party %s declares %d ships, %d aircraft, %d callsign patterns\n", p, len(a.MMSI), len(a.ICAO), len(a.Callsigns))
	return nil
}

func runAssetsList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("assets")
	cf := m.addPartyOrOperatorFlags(fs)
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("assets list: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	var byParty map[string]deconflict.Assets
	if err := c.Do(ctx, "GET", "/v1/assets", nil, &byParty); err != nil {
		return err
	}
	lines := make([]assetsLine, 0, len(byParty))
	for p, a := range byParty {
		lines = append(lines, assetsLine{Party: p, Assets: a})
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i].Party < lines[j].Party })
	return writeList(m.Stdout, *asJSON, lines, func(l assetsLine) []string {
		return []string{l.Party, strings.Join(l.MMSI, ","), strings.Join(l.ICAO, ","), strings.Join(l.Callsigns, ",")}
	})
}
