package ingest_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/ingest"
	"github.com/deconflict/deconflict/source"
)

// idFormat is a format of one report ID a line, independent of the
// project's decoders.
func idFormat(r io.Reader, emit func(deconflict.Report) error) error {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if err := emit(deconflict.Report{ID: sc.Text()}); err != nil {
			return err
		}
	}
	return sc.Err()
}

func mustWriteLines(t *testing.T, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "r%d\n", i)
	}
	path := filepath.Join(t.TempDir(), "feed.txt")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// recorder is a sink that keeps the batches it is given.
type recorder struct {
	mu      sync.Mutex
	batches [][]deconflict.Report
	got     chan int // receives each batch's size, if not nil
}

func (r *recorder) sink(ctx context.Context, b []deconflict.Report) error {
	r.mu.Lock()
	r.batches = append(r.batches, b)
	r.mu.Unlock()
	if r.got != nil {
		r.got <- len(b)
	}
	return nil
}

// never is a tick channel that never ticks: only size and the end of the
// feeds flush.
var never = make(chan time.Time)

func TestRunBatchesBySize(t *testing.T) {
	path := mustWriteLines(t, 2500)
	var rec recorder
	st, err := ingest.Run(t.Context(), []string{path}, idFormat, rec.sink, &ingest.Options{Tick: never})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st, (ingest.Stats{Reports: 2500, Batches: 3}); got != want {
		t.Errorf("Stats=%+v, want %+v", got, want)
	}
	var sizes []int
	i := 0
	for _, b := range rec.batches {
		sizes = append(sizes, len(b))
		for _, r := range b {
			if want := fmt.Sprintf("r%d", i); r.ID != want {
				t.Fatalf("report %d is %s, want %s", i, r.ID, want)
			}
			i++
		}
	}
	if got, want := fmt.Sprint(sizes), "[1000 1000 500]"; got != want {
		t.Errorf("batch sizes %s, want %s", got, want)
	}
}

// live returns a feed spec reading from a pipe the test writes into and
// the options that wire it; the pipe stays open until the test ends.
func live(t *testing.T, tick <-chan time.Time, maxBatch int) (*io.PipeWriter, *ingest.Options) {
	t.Helper()
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() })
	return pw, &ingest.Options{Tick: tick, MaxBatch: maxBatch, Source: &source.Options{Stdin: pr}}
}

func TestRunFlushesOnTick(t *testing.T) {
	tick := make(chan time.Time)
	pw, opts := live(t, tick, 0)
	rec := recorder{got: make(chan int, 10)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := ingest.Run(ctx, []string{"-"}, idFormat, rec.sink, opts)
		done <- err
	}()
	if _, err := io.WriteString(pw, "a\nb\nc\n"); err != nil {
		t.Fatal(err)
	}
	// The feed stays open: only ticks can flush the three reports.
	for n := 0; n < 3; {
		select {
		case tick <- time.Time{}:
		case size := <-rec.got:
			n += size
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v, want nil", err)
	}
	var ids []string
	for _, b := range rec.batches {
		for _, r := range b {
			ids = append(ids, r.ID)
		}
	}
	if got, want := strings.Join(ids, ","), "a,b,c"; got != want {
		t.Errorf("reports %s, want %s", got, want)
	}
}

func TestRunSinkError(t *testing.T) {
	errRefused := errors.New("refused")
	failing := func(ctx context.Context, b []deconflict.Report) error { return errRefused }
	t.Run("File", func(t *testing.T) {
		st, err := ingest.Run(t.Context(), []string{mustWriteLines(t, 3000)}, idFormat, failing, &ingest.Options{Tick: never})
		if !errors.Is(err, errRefused) || st != (ingest.Stats{}) {
			t.Fatalf("Run: %+v, %v; want no batch taken and the sink's error", st, err)
		}
	})
	t.Run("Live", func(t *testing.T) {
		// The feed never ends: Run returns on the sink's error alone.
		tick := make(chan time.Time)
		pw, opts := live(t, tick, 0)
		done := make(chan error, 1)
		go func() {
			_, err := ingest.Run(t.Context(), []string{"-"}, idFormat, failing, opts)
			done <- err
		}()
		io.WriteString(pw, "a\n")
		for {
			select {
			case tick <- time.Time{}:
				continue
			case err := <-done:
				if !errors.Is(err, errRefused) {
					t.Fatalf("Run: %v, want the sink's error", err)
				}
			}
			break
		}
	})
}

// TestRunOneSinkAtATime floods Run with reports and ticks at once: the
// sink must never be called twice at the same time (go test -race also
// watches Run's own state), and every report arrives exactly once.
func TestRunOneSinkAtATime(t *testing.T) {
	const n = 20000
	tick := make(chan time.Time)
	pw, opts := live(t, tick, 7)
	var inFlight, maxInFlight atomic.Int32
	var total int // written by the sink only: the race detector checks that
	sink := func(ctx context.Context, b []deconflict.Report) error {
		if v := inFlight.Add(1); v > maxInFlight.Load() {
			maxInFlight.Store(v)
		}
		total += len(b)
		inFlight.Add(-1)
		return nil
	}
	go func() {
		w := bufio.NewWriter(pw)
		for i := range n {
			fmt.Fprintf(w, "r%d\n", i)
		}
		w.Flush()
		pw.Close()
	}()
	stopTicks := make(chan struct{})
	go func() {
		for {
			select {
			case tick <- time.Time{}:
			case <-stopTicks:
				return
			}
		}
	}()
	st, err := ingest.Run(t.Context(), []string{"-"}, idFormat, sink, opts)
	close(stopTicks)
	if err != nil {
		t.Fatal(err)
	}
	if st.Reports != n || total != n {
		t.Errorf("Stats.Reports=%d, sink saw %d, want %d", st.Reports, total, n)
	}
	if got := maxInFlight.Load(); got != 1 {
		t.Errorf("%d sink calls at once, want 1", got)
	}
}

func TestRunDecoderPanic(t *testing.T) {
	panicky := func(r io.Reader, emit func(deconflict.Report) error) error { panic("bad input") }
	var rec recorder
	_, err := ingest.Run(t.Context(), []string{mustWriteLines(t, 10)}, panicky, rec.sink, &ingest.Options{Tick: never})
	if err == nil || !strings.Contains(err.Error(), "decoder panic: bad input") {
		t.Fatalf("Run with a panicking decoder: %v, want the panic as an error", err)
	}
}

func TestRunBadSpec(t *testing.T) {
	var rec recorder
	_, err := ingest.Run(t.Context(), []string{"bogus://x"}, idFormat, rec.sink, nil)
	if deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("Run: %v, want EINVALID naming the spec", err)
	}
}

func TestFeeder(t *testing.T) {
	t.Run("Close", func(t *testing.T) {
		tick := make(chan time.Time)
		pw, opts := live(t, tick, 0)
		rec := recorder{got: make(chan int, 10)}
		f := ingest.Start(t.Context(), []string{"-"}, idFormat, rec.sink, opts)
		io.WriteString(pw, "a\n")
		for n := 0; n < 1; {
			select {
			case tick <- time.Time{}:
			case size := <-rec.got:
				n += size
			}
		}
		if err := f.Close(); err != nil {
			t.Fatalf("Close: %v, want nil", err)
		}
		select {
		case <-f.Done():
		default:
			t.Fatal("Done not closed after Close")
		}
		if got, want := f.Stats(), (ingest.Stats{Reports: 1, Batches: 1}); got != want {
			t.Errorf("Stats=%+v, want %+v", got, want)
		}
	})
	t.Run("SinkPanic", func(t *testing.T) {
		sink := func(ctx context.Context, b []deconflict.Report) error { panic("sink broke") }
		f := ingest.Start(t.Context(), []string{mustWriteLines(t, 5)}, idFormat, sink, &ingest.Options{Tick: never})
		<-f.Done()
		if err := f.Err(); err == nil || !strings.Contains(err.Error(), "panic: sink broke") {
			t.Fatalf("Err after a panicking sink: %v", err)
		}
		if err := f.Close(); err == nil {
			t.Fatal("Close after a panic: nil, want the panic")
		}
	})
}
