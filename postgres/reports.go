package postgres

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/gob"
	"fmt"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

// ReportsChannel is the LISTEN/NOTIFY channel on which replicas share the
// reports posted to any of them, so that every replica's live picture
// holds them all. Each notification is the base64 of a gob-encoded
// []deconflict.Report (gob keeps Unknown, NaN, values).
const ReportsChannel = "deconflict_reports"

// maxNotifyBytes keeps a notification under PostgreSQL's 8000-byte limit.
const maxNotifyBytes = 7800

// PublishReports sends reports to every replica listening with
// WatchReports, this one included, in as many notifications as they need.
// Delivery is best effort, as the live picture is soft state: a replica
// whose listening connection drops misses what was sent meanwhile and
// catches up with the next reports.
func (db *DB) PublishReports(ctx context.Context, rs []deconflict.Report) error {
	var q pgx.Batch
	if err := queueReports(&q, rs); err != nil {
		return err
	}
	if err := db.pool.SendBatch(ctx, &q).Close(); err != nil {
		return fmt.Errorf("publish reports: %w", err)
	}
	return nil
}

func queueReports(q *pgx.Batch, rs []deconflict.Report) error {
	if len(rs) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(rs); err != nil {
		return fmt.Errorf("encode reports: %w", err)
	}
	if base64.StdEncoding.EncodedLen(buf.Len()) <= maxNotifyBytes {
		q.Queue(`SELECT pg_notify($1, $2)`, ReportsChannel, base64.StdEncoding.EncodeToString(buf.Bytes()))
		return nil
	}
	if len(rs) == 1 {
		return deconflict.Errorf(deconflict.EINVALID, "report %s: too large to share between replicas (%d bytes encoded)", rs[0].ID, buf.Len())
	}
	if err := queueReports(q, rs[:len(rs)/2]); err != nil {
		return err
	}
	return queueReports(q, rs[len(rs)/2:])
}

// WatchReports calls fn with the reports every replica publishes, in the
// order they were published, until ctx ends or the listening connection
// fails (it returns the error; the caller listens again).
func (db *DB) WatchReports(ctx context.Context, fn func([]deconflict.Report)) error {
	c, err := db.connect(ctx)
	if err != nil {
		return fmt.Errorf("listen for reports: %w", err)
	}
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, "LISTEN "+ReportsChannel); err != nil {
		return fmt.Errorf("listen for reports: %w", err)
	}
	for {
		n, err := c.WaitForNotification(ctx)
		if err != nil {
			return fmt.Errorf("listen for reports: %w", err)
		}
		if rs, err := decodeReports(n.Payload); err == nil {
			fn(rs)
		}
	}
}

// decodeReports reads a notification of ReportsChannel.
func decodeReports(payload string) ([]deconflict.Report, error) {
	b, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return nil, fmt.Errorf("reports notification: %w", err)
	}
	var rs []deconflict.Report
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&rs); err != nil {
		return nil, fmt.Errorf("reports notification: %w", err)
	}
	return rs, nil
}
