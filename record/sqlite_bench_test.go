//go:build sqlitebench

// The benchmarks in this file run the log on a real SQLite file
// (modernc.org/sqlite, WAL, synchronous=FULL: a durable commit per batch),
// with the node's table layout, to give figures with a realistic store.
// They are behind a build tag so that the pure package's tests do not
// compile SQLite:
//
//	go test -tags sqlitebench -run '^$' -bench SQLite ./record/

package record_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/deconflict/deconflict/record"
)

const sqliteSchema = `
CREATE TABLE log_hashes (channel TEXT NOT NULL, n INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (channel, n));
CREATE TABLE leaves (channel TEXT NOT NULL, idx INTEGER NOT NULL, leaf BLOB NOT NULL, PRIMARY KEY (channel, idx));
`

func openSQLite(b *testing.B, pragmas ...string) *sql.DB {
	q := url.Values{}
	for _, p := range append([]string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)"}, pragmas...) {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(b.TempDir(), "log.db")+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(sqliteSchema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// sqlHashes reads stored hashes of one channel in one query.
type sqlHashes struct {
	q interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	}
	channel string
}

func (s sqlHashes) ReadHashes(indexes []int64) ([]record.Hash, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	args := []any{s.channel}
	for _, x := range indexes {
		args = append(args, x)
	}
	rows, err := s.q.QueryContext(context.Background(), `SELECT n, hash FROM log_hashes WHERE channel = ? AND n IN (?`+strings.Repeat(",?", len(indexes)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := make(map[int64]record.Hash, len(indexes))
	for rows.Next() {
		var n int64
		var h []byte
		if err := rows.Scan(&n, &h); err != nil {
			return nil, err
		}
		got[n] = record.Hash(h)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]record.Hash, len(indexes))
	for i, x := range indexes {
		h, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("stored hash %d: %w", x, record.ErrNotFound)
		}
		out[i] = h
	}
	return out, nil
}

// sqliteAppend appends one batch in one transaction: the frontier read, the
// new stored hashes (and the leaves, if withLeaves) written, committed.
func sqliteAppend(b *testing.B, db *sql.DB, size int64, leaves [][]byte, withLeaves bool) *record.Appended {
	ctx := context.Background()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		b.Fatal(err)
	}
	a, err := record.StoredHashesForLeaves(size, leaves, sqlHashes{tx, "ch"})
	if err != nil {
		b.Fatal(err)
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO log_hashes (channel, n, hash) VALUES ('ch', ?, ?)`)
	if err != nil {
		b.Fatal(err)
	}
	for i, h := range a.Hashes {
		if _, err := st.ExecContext(ctx, a.FirstIndex+int64(i), h[:]); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	if withLeaves {
		st, err := tx.PrepareContext(ctx, `INSERT INTO leaves (channel, idx, leaf) VALUES ('ch', ?, ?)`)
		if err != nil {
			b.Fatal(err)
		}
		for i, l := range leaves {
			if _, err := st.ExecContext(ctx, size+int64(i), l); err != nil {
				b.Fatal(err)
			}
		}
		st.Close()
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	return a
}

// BenchmarkSQLiteAppend: one op is one batch in one durable transaction.
func BenchmarkSQLiteAppend(b *testing.B) {
	for _, withLeaves := range []bool{false, true} {
		for _, batch := range []int{1, 100, 1000} {
			b.Run(fmt.Sprintf("batch=%d/leaves_table=%v", batch, withLeaves), func(b *testing.B) {
				db := openSQLite(b)
				leaves := make([][]byte, batch)
				for i := range leaves {
					leaves[i] = benchLeaf(i)
				}
				var size int64
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					size = sqliteAppend(b, db, size, leaves, withLeaves).Size
				}
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "leaves/s")
			})
		}
	}
}

// BenchmarkSQLiteProve proves inclusion and consistency from a SQLite
// store of 1e3 to 1e6 leaves: one query per proof. With SQLite's default
// page cache (2 MB) and with a 64 MiB one.
func BenchmarkSQLiteProve(b *testing.B) {
	b.Run("cache=default", func(b *testing.B) { benchSQLiteProve(b, openSQLite(b)) })
	b.Run("cache=64MiB", func(b *testing.B) { benchSQLiteProve(b, openSQLite(b, "cache_size(-65536)")) })
}

func benchSQLiteProve(b *testing.B, db *sql.DB) {
	var size int64
	for _, n := range benchSizes {
		const batch = 10000
		for size < int64(n) {
			var leaves [][]byte
			for j := size; j < min(size+batch, int64(n)); j++ {
				leaves = append(leaves, leafData(int(j)))
			}
			size = sqliteAppend(b, db, size, leaves, false).Size
		}
		r := sqlHashes{db, "ch"}
		b.Run(fmt.Sprintf("inclusion/leaves=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := record.ProveInclusion(int64(n), int64(i*7919%n), r); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("consistency/leaves=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := record.ProveConsistency(int64(1+i*7919%(n-1)), int64(n), r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
