package witness

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
	_ "modernc.org/sqlite"
)

// Store is a witness's state in one SQLite file: the logs it witnesses,
// their trusted keys, the latest checkpoint it cosigned for each, and the
// refused requests it keeps as evidence. Writes go through one
// connection, and the size check and the new state are committed in one
// transaction (see update), so two racing requests cannot roll a log back.
type Store struct {
	Path string
	db   *sql.DB
}

// LogState is what a witness holds for one log.
type LogState struct {
	Origin     string    `json:"origin"`
	Keys       []string  `json:"keys"`                 // signed-note vkeys trusted for the origin
	Size       int64     `json:"size"`                 // size of the latest cosigned checkpoint (0: none yet)
	Root       tlog.Hash `json:"root"`                 // its root hash (the empty tree's when Size is 0)
	Checkpoint []byte    `json:"checkpoint,omitempty"` // that checkpoint with the log's signatures and our cosignature
	Updated    time.Time `json:"updated,omitzero"`     // when it was cosigned
}

// Refusal is a request the witness refused although the log's signature
// on it verified: a checkpoint inconsistent with what it cosigned before,
// kept as evidence of a split view.
type Refusal struct {
	Origin string    `json:"origin"`
	Time   time.Time `json:"time"`
	Status int       `json:"status"` // the HTTP status answered (409, 422)
	Reason string    `json:"reason"`
	Body   []byte    `json:"body"` // the add-checkpoint request, verbatim
}

// MaxRefusals is how many refused requests a witness keeps per log (the
// most recent).
const MaxRefusals = 100

// OpenStore opens (creating if needed) the witness database at path.
func OpenStore(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode()+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	s := &Store{Path: path, db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS logs (
	origin TEXT PRIMARY KEY,
	size INTEGER NOT NULL CHECK (size >= 0),
	root BLOB NOT NULL,
	checkpoint BLOB,
	updated INTEGER
);
CREATE TABLE IF NOT EXISTS log_keys (
	origin TEXT NOT NULL REFERENCES logs(origin),
	vkey TEXT NOT NULL,
	PRIMARY KEY (origin, vkey)
);
CREATE TABLE IF NOT EXISTS refusals (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	origin TEXT NOT NULL REFERENCES logs(origin),
	time INTEGER NOT NULL,
	status INTEGER NOT NULL,
	reason TEXT NOT NULL,
	body BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS refusals_origin ON refusals(origin, id);
`

func (s *Store) migrate(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, schema)
	return err
}

// Meta returns the value stored under key, or "" if there is none.
func (s *Store) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, err
}

// SetMeta stores value under key if nothing is stored there yet and
// returns what is stored afterwards.
func (s *Store) SetMeta(ctx context.Context, key, value string) (string, error) {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING`, key, value); err != nil {
		return "", err
	}
	return s.Meta(ctx, key)
}

// AddLog makes the witness witness the log origin, whose checkpoints vkey
// (a signed-note Ed25519 verifier key named origin) signs. A new log
// starts at size 0; adding another key to a known log trusts both. It
// reports whether anything changed. Errors wrap ErrMalformed for a bad
// origin or key.
func (s *Store) AddLog(ctx context.Context, origin, vkey string) (bool, error) {
	if err := checkKeyName(origin); err != nil {
		return false, fmt.Errorf("add log: origin %w", err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return false, fmt.Errorf("add log %s: key %q: %w: %v", origin, short(vkey), ErrMalformed, err)
	}
	if v.Name() != origin {
		return false, fmt.Errorf("add log %s: key %q: %w: its name is %q, want the origin", origin, short(vkey), ErrMalformed, v.Name())
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO logs (origin, size, root) VALUES (?, 0, ?) ON CONFLICT DO NOTHING`, origin, emptyRoot[:]); err != nil {
		return false, fmt.Errorf("add log %s: %w", origin, err)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO log_keys (origin, vkey) VALUES (?, ?) ON CONFLICT DO NOTHING`, origin, vkey)
	if err != nil {
		return false, fmt.Errorf("add log %s: %w", origin, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, tx.Commit()
}

// emptyRoot is the RFC 6962 root of the empty tree, SHA-256 of nothing.
var emptyRoot = func() tlog.Hash {
	h, _ := tlog.TreeHash(0, nil)
	return h
}()

// Log returns the state of the log origin. ErrUnknownLog if the witness
// does not witness it.
func (s *Store) Log(ctx context.Context, origin string) (LogState, error) {
	return readLog(ctx, s.db, origin)
}

// Logs returns the state of every witnessed log, by origin.
func (s *Store) Logs(ctx context.Context) ([]LogState, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT origin FROM logs ORDER BY origin`)
	if err != nil {
		return nil, err
	}
	var origins []string
	for rows.Next() {
		var o string
		if err := rows.Scan(&o); err != nil {
			rows.Close()
			return nil, err
		}
		origins = append(origins, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]LogState, 0, len(origins))
	for _, o := range origins {
		l, err := s.Log(ctx, o)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readLog(ctx context.Context, q querier, origin string) (LogState, error) {
	l := LogState{Origin: origin}
	var root []byte
	var updated sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT size, root, checkpoint, updated FROM logs WHERE origin = ?`, origin).Scan(&l.Size, &root, &l.Checkpoint, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return l, fmt.Errorf("log %q: %w", short(origin), ErrUnknownLog)
	} else if err != nil {
		return l, fmt.Errorf("log %q: %w", short(origin), err)
	}
	if len(root) != len(l.Root) {
		return l, fmt.Errorf("log %q: stored root of %d bytes", origin, len(root))
	}
	copy(l.Root[:], root)
	if updated.Valid {
		l.Updated = time.Unix(0, updated.Int64).UTC()
	}
	rows, err := q.QueryContext(ctx, `SELECT vkey FROM log_keys WHERE origin = ? ORDER BY vkey`, origin)
	if err != nil {
		return l, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return l, err
		}
		l.Keys = append(l.Keys, k)
	}
	return l, rows.Err()
}

// update reads the state of origin and calls decide with it in one write
// transaction; if decide returns a new state (same origin), it is stored
// only if the stored size and root are still those decide saw, and
// committed before update returns. This is the compare-and-swap C2SP
// tlog-witness requires between the old-size check and the new state.
func (s *Store) update(ctx context.Context, origin string, decide func(LogState) (*LogState, error)) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cur, err := readLog(ctx, tx, origin)
	if err != nil {
		return err
	}
	next, err := decide(cur)
	if err != nil || next == nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `UPDATE logs SET size = ?, root = ?, checkpoint = ?, updated = ? WHERE origin = ? AND size = ? AND root = ?`,
		next.Size, next.Root[:], next.Checkpoint, next.Updated.UnixNano(), origin, cur.Size, cur.Root[:])
	if err != nil {
		return fmt.Errorf("log %q: store state: %w", origin, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("log %q: store state: %d rows changed (%v)", origin, n, err)
	}
	return tx.Commit()
}

// addRefusal keeps a refused request as evidence, dropping the oldest
// beyond MaxRefusals for its log.
func (s *Store) addRefusal(ctx context.Context, r Refusal) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO refusals (origin, time, status, reason, body) VALUES (?, ?, ?, ?, ?)`,
		r.Origin, r.Time.UnixNano(), r.Status, r.Reason, r.Body); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM refusals WHERE origin = ? AND id NOT IN (SELECT id FROM refusals WHERE origin = ? ORDER BY id DESC LIMIT ?)`,
		r.Origin, r.Origin, MaxRefusals); err != nil {
		return err
	}
	return tx.Commit()
}

// Refusals returns the refused requests kept for origin, oldest first.
func (s *Store) Refusals(ctx context.Context, origin string) ([]Refusal, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT time, status, reason, body FROM refusals WHERE origin = ? ORDER BY id`, origin)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Refusal
	for rows.Next() {
		r := Refusal{Origin: origin}
		var t int64
		if err := rows.Scan(&t, &r.Status, &r.Reason, &r.Body); err != nil {
			return nil, err
		}
		r.Time = time.Unix(0, t).UTC()
		out = append(out, r)
	}
	return out, rows.Err()
}

// keysVerifiers returns the signed-note verifiers of a log's keys.
func keysVerifiers(l LogState) (note.Verifiers, error) {
	vs := make([]note.Verifier, 0, len(l.Keys))
	for _, k := range l.Keys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return nil, fmt.Errorf("log %q: stored key %q: %w", l.Origin, k, err)
		}
		vs = append(vs, v)
	}
	return note.VerifierList(vs...), nil
}
