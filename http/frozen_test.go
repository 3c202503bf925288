package http_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
	_ "modernc.org/sqlite"
)

// TestRefusedChannelFrozen: a channel whose stored log fails its start-up
// check takes nothing more, not even the node's own missed-acks and
// alerts, and no checkpoint is signed over it; whether refused or, with
// ServeAltered, served read-only.
func TestRefusedChannelFrozen(t *testing.T) {
	for _, serveAltered := range []bool{false, true} {
		name := "Refused"
		if serveAltered {
			name = "ServeAltered"
		}
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			dir := t.TempDir()
			tn := nodetest.Start(t, nodetest.Options{Dir: dir, Tick: time.Hour})
			tn.AddParties(t, "RU", "US")
			pol := deconflict.DefaultPolicy()
			pol.AckDeadlines[deconflict.Flash] = deconflict.Duration(time.Minute)
			tn.AddChannel(t, "ru-us", []string{"RU", "US"}, &pol)
			tn.AddChannel(t, "ru-us-2", []string{"RU", "US"}, &pol)
			tn.Send(t, "US", "ru-us", deconflict.Flash, "answer within a minute")
			tn.Send(t, "US", "ru-us", deconflict.Routine, "second")
			tn.Send(t, "US", "ru-us-2", deconflict.Flash, "on a sound channel")
			key := tn.Node.Key
			tn.Stop()

			// Alter the stored log behind the node's back.
			db, err := sql.Open("sqlite", filepath.Join(dir, "deconflict.db"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`UPDATE envelopes SET author = 'RU' WHERE channel = 'ru-us' AND idx = 1`); err != nil {
				t.Fatal(err)
			}
			db.Close()

			// Restart an hour later: the flash deadlines have passed.
			later := func() time.Time { return time.Now().Add(time.Hour) }
			tn = nodetest.Start(t, nodetest.Options{Dir: dir, Key: key, Now: later, Tick: time.Hour, ServeAltered: serveAltered})
			if _, frozen := tn.Node.Frozen("ru-us"); !frozen {
				t.Fatal("altered channel ru-us is not frozen")
			}
			cpBefore, sizeBefore, err := tn.DB.Checkpoint(ctx, "ru-us")
			if err != nil {
				t.Fatal(err)
			}
			if err := tn.Node.CheckDeadlines(ctx); err != nil {
				t.Fatalf("CheckDeadlines: %v", err)
			}
			_, err = tn.Node.SubmitNode(ctx, &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindAlert, Precedence: deconflict.Flash, Text: "encounter"})
			if got, want := deconflict.ErrorCode(err), deconflict.EUNAVAILABLE; got != want {
				t.Fatalf("node alert on a frozen channel: %v, want %s", err, want)
			}
			if got, err := tn.DB.LogSize(ctx, "ru-us"); err != nil || got != 2 {
				t.Fatalf("frozen channel's log size %d (%v), want 2: something was appended", got, err)
			}
			cpAfter, sizeAfter, err := tn.DB.Checkpoint(ctx, "ru-us")
			if err != nil || sizeAfter != sizeBefore || string(cpAfter) != string(cpBefore) {
				t.Fatalf("frozen channel's checkpoint changed: size %d -> %d (%v)", sizeBefore, sizeAfter, err)
			}
			// The sound channel still gets its missed-ack.
			if got, err := tn.DB.LogSize(ctx, "ru-us-2"); err != nil || got != 2 {
				t.Fatalf("sound channel's log size %d (%v), want 2 (message and missed-ack)", got, err)
			}
		})
	}
}
