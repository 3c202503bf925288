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
	"github.com/jackc/pgx/v5/pgxpool"
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
		return deconflict.Change{Channel: channel, Size: n}, ok && err == nil && n > 0 && channel != ""
	case "channel":
		return deconflict.Change{Channel: rest}, rest != ""
	case "keys":
		return deconflict.Change{Keys: true}, true
	}
	return deconflict.Change{}, false
}

// lockKey maps a lock's name to an advisory lock key.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("deconflict " + name))
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
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey("lease "+name)); err != nil {
		c.Close(context.WithoutCancel(ctx))
		return nil, nil, fmt.Errorf("lease %s: %w", name, err)
	}
	held, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer c.Close(context.Background()) // ends the session: the lock goes with it
		defer func() {
			if recover() != nil {
				cancel() // a panic gives the lease up rather than end the process
			}
		}()
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

// lockConns is how many channel locks one process holds at once; more
// channels appending together wait for a connection.
const lockConns = 32

// LockChannel implements deconflict.Replicas with a session advisory lock
// on a connection of a pool kept for locks, so that the connections that
// read and append are never all held by lock holders waiting for them.
func (db *DB) LockChannel(ctx context.Context, channel string) (func(), error) {
	p, err := db.lockPool(ctx)
	if err != nil {
		return nil, err
	}
	c, err := p.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock channel %s: %w", channel, err)
	}
	key := lockKey("channel " + channel)
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, key); err != nil {
		c.Conn().Close(context.WithoutCancel(ctx))
		c.Release()
		return nil, fmt.Errorf("lock channel %s: %w", channel, err)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			if _, err := c.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, key); err != nil {
				c.Conn().Close(context.Background()) // the session, and its lock, end with it
			}
			c.Release()
		})
	}, nil
}

func (db *DB) lockPool(ctx context.Context) (*pgxpool.Pool, error) {
	db.locksMu.Lock()
	defer db.locksMu.Unlock()
	if db.locks != nil {
		return db.locks, nil
	}
	cfg := db.pool.Config().Copy()
	cfg.MaxConns, cfg.MinConns = lockConns, 0
	p, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	db.locks = p
	return p, nil
}
