package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

// CreateZone implements deconflict.Store.
func (db *DB) CreateZone(ctx context.Context, z *deconflict.Zone) error {
	if z.ID == "" {
		return deconflict.Errorf(deconflict.EINVALID, "zone: id is empty")
	}
	var poly *string
	if len(z.Polygon) > 0 {
		b, err := json.Marshal(z.Polygon)
		if err != nil {
			return err
		}
		t := string(b)
		poly = &t
	}
	var clat, clon *float64
	if z.Center != nil {
		clat, clon = &z.Center[0], &z.Center[1]
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO zones (id, name, kind, owner, polygon, center_lat, center_lon, radius_m, min_alt_m, max_alt_m, valid_from, valid_until)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		z.ID, z.Name, z.Kind, z.Owner, poly, clat, clon, z.RadiusM, z.MinAltM, z.MaxAltM, nullTime(z.From), nullTime(z.Until))
	if isUnique(err) {
		return deconflict.Errorf(deconflict.ECONFLICT, "zone %s already exists", z.ID)
	} else if err != nil {
		return fmt.Errorf("insert zone %s: %w", z.ID, err)
	}
	return nil
}

func nullTime(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	n := nanos(*t)
	return &n
}

// DeleteZone implements deconflict.Store.
func (db *DB) DeleteZone(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM zones WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete zone %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "zone %s not found", id)
	}
	return nil
}

// FindZones implements deconflict.Store.
func (db *DB) FindZones(ctx context.Context) ([]*deconflict.Zone, error) {
	rows, err := db.pool.Query(ctx, `SELECT id, name, kind, owner, polygon, center_lat, center_lon, radius_m, min_alt_m, max_alt_m, valid_from, valid_until FROM zones ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*deconflict.Zone
	for rows.Next() {
		var z deconflict.Zone
		var poly *string
		var clat, clon *float64
		var from, until *int64
		if err := rows.Scan(&z.ID, &z.Name, &z.Kind, &z.Owner, &poly, &clat, &clon, &z.RadiusM, &z.MinAltM, &z.MaxAltM, &from, &until); err != nil {
			return nil, err
		}
		if poly != nil {
			if err := json.Unmarshal([]byte(*poly), &z.Polygon); err != nil {
				return nil, fmt.Errorf("zone %s: polygon: %w", z.ID, err)
			}
		}
		if clat != nil && clon != nil {
			z.Center = &[2]float64{*clat, *clon}
		}
		if from != nil {
			t := fromNanos(*from)
			z.From = &t
		}
		if until != nil {
			t := fromNanos(*until)
			z.Until = &t
		}
		out = append(out, &z)
	}
	return out, rows.Err()
}

// SetAssets implements deconflict.Store.
func (db *DB) SetAssets(ctx context.Context, party string, a *deconflict.Assets) error {
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM parties WHERE id = $1`, party).Scan(&n); err != nil {
			return err
		} else if n == 0 {
			return deconflict.Errorf(deconflict.ENOTFOUND, "party %s not found", party)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM assets WHERE party = $1`, party); err != nil {
			return fmt.Errorf("assets of %s: %w", party, err)
		}
		for _, x := range a.Idents() {
			if _, err := tx.Exec(ctx, `INSERT INTO assets (party, kind, n, ident) VALUES ($1, $2, $3, $4)`, party, x.Kind, x.N, x.Ident); err != nil {
				return fmt.Errorf("assets of %s: %w", party, err)
			}
		}
		return nil
	})
}

// FindAssets implements deconflict.Store.
func (db *DB) FindAssets(ctx context.Context) (map[string]deconflict.Assets, error) {
	rows, err := db.pool.Query(ctx, `SELECT party, kind, ident FROM assets ORDER BY party, kind, n`)
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
