//go:build unix

package detect_test

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used (user and system,
// every thread: the collector's included), which a machine shared with
// other work disturbs less than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
