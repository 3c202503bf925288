package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

// PutBlob implements deconflict.Store. Replicas putting the same blob at
// once both succeed: the second insert waits for the first and does
// nothing, then both read the one row.
func (db *DB) PutBlob(ctx context.Context, channel string, b *deconflict.Blob) error {
	if err := b.Check(); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM channels WHERE id = $1)`, channel).Scan(&exists); err != nil {
			return err
		} else if !exists {
			return deconflict.Errorf(deconflict.ENOTFOUND, "channel %s not found", channel)
		}
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blobs WHERE sha256 = $1)`, b.SHA256[:]).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			if _, err := tx.Exec(ctx, `INSERT INTO blobs (sha256, size, created, data) VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING`, b.SHA256[:], b.Size, nanos(b.Created), b.Data); err != nil {
				return fmt.Errorf("insert blob %s: %w", b.Hex(), err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO channel_blobs (channel, sha256, type, created, attached) VALUES ($1, $2, $3, $4, false) ON CONFLICT (channel, sha256) DO NOTHING`, channel, b.SHA256[:], b.Type, nanos(b.Created)); err != nil {
			return fmt.Errorf("insert blob %s on %s: %w", b.Hex(), channel, err)
		}
		var typ string
		var created int64
		if err := tx.QueryRow(ctx, `SELECT type, created FROM channel_blobs WHERE channel = $1 AND sha256 = $2`, channel, b.SHA256[:]).Scan(&typ, &created); err != nil {
			return fmt.Errorf("find blob %s on %s: %w", b.Hex(), channel, err)
		}
		if typ != b.Type {
			return deconflict.Errorf(deconflict.ECONFLICT, "blob %s is on channel %s as %s already, not %s", b.Hex(), channel, typ, b.Type)
		}
		b.Created = fromNanos(created)
		return nil
	})
}

// StatBlob implements deconflict.Store.
func (db *DB) StatBlob(ctx context.Context, channel string, sum [32]byte) (*deconflict.Blob, error) {
	return db.findBlob(ctx, channel, sum, false)
}

// ReadBlob implements deconflict.Store.
func (db *DB) ReadBlob(ctx context.Context, channel string, sum [32]byte) (*deconflict.Blob, error) {
	return db.findBlob(ctx, channel, sum, true)
}

func (db *DB) findBlob(ctx context.Context, channel string, sum [32]byte, data bool) (*deconflict.Blob, error) {
	cols := `b.size, c.type, c.created`
	b := &deconflict.Blob{SHA256: sum}
	var created int64
	dest := []any{&b.Size, &b.Type, &created}
	if data {
		cols += `, b.data`
		dest = append(dest, &b.Data)
	}
	err := db.pool.QueryRow(ctx, `SELECT `+cols+` FROM channel_blobs c JOIN blobs b ON b.sha256 = c.sha256 WHERE c.channel = $1 AND c.sha256 = $2`, channel, sum[:]).Scan(dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "blob %s not found on channel %s", b.Hex(), channel)
	} else if err != nil {
		return nil, fmt.Errorf("find blob %s: %w", b.Hex(), err)
	}
	b.Created = fromNanos(created)
	if data && b.Data == nil {
		b.Data = []byte{}
	}
	return b, nil
}

// BlobBytes implements deconflict.Store.
func (db *DB) BlobBytes(ctx context.Context) (int64, error) {
	var n int64
	if err := db.pool.QueryRow(ctx, `SELECT COALESCE(SUM(size), 0)::BIGINT FROM blobs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("blob bytes: %w", err)
	}
	return n, nil
}

// ForgetBlobs implements deconflict.Store.
func (db *DB) ForgetBlobs(ctx context.Context, before time.Time) (int64, error) {
	var freed int64
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM channel_blobs WHERE NOT attached AND created < $1`, nanos(before)); err != nil {
			return fmt.Errorf("forget unattached blobs: %w", err)
		}
		err := tx.QueryRow(ctx, `WITH gone AS (DELETE FROM blobs b WHERE NOT EXISTS (SELECT 1 FROM channel_blobs c WHERE c.sha256 = b.sha256) RETURNING size)
			SELECT COALESCE(SUM(size), 0)::BIGINT FROM gone`).Scan(&freed)
		if err != nil {
			return fmt.Errorf("forget blobs no channel holds: %w", err)
		}
		return nil
	})
	return freed, err
}

// distinctSums returns sums without repeats, as byte slices.
func distinctSums(sums [][32]byte) [][]byte {
	done := map[[32]byte]bool{}
	var out [][]byte
	for _, s := range sums {
		if !done[s] {
			done[s] = true
			out = append(out, s[:])
		}
	}
	return out
}
