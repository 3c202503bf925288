//go:build !unix

package flock

import (
	"errors"
	"os"
)

// ErrLocked is returned when another process holds the lock.
var ErrLocked = errors.New("held by another process")

// On systems without flock the lock is not enforced.
func lockFile(f *os.File) error   { return nil }
func unlockFile(f *os.File) error { return nil }
