package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

// CreateSession implements deconflict.Store.
func (db *DB) CreateSession(ctx context.Context, s *deconflict.ConsoleSession) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM console_sessions WHERE expires <= $1`, nanos(s.Created)); err != nil {
			return fmt.Errorf("forget expired sessions: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO console_sessions (token_hash, username, party, credential, created, expires) VALUES ($1, $2, $3, $4, $5, $6)`,
			s.TokenHash[:], s.Username, s.Party, s.Credential, nanos(s.Created), nanos(s.Expires)); isUnique(err) {
			return deconflict.Errorf(deconflict.ECONFLICT, "console session exists already")
		} else if err != nil {
			return fmt.Errorf("store console session: %w", err)
		}
		return nil
	})
}

// FindSession implements deconflict.Store.
func (db *DB) FindSession(ctx context.Context, h [32]byte, now time.Time) (*deconflict.ConsoleSession, error) {
	s := deconflict.ConsoleSession{TokenHash: h}
	var created, expires int64
	err := db.pool.QueryRow(ctx, `SELECT username, party, credential, created, expires FROM console_sessions WHERE token_hash = $1 AND expires > $2`, h[:], nanos(now)).
		Scan(&s.Username, &s.Party, &s.Credential, &created, &expires)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "console session not found (signed out, expired or never made)")
	} else if err != nil {
		return nil, fmt.Errorf("read console session: %w", err)
	}
	s.Created, s.Expires = fromNanos(created), fromNanos(expires)
	return &s, nil
}

// DeleteSession implements deconflict.Store.
func (db *DB) DeleteSession(ctx context.Context, h [32]byte) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM console_sessions WHERE token_hash = $1`, h[:])
	if err != nil {
		return fmt.Errorf("delete console session: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "console session not found")
	}
	return nil
}

// DeleteUserSessions implements deconflict.Store.
func (db *DB) DeleteUserSessions(ctx context.Context, username string) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM console_sessions WHERE username = $1`, username)
	if err != nil {
		return 0, fmt.Errorf("delete console sessions of %s: %w", username, err)
	}
	return int(tag.RowsAffected()), nil
}
