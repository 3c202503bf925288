// Package postgres stores a node's parties, channels, envelopes and Merkle
// log hashes in PostgreSQL (pgx), so that several node replicas can share
// one database. Every append to a channel locks the channel's row first,
// so appends through any replica are serialised and log indexes have no
// gaps and no duplicates; an append is one transaction holding the
// envelopes, their log hashes, the checkpoint and the acknowledgement
// book-keeping, and it notifies listeners (LISTEN/NOTIFY) on commit.
package postgres

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

var _ deconflict.Store = (*DB)(nil)

// DB is a PostgreSQL-backed deconflict.Store.
type DB struct {
	pool *pgxpool.Pool
	dsn  string

	locksMu sync.Mutex
	locks   *pgxpool.Pool // for channel locks, made on first use; guarded by locksMu
}

// migrateLock is the advisory lock key that serialises migrations of
// replicas starting at once ("dcfl" as a number).
const migrateLock = 0x6463666c

// Open connects to the database at dsn (a postgres:// URL or key=value
// string) and migrates it.
func Open(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, deconflict.Errorf(deconflict.EINVALID, "database %s: %v", redact(dsn), err)
	}
	if cfg.MaxConns < 16 {
		cfg.MaxConns = 16
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", redact(dsn), err)
	}
	db := &DB{pool: pool, dsn: dsn}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate %s: %w", redact(dsn), err)
	}
	return db, nil
}

// redact drops the password from a connection string for messages.
func redact(dsn string) string {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return "(unparsable connection string)"
	}
	return fmt.Sprintf("postgres://%s@%s:%d/%s", cfg.User, cfg.Host, cfg.Port, cfg.Database)
}

// Close closes the connection pool.
func (db *DB) Close() error {
	db.locksMu.Lock()
	if db.locks != nil {
		db.locks.Close()
	}
	db.locksMu.Unlock()
	db.pool.Close()
	return nil
}

// migrations are applied in order, each in its own transaction; the
// migrations table records which ran. Never edit one that has shipped:
// append a new one.
var migrations = []string{`
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE parties (id TEXT PRIMARY KEY, name TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE party_keys (
	pub BYTEA PRIMARY KEY,
	party TEXT NOT NULL REFERENCES parties(id),
	added BIGINT NOT NULL,
	revoked BIGINT
);
CREATE INDEX party_keys_party ON party_keys(party);
CREATE TABLE channels (id TEXT PRIMARY KEY, policy TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE channel_members (
	channel TEXT NOT NULL REFERENCES channels(id),
	party TEXT NOT NULL REFERENCES parties(id),
	pos INTEGER NOT NULL,
	PRIMARY KEY (channel, party)
);
CREATE TABLE envelopes (
	channel TEXT NOT NULL REFERENCES channels(id),
	idx BIGINT NOT NULL,
	id TEXT NOT NULL,
	author TEXT NOT NULL,
	kind TEXT NOT NULL,
	received BIGINT NOT NULL,
	payload BYTEA NOT NULL,
	key BYTEA NOT NULL,
	sig BYTEA NOT NULL,
	leaf_hash BYTEA NOT NULL,
	CONSTRAINT envelopes_index PRIMARY KEY (channel, idx),
	CONSTRAINT envelopes_id UNIQUE (channel, id)
);
CREATE INDEX envelopes_leaf ON envelopes(channel, leaf_hash);
CREATE TABLE log_hashes (
	channel TEXT NOT NULL,
	n BIGINT NOT NULL,
	hash BYTEA NOT NULL,
	PRIMARY KEY (channel, n)
);
CREATE TABLE checkpoints (channel TEXT PRIMARY KEY, size BIGINT NOT NULL, text BYTEA NOT NULL);
CREATE TABLE acks (
	channel TEXT NOT NULL,
	idx BIGINT NOT NULL,
	party TEXT NOT NULL,
	deadline BIGINT NOT NULL,
	ack_idx BIGINT,
	missed BOOLEAN NOT NULL DEFAULT false,
	PRIMARY KEY (channel, idx, party)
);
CREATE INDEX acks_due ON acks(deadline) WHERE ack_idx IS NULL AND NOT missed;
CREATE TABLE webhooks (
	id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	channel TEXT NOT NULL,
	url TEXT NOT NULL,
	body BYTEA NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_try BIGINT NOT NULL,
	done BOOLEAN NOT NULL DEFAULT false,
	last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX webhooks_due ON webhooks(next_try) WHERE NOT done;
`, `
CREATE TABLE request_nonces (digest BYTEA PRIMARY KEY, expires BIGINT NOT NULL);
CREATE INDEX request_nonces_expires ON request_nonces(expires);
`, `
INSERT INTO channels (id, policy, created) VALUES ('_keys', '{"ack_deadlines":null}', 0);
`, `
CREATE TABLE alert_outbox (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, party_a TEXT NOT NULL, party_b TEXT NOT NULL, payload BYTEA NOT NULL, created BIGINT NOT NULL, posted BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX alert_outbox_due ON alert_outbox(id) WHERE NOT posted;
`, `
CREATE TABLE zones (
	id TEXT PRIMARY KEY,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	owner TEXT NOT NULL,
	polygon TEXT,
	center_lat DOUBLE PRECISION,
	center_lon DOUBLE PRECISION,
	radius_m DOUBLE PRECISION NOT NULL,
	min_alt_m DOUBLE PRECISION,
	max_alt_m DOUBLE PRECISION,
	valid_from BIGINT,
	valid_until BIGINT
);
CREATE TABLE assets (
	party TEXT NOT NULL REFERENCES parties(id),
	kind TEXT NOT NULL CHECK (kind IN ('mmsi', 'icao', 'callsign')),
	n INTEGER NOT NULL,
	ident TEXT NOT NULL,
	PRIMARY KEY (party, kind, n)
);
`, `
CREATE TABLE blobs (sha256 BYTEA PRIMARY KEY, size BIGINT NOT NULL, created BIGINT NOT NULL, data BYTEA NOT NULL);
CREATE TABLE channel_blobs (
	channel TEXT NOT NULL REFERENCES channels(id),
	sha256 BYTEA NOT NULL REFERENCES blobs(sha256),
	type TEXT NOT NULL,
	created BIGINT NOT NULL,
	PRIMARY KEY (channel, sha256)
);
`, `
CREATE TABLE console_sessions (
	token_hash BYTEA PRIMARY KEY,
	username TEXT NOT NULL,
	party TEXT NOT NULL,
	credential TEXT NOT NULL,
	created BIGINT NOT NULL,
	expires BIGINT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions(username);
CREATE INDEX console_sessions_expires ON console_sessions(expires);
`, `
CREATE TABLE incident_tracks (
	incident TEXT NOT NULL,
	track TEXT NOT NULL,
	domain TEXT NOT NULL,
	party TEXT NOT NULL,
	label TEXT NOT NULL,
	points BYTEA NOT NULL,
	PRIMARY KEY (incident, track)
);
`, `
ALTER TABLE channel_blobs ADD COLUMN attached BOOLEAN NOT NULL DEFAULT true;
ALTER TABLE channel_blobs ALTER COLUMN attached SET DEFAULT false;
CREATE INDEX channel_blobs_unattached ON channel_blobs(created) WHERE NOT attached;
`, `
ALTER TABLE alert_outbox ADD COLUMN alert_key TEXT UNIQUE;
`, `
CREATE TABLE open_incidents (encounter TEXT PRIMARY KEY, incident TEXT NOT NULL, opened BIGINT NOT NULL);
`}

// migrate applies the migrations not yet applied. A session advisory lock
// makes replicas that start together take turns.
func (db *DB) migrate(ctx context.Context) error {
	c, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	if _, err := c.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrateLock); err != nil {
		return err
	}
	defer c.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrateLock)
	if _, err := c.Exec(ctx, `CREATE TABLE IF NOT EXISTS migrations (n INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	for i, m := range migrations {
		var done bool
		if err := c.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM migrations WHERE n = $1)`, i).Scan(&done); err != nil {
			return err
		} else if done {
			continue
		}
		err := pgx.BeginFunc(ctx, c, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, m); err != nil {
				return fmt.Errorf("migration %d: %w", i, err)
			}
			_, err := tx.Exec(ctx, `INSERT INTO migrations (n) VALUES ($1)`, i)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func nanos(t time.Time) int64 { return t.UnixNano() }
func fromNanos(n int64) time.Time {
	return time.Unix(0, n).UTC()
}

// pgCode returns the SQLSTATE of a PostgreSQL error, "" for others.
func pgCode(err error) (code, constraint string) {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code, pe.ConstraintName
	}
	return "", ""
}

const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

func isUnique(err error) bool {
	c, _ := pgCode(err)
	return c == uniqueViolation
}

// CreateParty implements deconflict.PartyService.
func (db *DB) CreateParty(ctx context.Context, p *deconflict.Party) error {
	if !deconflict.ValidPartyID(p.ID) {
		return deconflict.Errorf(deconflict.EINVALID, "party id %q: want a letter then up to 31 letters, digits, '_', '.', '-' (not \"node\")", p.ID)
	}
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO parties (id, name, created) VALUES ($1, $2, $3)`, p.ID, p.Name, nanos(p.Created)); isUnique(err) {
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
		return nil
	})
}

func insertKey(ctx context.Context, tx pgx.Tx, k *deconflict.PartyKey) error {
	if len(k.Public) != ed25519.PublicKeySize {
		return deconflict.Errorf(deconflict.EINVALID, "key of party %s: %d bytes, want %d", k.Party, len(k.Public), ed25519.PublicKeySize)
	}
	var revoked *int64
	if k.Revoked != nil {
		n := nanos(*k.Revoked)
		revoked = &n
	}
	_, err := tx.Exec(ctx, `INSERT INTO party_keys (pub, party, added, revoked) VALUES ($1, $2, $3, $4)`, []byte(k.Public), k.Party, nanos(k.Added), revoked)
	switch code, _ := pgCode(err); code {
	case uniqueViolation:
		return deconflict.Errorf(deconflict.ECONFLICT, "key %s is already registered", deconflict.EncodeKey(k.Public))
	case foreignKeyViolation:
		return deconflict.Errorf(deconflict.ENOTFOUND, "party %s not found", k.Party)
	}
	return err
}

// applyKeyChanges writes a key log batch's changes to the key tables and
// tells the replicas.
func applyKeyChanges(ctx context.Context, tx pgx.Tx, kc *deconflict.KeyChanges) error {
	for _, p := range kc.Parties {
		if !deconflict.ValidPartyID(p.ID) {
			return deconflict.Errorf(deconflict.EINVALID, "party id %q is not valid", p.ID)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO parties (id, name, created) VALUES ($1, $2, $3)`, p.ID, p.Name, nanos(p.Created)); isUnique(err) {
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
		tag, err := tx.Exec(ctx, `UPDATE party_keys SET revoked = $1 WHERE pub = $2 AND revoked IS NULL`, nanos(r.At), []byte(r.Key))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return deconflict.Errorf(deconflict.ENOTFOUND, "key %s not found or already revoked", deconflict.EncodeKey(r.Key))
		}
	}
	return notify(ctx, tx, "keys")
}

// AddPartyKey implements deconflict.PartyService.
func (db *DB) AddPartyKey(ctx context.Context, k *deconflict.PartyKey) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if err := insertKey(ctx, tx, k); err != nil {
			return err
		}
		return notify(ctx, tx, "keys")
	})
}

// notify announces a change to the replicas (see NotifyChannel), on
// commit of tx.
func notify(ctx context.Context, tx pgx.Tx, payload string) error {
	_, err := tx.Exec(ctx, `SELECT pg_notify($1, $2)`, NotifyChannel, payload)
	return err
}

// RevokePartyKey implements deconflict.PartyService.
func (db *DB) RevokePartyKey(ctx context.Context, pub ed25519.PublicKey, at time.Time) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE party_keys SET revoked = $1 WHERE pub = $2 AND revoked IS NULL`, nanos(at), []byte(pub))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return deconflict.Errorf(deconflict.ENOTFOUND, "key %s not found or already revoked", deconflict.EncodeKey(pub))
		}
		return notify(ctx, tx, "keys")
	})
}

func scanKey(s pgx.Row) (*deconflict.PartyKey, error) {
	var k deconflict.PartyKey
	var pub []byte
	var added int64
	var revoked *int64
	if err := s.Scan(&pub, &k.Party, &added, &revoked); err != nil {
		return nil, err
	}
	k.Public = ed25519.PublicKey(pub)
	k.Added = fromNanos(added)
	if revoked != nil {
		t := fromNanos(*revoked)
		k.Revoked = &t
	}
	return &k, nil
}

// FindKey implements deconflict.PartyService.
func (db *DB) FindKey(ctx context.Context, pub ed25519.PublicKey) (*deconflict.PartyKey, error) {
	k, err := scanKey(db.pool.QueryRow(ctx, `SELECT pub, party, added, revoked FROM party_keys WHERE pub = $1`, []byte(pub)))
	if errors.Is(err, pgx.ErrNoRows) {
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
	rows, err := db.pool.Query(ctx, `SELECT id, name, created FROM parties WHERE $1 = '' OR id = $1 ORDER BY id`, id)
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
	krows, err := db.pool.Query(ctx, `SELECT pub, party, added, revoked FROM party_keys WHERE $1 = '' OR party = $1 ORDER BY added, pub`, id)
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
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO channels (id, policy, created) VALUES ($1, $2, $3)`, c.ID, string(pol), nanos(c.Created)); isUnique(err) {
			return deconflict.Errorf(deconflict.ECONFLICT, "channel %s already exists", c.ID)
		} else if err != nil {
			return err
		}
		for i, m := range c.Members {
			_, err := tx.Exec(ctx, `INSERT INTO channel_members (channel, party, pos) VALUES ($1, $2, $3)`, c.ID, m, i)
			if code, _ := pgCode(err); code == foreignKeyViolation {
				return deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: member party %s not found", c.ID, m)
			} else if err != nil {
				return err
			}
		}
		return notify(ctx, tx, "channel "+c.ID)
	})
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
	rows, err := db.pool.Query(ctx, `SELECT id, policy, created FROM channels WHERE ($1 = '' AND id <> $2) OR id = $1 ORDER BY id`, id, deconflict.KeyLog)
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
	mrows, err := db.pool.Query(ctx, `SELECT channel, party FROM channel_members WHERE $1 = '' OR channel = $1 ORDER BY channel, pos`, id)
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

// Meta implements deconflict.Store. ENOTFOUND for an unset key.
func (db *DB) Meta(ctx context.Context, key string) (string, error) {
	var v string
	err := db.pool.QueryRow(ctx, `SELECT value FROM meta WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", deconflict.Errorf(deconflict.ENOTFOUND, "setting %s not found", key)
	}
	return v, err
}

// UseNonce implements deconflict.Store.
func (db *DB) UseNonce(ctx context.Context, digest [32]byte, now, expires time.Time) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM request_nonces WHERE expires <= $1`, nanos(now)); err != nil {
			return fmt.Errorf("forget expired nonces: %w", err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO request_nonces (digest, expires) VALUES ($1, $2)`, digest[:], nanos(expires)); isUnique(err) {
			return deconflict.Errorf(deconflict.ECONFLICT, "this signed request was already accepted once: a replay")
		} else if err != nil {
			return fmt.Errorf("record nonce: %w", err)
		}
		return nil
	})
}

// SetMeta implements deconflict.Store.
func (db *DB) SetMeta(ctx context.Context, key, value string) error {
	_, err := db.pool.Exec(ctx, `INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}
