package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/internal/atomicfile"
	"github.com/deconflict/deconflict/report"
)

func init() {
	register("report", &command{
		Summary: "the record of a period as HTML or PDF, for a Council meeting, with CSV, GeoJSON and KML exports",
		Usage: `
usage: deconflict report --channel C --from DATE --to DATE --out FILE.html|.pdf [--node-key PUB] [--no-exports]

Reads the channel's log with your key (so the report holds nothing you
could not read), up to the channel's current checkpoint, checks that the
envelopes make the checkpoint's root and that the node signed it, and
writes the record of the period: messages by precedence, acknowledgements
(in time, late, missed, median time for FLASH and IMMEDIATE), encounters
by tier and domain with ELN classes and Airprox classes, incidents,
notifications, findings, requests for explanation, measures and link
tests (each member's availability), with
charts and a map. The HTML is self-contained and printable; the PDF has
the same content. DATE is YYYY-MM-DD (--from: 00:00 UTC that day; --to:
the end of that day) or RFC 3339 (exact). Beside FILE it writes
FILE.incidents.csv, FILE.findings.csv, FILE.acks.csv,
FILE.missed-acks.csv, FILE.officers.csv, FILE.availability.csv (link
tests), FILE.geojson and FILE.kml (not
with --no-exports).
--node-key is the node's public key to check the checkpoint's signature
with (default: the key the node reports, as verify does on first use).

example:
  deconflict report --channel ru-nato --from 2027-09-01 --to 2027-09-30 --out council-2027-09.pdf`,
		Run: runReport,
	})
}

func runReport(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("report")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	fromS := fs.String("from", "", "start of the period: YYYY-MM-DD (00:00 UTC) or RFC 3339")
	toS := fs.String("to", "", "end of the period: YYYY-MM-DD (the end of that day) or RFC 3339")
	out := fs.String("out", "", "FILE.html or FILE.pdf")
	nodeKey := fs.String("node-key", "", "the node's public key (base64) that must have signed the checkpoint (default: the key the node reports)")
	noExports := fs.Bool("no-exports", false, "do not write the CSV, GeoJSON and KML files beside FILE")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("report: unexpected argument %q", pos[0])
	}
	if *channel == "" || *fromS == "" || *toS == "" || *out == "" {
		return usagef("report: want --channel C --from DATE --to DATE --out FILE.html|.pdf")
	}
	ext := strings.ToLower(filepath.Ext(*out))
	if ext != ".html" && ext != ".pdf" {
		return usagef("report: --out %q: want a name ending in .html or .pdf", *out)
	}
	from, to, err := report.ParsePeriod(*fromS, *toS)
	if err != nil {
		return usagef("report: %s", deconflict.ErrorMessage(err))
	}
	c, party, err := cf.partyClient(ctx)
	if err != nil {
		return err
	}
	ch, err := c.Channel(ctx, *channel)
	if err != nil {
		return err
	}
	var pub ed25519.PublicKey
	if *nodeKey != "" {
		if pub, err = deconflict.DecodeKey(*nodeKey); err != nil {
			return usagef("report: --node-key: %v", err)
		}
	} else {
		info, err := c.Node(ctx)
		if err != nil {
			return err
		}
		if pub, err = deconflict.DecodeKey(info.Key); err != nil {
			return fmt.Errorf("the node's key: %w", err)
		}
	}
	cp, envs, err := report.Fetch(func() ([]byte, error) { return c.Checkpoint(ctx, *channel) }, func(from int64, limit int) ([]*deconflict.Envelope, error) {
		page, err := c.AuditEnvelopes(ctx, *channel, from, limit)
		if err != nil {
			return nil, err
		}
		out := make([]*deconflict.Envelope, len(page))
		for i, v := range page {
			s, err := v.Signed()
			if err != nil {
				return nil, fmt.Errorf("envelope %d: %w", v.Index, err)
			}
			out[i] = &deconflict.Envelope{Signed: *s, Channel: v.Channel, Index: v.Index, ID: v.ID, Author: v.Author, Kind: v.Kind,
				Received: v.Received, LeafHash: deconflict.LeafHash(s.Leaf())}
		}
		return out, nil
	})
	if err != nil {
		return err
	}
	r, err := report.Build(report.Input{Channel: ch, Checkpoint: cp, Envelopes: envs, From: from, To: to, Member: party,
		Generated: time.Now(), NodeKey: pub, Basemap: console.Basemap()})
	if err != nil {
		return err
	}
	write := func(path string, f func(io.Writer) error) error {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			return err
		}
		if err := atomicfile.Write(path, b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
		fmt.Fprintln(m.Stdout, path)
		return nil
	}
	if ext == ".pdf" {
		err = write(*out, r.WritePDF)
	} else {
		err = write(*out, r.WriteHTML)
	}
	if err != nil {
		return err
	}
	if !*noExports {
		base := strings.TrimSuffix(*out, filepath.Ext(*out))
		for _, x := range []struct {
			suffix string
			f      func(io.Writer) error
		}{
			{".incidents.csv", r.WriteIncidentsCSV}, {".findings.csv", r.WriteFindingsCSV}, {".acks.csv", r.WriteAcksCSV},
			{".missed-acks.csv", r.WriteMissedCSV}, {".officers.csv", r.WriteOfficersCSV}, {".availability.csv", r.WriteAvailabilityCSV}, {".geojson", r.WriteGeoJSON}, {".kml", r.WriteKML},
		} {
			if err := write(base+x.suffix, x.f); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(m.Stdout, "report: channel %s, %s to %s, built from checkpoint size %d root %s\n", *channel, from.Format(time.RFC3339), to.Format(time.RFC3339), r.Provenance.Size, r.Provenance.Root)
	return nil
}
