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
