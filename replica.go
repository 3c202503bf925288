package deconflict

import "context"

// Replicas coordinates node processes (replicas) that share one store, so
// that any of them can take any request. The PostgreSQL store implements
// it; a node without it is the only process on its store.
type Replicas interface {
	// WatchChanges calls fn for each change committed by any replica,
	// until ctx ends or the connection that listens fails (it returns the
	// error; the caller listens again). Changes are hints that wake
	// readers: one can be lost with a connection, so readers also poll
	// the store, which stays the only source of truth.
	WatchChanges(ctx context.Context, fn func(Change)) error
	// Lead blocks until this process holds the lease named name, or ctx
	// ends. The returned context ends when the lease is lost (the session
	// that holds it ended) or ctx ends; release gives the lease up.
	Lead(ctx context.Context, name string) (held context.Context, release func(), err error)
	// LockChannel blocks until this process holds the append lock of
	// channel, so that it validates and appends a batch while no other
	// replica appends to the channel, and returns the function that
	// releases it. The lock saves work, not correctness: Append refuses a
	// batch that does not start at the log's size whatever happens to it.
	LockChannel(ctx context.Context, channel string) (unlock func(), err error)
}

// Change is what a replica committed: a channel's log grew to Size, a
// channel's settings changed (Size 0), or party keys changed (Keys).
type Change struct {
	Channel string
	Size    int64
	Keys    bool
}
