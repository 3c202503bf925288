package node

import "time"

// SetRingSize sets how many recent envelopes channel logs opened from now
// on keep in memory, and returns a function restoring the default: a
// test wraps the ring with a few envelopes instead of thousands.
func SetRingSize(n int64) (restore func()) {
	old := ringSize
	ringSize = n
	return func() { ringSize = old }
}

// SetSeenQueueSize sets the seen writer's queue size of nodes made from
// now on, and returns a function restoring the default.
func SetSeenQueueSize(n int) (restore func()) {
	old := seenQueueSize
	seenQueueSize = n
	return func() { seenQueueSize = old }
}

// SetLazyDelay sets how long appenders hold a seen record for a message
// to commit with, and returns a function restoring the default.
func SetLazyDelay(d time.Duration) (restore func()) {
	old := lazyDelay
	lazyDelay = d
	return func() { lazyDelay = old }
}
