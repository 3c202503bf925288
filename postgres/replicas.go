package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

var _ deconflict.Replicas = (*DB)(nil)

// NotifyChannel is the LISTEN/NOTIFY channel on which every committed
// change is announced: "append <log size> <channel>" for an append,
// "channel <channel>" for a created channel or a new policy, "keys" for
// party keys. Notifications are sent inside the transaction that makes
// the change, so they are delivered only if it commits.
const NotifyChannel = "deconflict"

// LeaseCheckInterval is how often the holder of a lease checks that its
// database session is alive; a holder cut off from the database stops
// acting within about this long.
const LeaseCheckInterval = time.Second

// connect opens a connection outside the pool, for LISTEN and leases,
// which need a session of their own for as long as they last.
func (db *DB) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg := db.pool.Config().ConnConfig.Copy()
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	// The server notices a holder whose machine vanished within about
	// 10 s, and releases its lease.
	for k, v := range map[string]string{"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3"} {
		if _, ok := cfg.RuntimeParams[k]; !ok {
			cfg.RuntimeParams[k] = v
		}
	}
	return pgx.ConnectConfig(ctx, cfg)
}

// WatchChanges implements deconflict.Replicas with LISTEN on a
// connection of its own.
func (db *DB) WatchChanges(ctx context.Context, fn func(deconflict.Change)) error {
	c, err := db.connect(ctx)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, "LISTEN "+NotifyChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		if ch, ok := parseChange(n.Payload); ok {
			fn(ch)
		}
	}
}

func parseChange(s string) (deconflict.Change, bool) {
	kind, rest, _ := strings.Cut(s, " ")
	switch kind {
	case "append":
		size, channel, ok := strings.Cut(rest, " ")
		n, err := strconv.ParseInt(size, 10, 64)
		return deconflict.Change{Channel: channel, Size: n}, ok && err == nil && channel != ""
	case "channel":
		return deconflict.Change{Channel: rest}, rest != ""
	case "keys":
		return deconflict.Change{Keys: true}, true
	}
	return deconflict.Change{}, false
}

// leaseKey maps a lease name to an advisory lock key.
func leaseKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("deconflict lease " + name))
	return int64(h.Sum64())
}

// Lead implements deconflict.Replicas with a session advisory lock held
// on a connection of its own: PostgreSQL releases it when that session
// ends, so another replica blocked in Lead takes over as soon as the
// server sees the holder's connection close (at once for a killed
// process, after the TCP keepalives for a vanished machine).
func (db *DB) Lead(ctx context.Context, name string) (context.Context, func(), error) {
	c, err := db.connect(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("lease %s: %w", name, err)
	}
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, leaseKey(name)); err != nil {
		c.Close(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("lease %s: %w", name, err)
	}
	held, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.Close(context.Background()) // ends the session: the lock goes with it
		t := time.NewTicker(LeaseCheckInterval)
		defer t.Stop()
		for {
			select {
			case <-held.Done():
				return
			case <-t.C:
				pctx, pcancel := context.WithTimeout(held, LeaseCheckInterval)
				err := c.Ping(pctx)
				pcancel()
				if err != nil {
					cancel()
					return
				}
			}
		}
	}()
	var once sync.Once
	release := func() { once.Do(func() { cancel(); <-done }) }
	return held, release, nil
}
