package ingest

import (
	"context"
	"io"
	"time"

	"github.com/deconflict/deconflict"
)

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// Speed is how many seconds of the recording pass in one second of
	// replay; 1 is real time, 60 a minute a second. Zero means 1.
	Speed float64
	// Now is the clock the replay starts from (time.Now when nil).
	Now func() time.Time
	// After waits for a duration (time.After when nil); tests pass a
	// channel of their own so that nothing sleeps.
	After func(time.Duration) <-chan time.Time
}

// Replay wraps read so that a recording plays as if it were live: the
// first timed report is stamped with the replay's start, every later one
// with start + (its time - the first's)/Speed, and each is emitted only
// when that moment has come. Reports without a time keep none. Reading
// stops with ctx's error when ctx is cancelled while a report waits.
func Replay(ctx context.Context, read Format, o ReplayOptions) Format {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.After == nil {
		o.After = time.After
	}
	return func(r io.Reader, emit func(deconflict.Report) error) error {
		var first, start time.Time
		return read(r, func(rep deconflict.Report) error {
			if rep.Time.IsZero() {
				return emit(rep)
			}
			if first.IsZero() {
				first, start = rep.Time, o.Now()
			}
			at := start.Add(time.Duration(float64(rep.Time.Sub(first)) / o.Speed))
			if wait := at.Sub(o.Now()); wait > 0 {
				select {
				case <-o.After(wait):
				case <-ctx.Done():
					return ctx.Err()
				}
			}
			rep.Time = at
			return emit(rep)
		})
	}
}

// RefuseStale wraps read so that it fails on the first report older than
// the picture keeps a track of its domain (maxAge, by now): a recording
// posted as it is would reach the node only to be swept at once. The
// error names the report and says to replay instead.
func RefuseStale(read Format, now func() time.Time, maxAge func(deconflict.Domain) time.Duration) Format {
	return func(r io.Reader, emit func(deconflict.Report) error) error {
		return read(r, func(rep deconflict.Report) error {
			if !rep.Time.IsZero() {
				if age, limit := now().Sub(rep.Time), maxAge(rep.Domain); age > limit {
					return deconflict.Errorf(deconflict.EINVALID,
						"report of %s at %s is %s old: the node drops a track %s after its last report; replay a recording with --replay [--speed X]",
						rep.ID, rep.Time.UTC().Format(time.RFC3339), age.Round(time.Second), limit)
				}
			}
			return emit(rep)
		})
	}
}
