package flock_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/deconflict/deconflict/internal/flock"
)

// TestHelperHold is run as a child process: it takes the lock named by
// FLOCK_PATH and reports the outcome by its exit status.
func TestHelperHold(t *testing.T) {
	path := os.Getenv("FLOCK_PATH")
	if path == "" {
		return // not the child
	}
	if _, err := flock.Acquire(path); errors.Is(err, flock.ErrLocked) {
		os.Exit(3)
	} else if err != nil {
		os.Exit(4)
	}
	os.Exit(0)
}

func acquireInChild(t *testing.T, path string) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHold$")
	cmd.Env = append(os.Environ(), "FLOCK_PATH="+path)
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return 0
}

func TestAcquire(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	l, err := flock.Acquire(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := acquireInChild(t, path), 3; got != want {
		t.Fatalf("another process taking a held lock: exit %d, want %d (locked)", got, want)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if got, want := acquireInChild(t, path), 0; got != want {
		t.Fatalf("another process taking a released lock: exit %d, want %d", got, want)
	}
}
