package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/deconflict/deconflict"
)

// PutBlob implements deconflict.Store.
func (db *DB) PutBlob(ctx context.Context, channel string, b *deconflict.Blob) error {
	if err := b.Check(); err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin put blob: %w", err)
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM channels WHERE id = ?`, channel).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "channel %s not found", channel)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (sha256, size, created, data) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, b.SHA256[:], b.Size, nanos(b.Created), b.Data); err != nil {
		return fmt.Errorf("insert blob %s: %w", b.Hex(), err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO channel_blobs (channel, sha256, type, created, attached) VALUES (?, ?, ?, ?, 0) ON CONFLICT (channel, sha256) DO NOTHING`, channel, b.SHA256[:], b.Type, nanos(b.Created)); err != nil {
		return fmt.Errorf("insert blob %s on %s: %w", b.Hex(), channel, err)
	}
	var typ string
	var created int64
	if err := tx.QueryRowContext(ctx, `SELECT type, created FROM channel_blobs WHERE channel = ? AND sha256 = ?`, channel, b.SHA256[:]).Scan(&typ, &created); err != nil {
		return fmt.Errorf("find blob %s on %s: %w", b.Hex(), channel, err)
	}
	if typ != b.Type {
		return deconflict.Errorf(deconflict.ECONFLICT, "blob %s is on channel %s as %s already, not %s", b.Hex(), channel, typ, b.Type)
	}
	b.Created = fromNanos(created)
	return tx.Commit()
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
	if data {
		cols += `, b.data`
	}
	b := &deconflict.Blob{SHA256: sum}
	var created int64
	dest := []any{&b.Size, &b.Type, &created}
	if data {
		dest = append(dest, &b.Data)
	}
	err := db.r.QueryRowContext(ctx, `SELECT `+cols+` FROM channel_blobs c JOIN blobs b ON b.sha256 = c.sha256 WHERE c.channel = ? AND c.sha256 = ?`, channel, sum[:]).Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
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
	if err := db.r.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM blobs`).Scan(&n); err != nil {
		return 0, fmt.Errorf("blob bytes: %w", err)
	}
	return n, nil
}

// ForgetBlobs implements deconflict.Store.
func (db *DB) ForgetBlobs(ctx context.Context, before time.Time) (int64, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin forget blobs: %w", err)
	}
	defer tx.Rollback()
	var held, left int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM blobs`).Scan(&held); err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM channel_blobs WHERE attached = 0 AND created < ?`, nanos(before)); err != nil {
		return 0, fmt.Errorf("forget unattached blobs: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE NOT EXISTS (SELECT 1 FROM channel_blobs c WHERE c.sha256 = blobs.sha256)`); err != nil {
		return 0, fmt.Errorf("forget blobs no channel holds: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(size), 0) FROM blobs`).Scan(&left); err != nil {
		return 0, err
	}
	return held - left, tx.Commit()
}

// markAttached marks the blobs a batch attaches (deconflict.Batch.Attached).
func markAttached(ctx context.Context, tx *sql.Tx, channel string, sums [][32]byte) error {
	done := map[[32]byte]bool{}
	for _, sum := range sums {
		if done[sum] {
			continue
		}
		done[sum] = true
		res, err := tx.ExecContext(ctx, `UPDATE channel_blobs SET attached = 1 WHERE channel = ? AND sha256 = ?`, channel, sum[:])
		if err != nil {
			return fmt.Errorf("mark blob %x attached: %w", sum, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return deconflict.Errorf(deconflict.EUNAVAILABLE, "channel %s no longer holds blob %x (an upload not attached in time is forgotten); upload it again", channel, sum)
		}
	}
	return nil
}
