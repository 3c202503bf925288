// Package flock holds an exclusive lock on a file for the life of a
// process, so that two processes never share one data directory.
package flock

import (
	"fmt"
	"os"
)

// Lock is a held lock. The operating system releases it when the process
// ends, however it ends.
type Lock struct {
	f *os.File
}

// Acquire takes the exclusive lock on path (creating the file), without
// waiting: if another process holds it, it returns an error saying so.
func Acquire(path string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// Release lets the lock go.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := unlockFile(l.f)
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}
