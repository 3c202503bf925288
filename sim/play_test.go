package sim_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/sim"
)

// clock is a settable clock, safe to read from the player's goroutine.
// read is closed at the first read, so that a test sets the clock only
// once the player has taken its start time.
type clock struct {
	mu   sync.Mutex
	t    time.Time
	once sync.Once
	read chan struct{}
}

func (c *clock) Now() time.Time {
	c.once.Do(func() { close(c.read) })
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func shortBaltic(seed uint64) *sim.Scenario {
	s := sim.Baltic(seed)
	s.Duration = 2 * time.Minute
	return s
}

// onClock is what the player must deliver for the reports rs of a
// scenario started at scenStart, played from clockStart at speed.
func onClock(rs []deconflict.Report, scenStart, clockStart time.Time, speed float64) []deconflict.Report {
	for i := range rs {
		rs[i].Time = clockStart.Add(time.Duration(float64(rs[i].Time.Sub(scenStart)) / speed))
		rs[i].SpeedMS *= speed
		rs[i].ClimbMS *= speed
	}
	return rs
}

func TestPlayer(t *testing.T) {
	const speed = 4
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := &clock{t: t0, read: make(chan struct{})}
	tick := make(chan time.Time)
	got := make(chan []deconflict.Report)
	var rounds []uint64
	p := &sim.Player{
		Speed: speed, Now: clk.Now, Tick: tick,
		Next: func(round uint64) *sim.Scenario { rounds = append(rounds, round); return shortBaltic(10 + round) },
		Sink: func(ctx context.Context, rs []deconflict.Report) error { got <- rs; return nil },
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- p.Play(ctx, shortBaltic(1)) }()

	<-clk.read // the round's start is t0
	ref := shortBaltic(1)
	step := func(at time.Time, want []deconflict.Report, what string) {
		t.Helper()
		clk.Set(at)
		tick <- at
		if rs := <-got; !equalReports(rs, want) {
			t.Fatalf("%s: %d reports, want %d (first %+v, want %+v)", what, len(rs), len(want), rs[0], want[0])
		}
	}
	// 15 s of clock time are 60 s of scenario time.
	step(t0.Add(15*time.Second), onClock(ref.Reports(ref.Start, ref.Start.Add(time.Minute)), ref.Start, t0, speed), "first tick")
	// 25 s more would be 100 s: the scenario ends at 120 s.
	step(t0.Add(40*time.Second), onClock(ref.Reports(ref.Start.Add(time.Minute), ref.Start.Add(2*time.Minute)), ref.Start, t0, speed), "last tick of round 1")
	// The next round starts on the clock's time at the end of the first.
	next := shortBaltic(11)
	step(t0.Add(42500*time.Millisecond), onClock(next.Reports(next.Start, next.Start.Add(10*time.Second)), next.Start, t0.Add(40*time.Second), speed), "first tick of round 2")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Play after cancel: %v, want nil", err)
	}
	if len(rounds) != 1 || rounds[0] != 1 {
		t.Errorf("Next called for rounds %v, want [1]", rounds)
	}
}

func TestPlayerSinkError(t *testing.T) {
	errFull := errors.New("full")
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	// The round starts at t0; the first tick comes a minute later.
	calls := 0
	now := func() time.Time { calls++; return t0.Add(time.Duration(min(calls-1, 1)) * time.Minute) }
	tick := make(chan time.Time, 1)
	tick <- t0
	p := &sim.Player{Now: now, Tick: tick, Sink: func(ctx context.Context, rs []deconflict.Report) error { return errFull }}
	if err := p.Play(t.Context(), shortBaltic(1)); !errors.Is(err, errFull) {
		t.Fatalf("Play: %v, want the sink's error", err)
	}
}

func TestPlayerNoDuration(t *testing.T) {
	s := shortBaltic(1)
	s.Duration = 0
	p := &sim.Player{Tick: make(chan time.Time), Sink: func(context.Context, []deconflict.Report) error { return nil }}
	if err := p.Play(t.Context(), s); err == nil {
		t.Fatal("Play of a scenario without duration: nil error, want one")
	}
}
