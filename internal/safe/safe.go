// Package safe runs the node's own goroutines so that no input can end
// the process: a panic is recovered and turned into an error (with its
// stack) that the goroutine's owner logs or answers with.
package safe

import (
	"context"
	"fmt"
	"runtime/debug"
	"time"
)

// PanicError is a recovered panic.
type PanicError struct {
	Value any    // what was passed to panic
	Stack []byte // the goroutine's stack where it panicked
}

func (e *PanicError) Error() string { return fmt.Sprintf("panic: %v", e.Value) }

// Call runs fn and returns its error, or a *PanicError if it panicked.
func Call(fn func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = &PanicError{Value: v, Stack: debug.Stack()}
		}
	}()
	return fn()
}

// RestartPause is how long Loop waits before running a function again
// after it panicked, so that a panic on every run does not spin a core.
const RestartPause = time.Second

// Loop runs fn(ctx) until it returns normally or ctx ends; each time fn
// panics, report is called with the *PanicError and fn is run again after
// RestartPause. It is for workers that must keep running (deadlines,
// webhooks, the live picture).
func Loop(ctx context.Context, report func(*PanicError), fn func(context.Context)) {
	for {
		err := Call(func() error { fn(ctx); return nil })
		pe, ok := err.(*PanicError)
		if !ok {
			return
		}
		report(pe)
		select {
		case <-ctx.Done():
			return
		case <-time.After(RestartPause):
		}
	}
}
