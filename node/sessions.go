package node

import (
	"context"
	"time"

	"github.com/deconflict/deconflict"
)

// Console sessions live in the store, hashed (deconflict.ConsoleSession),
// so that a restart signs no officer out and every replica of a
// PostgreSQL deployment knows every session. The console decides who may
// sign in; these only keep what it decided.

// CreateConsoleSession stores a new console session (ECONFLICT if its
// token hash is taken), forgetting expired ones.
func (n *Node) CreateConsoleSession(ctx context.Context, s *deconflict.ConsoleSession) error {
	return n.Store.CreateSession(ctx, s)
}

// ConsoleSession returns the session whose token hash is h, live at now.
// ENOTFOUND if it was never made, was revoked or has expired.
func (n *Node) ConsoleSession(ctx context.Context, h [32]byte, now time.Time) (*deconflict.ConsoleSession, error) {
	return n.Store.FindSession(ctx, h, now)
}

// RevokeConsoleSession deletes the session whose token hash is h, so that
// its cookie signs no one in again (sign-out). ENOTFOUND if there is none.
func (n *Node) RevokeConsoleSession(ctx context.Context, h [32]byte) error {
	return n.Store.DeleteSession(ctx, h)
}

// RevokeConsoleUser deletes every session of username and returns how many
// there were.
func (n *Node) RevokeConsoleUser(ctx context.Context, username string) (int, error) {
	return n.Store.DeleteUserSessions(ctx, username)
}
