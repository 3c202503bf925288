package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/ingest"
	"github.com/deconflict/deconflict/picture"
	"github.com/deconflict/deconflict/source"
)

func init() {
	register("ingest", &command{
		Summary: "feed recorded or live AIS, ADS-B or position reports to a node",
		Usage: `
usage: deconflict ingest --format ais|sbs|csv|... [--replay [--speed X]] [--node URL] [--key FILE] SOURCE...

Decodes each SOURCE and posts the position reports to the node's live
picture, in batches. A SOURCE is a file (gzip or plain), "-" for standard
input, tcp://HOST:PORT (a receiver's feed, reconnecting with backoff when
dropped), tcp-listen://[HOST]:PORT or udp://[HOST]:PORT. Several sources
are read at once. With the node key (operator) reports are taken as they
are and attributed by the node; with a party's key they are that party's
own assets, seen only by the members of the channels it shares.

The node keeps a track for 10 minutes (ships; 5 for aircraft) after its
last report, so reports older than that are refused: replay a recording
with --replay, which stamps its first report with the current time and
plays the rest at --speed times real time (1 by default).

example:
  deconflict ingest --format sbs --key ops.key tcp://127.0.0.1:30003
  deconflict ingest --format csv --key nato.key own-ships.csv
  deconflict ingest --format ais --replay --speed 10 recording.nmea`,
		Run: runIngest,
	})
}

func runIngest(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("ingest")
	cf := m.addClientFlags(fs, true)
	format := fs.String("format", "", "input format: "+strings.Join(reportFormatNames(), ", "))
	replay := fs.Bool("replay", false, "play a recording as if live: times shifted to now, paced at --speed")
	speed := fs.Float64("speed", 1, "with --replay: seconds of recording per second of replay")
	specs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	read, err := reportFormatNamed(*format)
	if err != nil {
		return err
	}
	if len(specs) == 0 {
		return usagef("ingest: name at least one SOURCE")
	}
	if *speed <= 0 {
		return usagef("--speed %g: want a positive number", *speed)
	}
	if *replay {
		read = ingest.Replay(ctx, read, ingest.ReplayOptions{Speed: *speed})
	} else {
		read = ingest.RefuseStale(read, time.Now, func(d deconflict.Domain) time.Duration {
			if d == deconflict.Air {
				return picture.DefaultAirRemove
			}
			return picture.DefaultSeaRemove
		})
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	st, err := ingest.Run(ctx, specs, read, func(ctx context.Context, rs []deconflict.Report) error {
		vs := make([]dhttp.ReportView, len(rs))
		for i := range rs {
			vs[i] = dhttp.NewReportView(&rs[i])
		}
		return c.Do(ctx, "POST", "/v1/reports", vs, nil)
	}, &ingest.Options{Source: m.sourceOptions()})
	fmt.Fprintf(m.Stderr, "ingest: %d reports posted\n", st.Reports)
	return err
}

// reportFormatNamed returns the reader of a --format name.
func reportFormatNamed(name string) (ingest.Format, error) {
	read, ok := reportFormats[name]
	if !ok {
		return nil, usagef("--format %q: want one of %s", name, strings.Join(reportFormatNames(), ", "))
	}
	return read, nil
}

// sourceOptions are the feeds' options: standard input and logging.
func (m *Main) sourceOptions() *source.Options {
	return &source.Options{Stdin: m.Stdin, Logf: func(f string, a ...any) { fmt.Fprintf(m.Stderr, "source: "+f+"\n", a...) }}
}
