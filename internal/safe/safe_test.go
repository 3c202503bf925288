package safe_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/internal/safe"
)

func TestCall(t *testing.T) {
	want := errors.New("plain")
	if err := safe.Call(func() error { return want }); err != want {
		t.Fatalf("Call returned %v, want the function's error", err)
	}
	err := safe.Call(func() error {
		var m map[string]int
		m["x"] = 1 // a nil map write panics
		return nil
	})
	var pe *safe.PanicError
	if !errors.As(err, &pe) || !strings.Contains(pe.Error(), "nil map") || !strings.Contains(string(pe.Stack), "safe_test.go") {
		t.Fatalf("Call after a panic: %v, want a PanicError with its stack", err)
	}
}

func TestLoopRestartsAfterPanic(t *testing.T) {
	runs, reports := 0, 0
	safe.Loop(context.Background(), func(*safe.PanicError) { reports++ }, func(ctx context.Context) {
		runs++
		if runs == 1 {
			panic("first run")
		}
	})
	if runs != 2 || reports != 1 {
		t.Fatalf("runs %d reports %d, want 2 runs (restarted once) and 1 report", runs, reports)
	}
}
