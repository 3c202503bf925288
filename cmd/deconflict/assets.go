package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/deconflict/deconflict"
)

func init() {
	register("assets", &command{
		Summary: "declare a party's own ships and aircraft; list declarations",
		Usage: `
usage: deconflict assets declare [--party P] [--mmsi M,...] [--icao HEX,...] [--callsign PATTERN,...]
       deconflict assets list

A party declares the ships (MMSI), aircraft (ICAO 24-bit address) and
callsign patterns ('*' matches any run, e.g. RFF*) that are its own:
attribution takes them before any flag. 'declare' replaces the party's
whole declaration. With a party key it declares for that party; with the
node key (--data) the operator declares for --party.

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

func runAssets(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("assets: want a subcommand: declare or list")
	}
	sub := args[0]
	fs := m.newFlagSet("assets")
	cf := m.addClientFlags(fs, false)
	data := fs.String("data", "", "the node's data directory, to act as the operator with its node.key")
	party := fs.String("party", "", "the party (default: the key's own)")
	mmsi := fs.String("mmsi", "", "ships' MMSIs, comma-separated")
	icao := fs.String("icao", "", "aircraft ICAO addresses (hex), comma-separated")
	calls := fs.String("callsign", "", "callsign patterns, comma-separated")
	if _, err := parseInterspersed(fs, args[1:]); err != nil {
		return err
	}
	if *data != "" && *cf.key == "" {
		cf.operator, cf.data = true, data
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	switch sub {
	case "declare":
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
	case "list":
		var out map[string]deconflict.Assets
		if err := c.Do(ctx, "GET", "/v1/assets", nil, &out); err != nil {
			return err
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	default:
		return fmt.Errorf("assets: unknown subcommand %q: want declare or list", sub)
	}
	return nil
}
