package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

// Append's statements, prepared once when the store opens.
const (
	selectLogSize    = `SELECT COALESCE(MAX(idx)+1, 0) FROM envelopes WHERE channel = ?`
	upsertCheckpoint = `INSERT INTO checkpoints (channel, size, text) VALUES (?, ?, ?) ON CONFLICT(channel) DO UPDATE SET size = excluded.size, text = excluded.text`
	insertAck        = `INSERT INTO acks (channel, idx, party, deadline) VALUES (?, ?, ?, ?)`
	insertEnvelope   = `INSERT INTO envelopes (channel, idx, id, author, kind, received, payload, key, sig, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertHash       = `INSERT INTO log_hashes (channel, n, hash) VALUES (?, ?, ?)`
)

// Append implements deconflict.Store: one transaction for the envelopes,
// their log hashes, the checkpoint and the acknowledgement book-keeping.
func (db *DB) Append(ctx context.Context, b *deconflict.Batch) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin append: %w", err)
	}
	defer tx.Rollback()
	var size int64
	st, err := db.ws.txStmt(ctx, tx, selectLogSize)
	if err != nil {
		return err
	}
	err = st.QueryRowContext(ctx, b.Channel).Scan(&size)
	st.Close()
	if err != nil {
		return err
	}
	if len(b.Envelopes) > 0 && b.Envelopes[0].Index != size {
		return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: append at index %d, log size is %d", b.Channel, b.Envelopes[0].Index, size)
	}
	if len(b.Envelopes) > 0 {
		st, err := db.ws.txStmt(ctx, tx, insertEnvelope)
		if err != nil {
			return err
		}
		for i, e := range b.Envelopes {
			if e.Index != size+int64(i) {
				st.Close()
				return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: batch index %d not consecutive", b.Channel, e.Index)
			}
			if _, err := st.ExecContext(ctx, b.Channel, e.Index, e.ID, e.Author, e.Kind, nanos(e.Received), e.Payload, []byte(e.Key), e.Sig, e.LeafHash[:]); isUnique(err) {
				st.Close()
				return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: envelope id %s already used", b.Channel, e.ID)
			} else if err != nil {
				st.Close()
				return fmt.Errorf("insert envelope %d: %w", e.Index, err)
			}
		}
		st.Close()
	}
	if len(b.Hashes) > 0 {
		st, err := db.ws.txStmt(ctx, tx, insertHash)
		if err != nil {
			return err
		}
		for _, h := range b.Hashes {
			if _, err := st.ExecContext(ctx, b.Channel, h.Index, h.Hash[:]); err != nil {
				st.Close()
				return fmt.Errorf("insert log hash %d: %w", h.Index, err)
			}
		}
		st.Close()
	}
	if b.Checkpoint != nil {
		st, err := db.ws.txStmt(ctx, tx, upsertCheckpoint)
		if err != nil {
			return err
		}
		_, err = st.ExecContext(ctx, b.Channel, b.TreeSize, b.Checkpoint)
		st.Close()
		if err != nil {
			return fmt.Errorf("store checkpoint: %w", err)
		}
	}
	if len(b.Pending) > 0 {
		st, err := db.ws.txStmt(ctx, tx, insertAck)
		if err != nil {
			return err
		}
		for _, p := range b.Pending {
			if _, err := st.ExecContext(ctx, b.Channel, p.Index, p.Party, nanos(p.Deadline)); err != nil {
				st.Close()
				return fmt.Errorf("insert ack duty %d/%s: %w", p.Index, p.Party, err)
			}
		}
		st.Close()
	}
	for _, a := range b.Acked {
		if _, err := tx.ExecContext(ctx, `UPDATE acks SET ack_idx = ? WHERE channel = ? AND idx = ? AND party = ? AND ack_idx IS NULL`, a.AckIndex, b.Channel, a.Index, a.Party); err != nil {
			return fmt.Errorf("mark ack %d/%s: %w", a.Index, a.Party, err)
		}
	}
	for _, m := range b.Missed {
		res, err := tx.ExecContext(ctx, `UPDATE acks SET missed = 1 WHERE channel = ? AND idx = ? AND party = ? AND missed = 0`, m.Channel, m.Index, m.Party)
		if err != nil {
			return fmt.Errorf("mark missed %d/%s: %w", m.Index, m.Party, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return deconflict.Errorf(deconflict.ECONFLICT, "channel %s: the duty of %s to acknowledge %d is already reported missed, or does not exist", m.Channel, m.Party, m.Index)
		}
	}
	if err := markAttached(ctx, tx, b.Channel, b.Attached); err != nil {
		return err
	}
	for _, j := range b.Webhooks {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhooks (channel, url, body, next_try) VALUES (?, ?, ?, ?)`, j.Channel, j.URL, j.Body, nanos(j.NextTry)); err != nil {
			return fmt.Errorf("queue webhook: %w", err)
		}
	}
	if b.Keys != nil {
		if err := applyKeyChanges(ctx, tx, b.Keys); err != nil {
			return err
		}
	}
	if b.Policy != nil {
		pol, err := json.Marshal(b.Policy)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE channels SET policy = ? WHERE id = ?`, string(pol), b.Channel); err != nil {
			return fmt.Errorf("update policy: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit append: %w", err)
	}
	return nil
}

// LogSize implements deconflict.Store.
func (db *DB) LogSize(ctx context.Context, channel string) (int64, error) {
	var n sql.NullInt64
	err := db.rs.queryRow(ctx, `SELECT MAX(idx) FROM envelopes WHERE channel = ?`, channel).Scan(&n)
	if !n.Valid {
		return 0, err
	}
	return n.Int64 + 1, err
}

const envCols = `channel, idx, id, author, kind, received, payload, key, sig, leaf_hash`

func scanEnvelope(s interface{ Scan(...any) error }) (*deconflict.Envelope, error) {
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

func (db *DB) findOne(ctx context.Context, what, where string, args ...any) (*deconflict.Envelope, error) {
	e, err := scanEnvelope(db.rs.queryRow(ctx, `SELECT `+envCols+` FROM envelopes WHERE `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: no envelope %s", args[0], what)
	}
	return e, err
}

// FindEnvelope implements deconflict.Store.
func (db *DB) FindEnvelope(ctx context.Context, channel string, index int64) (*deconflict.Envelope, error) {
	return db.findOne(ctx, fmt.Sprintf("at index %d", index), `channel = ? AND idx = ?`, channel, index)
}

// FindEnvelopesByID implements deconflict.Store.
func (db *DB) FindEnvelopesByID(ctx context.Context, channel string, ids []string) (map[string]*deconflict.Envelope, error) {
	out := map[string]*deconflict.Envelope{}
	for start := 0; start < len(ids); start += 500 {
		part := ids[start:min(start+500, len(ids))]
		args := []any{channel}
		for _, id := range part {
			args = append(args, id)
		}
		rows, err := db.rs.queryIn(ctx, len(part), `SELECT `+envCols+` FROM envelopes WHERE channel = ? AND id IN (?`+strings.Repeat(",?", len(part)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			e, err := scanEnvelope(rows)
			if err != nil {
				rows.Close()
				return nil, err
			}
			out[e.ID] = e
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// FindEnvelopeByLeafHash implements deconflict.Store.
func (db *DB) FindEnvelopeByLeafHash(ctx context.Context, channel string, h [32]byte) (*deconflict.Envelope, error) {
	return db.findOne(ctx, fmt.Sprintf("with leaf hash %x", h[:]), `channel = ? AND leaf_hash = ?`, channel, h[:])
}

// FindEnvelopes implements deconflict.Store.
func (db *DB) FindEnvelopes(ctx context.Context, channel string, from int64, limit int) ([]*deconflict.Envelope, error) {
	rows, err := db.rs.query(ctx, `SELECT `+envCols+` FROM envelopes WHERE channel = ? AND idx >= ? ORDER BY idx LIMIT ?`, channel, from, limit)
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
	args := make([]any, 0, len(indexes)+1)
	args = append(args, channel)
	for _, i := range indexes {
		args = append(args, i)
	}
	rows, err := db.rs.queryIn(ctx, len(indexes), `SELECT n, hash FROM log_hashes WHERE channel = ? AND n IN (?`+strings.Repeat(",?", len(indexes)-1)+`)`, args...)
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
	err := db.rs.queryRow(ctx, `SELECT text, size FROM checkpoints WHERE channel = ?`, channel).Scan(&text, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, nil
	}
	return text, size, err
}

func scanAcks(rows *sql.Rows) ([]deconflict.PendingAck, error) {
	defer rows.Close()
	var out []deconflict.PendingAck
	for rows.Next() {
		var p deconflict.PendingAck
		var deadline int64
		var ackIdx sql.NullInt64
		if err := rows.Scan(&p.Channel, &p.Index, &p.Party, &deadline, &ackIdx, &p.Missed); err != nil {
			return nil, err
		}
		p.Deadline = fromNanos(deadline)
		if ackIdx.Valid {
			v := ackIdx.Int64
			p.AckIndex = &v
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

const ackCols = `channel, idx, party, deadline, ack_idx, missed`

// PendingAcks implements deconflict.Store.
func (db *DB) PendingAcks(ctx context.Context, channel, party string, open bool) ([]deconflict.PendingAck, error) {
	rows, err := db.rs.query(ctx, `SELECT `+ackCols+` FROM acks WHERE channel = ? AND (? = '' OR party = ?) AND (? = 0 OR ack_idx IS NULL) ORDER BY idx, party`, channel, party, party, open)
	if err != nil {
		return nil, err
	}
	return scanAcks(rows)
}

// AckStatus implements deconflict.Store.
func (db *DB) AckStatus(ctx context.Context, channel string, index int64) ([]deconflict.PendingAck, error) {
	rows, err := db.rs.query(ctx, `SELECT `+ackCols+` FROM acks WHERE channel = ? AND idx = ? ORDER BY party`, channel, index)
	if err != nil {
		return nil, err
	}
	return scanAcks(rows)
}

// DueAcks implements deconflict.Store.
func (db *DB) DueAcks(ctx context.Context, now time.Time) ([]deconflict.PendingAck, error) {
	rows, err := db.rs.query(ctx, `SELECT `+ackCols+` FROM acks WHERE ack_idx IS NULL AND missed = 0 AND deadline <= ? ORDER BY channel, idx, party`, nanos(now))
	if err != nil {
		return nil, err
	}
	return scanAcks(rows)
}

// DueWebhooks implements deconflict.Store.
func (db *DB) DueWebhooks(ctx context.Context, now time.Time, limit int) ([]deconflict.WebhookJob, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, channel, url, body, attempts, next_try, done, last_error FROM webhooks WHERE done = 0 AND next_try <= ? ORDER BY next_try, id LIMIT ?`, nanos(now), limit)
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
	_, err := db.w.ExecContext(ctx, `UPDATE webhooks SET attempts = ?, next_try = ?, done = ?, last_error = ? WHERE id = ?`, j.Attempts, nanos(j.NextTry), j.Done, j.LastErr, j.ID)
	return err
}

// QueueAlert implements deconflict.Store.
func (db *DB) QueueAlert(ctx context.Context, j *deconflict.AlertJob) error {
	var key any
	if j.Key != "" {
		key = j.Key
	}
	res, err := db.w.ExecContext(ctx, `INSERT INTO alert_outbox (party_a, party_b, payload, created, alert_key) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, j.PartyA, j.PartyB, j.Payload, nanos(j.Created), key)
	if err != nil {
		return fmt.Errorf("queue alert: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return deconflict.Errorf(deconflict.ECONFLICT, "alert %q is queued already", j.Key)
	}
	j.ID, err = res.LastInsertId()
	return err
}

// DueAlerts implements deconflict.Store.
func (db *DB) DueAlerts(ctx context.Context, limit int) ([]deconflict.AlertJob, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, party_a, party_b, payload, created, COALESCE(alert_key, '') FROM alert_outbox WHERE posted = 0 ORDER BY id LIMIT ?`, limit)
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
	res, err := db.w.ExecContext(ctx, `UPDATE alert_outbox SET posted = 1 WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "alert %d not found", id)
	}
	return nil
}

// OpenIncident implements deconflict.Store.
func (db *DB) OpenIncident(ctx context.Context, encounter, incident string, opened time.Time) (string, error) {
	if _, err := db.w.ExecContext(ctx, `INSERT INTO open_incidents (encounter, incident, opened) VALUES (?, ?, ?)
		ON CONFLICT (encounter) DO UPDATE SET incident = excluded.incident, opened = excluded.opened WHERE open_incidents.opened < ?`,
		encounter, incident, nanos(opened), nanos(opened.Add(-deconflict.MaxIncidentOpen))); err != nil {
		return "", fmt.Errorf("open incident: %w", err)
	}
	var got string
	err := db.w.QueryRowContext(ctx, `SELECT incident FROM open_incidents WHERE encounter = ?`, encounter).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return incident, nil // closed meanwhile
	}
	if err != nil {
		return "", fmt.Errorf("open incident: %w", err)
	}
	return got, nil
}

// CloseIncident implements deconflict.Store.
func (db *DB) CloseIncident(ctx context.Context, encounter, incident string) error {
	_, err := db.w.ExecContext(ctx, `DELETE FROM open_incidents WHERE encounter = ? AND incident = ?`, encounter, incident)
	return err
}

// SaveIncidentTrack implements deconflict.Store.
func (db *DB) SaveIncidentTrack(ctx context.Context, t *deconflict.IncidentTrack) error {
	if err := t.Check(); err != nil {
		return err
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO incident_tracks (incident, track, domain, party, label, points) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident, track) DO UPDATE SET domain = excluded.domain, party = excluded.party, label = excluded.label, points = excluded.points`,
		t.Incident, t.Track, string(t.Domain), t.Party, t.Label, deconflict.EncodeTrackPoints(t.Points))
	if err != nil {
		return fmt.Errorf("save incident %s track %s: %w", t.Incident, t.Track, err)
	}
	return nil
}

// FindIncidentTracks implements deconflict.Store.
func (db *DB) FindIncidentTracks(ctx context.Context, incident string) ([]deconflict.IncidentTrack, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT track, domain, party, label, points FROM incident_tracks WHERE incident = ? ORDER BY track`, incident)
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
