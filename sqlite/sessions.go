package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/deconflict/deconflict"
)

// CreateSession implements deconflict.Store.
func (db *DB) CreateSession(ctx context.Context, s *deconflict.ConsoleSession) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM console_sessions WHERE expires <= ?`, nanos(s.Created)); err != nil {
		return fmt.Errorf("forget expired sessions: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO console_sessions (token_hash, username, party, credential, created, expires) VALUES (?, ?, ?, ?, ?, ?)`,
		s.TokenHash[:], s.Username, s.Party, s.Credential, nanos(s.Created), nanos(s.Expires)); isUnique(err) {
		return deconflict.Errorf(deconflict.ECONFLICT, "console session exists already")
	} else if err != nil {
		return fmt.Errorf("store console session: %w", err)
	}
	return tx.Commit()
}

// FindSession implements deconflict.Store.
func (db *DB) FindSession(ctx context.Context, h [32]byte, now time.Time) (*deconflict.ConsoleSession, error) {
	s := deconflict.ConsoleSession{TokenHash: h}
	var created, expires int64
	err := db.r.QueryRowContext(ctx, `SELECT username, party, credential, created, expires FROM console_sessions WHERE token_hash = ? AND expires > ?`, h[:], nanos(now)).
		Scan(&s.Username, &s.Party, &s.Credential, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "console session not found (signed out, expired or never made)")
	} else if err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	s.Created, s.Expires = fromNanos(created), fromNanos(expires)
	return &s, nil
}

// DeleteSession implements deconflict.Store.
func (db *DB) DeleteSession(ctx context.Context, h [32]byte) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM console_sessions WHERE token_hash = ?`, h[:])
	if err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "console session not found")
	}
	return nil
}

// DeleteUserSessions implements deconflict.Store.
func (db *DB) DeleteUserSessions(ctx context.Context, username string) (int, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM console_sessions WHERE username = ?`, username)
	if err != nil {
		return 0, fmt.Errorf("delete console sessions of %s: %w", username, err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
