package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/sqlite"
	"github.com/deconflict/deconflict/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) deconflict.Store {
		db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

func TestReopenKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateParty(ctx, &deconflict.Party{ID: "RU"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.FindParty(ctx, "RU"); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

// TestLegacyZonesAndAssets: a data directory from before zones and assets
// had tables kept them as JSON in meta; opening it moves them over.
func TestLegacyZonesAndAssets(t *testing.T) {
	path := filepath.Join(t.TempDir(), "test.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateParty(ctx, &deconflict.Party{ID: "RU"}); err != nil {
		t.Fatal(err)
	}
	db.SetMeta(ctx, "zones", `[{"id":"ex","kind":"exercise","owner":"RU","polygon":[[55,19],[55.5,19],[55.5,20]],"min_alt_m":null,"max_alt_m":3000,"from":"2026-12-01T00:00:00Z"}]`)
	db.SetMeta(ctx, "assets", `{"RU":{"mmsi":["273000001"],"callsigns":["RFF*"]}}`)
	db.Close()
	db, err = sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	zs, err := db.FindZones(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(zs) != 1 || zs[0].ID != "ex" || len(zs[0].Polygon) != 3 || zs[0].MinAltM != nil || zs[0].MaxAltM == nil || *zs[0].MaxAltM != 3000 ||
		zs[0].From == nil || zs[0].From.Format("2006-01-02") != "2026-12-01" || zs[0].Until != nil {
		t.Fatalf("zones moved from meta: %+v", zs)
	}
	as, err := db.FindAssets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := as["RU"]; len(got.MMSI) != 1 || got.MMSI[0] != "273000001" || len(got.Callsigns) != 1 {
		t.Fatalf("assets moved from meta: %+v", as)
	}
	if _, err := db.Meta(ctx, "zones"); deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		t.Fatalf("meta zones after the move: %v, want not found", err)
	}
}
