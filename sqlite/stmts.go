package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache holds statements prepared once per query text on one pool:
// preparing every query anew (SQLite's parser) was about a tenth of a
// busy node's CPU.
type stmtCache struct {
	pool *sql.DB
	m    sync.Map // query text -> *sql.Stmt
}

// maxCachedIn is the longest IN (...) list whose query text is cached;
// longer ones are prepared each time, so that the cache stays small.
const maxCachedIn = 64

// stmt returns q prepared on the cache's pool.
func (c *stmtCache) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if s, ok := c.m.Load(q); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := c.pool.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if old, loaded := c.m.LoadOrStore(q, s); loaded {
		s.Close()
		return old.(*sql.Stmt), nil
	}
	return s, nil
}

// query runs q through its cached statement.
func (c *stmtCache) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// queryIn is query for a query with an IN list of n values: cached up to
// maxCachedIn of them, prepared each time beyond.
func (c *stmtCache) queryIn(ctx context.Context, n int, q string, args ...any) (*sql.Rows, error) {
	if n > maxCachedIn {
		return c.pool.QueryContext(ctx, q, args...)
	}
	return c.query(ctx, q, args...)
}

// queryRow is query for one row.
func (c *stmtCache) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	s, err := c.stmt(ctx, q)
	if err != nil {
		// A Row carrying the error: the pool reports it again on Scan.
		return c.pool.QueryRowContext(ctx, q, args...)
	}
	return s.QueryRowContext(ctx, args...)
}

// txStmt returns q prepared for tx: from the cache's statement when it
// has one (prepare, outside any transaction), else prepared on tx alone.
// It never prepares on the pool, whose one connection (the writer's) tx
// may hold.
func (c *stmtCache) txStmt(ctx context.Context, tx *sql.Tx, q string) (*sql.Stmt, error) {
	if s, ok := c.m.Load(q); ok {
		return tx.StmtContext(ctx, s.(*sql.Stmt)), nil
	}
	return tx.PrepareContext(ctx, q)
}

// prepare caches the statements of qs (call outside any transaction).
func (c *stmtCache) prepare(ctx context.Context, qs ...string) error {
	for _, q := range qs {
		if _, err := c.stmt(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.m.Range(func(k, v any) bool {
		v.(*sql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
}
