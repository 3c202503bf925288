package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/source"
)

func init() {
	register("ingest", &command{
		Summary: "feed recorded or live AIS, ADS-B or position reports to a node",
		Usage: `
usage: deconflict ingest --format ais|sbs|csv|... [--node URL] [--key FILE] SOURCE...

Decodes each SOURCE and posts the position reports to the node's live
picture, in batches. A SOURCE is a file (gzip or plain), "-" for standard
input, tcp://HOST:PORT (a receiver's feed, reconnecting with backoff when
dropped), tcp-listen://[HOST]:PORT or udp://[HOST]:PORT. Several sources
are read at once. With the node key (operator) reports are taken as they
are and attributed by the node; with a party's key they are that party's
own assets, seen only by the members of the channels it shares.

example:
  deconflict ingest --format sbs --key ops.key tcp://127.0.0.1:30003
  deconflict ingest --format csv --key nato.key own-ships.csv`,
		Run: runIngest,
	})
}

// ingestBatch bounds the reports posted in one request.
const ingestBatch = 1000

func runIngest(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("ingest")
	cf := m.addClientFlags(fs, true)
	format := fs.String("format", "", "input format: "+strings.Join(reportFormatNames(), ", "))
	specs, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(specs) == 0 {
		return usagef("ingest: name at least one SOURCE")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	var total int
	err = m.feedReports(ctx, *format, specs, func(rs []deconflict.Report) error {
		vs := make([]dhttp.ReportView, len(rs))
		for i := range rs {
			vs[i] = dhttp.NewReportView(&rs[i])
		}
		total += len(rs)
		return c.Do(ctx, "POST", "/v1/reports", vs, nil)
	})
	fmt.Fprintf(m.Stderr, "ingest: %d reports posted\n", total)
	return err
}

// feedReports reads the sources, decodes their lines with format's reader
// and calls flush with batches of reports (at most ingestBatch, at least
// every 200 ms while reports come). It returns when every source has
// ended (files) or ctx is cancelled (live feeds).
func (m *Main) feedReports(ctx context.Context, format string, specs []string, flush func([]deconflict.Report) error) error {
	read, ok := reportFormats[format]
	if !ok {
		return usagef("--format %q: want one of %s", format, strings.Join(reportFormatNames(), ", "))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines, _, err := source.Merge(ctx, specs, &source.Options{Stdin: m.Stdin, Logf: func(f string, a ...any) { fmt.Fprintf(m.Stderr, "source: "+f+"\n", a...) }})
	if err != nil {
		return err
	}
	// The format readers take a stream: join the lines back into one.
	pr, pw := io.Pipe()
	go func() {
		for l := range lines {
			if _, err := pw.Write(append(l.Data, '\n')); err != nil {
				return
			}
		}
		pw.Close()
	}()
	var mu sync.Mutex
	var batch []deconflict.Report
	var flushErr error
	doFlush := func() {
		mu.Lock()
		b := batch
		batch = nil
		mu.Unlock()
		if len(b) == 0 {
			return
		}
		if err := flush(b); err != nil && flushErr == nil {
			flushErr = err
			cancel()
		}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				doFlush()
			}
		}
	}()
	err = read(pr, func(r deconflict.Report) error {
		mu.Lock()
		batch = append(batch, r)
		full := len(batch) >= ingestBatch
		mu.Unlock()
		if full {
			doFlush()
		}
		if flushErr != nil {
			return flushErr
		}
		return ctx.Err()
	})
	close(done)
	pr.CloseWithError(io.ErrClosedPipe)
	doFlush()
	if flushErr != nil {
		return flushErr
	}
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
