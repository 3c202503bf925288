package main

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

func init() {
	register("zone", &command{
		Summary: "declare, list and remove zones (exercise areas, hazard areas...)",
		Usage: `
usage: deconflict zone add ID --kind KIND (--polygon "LAT,LON LAT,LON ..." | --circle LAT,LON,RADIUS_M) [--name N] [--owner P] [--alt LOW,HIGH] [--from TIME] [--until TIME]
       deconflict zone list [--json]
       deconflict zone remove ID

A zone is an area a party declares (KIND exercise-area,
missile-hazard-area, special-caution-area or deconfliction-zone): the
live picture alerts the members of a channel when another party's track
is inside it or about to enter it. A polygon is three or more LAT,LON
vertices (degrees), separated by spaces; a circle its centre and radius
(m). --alt bounds it in altitude (m; either side may be empty), --from
and --until in time (RFC 3339). With a party's key (--key) a party
declares and removes its own zones (the owner is the key's party); with
the node key (--data) the operator acts for any --owner. 'list' prints
one zone a line: ID, kind, owner, name, shape, tab-separated (--json:
one JSON object per line, as the API's /v1/zones).

example:
  deconflict zone add ex-baltic-1 --kind exercise-area --key ru.key --name "Baltic exercise" \
      --polygon "55.0,19.0 55.5,19.0 55.5,20.0 55.0,20.0" --from 2026-06-01T00:00:00Z --until 2026-06-03T00:00:00Z
  deconflict zone list --key nato.key
  deconflict zone remove ex-baltic-1 --key ru.key`,
		Run: func(ctx context.Context, m *Main, args []string) error {
			return m.runSubcommand(ctx, "zone", args, map[string]subcommand{
				"add":    runZoneAdd,
				"list":   runZoneList,
				"remove": runZoneRemove,
			})
		},
	})
}

// floats parses n comma-separated numbers; s names the flag for errors.
func floats(flag, s string, n int) ([]float64, error) {
	parts := strings.Split(s, ",")
	if len(parts) != n {
		return nil, usagef("zone add: %s %q: want %d comma-separated numbers", flag, s, n)
	}
	out := make([]float64, n)
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return nil, usagef("zone add: %s %q: %q is not a number", flag, s, p)
		}
		out[i] = v
	}
	return out, nil
}

func runZoneAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("zone")
	cf := m.addPartyOrOperatorFlags(fs)
	kind := fs.String("kind", "", "exercise-area, missile-hazard-area, special-caution-area or deconfliction-zone")
	name := fs.String("name", "", "display name")
	owner := fs.String("owner", "", "the declaring party (default: the key's own; required with --data)")
	polygon := fs.String("polygon", "", `vertices "LAT,LON LAT,LON ..." (degrees)`)
	circle := fs.String("circle", "", "LAT,LON,RADIUS_M")
	alt := fs.String("alt", "", "LOW,HIGH altitude bounds (m); either may be empty")
	from := fs.String("from", "", "start (RFC 3339; default: none, active from now on)")
	until := fs.String("until", "", "end (RFC 3339; default: none, active until removed)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("zone add: want exactly one zone ID")
	}
	if *kind == "" {
		return usagef("zone add: --kind is required")
	}
	z := deconflict.Zone{ID: pos[0], Name: *name, Kind: *kind, Owner: *owner}
	switch {
	case (*polygon == "") == (*circle == ""):
		return usagef("zone add: give either --polygon or --circle")
	case *polygon != "":
		for _, v := range strings.Fields(*polygon) {
			ll, err := floats("--polygon", v, 2)
			if err != nil {
				return err
			}
			z.Polygon = append(z.Polygon, [2]float64{ll[0], ll[1]})
		}
	default:
		c, err := floats("--circle", *circle, 3)
		if err != nil {
			return err
		}
		z.Center, z.RadiusM = &[2]float64{c[0], c[1]}, c[2]
	}
	if *alt != "" {
		lo, hi, ok := strings.Cut(*alt, ",")
		if !ok {
			return usagef("zone add: --alt %q: want LOW,HIGH (m)", *alt)
		}
		for _, b := range []struct {
			s string
			p **float64
		}{{lo, &z.MinAltM}, {hi, &z.MaxAltM}} {
			if strings.TrimSpace(b.s) == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.TrimSpace(b.s), 64)
			if err != nil {
				return usagef("zone add: --alt %q: %q is not a number", *alt, b.s)
			}
			*b.p = &v
		}
	}
	for _, t := range []struct {
		flag, s string
		p       **time.Time
	}{{"--from", *from, &z.From}, {"--until", *until, &z.Until}} {
		if t.s == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, t.s)
		if err != nil {
			return usagef("zone add: %s %q: want an RFC 3339 time like 2026-06-01T00:00:00Z", t.flag, t.s)
		}
		*t.p = &v
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	if z.Owner == "" {
		if z.Owner, err = c.Whoami(ctx); err != nil {
			return err
		}
	}
	if err := c.Do(ctx, "POST", "/v1/zones", z, nil); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "zone %s (%s) of %s declared\n", z.ID, z.Kind, z.Owner)
	return nil
}

func runZoneList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("zone")
	cf := m.addPartyOrOperatorFlags(fs)
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("zone list: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	var zones []deconflict.Zone
	if err := c.Do(ctx, "GET", "/v1/zones", nil, &zones); err != nil {
		return err
	}
	return writeList(m.Stdout, *asJSON, zones, func(z deconflict.Zone) []string {
		shape := ""
		if z.Center != nil {
			shape = fmt.Sprintf("circle %g,%g,%g", z.Center[0], z.Center[1], z.RadiusM)
		} else {
			vs := make([]string, len(z.Polygon))
			for i, p := range z.Polygon {
				vs[i] = fmt.Sprintf("%g,%g", p[0], p[1])
			}
			shape = "polygon " + strings.Join(vs, " ")
		}
		return []string{z.ID, z.Kind, z.Owner, z.Name, shape}
	})
}

func runZoneRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("zone")
	cf := m.addPartyOrOperatorFlags(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("zone remove: want exactly one zone ID")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.Do(ctx, "DELETE", "/v1/zones/"+url.PathEscape(pos[0]), nil, nil); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "zone %s removed\n", pos[0])
	return nil
}
