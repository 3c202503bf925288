package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

// Append implements deconflict.Store: one transaction for the envelopes,
// their log hashes, the checkpoint and the acknowledgement book-keeping.
// It locks the channel's row before reading the log's size, so that
// appends to one channel from any number of processes take turns; the
// notification it sends is delivered when the transaction commits.
func (db *DB) Append(ctx context.Context, b *deconflict.Batch) error {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin append: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	size := int64(-1)
	if len(b.Envelopes) > 0 || b.Checkpoint != nil {
		// Two statements, sent together: under READ COMMITTED the second
		// takes its snapshot after the first has the lock, so it sees the
		// envelopes of the append that held the lock before.
		var lock pgx.Batch
		lock.Queue(`SELECT 1 FROM channels WHERE id = $1 FOR UPDATE`, b.Channel)
		lock.Queue(`SELECT COALESCE(MAX(idx)+1, 0) FROM envelopes WHERE channel = $1`, b.Channel)
		br := tx.SendBatch(ctx, &lock)
		var one int
		err := br.QueryRow().Scan(&one)
		if err == nil {
			err = br.QueryRow().Scan(&size)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, pgx.ErrNoRows) {
			return deconflict.Errorf(deconflict.ENOTFOUND, "channel %s not found", b.Channel)
		} else if err != nil {
			return fmt.Errorf("lock channel %s: %w", b.Channel, err)
		}
	}
	if len(b.Envelopes) > 0 && b.Envelopes[0].Index != size {
		return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: append at index %d, log size is %d", b.Channel, b.Envelopes[0].Index, size)
	}
	if b.Keys != nil {
		if err := applyKeyChanges(ctx, tx, b.Keys); err != nil {
			return err
		}
	}
	var q pgx.Batch
	var what []string // what each queued statement does, for errors
	missedAt := -1    // the statement marking missed duties
	if n := len(b.Envelopes); n > 0 {
		idx, received := make([]int64, n), make([]int64, n)
		ids, authors, kinds := make([]string, n), make([]string, n), make([]string, n)
		payloads, keys, sigs, leaves := make([][]byte, n), make([][]byte, n), make([][]byte, n), make([][]byte, n)
		for i, e := range b.Envelopes {
			if e.Index != size+int64(i) {
				return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: batch index %d not consecutive", b.Channel, e.Index)
			}
			idx[i], received[i] = e.Index, nanos(e.Received)
			ids[i], authors[i], kinds[i] = e.ID, e.Author, e.Kind
			payloads[i], keys[i], sigs[i], leaves[i] = e.Payload, []byte(e.Key), e.Sig, e.LeafHash[:]
		}
		q.Queue(`INSERT INTO envelopes (channel, idx, id, author, kind, received, payload, key, sig, leaf_hash)
			SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::bytea[], $8::bytea[], $9::bytea[], $10::bytea[])`,
			b.Channel, idx, ids, authors, kinds, received, payloads, keys, sigs, leaves)
		what = append(what, "insert envelopes")
	}
	if n := len(b.Hashes); n > 0 {
		ns, hs := make([]int64, n), make([][]byte, n)
		for i, h := range b.Hashes {
			ns[i], hs[i] = h.Index, h.Hash[:]
		}
		q.Queue(`INSERT INTO log_hashes (channel, n, hash) SELECT $1, * FROM unnest($2::bigint[], $3::bytea[])`, b.Channel, ns, hs)
		what = append(what, "insert log hashes")
	}
	if b.Checkpoint != nil {
		q.Queue(`INSERT INTO checkpoints (channel, size, text) VALUES ($1, $2, $3) ON CONFLICT (channel) DO UPDATE SET size = excluded.size, text = excluded.text`, b.Channel, b.TreeSize, b.Checkpoint)
		what = append(what, "store checkpoint")
	}
	if n := len(b.Pending); n > 0 {
		idx, parties, deadlines := make([]int64, n), make([]string, n), make([]int64, n)
		for i, p := range b.Pending {
			idx[i], parties[i], deadlines[i] = p.Index, p.Party, nanos(p.Deadline)
		}
		q.Queue(`INSERT INTO acks (channel, idx, party, deadline) SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::bigint[])`, b.Channel, idx, parties, deadlines)
		what = append(what, "insert ack duties")
	}
	if n := len(b.Acked); n > 0 {
		idx, parties, ackIdx := make([]int64, n), make([]string, n), make([]int64, n)
		for i, a := range b.Acked {
			idx[i], parties[i], ackIdx[i] = a.Index, a.Party, a.AckIndex
		}
		q.Queue(`UPDATE acks SET ack_idx = u.ack FROM unnest($2::bigint[], $3::text[], $4::bigint[]) AS u(idx, party, ack)
			WHERE acks.channel = $1 AND acks.idx = u.idx AND acks.party = u.party AND acks.ack_idx IS NULL`, b.Channel, idx, parties, ackIdx)
		what = append(what, "mark acks")
	}
	if n := len(b.Missed); n > 0 {
		chans, idx, parties := make([]string, n), make([]int64, n), make([]string, n)
		for i, m := range b.Missed {
			chans[i], idx[i], parties[i] = m.Channel, m.Index, m.Party
		}
		missedAt = len(what)
		q.Queue(`UPDATE acks SET missed = true FROM unnest($1::text[], $2::bigint[], $3::text[]) AS u(channel, idx, party)
			WHERE acks.channel = u.channel AND acks.idx = u.idx AND acks.party = u.party AND NOT acks.missed`, chans, idx, parties)
		what = append(what, "mark missed acks")
	}
	attachedAt := -1 // the statement marking attached blobs
	attached := distinctSums(b.Attached)
	if len(attached) > 0 {
		attachedAt = len(what)
		q.Queue(`UPDATE channel_blobs SET attached = true WHERE channel = $1 AND sha256 = ANY($2::bytea[])`, b.Channel, attached)
		what = append(what, "mark attached blobs")
	}
	if n := len(b.Webhooks); n > 0 {
		chans, urls, bodies, next := make([]string, n), make([]string, n), make([][]byte, n), make([]int64, n)
		for i, j := range b.Webhooks {
			chans[i], urls[i], bodies[i], next[i] = j.Channel, j.URL, j.Body, nanos(j.NextTry)
		}
		q.Queue(`INSERT INTO webhooks (channel, url, body, next_try) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[])`, chans, urls, bodies, next)
		what = append(what, "queue webhooks")
	}
	if b.Policy != nil {
		pol, err := json.Marshal(b.Policy)
		if err != nil {
			return err
		}
		q.Queue(`UPDATE channels SET policy = $1 WHERE id = $2`, string(pol), b.Channel)
		q.Queue(`SELECT pg_notify($1, $2)`, NotifyChannel, "channel "+b.Channel)
		what = append(what, "update policy", "notify policy")
	}
	if len(b.Envelopes) > 0 {
		q.Queue(`SELECT pg_notify($1, $2)`, NotifyChannel, "append "+strconv.FormatInt(size+int64(len(b.Envelopes)), 10)+" "+b.Channel)
		what = append(what, "notify")
	}
	if q.Len() > 0 {
		br := tx.SendBatch(ctx, &q)
		for i, w := range what {
			tag, err := br.Exec()
			if err == nil && i == missedAt && tag.RowsAffected() != int64(len(b.Missed)) {
				br.Close()
				return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: %d of %d duties are already reported missed, or do not exist", b.Channel, int64(len(b.Missed))-tag.RowsAffected(), len(b.Missed))
			}
			if err == nil && i == attachedAt && tag.RowsAffected() != int64(len(attached)) {
				br.Close()
				return deconflict.Errorf(deconflict.EUNAVAILABLE, "channel %s no longer holds %d of the %d blobs the batch attaches (an upload not attached in time is forgotten); upload them again", b.Channel, int64(len(attached))-tag.RowsAffected(), len(attached))
			}
			if err != nil {
				br.Close()
				if code, constraint := pgCode(err); code == uniqueViolation && constraint == "envelopes_id" {
					return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: an envelope id of the batch is already used", b.Channel)
				} else if code == uniqueViolation {
					return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: %s: %v", b.Channel, w, err)
				}
				return fmt.Errorf("%s: %w", w, err)
			}
		}
		if err := br.Close(); err != nil {
			return fmt.Errorf("append to %s: %w", b.Channel, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit append: %w", err)
	}
	return nil
}

// LogSize implements deconflict.Store.
func (db *DB) LogSize(ctx context.Context, channel string) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(idx)+1, 0) FROM envelopes WHERE channel = $1`, channel).Scan(&n)
	return n, err
}

const envCols = `channel, idx, id, author, kind, received, payload, key, sig, leaf_hash`

func scanEnvelope(s pgx.Row) (*deconflict.Envelope, error) {
	var e deconflict.Envelope
	var received int64
	var key, leaf []byte
	if err := s.Scan(&e.Channel, &e.Index, &e.ID, &e.Author, &e.Kind, &received, &e.Payload, &key, &e.Sig, &leaf); err != nil {
		return nil, err
	}
	e.Received = fromNanos(received)
	e.Key = key
	copy(e.LeafHash[:], leaf)
	return &e, nil
}

func (db *DB) findOne(ctx context.Context, channel, what, where string, args ...any) (*deconflict.Envelope, error) {
	e, err := scanEnvelope(db.pool.QueryRow(ctx, `SELECT `+envCols+` FROM envelopes WHERE `+where, args...))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: no envelope %s", channel, what)
	}
	return e, err
}

// FindEnvelope implements deconflict.Store.
func (db *DB) FindEnvelope(ctx context.Context, channel string, index int64) (*deconflict.Envelope, error) {
	return db.findOne(ctx, channel, fmt.Sprintf("at index %d", index), `channel = $1 AND idx = $2`, channel, index)
}

// FindEnvelopesByID implements deconflict.Store.
func (db *DB) FindEnvelopesByID(ctx context.Context, channel string, ids []string) (map[string]*deconflict.Envelope, error) {
	out := map[string]*deconflict.Envelope{}
	if len(ids) == 0 {
		return out, nil
	}
	envs, err := db.queryEnvelopes(ctx, `SELECT `+envCols+` FROM envelopes WHERE channel = $1 AND id = ANY($2::text[])`, channel, ids)
	for _, e := range envs {
		out[e.ID] = e
	}
	return out, err
}

// FindEnvelopeByLeafHash implements deconflict.Store.
func (db *DB) FindEnvelopeByLeafHash(ctx context.Context, channel string, h [32]byte) (*deconflict.Envelope, error) {
	return db.findOne(ctx, channel, fmt.Sprintf("with leaf hash %x", h[:]), `channel = $1 AND leaf_hash = $2`, channel, h[:])
}

// FindEnvelopes implements deconflict.Store.
func (db *DB) FindEnvelopes(ctx context.Context, channel string, from int64, limit int) ([]*deconflict.Envelope, error) {
	return db.queryEnvelopes(ctx, `SELECT `+envCols+` FROM envelopes WHERE channel = $1 AND idx >= $2 ORDER BY idx LIMIT $3`, channel, from, limit)
}

func (db *DB) queryEnvelopes(ctx context.Context, sql string, args ...any) ([]*deconflict.Envelope, error) {
	rows, err := db.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*deconflict.Envelope
	for rows.Next() {
		e, err := scanEnvelope(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ReadHashes implements deconflict.Store.
func (db *DB) ReadHashes(ctx context.Context, channel string, indexes []int64) ([][32]byte, error) {
	out := make([][32]byte, len(indexes))
	if len(indexes) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT n, hash FROM log_hashes WHERE channel = $1 AND n = ANY($2::bigint[])`, channel, indexes)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := make(map[int64][32]byte, len(indexes))
	for rows.Next() {
		var n int64
		var h []byte
		if err := rows.Scan(&n, &h); err != nil {
			return nil, err
		}
		var hh [32]byte
		copy(hh[:], h)
		got[n] = hh
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, idx := range indexes {
		h, ok := got[idx]
		if !ok {
			return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: log hash %d missing", channel, idx)
		}
		out[i] = h
	}
	return out, nil
}

// Checkpoint implements deconflict.Store.
func (db *DB) Checkpoint(ctx context.Context, channel string) ([]byte, int64, error) {
	var text []byte
	var size int64
	err := db.pool.QueryRow(ctx, `SELECT text, size FROM checkpoints WHERE channel = $1`, channel).Scan(&text, &size)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, nil
	}
	return text, size, err
}

func scanAcks(rows pgx.Rows, err error) ([]deconflict.PendingAck, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deconflict.PendingAck
	for rows.Next() {
		var p deconflict.PendingAck
		var deadline int64
		if err := rows.Scan(&p.Channel, &p.Index, &p.Party, &deadline, &p.AckIndex, &p.Missed); err != nil {
			return nil, err
		}
		p.Deadline = fromNanos(deadline)
		out = append(out, p)
	}
	return out, rows.Err()
}

const ackCols = `channel, idx, party, deadline, ack_idx, missed`

// PendingAcks implements deconflict.Store.
func (db *DB) PendingAcks(ctx context.Context, channel, party string, open bool) ([]deconflict.PendingAck, error) {
	return scanAcks(db.pool.Query(ctx, `SELECT `+ackCols+` FROM acks WHERE channel = $1 AND ($2 = '' OR party = $2) AND (NOT $3 OR ack_idx IS NULL) ORDER BY idx, party`, channel, party, open))
}

// AckStatus implements deconflict.Store.
func (db *DB) AckStatus(ctx context.Context, channel string, index int64) ([]deconflict.PendingAck, error) {
	return scanAcks(db.pool.Query(ctx, `SELECT `+ackCols+` FROM acks WHERE channel = $1 AND idx = $2 ORDER BY party`, channel, index))
}

// DueAcks implements deconflict.Store.
func (db *DB) DueAcks(ctx context.Context, now time.Time) ([]deconflict.PendingAck, error) {
	return scanAcks(db.pool.Query(ctx, `SELECT `+ackCols+` FROM acks WHERE ack_idx IS NULL AND NOT missed AND deadline <= $1 ORDER BY channel, idx, party`, nanos(now)))
}

// DueWebhooks implements deconflict.Store.
func (db *DB) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]deconflict.WebhookJob, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, channel, url, body, attempts, next_try, done, last_error FROM webhooks WHERE NOT done AND next_try <= $1 ORDER BY next_try, id LIMIT $2`, nanos(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deconflict.WebhookJob
	for rows.Next() {
		var j deconflict.WebhookJob
		var next int64
		if err := rows.Scan(&j.ID, &j.Channel, &j.URL, &j.Body, &j.Attempts, &next, &j.Done, &j.LastErr); err != nil {
			return nil, err
		}
		j.NextTry = fromNanos(next)
		out = append(out, j)
	}
	return out, rows.Err()
}

// UpdateWebhook implements deconflict.Store.
func (db *DB) UpdateWebhook(ctx context.Context, j *deconflict.WebhookJob) error {
	_, err := db.pool.Exec(ctx, `UPDATE webhooks SET attempts = $1, next_try = $2, done = $3, last_error = $4 WHERE id = $5`, j.Attempts, nanos(j.NextTry), j.Done, j.LastErr, j.ID)
	return err
}

// QueueAlert implements deconflict.Store.
func (db *DB) QueueAlert(ctx context.Context, j *deconflict.AlertJob) error {
	var key any
	if j.Key != "" {
		key = j.Key
	}
	err := db.pool.QueryRow(ctx, `INSERT INTO alert_outbox (party_a, party_b, payload, created, alert_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING id`, j.PartyA, j.PartyB, j.Payload, nanos(j.Created), key).Scan(&j.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return deconflict.Errorf(deconflict.ECONFLICT, "alert %q is queued already", j.Key)
	}
	if err != nil {
		return fmt.Errorf("queue alert: %w", err)
	}
	return nil
}

// DueAlerts implements deconflict.Store.
func (db *DB) DueAlerts(ctx context.Context, limit int) ([]deconflict.AlertJob, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, party_a, party_b, payload, created, COALESCE(alert_key, '') FROM alert_outbox WHERE NOT posted ORDER BY id LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deconflict.AlertJob
	for rows.Next() {
		var j deconflict.AlertJob
		var created int64
		if err := rows.Scan(&j.ID, &j.PartyA, &j.PartyB, &j.Payload, &created, &j.Key); err != nil {
			return nil, err
		}
		j.Created = fromNanos(created)
		out = append(out, j)
	}
	return out, rows.Err()
}

// AlertPosted implements deconflict.Store.
func (db *DB) AlertPosted(ctx context.Context, id int64) error {
	tag, err := db.pool.Exec(ctx, `UPDATE alert_outbox SET posted = true WHERE id = $1`, id)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "alert %d not found", id)
	}
	return nil
}

// OpenIncident implements deconflict.Store.
func (db *DB) OpenIncident(ctx context.Context, encounter, incident string, opened time.Time) (string, error) {
	if _, err := db.pool.Exec(ctx, `INSERT INTO open_incidents (encounter, incident, opened) VALUES ($1, $2, $3)
		ON CONFLICT (encounter) DO UPDATE SET incident = excluded.incident, opened = excluded.opened WHERE open_incidents.opened < $4`,
		encounter, incident, nanos(opened), nanos(opened.Add(-deconflict.MaxIncidentOpen))); err != nil {
		return "", fmt.Errorf("open incident: %w", err)
	}
	var got string
	err := db.pool.QueryRow(ctx, `SELECT incident FROM open_incidents WHERE encounter = $1`, encounter).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return incident, nil // closed meanwhile
	}
	if err != nil {
		return "", fmt.Errorf("open incident: %w", err)
	}
	return got, nil
}

// CloseIncident implements deconflict.Store.
func (db *DB) CloseIncident(ctx context.Context, encounter, incident string) error {
	_, err := db.pool.Exec(ctx, `DELETE FROM open_incidents WHERE encounter = $1 AND incident = $2`, encounter, incident)
	return err
}

// SaveIncidentTrack implements deconflict.Store.
func (db *DB) SaveIncidentTrack(ctx context.Context, t *deconflict.IncidentTrack) error {
	if err := t.Check(); err != nil {
		return err
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO incident_tracks (incident, track, domain, party, label, points) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (incident, track) DO UPDATE SET domain = excluded.domain, party = excluded.party, label = excluded.label, points = excluded.points`,
		t.Incident, t.Track, string(t.Domain), t.Party, t.Label, deconflict.EncodeTrackPoints(t.Points))
	if err != nil {
		return fmt.Errorf("save incident %s track %s: %w", t.Incident, t.Track, err)
	}
	return nil
}

// FindIncidentTracks implements deconflict.Store.
func (db *DB) FindIncidentTracks(ctx context.Context, incident string) ([]deconflict.IncidentTrack, error) {
	rows, err := db.pool.Query(ctx, `SELECT track, domain, party, label, points FROM incident_tracks WHERE incident = $1 ORDER BY track COLLATE "C"`, incident)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []deconflict.IncidentTrack
	for rows.Next() {
		t := deconflict.IncidentTrack{Incident: incident}
		var domain string
		var points []byte
		if err := rows.Scan(&t.Track, &domain, &t.Party, &t.Label, &points); err != nil {
			return nil, err
		}
		t.Domain = deconflict.Domain(domain)
		if t.Points, err = deconflict.DecodeTrackPoints(points); err != nil {
			return nil, fmt.Errorf("incident %s track %s: %w", incident, t.Track, err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}
