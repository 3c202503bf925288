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

// CreateZone implements deconflict.Store.
func (db *DB) CreateZone(ctx context.Context, z *deconflict.Zone) error {
	if z.ID == "" {
		return deconflict.Errorf(deconflict.EINVALID, "zone: id is empty")
	}
	return insertZone(ctx, db.w, z)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertZone(ctx context.Context, x execer, z *deconflict.Zone) error {
	var poly any
	if len(z.Polygon) > 0 {
		b, err := json.Marshal(z.Polygon)
		if err != nil {
			return err
		}
		poly = string(b)
	}
	var clat, clon any
	if z.Center != nil {
		clat, clon = z.Center[0], z.Center[1]
	}
	_, err := x.ExecContext(ctx, `INSERT INTO zones (id, name, kind, owner, polygon, center_lat, center_lon, radius_m, min_alt_m, max_alt_m, valid_from, valid_until)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		z.ID, z.Name, z.Kind, z.Owner, poly, clat, clon, z.RadiusM, nullFloat(z.MinAltM), nullFloat(z.MaxAltM), nullTime(z.From), nullTime(z.Until))
	if isUnique(err) {
		return deconflict.Errorf(deconflict.ECONFLICT, "zone %s already exists", z.ID)
	} else if err != nil {
		return fmt.Errorf("insert zone %s: %w", z.ID, err)
	}
	return nil
}

func nullFloat(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullTime(t *time.Time) any {
	if t == nil {
		return nil
	}
	return nanos(*t)
}

// DeleteZone implements deconflict.Store.
func (db *DB) DeleteZone(ctx context.Context, id string) error {
	res, err := db.w.ExecContext(ctx, `DELETE FROM zones WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete zone %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "zone %s not found", id)
	}
	return nil
}

// FindZones implements deconflict.Store.
func (db *DB) FindZones(ctx context.Context) ([]*deconflict.Zone, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT id, name, kind, owner, polygon, center_lat, center_lon, radius_m, min_alt_m, max_alt_m, valid_from, valid_until FROM zones ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*deconflict.Zone
	for rows.Next() {
		var z deconflict.Zone
		var poly sql.NullString
		var clat, clon, minAlt, maxAlt sql.NullFloat64
		var from, until sql.NullInt64
		if err := rows.Scan(&z.ID, &z.Name, &z.Kind, &z.Owner, &poly, &clat, &clon, &z.RadiusM, &minAlt, &maxAlt, &from, &until); err != nil {
			return nil, err
		}
		if poly.Valid {
			if err := json.Unmarshal([]byte(poly.String), &z.Polygon); err != nil {
				return nil, fmt.Errorf("zone %s: polygon: %w", z.ID, err)
			}
		}
		if clat.Valid && clon.Valid {
			z.Center = &[2]float64{clat.Float64, clon.Float64}
		}
		if minAlt.Valid {
			z.MinAltM = &minAlt.Float64
		}
		if maxAlt.Valid {
			z.MaxAltM = &maxAlt.Float64
		}
		if from.Valid {
			t := fromNanos(from.Int64)
			z.From = &t
		}
		if until.Valid {
			t := fromNanos(until.Int64)
			z.Until = &t
		}
		out = append(out, &z)
	}
	return out, rows.Err()
}

// SetAssets implements deconflict.Store.
func (db *DB) SetAssets(ctx context.Context, party string, a *deconflict.Assets) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := insertAssets(ctx, tx, party, a); err != nil {
		return err
	}
	return tx.Commit()
}

func insertAssets(ctx context.Context, tx *sql.Tx, party string, a *deconflict.Assets) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM parties WHERE id = ?`, party).Scan(&n); err != nil {
		return err
	} else if n == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "party %s not found", party)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM assets WHERE party = ?`, party); err != nil {
		return fmt.Errorf("assets of %s: %w", party, err)
	}
	for _, x := range a.Idents() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO assets (party, kind, n, ident) VALUES (?, ?, ?, ?)`, party, x.Kind, x.N, x.Ident); err != nil {
			return fmt.Errorf("assets of %s: %w", party, err)
		}
	}
	return nil
}

// FindAssets implements deconflict.Store.
func (db *DB) FindAssets(ctx context.Context) (map[string]deconflict.Assets, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT party, kind, ident FROM assets ORDER BY party, kind, n`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]deconflict.Assets{}
	for rows.Next() {
		var party, kind, id string
		if err := rows.Scan(&party, &kind, &id); err != nil {
			return nil, err
		}
		a := out[party]
		a.AddIdent(kind, id)
		out[party] = a
	}
	return out, rows.Err()
}

// moveLegacyMeta moves zones and assets that earlier versions kept as
// JSON in the meta table into their own tables, once.
func (db *DB) moveLegacyMeta(ctx context.Context) error {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	get := func(key string) (string, error) {
		var v string
		err := tx.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
		if errors.Is(err, sql.ErrNoRows) {
			return "", nil
		}
		return v, err
	}
	text, err := get("zones")
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) != "" && text != "null" {
		var zs []deconflict.Zone
		if err := json.Unmarshal([]byte(text), &zs); err != nil {
			return fmt.Errorf("stored zones: %w", err)
		}
		for i := range zs {
			if err := insertZone(ctx, tx, &zs[i]); err != nil && deconflict.ErrorCode(err) != deconflict.ECONFLICT {
				return err
			}
		}
	}
	text, err = get("assets")
	if err != nil {
		return err
	}
	if strings.TrimSpace(text) != "" && text != "null" {
		var as map[string]deconflict.Assets
		if err := json.Unmarshal([]byte(text), &as); err != nil {
			return fmt.Errorf("stored assets: %w", err)
		}
		for party, a := range as {
			if err := insertAssets(ctx, tx, party, &a); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE key IN ('zones', 'assets')`); err != nil {
		return err
	}
	return tx.Commit()
}
