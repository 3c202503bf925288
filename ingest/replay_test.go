package ingest_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/ingest"
)

// timedFormat emits one report per given offset (seconds from t0), and
// one report with no time after the first.
func timedFormat(t0 time.Time, offsets ...int) ingest.Format {
	return func(_ io.Reader, emit func(deconflict.Report) error) error {
		for i, s := range offsets {
			if err := emit(deconflict.Report{ID: "r", Time: t0.Add(time.Duration(s) * time.Second)}); err != nil {
				return err
			}
			if i == 0 {
				if err := emit(deconflict.Report{ID: "static"}); err != nil {
					return err
				}
			}
		}
		return nil
	}
}

// fakeClock is a clock that After advances: waiting d moves it by d.
type fakeClock struct {
	now   time.Time
	waits []time.Duration
}

func (c *fakeClock) Now() time.Time { return c.now }
func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.waits = append(c.waits, d)
	c.now = c.now.Add(d)
	ch := make(chan time.Time, 1)
	ch <- c.now
	return ch
}

func TestReplay(t *testing.T) {
	t0 := time.Date(2010, 6, 11, 11, 46, 11, 0, time.UTC)
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	clk := &fakeClock{now: start}
	read := ingest.Replay(context.Background(), timedFormat(t0, 0, 10, 30), ingest.ReplayOptions{Speed: 10, Now: clk.Now, After: clk.After})
	var got []deconflict.Report
	if err := read(strings.NewReader(""), func(r deconflict.Report) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d reports, want 4", len(got))
	}
	// At speed 10, 10 s and 30 s of recording are 1 s and 3 s of replay.
	for i, want := range []time.Time{start, {}, start.Add(time.Second), start.Add(3 * time.Second)} {
		if !got[i].Time.Equal(want) {
			t.Errorf("report %d (%s) time %v, want %v", i, got[i].ID, got[i].Time, want)
		}
	}
	if want := []time.Duration{time.Second, 2 * time.Second}; len(clk.waits) != 2 || clk.waits[0] != want[0] || clk.waits[1] != want[1] {
		t.Errorf("waits %v, want %v", clk.waits, want)
	}
}

func TestReplayCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	never := func(time.Duration) <-chan time.Time { return nil }
	read := ingest.Replay(ctx, timedFormat(time.Unix(0, 0), 0, 60), ingest.ReplayOptions{After: never})
	n := 0
	err := read(strings.NewReader(""), func(deconflict.Report) error { n++; return nil })
	if err != context.Canceled {
		t.Fatalf("err %v, want context.Canceled", err)
	}
	if n != 2 {
		t.Fatalf("%d reports emitted before the cancelled wait, want 2", n)
	}
}

func TestRefuseStale(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	limit := func(d deconflict.Domain) time.Duration {
		if d == deconflict.Air {
			return 5 * time.Minute
		}
		return 10 * time.Minute
	}
	t.Run("OK", func(t *testing.T) {
		read := ingest.RefuseStale(timedFormat(now.Add(-9*time.Minute), 0, 60), func() time.Time { return now }, limit)
		n := 0
		if err := read(strings.NewReader(""), func(deconflict.Report) error { n++; return nil }); err != nil || n != 3 {
			t.Fatalf("n=%d err=%v, want 3 reports and no error", n, err)
		}
	})
	t.Run("ErrStale", func(t *testing.T) {
		read := ingest.RefuseStale(timedFormat(now.Add(-11*time.Minute), 0), func() time.Time { return now }, limit)
		err := read(strings.NewReader(""), func(deconflict.Report) error { return nil })
		if deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), "11m0s old") || !strings.Contains(err.Error(), "--replay") {
			t.Fatalf("err %v, want EINVALID naming the age and --replay", err)
		}
	})
}
