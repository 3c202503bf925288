package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
)

func init() {
	register("decode", &command{
		Summary: "decode recorded AIS or ADS-B traffic to JSON lines",
		Usage: `
usage: deconflict decode --format ais|sbs|aircraft-json|trace [--errors] [FILE...]

Prints one JSON object per decoded message. AIS output uses gpsd's field
names and scaling, so it can stand where 'gpsdecode -j' stood. Files may be
gzip-compressed; with no FILE (or "-") it reads standard input. Lines that
cannot be decoded are counted (summary on stderr); --errors also reports
each with its line number and reason.

example:
  deconflict decode --format ais testdata/ais/gpsd/ais-18-27.log
  zcat feed.nmea.gz | deconflict decode --format ais --errors`,
		Run: runDecode,
	})
}

func runDecode(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("decode")
	format := fs.String("format", "ais", "input format: "+strings.Join(decodeFormatNames(), ", "))
	showErrors := fs.Bool("errors", false, "report every undecodable line on stderr")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	dec, ok := decodeFormats[*format]
	if !ok {
		return usagef("decode: unknown --format %q (want one of %s)", *format, strings.Join(decodeFormatNames(), ", "))
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	w := bufio.NewWriterSize(m.Stdout, 1<<16)
	defer w.Flush()
	var errw io.Writer
	if *showErrors {
		errw = m.Stderr
	}
	var decoded, failed int
	for _, name := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		rc, err := m.openInput(name)
		if err != nil {
			return err
		}
		d, f, err := dec(rc, name, w, errw)
		rc.Close()
		decoded += d
		failed += f
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if failed > 0 {
		fmt.Fprintf(m.Stderr, "decode: %d messages decoded, %d lines could not be decoded\n", decoded, failed)
	}
	return nil
}

func decodeFormatNames() []string {
	names := make([]string, 0, len(decodeFormats))
	for n := range decodeFormats {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
