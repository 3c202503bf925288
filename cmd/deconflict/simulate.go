package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/positions"
	"github.com/deconflict/deconflict/sim"
)

func init() {
	register("simulate", &command{
		Summary: "write a simulated traffic scenario as positions CSV",
		Usage: `
usage: deconflict simulate --scenario baltic|load|dense|box [--n N] [--seed S] [--duration D] [--snapshot D] [--out FILE]

Writes a seeded, deterministic scenario as positions CSV (time,id,party,
domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms), in time order:

  baltic  Russian and NATO ships and aircraft, airliners and merchant
          ships, with scripted close encounters of every tier at sea and in
          the air developing within the first minutes (30 min by default)
  load    N tracks (default 10000) clustered like real AIS and ADS-B
          traffic worldwide, for benchmarks (10 min by default)
  dense   N tracks (default 200) crowded within 30 km, turning at random,
          as used by the property tests (20 min by default)
  box     BlueSky's traffic box: N aircraft (default 10000) uniform over
          1,000 x 1,000 km around 55N 20E, 1,000-12,000 m, 100-250 m/s,
          random tracks, level (10 min by default)

With --snapshot D, it writes instead one report of every track, all at D
after the scenario's start (ordered by ID): a picture at one instant, such
as BlueSky's state-based conflict detection takes (see docs/benchmarks.md).

The same --seed gives byte-identical output.

example:
  deconflict simulate --scenario baltic --out baltic.csv
  deconflict simulate --scenario load --n 50000 --duration 2m --seed 7 | gzip > load.csv.gz
  deconflict simulate --scenario load --n 50000 --snapshot 10s --out snapshot.csv
  deconflict simulate --scenario box --n 10000 --snapshot 0s --out box.csv`,
		Run: runSimulate,
	})
}

func runSimulate(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("simulate")
	scenario := fs.String("scenario", "baltic", "scenario: baltic, load, dense or box")
	n := fs.Int("n", 0, "number of tracks (load, dense)")
	seed := fs.Uint64("seed", 1, "random seed")
	duration := fs.Duration("duration", 0, "length of the scenario (default: the scenario's own)")
	out := fs.String("out", "", "output file (default: standard output)")
	snapshot := fs.Duration("snapshot", -1, "write one report of every track at this time after the start instead")
	rest, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("simulate: unexpected argument %q", rest[0])
	}
	if *n < 0 || *n > 5_000_000 {
		return usagef("simulate: --n %d out of range [1, 5000000]", *n)
	}
	if *duration < 0 {
		return usagef("simulate: --duration %v is negative", *duration)
	}
	var s *sim.Scenario
	switch *scenario {
	case "baltic":
		s = sim.Baltic(*seed)
	case "load":
		if *n == 0 {
			*n = 10000
		}
		s = sim.Load(*n, *seed)
	case "dense":
		if *n == 0 {
			*n = 200
		}
		s = sim.Dense(*n, *seed, geo.LatLon{Lat: 56, Lon: 19}, 30e3, 20*time.Minute)
	case "box":
		if *n == 0 {
			*n = 10000
		}
		s = sim.TrafficBox(*n, *seed, 1000e3, 10*time.Minute)
	default:
		return usagef("simulate: unknown --scenario %q (want baltic, load, dense or box)", *scenario)
	}
	if *duration > 0 {
		s.Duration = *duration
	}
	var w io.Writer = m.Stdout
	var f *os.File
	if *out != "" {
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	pw := positions.NewWriter(bw)
	if *snapshot >= 0 {
		for _, r := range s.Snapshot(s.Start.Add(*snapshot)) {
			if err := pw.Write(r); err != nil {
				return fmt.Errorf("simulate: write: %w", err)
			}
		}
	}
	// Stream in windows so that large load scenarios need little memory.
	end := s.Start.Add(s.Duration)
	if *snapshot >= 0 {
		end = s.Start
	}
	for t := s.Start; t.Before(end); t = t.Add(10 * time.Second) {
		if err := ctx.Err(); err != nil {
			return err
		}
		to := t.Add(10 * time.Second)
		if to.After(end) {
			to = end
		}
		for _, r := range s.Reports(t, to) {
			if err := pw.Write(r); err != nil {
				return fmt.Errorf("simulate: write: %w", err)
			}
		}
	}
	if err := pw.Flush(); err != nil {
		return fmt.Errorf("simulate: write: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("simulate: write: %w", err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("simulate: %w", err)
		}
	}
	return nil
}
