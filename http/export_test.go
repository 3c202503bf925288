package http

import "time"

// SetLingerClock gives s's watch streams' linger (WatchLinger) the clock
// now and after instead of the real one. Call it before s serves.
func SetLingerClock(s *Server, now func() time.Time, after func(time.Duration) <-chan time.Time) {
	s.clock = lingerClock{now: now, after: after}
}
