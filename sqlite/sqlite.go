// Package sqlite stores a node's parties, channels, envelopes and Merkle
// log hashes in one SQLite file (modernc.org/sqlite, no cgo), in WAL mode
// with synchronous=FULL so that a committed append survives a crash.
package sqlite

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	_ "modernc.org/sqlite"
)

var _ deconflict.Store = (*DB)(nil)

// DB is a SQLite-backed deconflict.Store. Writes go through one connection
// (SQLite has one writer); reads use a pool.
type DB struct {
	Path string
	w    *sql.DB // one connection, BEGIN IMMEDIATE
	r    *sql.DB // readers
	// rs and ws are the hot queries' statements, prepared once on r and w.
	rs, ws stmtCache
}

// Open opens (creating if needed) the database file at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "busy_timeout(10000)", "foreign_keys(1)", "cache_size(-65536)"} {
		q.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite", dsn)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	db := &DB{Path: path, w: w, r: r, rs: stmtCache{pool: r}, ws: stmtCache{pool: w}}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := db.moveLegacyMeta(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := db.ws.prepare(ctx, selectLogSize, insertEnvelope, insertHash, upsertCheckpoint, insertAck); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return db, nil
}

// Close closes both connection pools.
func (db *DB) Close() error {
	db.rs.close()
	db.ws.close()
	return errors.Join(db.w.Close(), db.r.Close())
}

var migrations = []string{`
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE parties (id TEXT PRIMARY KEY, name TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE party_keys (
	pub BLOB PRIMARY KEY,
	party TEXT NOT NULL REFERENCES parties(id),
	added INTEGER NOT NULL,
	revoked INTEGER
);
CREATE INDEX party_keys_party ON party_keys(party);
CREATE TABLE channels (id TEXT PRIMARY KEY, policy TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE channel_members (
	channel TEXT NOT NULL REFERENCES channels(id),
	party TEXT NOT NULL REFERENCES parties(id),
	pos INTEGER NOT NULL,
	PRIMARY KEY (channel, party)
);
CREATE TABLE envelopes (
	channel TEXT NOT NULL REFERENCES channels(id),
	idx INTEGER NOT NULL,
	id TEXT NOT NULL,
	author TEXT NOT NULL,
	kind TEXT NOT NULL,
	received INTEGER NOT NULL,
	payload BLOB NOT NULL,
	key BLOB NOT NULL,
	sig BLOB NOT NULL,
	leaf_hash BLOB NOT NULL,
	PRIMARY KEY (channel, idx),
	UNIQUE (channel, id)
);
CREATE INDEX envelopes_leaf ON envelopes(channel, leaf_hash);
CREATE TABLE log_hashes (
	channel TEXT NOT NULL,
	n INTEGER NOT NULL,
	hash BLOB NOT NULL,
	PRIMARY KEY (channel, n)
) WITHOUT ROWID;
CREATE TABLE checkpoints (channel TEXT PRIMARY KEY, size INTEGER NOT NULL, text BLOB NOT NULL);
CREATE TABLE acks (
	channel TEXT NOT NULL,
	idx INTEGER NOT NULL,
	party TEXT NOT NULL,
	deadline INTEGER NOT NULL,
	ack_idx INTEGER,
	missed INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (channel, idx, party)
);
CREATE INDEX acks_due ON acks(deadline) WHERE ack_idx IS NULL AND missed = 0;
CREATE TABLE webhooks (
	id INTEGER PRIMARY KEY,
	channel TEXT NOT NULL,
	url TEXT NOT NULL,
	body BLOB NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_try INTEGER NOT NULL,
	done INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhooks_due ON webhooks(next_try) WHERE done = 0;
`, `
CREATE TABLE request_nonces (digest BLOB PRIMARY KEY, expires INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX request_nonces_expires ON request_nonces(expires);
`, `
INSERT INTO channels (id, policy, created) VALUES ('_keys', '{"ack_deadlines":null}', 0);
`, `
CREATE TABLE alert_outbox (id INTEGER PRIMARY KEY, party_a TEXT NOT NULL, party_b TEXT NOT NULL, payload BLOB NOT NULL, created INTEGER NOT NULL, posted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX alert_outbox_due ON alert_outbox(id) WHERE posted = 0;
`, `
CREATE TABLE zones (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	owner TEXT NOT NULL,
	polygon TEXT,
	center_lat REAL,
	center_lon REAL,
	radius_m REAL NOT NULL,
	min_alt_m REAL,
	max_alt_m REAL,
	valid_from INTEGER,
	valid_until INTEGER
);
CREATE TABLE assets (
	party TEXT NOT NULL REFERENCES parties(id),
	kind TEXT NOT NULL CHECK (kind IN ('mmsi', 'icao', 'callsign')),
	n INTEGER NOT NULL,
	ident TEXT NOT NULL,
	PRIMARY KEY (party, kind, n)
);
`, `
CREATE TABLE blobs (id INTEGER PRIMARY KEY, sha256 BLOB NOT NULL UNIQUE, size INTEGER NOT NULL, created INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TABLE channel_blobs (
	channel TEXT NOT NULL REFERENCES channels(id),
	sha256 BLOB NOT NULL REFERENCES blobs(sha256),
	type TEXT NOT NULL,
	created INTEGER NOT NULL,
	PRIMARY KEY (channel, sha256)
) WITHOUT ROWID;
`, `
CREATE TABLE console_sessions (
	token_hash BLOB PRIMARY KEY,
	username TEXT NOT NULL,
	party TEXT NOT NULL,
	credential TEXT NOT NULL,
	created INTEGER NOT NULL,
	expires INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX console_sessions_user ON console_sessions(username);
CREATE INDEX console_sessions_expires ON console_sessions(expires);
`, `
CREATE TABLE incident_tracks (
	incident TEXT NOT NULL,
	track TEXT NOT NULL,
	domain TEXT NOT NULL,
	party TEXT NOT NULL,
	label TEXT NOT NULL,
	points BLOB NOT NULL,
	PRIMARY KEY (incident, track)
);
`, `
ALTER TABLE channel_blobs ADD COLUMN attached INTEGER NOT NULL DEFAULT 1;
CREATE INDEX channel_blobs_unattached ON channel_blobs(created) WHERE attached = 0;
`, `
ALTER TABLE alert_outbox ADD COLUMN alert_key TEXT;
CREATE UNIQUE INDEX alert_outbox_key ON alert_outbox(alert_key);
`, `
CREATE TABLE open_incidents (encounter TEXT PRIMARY KEY, incident TEXT NOT NULL, opened INTEGER NOT NULL);
`}

func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS migrations (n INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	for i, m := range migrations {
		var n int
		if err := db.w.QueryRowContext(ctx, `SELECT COUNT(*) FROM migrations WHERE n = ?`, i).Scan(&n); err != nil {
			return err
		} else if n > 0 {
			continue
		}
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %d: %w", i, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO migrations (n) VALUES (?)`, i); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

func nanos(t time.Time) int64 { return t.UnixNano() }
func fromNanos(n int64) time.Time {
	return time.Unix(0, n).UTC()
}

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// CreateParty implements deconflict.PartyService.
func (db *DB) CreateParty(ctx context.Context, p *deconflict.Party) error {
	if !deconflict.ValidPartyID(p.ID) {
		return deconflict.Errorf(deconflict.EINVALID, "party id %q: want a letter then up to 31 letters, digits, '_', '.', '-' (not \"node\")", p.ID)
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO parties (id, name, created) VALUES (?, ?, ?)`, p.ID, p.Name, nanos(p.Created)); isUnique(err) {
		return deconflict.Errorf(deconflict.ECONFLICT, "party %s already exists", p.ID)
	} else if err != nil {
		return fmt.Errorf("insert party: %w", err)
	}
	for _, k := range p.Keys {
		k.Party = p.ID
		if err := insertKey(ctx, tx, &k); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// applyKeyChanges writes a key log batch's changes to the key tables.
func applyKeyChanges(ctx context.Context, tx *sql.Tx, kc *deconflict.KeyChanges) error {
	for _, p := range kc.Parties {
		if !deconflict.ValidPartyID(p.ID) {
			return deconflict.Errorf(deconflict.EINVALID, "party id %q is not valid", p.ID)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO parties (id, name, created) VALUES (?, ?, ?)`, p.ID, p.Name, nanos(p.Created)); isUnique(err) {
			return deconflict.Errorf(deconflict.ECONFLICT, "party %s already exists", p.ID)
		} else if err != nil {
			return fmt.Errorf("insert party: %w", err)
		}
		for _, k := range p.Keys {
			k.Party = p.ID
			if err := insertKey(ctx, tx, &k); err != nil {
				return err
			}
		}
	}
	for _, k := range kc.Add {
		if err := insertKey(ctx, tx, &k); err != nil {
			return err
		}
	}
	for _, r := range kc.Revoke {
		res, err := tx.ExecContext(ctx, `UPDATE party_keys SET revoked = ? WHERE pub = ? AND revoked IS NULL`, nanos(r.At), []byte(r.Key))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return deconflict.Errorf(deconflict.ENOTFOUND, "key %s not found or already revoked", deconflict.EncodeKey(r.Key))
		}
	}
	return nil
}

func insertKey(ctx context.Context, tx *sql.Tx, k *deconflict.PartyKey) error {
	if len(k.Public) != ed25519.PublicKeySize {
		return deconflict.Errorf(deconflict.EINVALID, "key of party %s: %d bytes, want %d", k.Party, len(k.Public), ed25519.PublicKeySize)
	}
	var revoked any
	if k.Revoked != nil {
		revoked = nanos(*k.Revoked)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO party_keys (pub, party, added, revoked) VALUES (?, ?, ?, ?)`, []byte(k.Public), k.Party, nanos(k.Added), revoked)
	if isUnique(err) {
		return deconflict.Errorf(deconflict.ECONFLICT, "key %s is already registered", deconflict.EncodeKey(k.Public))
	} else if err != nil && strings.Contains(err.Error(), "FOREIGN KEY") {
		return deconflict.Errorf(deconflict.ENOTFOUND, "party %s not found", k.Party)
	}
	return err
}

// AddPartyKey implements deconflict.PartyService.
func (db *DB) AddPartyKey(ctx context.Context, k *deconflict.PartyKey) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertKey(ctx, tx, k); err != nil {
		return err
	}
	return tx.Commit()
}

// RevokePartyKey implements deconflict.PartyService.
func (db *DB) RevokePartyKey(ctx context.Context, pub ed25519.PublicKey, at time.Time) error {
	res, err := db.w.ExecContext(ctx, `UPDATE party_keys SET revoked = ? WHERE pub = ? AND revoked IS NULL`, nanos(at), []byte(pub))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "key %s not found or already revoked", deconflict.EncodeKey(pub))
	}
	return nil
}

func scanKey(s interface{ Scan(...any) error }) (*deconflict.PartyKey, error) {
	var k deconflict.PartyKey
	var pub []byte
	var added int64
	var revoked sql.NullInt64
	if err := s.Scan(&pub, &k.Party, &added, &revoked); err != nil {
		return nil, err
	}
	k.Public = ed25519.PublicKey(pub)
	k.Added = fromNanos(added)
	if revoked.Valid {
		t := fromNanos(revoked.Int64)
		k.Revoked = &t
	}
	return &k, nil
}

// FindKey implements deconflict.PartyService.
func (db *DB) FindKey(ctx context.Context, pub ed25519.PublicKey) (*deconflict.PartyKey, error) {
	k, err := scanKey(db.r.QueryRowContext(ctx, `SELECT pub, party, added, revoked FROM party_keys WHERE pub = ?`, []byte(pub)))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "key %s is not registered", deconflict.EncodeKey(pub))
	}
	return k, err
}

// FindParty implements deconflict.PartyService.
func (db *DB) FindParty(ctx context.Context, id string) (*deconflict.Party, error) {
	ps, err := db.findParties(ctx, id)
	if err != nil {
		return nil, err
	} else if len(ps) == 0 {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "party %s not found", id)
	}
	return ps[0], nil
}

// FindParties implements deconflict.PartyService.
func (db *DB) FindParties(ctx context.Context) ([]*deconflict.Party, error) {
	return db.findParties(ctx, "")
}

func (db *DB) findParties(ctx context.Context, id string) ([]*deconflict.Party, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, created FROM parties WHERE ? = '' OR id = ? ORDER BY id`, id, id)
	if err != nil {
		return nil, err
	}
	var out []*deconflict.Party
	byID := map[string]*deconflict.Party{}
	for rows.Next() {
		var p deconflict.Party
		var created int64
		if err := rows.Scan(&p.ID, &p.Name, &created); err != nil {
			rows.Close()
			return nil, err
		}
		p.Created = fromNanos(created)
		out = append(out, &p)
		byID[p.ID] = &p
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	krows, err := db.r.QueryContext(ctx, `SELECT pub, party, added, revoked FROM party_keys WHERE ? = '' OR party = ? ORDER BY added, pub`, id, id)
	if err != nil {
		return nil, err
	}
	defer krows.Close()
	for krows.Next() {
		k, err := scanKey(krows)
		if err != nil {
			return nil, err
		}
		if p := byID[k.Party]; p != nil {
			p.Keys = append(p.Keys, *k)
		}
	}
	return out, krows.Err()
}

// CreateChannel implements deconflict.ChannelService.
func (db *DB) CreateChannel(ctx context.Context, c *deconflict.Channel) error {
	if err := c.Validate(); err != nil {
		return err
	}
	pol, err := json.Marshal(c.Policy)
	if err != nil {
		return err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO channels (id, policy, created) VALUES (?, ?, ?)`, c.ID, string(pol), nanos(c.Created)); isUnique(err) {
		return deconflict.Errorf(deconflict.ECONFLICT, "channel %s already exists", c.ID)
	} else if err != nil {
		return err
	}
	for i, m := range c.Members {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM parties WHERE id = ?`, m).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: member party %s not found", c.ID, m)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO channel_members (channel, party, pos) VALUES (?, ?, ?)`, c.ID, m, i); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// FindChannel implements deconflict.ChannelService.
func (db *DB) FindChannel(ctx context.Context, id string) (*deconflict.Channel, error) {
	cs, err := db.findChannels(ctx, id)
	if err != nil {
		return nil, err
	} else if len(cs) == 0 {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s not found", id)
	}
	return cs[0], nil
}

// FindChannels implements deconflict.ChannelService.
func (db *DB) FindChannels(ctx context.Context) ([]*deconflict.Channel, error) {
	return db.findChannels(ctx, "")
}

func (db *DB) findChannels(ctx context.Context, id string) ([]*deconflict.Channel, error) {
	// The key log has a row (its envelopes reference it) but is not a
	// channel: FindChannels leaves it out.
	rows, err := db.r.QueryContext(ctx, `SELECT id, policy, created FROM channels WHERE (? = '' AND id <> ?) OR id = ? ORDER BY id`, id, deconflict.KeyLog, id)
	if err != nil {
		return nil, err
	}
	var out []*deconflict.Channel
	byID := map[string]*deconflict.Channel{}
	for rows.Next() {
		var c deconflict.Channel
		var pol string
		var created int64
		if err := rows.Scan(&c.ID, &pol, &created); err != nil {
			rows.Close()
			return nil, err
		}
		if err := json.Unmarshal([]byte(pol), &c.Policy); err != nil {
			rows.Close()
			return nil, fmt.Errorf("channel %s policy: %w", c.ID, err)
		}
		c.Created = fromNanos(created)
		out = append(out, &c)
		byID[c.ID] = &c
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	mrows, err := db.r.QueryContext(ctx, `SELECT channel, party FROM channel_members WHERE ? = '' OR channel = ? ORDER BY channel, pos`, id, id)
	if err != nil {
		return nil, err
	}
	defer mrows.Close()
	for mrows.Next() {
		var ch, p string
		if err := mrows.Scan(&ch, &p); err != nil {
			return nil, err
		}
		if c := byID[ch]; c != nil {
			c.Members = append(c.Members, p)
		}
	}
	return out, mrows.Err()
}

// UseNonce implements deconflict.Store.
func (db *DB) UseNonce(ctx context.Context, digest [32]byte, now, expires time.Time) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM request_nonces WHERE expires <= ?`, nanos(now)); err != nil {
		return fmt.Errorf("forget expired nonces: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO request_nonces (digest, expires) VALUES (?, ?)`, digest[:], nanos(expires)); isUnique(err) {
		return deconflict.Errorf(deconflict.ECONFLICT, "this signed request was already accepted once: a replay")
	} else if err != nil {
		return fmt.Errorf("record nonce: %w", err)
	}
	return tx.Commit()
}

// Meta implements deconflict.Store. ENOTFOUND for an unset key.
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.r.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", deconflict.Errorf(deconflict.ENOTFOUND, "setting %s not found", key)
	}
	return v, err
}

// SetMeta implements deconflict.Store.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
