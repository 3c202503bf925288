package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/sqlite"
)

// channelLog is a channel log with fixed channels that records what the
// picture posts.
type channelLog struct {
	chans []*deconflict.Channel
	mu    sync.Mutex
	posts []*deconflict.Payload
}

func (c *channelLog) Channels(ctx context.Context, caller string) ([]*deconflict.Channel, error) {
	var out []*deconflict.Channel
	for _, ch := range c.chans {
		if caller == deconflict.NodeAuthor || ch.IsMember(caller) {
			out = append(out, ch)
		}
	}
	return out, nil
}
func (c *channelLog) Refused() map[string]string { return nil }
func (c *channelLog) SubmitNode(ctx context.Context, p *deconflict.Payload) (*deconflict.Receipt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts = append(c.posts, p)
	return &deconflict.Receipt{Channel: p.Channel, Index: int64(len(c.posts) - 1)}, nil
}
func (c *channelLog) OnChannelsChanged(func(context.Context) error) {}

func openStore(t *testing.T, path string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func openPicture(t *testing.T, db *sqlite.DB) *live.Picture {
	t.Helper()
	log := &channelLog{chans: []*deconflict.Channel{{ID: "ru-nato", Members: []string{"RU", "NATO"}}}}
	p := live.New(log, db)
	p.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := p.Open(context.Background(), nil, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func hazard(id, owner string) detect.Zone {
	return detect.Zone{ID: id, Kind: detect.ZoneKind("hazard"), Owner: owner, Center: geo.LatLon{Lat: 55, Lon: 19}, RadiusM: 2000, MinAltM: math.NaN(), MaxAltM: math.NaN()}
}

// TestAddZoneConcurrent declares zones from many goroutines at once and
// reopens the picture over the same store: every zone survives. (When
// zones were one JSON list rewritten by each declaration, the last write
// could drop a zone another declaration had just added.)
func TestAddZoneConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "d.db")
	db := openStore(t, path)
	p := openPicture(t, db)
	ctx := context.Background()
	const n = 24
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- p.AddZone(ctx, deconflict.NodeAuthor, hazard(fmt.Sprintf("z%02d", i), "RU"))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p.Close()
	again := openPicture(t, db)
	if got, want := len(again.Zones()), n; got != want {
		t.Fatalf("%d zones after reopening, want %d", got, want)
	}
}

func TestZoneRules(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "d.db"))
	p := openPicture(t, db)
	ctx := context.Background()
	t.Run("ErrOtherOwner", func(t *testing.T) {
		err := p.AddZone(ctx, "NATO", hazard("h1", "RU"))
		if got, want := deconflict.ErrorCode(err), deconflict.EFORBIDDEN; got != want {
			t.Fatalf("NATO declaring RU's zone: %v, want %s", err, want)
		}
	})
	t.Run("OK", func(t *testing.T) {
		if err := p.AddZone(ctx, "RU", hazard("h1", "RU")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrTaken", func(t *testing.T) {
		err := p.AddZone(ctx, deconflict.NodeAuthor, hazard("h1", "NATO"))
		if got, want := deconflict.ErrorCode(err), deconflict.ECONFLICT; got != want {
			t.Fatalf("second zone h1: %v, want %s", err, want)
		}
	})
	t.Run("ErrRefusedByEngine", func(t *testing.T) {
		z := hazard("bad", "RU")
		z.RadiusM = 0 // neither a circle nor a polygon
		err := p.AddZone(ctx, "RU", z)
		if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
			t.Fatalf("zone without area: %v, want %s", err, want)
		}
		zs, _ := db.FindZones(ctx)
		for _, z := range zs {
			if z.ID == "bad" {
				t.Fatal("a zone the engine refused stays in the store")
			}
		}
	})
	t.Run("ErrRemoveOthers", func(t *testing.T) {
		err := p.RemoveZone(ctx, "NATO", "h1")
		if got, want := deconflict.ErrorCode(err), deconflict.EFORBIDDEN; got != want {
			t.Fatalf("NATO removing RU's zone: %v, want %s", err, want)
		}
	})
	t.Run("Remove", func(t *testing.T) {
		if err := p.RemoveZone(ctx, "RU", "h1"); err != nil {
			t.Fatal(err)
		}
		if zs := p.Zones(); len(zs) != 0 {
			t.Fatalf("zones after removal: %+v", zs)
		}
		if zs, _ := db.FindZones(ctx); len(zs) != 0 {
			t.Fatalf("stored zones after removal: %+v", zs)
		}
		err := p.RemoveZone(ctx, "RU", "h1")
		if got, want := deconflict.ErrorCode(err), deconflict.ENOTFOUND; got != want {
			t.Fatalf("removing again: %v, want %s", err, want)
		}
	})
}

// TestAssetsKept: declared assets are stored per party and attribute
// tracks after a restart.
func TestAssetsKept(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "d.db"))
	ctx := context.Background()
	for _, id := range []string{"RU", "NATO"} {
		if err := db.CreateParty(ctx, &deconflict.Party{ID: id, Created: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	p := openPicture(t, db)
	if err := p.DeclareAssets(ctx, "NATO", "RU", deconflict.Assets{MMSI: []string{"273111111"}}); deconflict.ErrorCode(err) != deconflict.EFORBIDDEN {
		t.Fatalf("NATO declaring RU's assets: %v, want forbidden", err)
	}
	if err := p.DeclareAssets(ctx, "RU", "XX", deconflict.Assets{}); deconflict.ErrorCode(err) != deconflict.EFORBIDDEN {
		t.Fatalf("RU declaring XX's assets: %v, want forbidden", err)
	}
	if err := p.DeclareAssets(ctx, "RU", "RU", deconflict.Assets{MMSI: []string{"211234560"}}); err != nil {
		t.Fatal(err)
	}
	p.Close()
	again := openPicture(t, db)
	if got, want := fmt.Sprint(again.DeclaredAssets()), fmt.Sprint(map[string]deconflict.Assets{"RU": {MMSI: []string{"211234560"}}}); got != want {
		t.Fatalf("assets after reopening %s, want %s", got, want)
	}
}

// TestZoneIntrusion: a declared zone reaches the engine: another party's
// ship inside it is an intrusion, alerted on the channel both share.
func TestZoneIntrusion(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "d.db"))
	log := &channelLog{chans: []*deconflict.Channel{{ID: "ru-nato", Members: []string{"RU", "NATO"}}}}
	p := live.New(log, db)
	p.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	if err := p.Open(ctx, nil, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.AddZone(ctx, "NATO", hazard("mha", "NATO")); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	r := deconflict.Report{Time: now, ID: "ru-frigate", Domain: deconflict.Sea, Source: "csv", Party: "RU", Lat: 55, Lon: 19, AltM: deconflict.Unknown,
		SpeedMS: 5, CourseDeg: 90, ClimbMS: deconflict.Unknown}
	if err := p.Ingest(ctx, deconflict.NodeAuthor, []deconflict.Report{r}); err != nil {
		t.Fatal(err)
	}
	sub := p.Subscribe()
	defer p.Unsubscribe(sub)
	deadline := time.After(10 * time.Second)
	for {
		if encs := p.Encounters(ctx, deconflict.NodeAuthor, false); len(encs) > 0 {
			if got, want := encs[0].Zone, "mha"; got != want {
				t.Fatalf("encounter zone %q, want %q", got, want)
			}
			return
		}
		select {
		case <-sub:
		case <-deadline:
			t.Fatal("no zone encounter for a ship inside another party's zone")
		}
	}
}

// TestAlertPostedToChannelLog: a RU and a NATO ship head-on become an
// encounter, posted through the channel log as a node alert on the
// channel both share, with a body in the logged format and, for a
// dangerous or critical tier, both parties asked to acknowledge.
func TestAlertPostedToChannelLog(t *testing.T) {
	db := openStore(t, filepath.Join(t.TempDir(), "d.db"))
	log := &channelLog{chans: []*deconflict.Channel{
		{ID: "ru-nato", Members: []string{"RU", "NATO"}},
		{ID: "ru-us", Members: []string{"RU", "US"}},
	}}
	p := live.New(log, db)
	p.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx := context.Background()
	if err := p.Open(ctx, nil, detect.Config{}); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	now := time.Now().UTC()
	ship := func(id, party string, lon, course float64) deconflict.Report {
		return deconflict.Report{Time: now, ID: id, Domain: deconflict.Sea, Source: "csv", Party: party, Lat: 55, Lon: lon,
			AltM: deconflict.Unknown, SpeedMS: 10, CourseDeg: course, ClimbMS: deconflict.Unknown}
	}
	// 1.3 km apart on one parallel, closing at 20 m/s: CPA 0 m in about a minute.
	if err := p.Ingest(ctx, deconflict.NodeAuthor, []deconflict.Report{ship("ru", "RU", 19, 90), ship("nato", "NATO", 19.02, 270)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		log.mu.Lock()
		posts := append([]*deconflict.Payload(nil), log.posts...)
		log.mu.Unlock()
		if len(posts) > 0 {
			a := posts[0]
			if a.Kind != deconflict.KindAlert || a.Channel != "ru-nato" {
				t.Fatalf("posted %s on %s, want an alert on ru-nato", a.Kind, a.Channel)
			}
			var b deconflict.AlertBody
			if err := json.Unmarshal(a.Body, &b); err != nil {
				t.Fatal(err)
			}
			if b.Event != "opened" || b.Incident == "" || b.Encounter.PartyA == b.Encounter.PartyB || b.Encounter.Domain != deconflict.Sea {
				t.Fatalf("alert body %+v", b)
			}
			if b.Encounter.Severity == "critical" || b.Encounter.Severity == "dangerous" {
				if fmt.Sprint(a.AckFrom) != "[NATO RU]" {
					t.Fatalf("%s alert asks %v to acknowledge, want [NATO RU]", b.Encounter.Severity, a.AckFrom)
				}
			}
			for _, q := range posts {
				if q.Channel == "ru-us" {
					t.Fatalf("alert posted on ru-us, which NATO is not a member of")
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no alert posted for two ships head-on")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
