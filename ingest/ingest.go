// Package ingest feeds position reports from live or recorded feeds
// (package source) to a sink in batches: 'deconflict ingest' posts them
// to a node, 'deconflict serve --source' hands them to its live picture.
//
// Run owns every goroutine it starts and stops them before it returns;
// the sink is called from one goroutine, one batch at a time, so a sink
// needs no locking and never has two requests in flight. Start runs Run
// in the background under an owner that stops it (Close) and turns a
// panic into an error.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/source"
)

// Defaults for Options.
const (
	// DefaultMaxBatch bounds the reports of one batch: 1000 reports are
	// about 150 kB of JSON, well under the API's request body limit.
	DefaultMaxBatch = 1000
	// DefaultInterval is the longest a report waits in a partial batch
	// while reports come: a live picture updated five times a second.
	DefaultInterval = 200 * time.Millisecond
)

// Format reads one recording format from r and calls emit for every
// report in stream order (ais.ReadReports, positions.ReadAll...). It
// returns the first error emit returns, or an error that stops reading.
type Format func(r io.Reader, emit func(deconflict.Report) error) error

// Sink takes one batch of reports. Run calls it from one goroutine, one
// batch at a time; the batch is the sink's to keep. An error ends Run.
type Sink func(ctx context.Context, batch []deconflict.Report) error

// Options tune Run. The zero value takes the defaults.
type Options struct {
	MaxBatch int           // reports per batch; default DefaultMaxBatch
	Interval time.Duration // a partial batch is flushed this often; default DefaultInterval
	// Tick, when set, replaces the Interval ticker (tests send on it to
	// flush a partial batch).
	Tick <-chan time.Time
	// Source is passed to source.Merge (standard input, logging, backoff).
	Source *source.Options
}

// Stats counts what Run handed to the sink.
type Stats struct {
	Reports int // reports in the batches the sink accepted
	Batches int // batches the sink accepted
}

// Run reads the feeds specs name (see package source), decodes their
// lines with read and calls sink with batches of at most MaxBatch
// reports, and with the reports it holds at every tick while reports
// come. It returns when every feed has ended (files) and the last batch
// is taken, or when ctx is cancelled (live feeds; reports not yet taken
// are dropped), with nil; or with the sink's first error, or read's
// error, or a panic of read turned into an error. A malformed spec is an
// EINVALID error before anything is read.
func Run(ctx context.Context, specs []string, read Format, sink Sink, opts *Options) (Stats, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = DefaultMaxBatch
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	var st Stats
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lines, _, err := source.Merge(ctx, specs, o.Source)
	if err != nil {
		return st, err
	}
	tick := o.Tick
	if tick == nil {
		t := time.NewTicker(o.Interval)
		defer t.Stop()
		tick = t.C
	}

	// The format readers take a stream: join the lines back into one
	// (goroutine join), decode it (goroutine decode) and pass the reports
	// to this goroutine, the only one that calls sink.
	pr, pw := io.Pipe()
	reports := make(chan deconflict.Report, o.MaxBatch)
	readErr := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					pw.Close()
					return
				}
				if _, err := pw.Write(append(l.Data, '\n')); err != nil {
					return
				}
			case <-ctx.Done():
				pw.CloseWithError(ctx.Err())
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		defer close(reports)
		defer func() {
			if r := recover(); r != nil {
				readErr <- fmt.Errorf("ingest: decoder panic: %v\n%s", r, debug.Stack())
			}
		}()
		err := read(pr, func(r deconflict.Report) error {
			select {
			case reports <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		readErr <- err
	}()
	// stop ends both goroutines and waits for them.
	stop := func() {
		cancel()
		pr.CloseWithError(context.Canceled)
		for range reports {
		}
		wg.Wait()
	}

	var batch []deconflict.Report
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		b := batch
		batch = nil
		if err := sink(ctx, b); err != nil {
			return err
		}
		st.Reports += len(b)
		st.Batches++
		return nil
	}
	for {
		select {
		case r, ok := <-reports:
			if !ok {
				// The decoder has ended: at the end of the feeds, or on
				// an error of its own.
				err := <-readErr
				if ctx.Err() != nil {
					stop()
					return st, nil
				}
				ferr := flush()
				stop()
				if ferr != nil {
					return st, ferr
				}
				return st, err
			}
			if batch = append(batch, r); len(batch) >= o.MaxBatch {
				if err := flush(); err != nil {
					stop()
					return st, err
				}
			}
		case <-tick:
			if err := flush(); err != nil {
				stop()
				return st, err
			}
		case <-ctx.Done():
			stop()
			return st, nil
		}
	}
}

// Feeder is Run in the background. Close stops it.
type Feeder struct {
	cancel context.CancelFunc
	done   chan struct{}
	stats  Stats
	err    error // set before done is closed
}

// Start runs Run in a goroutine owned by the returned Feeder: Close
// cancels it and waits for it. A panic in it (the sink's included)
// becomes the error Close and Err return, logged by nobody: the owner
// decides. When Run ends by itself (every file read, or the sink's
// error), Done is closed.
func Start(ctx context.Context, specs []string, read Format, sink Sink, opts *Options) *Feeder {
	ctx, cancel := context.WithCancel(ctx)
	f := &Feeder{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		defer func() {
			if r := recover(); r != nil {
				f.err = fmt.Errorf("ingest: panic: %v\n%s", r, debug.Stack())
			}
		}()
		f.stats, f.err = Run(ctx, specs, read, sink, opts)
	}()
	return f
}

// Done is closed when the feeder has stopped.
func (f *Feeder) Done() <-chan struct{} { return f.done }

// Err returns why the feeder stopped, once Done is closed: nil when its
// feeds ended or it was closed.
func (f *Feeder) Err() error {
	select {
	case <-f.done:
		return f.err
	default:
		return nil
	}
}

// Stats returns what the feeder handed to the sink, once Done is closed.
func (f *Feeder) Stats() Stats {
	select {
	case <-f.done:
		return f.stats
	default:
		return Stats{}
	}
}

// Close stops the feeder, waits for it and returns Err.
func (f *Feeder) Close() error {
	f.cancel()
	<-f.done
	if errors.Is(f.err, context.Canceled) {
		return nil
	}
	return f.err
}
