package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestServeOnPostgres runs the binary with --db on a real PostgreSQL:
// parties, a channel, messages with an acknowledgement, watch and verify,
// a report in the live picture, the console's page; then a restart that
// keeps everything, and an edit of the database that the start-up check
// refuses.
func TestServeOnPostgres(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	dsn := pg.NewDatabase(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr := freeAddr(t)
	args := []string{"serve", "--data", data, "--addr", addr, "--tick", "50ms"}
	node := startServeWith(t, dir, append(args, "--db", dsn))
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + filepath.Join(dir, "state")}}
	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)
	for i := 0; i < 5; i++ {
		if out := c.run(false, "send", "--channel", "ru-us", "--key", "us.key", fmt.Sprintf("message %d", i)); !strings.Contains(out, fmt.Sprintf("index %d", i)) {
			t.Fatalf("send %d: %q", i, out)
		}
	}
	c.run(false, "ack", "--channel", "ru-us", "0", "--key", "ru.key")
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "OK: 6 envelopes") {
		t.Fatalf("verify: %q", out)
	}
	// The live picture and the console run on it too.
	op := operatorClient(t, addr, data)
	f := func(v float64) *float64 { return &v }
	var raw json.RawMessage
	raw, _ = json.Marshal([]dhttp.ReportView{{Time: time.Now().UTC(), ID: "mmsi:211234560", Domain: deconflict.Sea, Lat: f(55.5), Lon: f(19), SpeedMS: f(5), CourseDeg: f(90)}})
	if err := op.Do(t.Context(), "POST", "/v1/reports", raw, nil); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var pic struct {
			Tracks []dhttp.TrackView `json:"tracks"`
		}
		if err := op.Do(t.Context(), "GET", "/v1/picture", nil, &pic); err != nil {
			t.Fatal(err)
		}
		if len(pic.Tracks) == 1 && pic.Tracks[0].ID == "mmsi:211234560" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the picture holds %+v, want the reported ship", pic.Tracks)
		}
	}
	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(strings.ToLower(string(page)), "<html") {
		t.Fatalf("console page: %s %.200q", resp.Status, page)
	}
	node.Process.Signal(syscall.SIGKILL)
	node.Wait()

	// The environment variable names the database as well as --db.
	t.Setenv("DECONFLICT_DB", dsn)
	node = startServeWith(t, dir, args)
	c.run(false, "send", "--channel", "ru-us", "--key", "us.key", "after restart")
	// Read as the author, whose reads log no seen envelopes.
	lines := parseLines(t, c.run(false, "watch", "--channel", "ru-us", "--key", "us.key"))
	if len(lines) != 7 || lines[5].Kind != "ack" || lines[6].Payload.Text != "after restart" {
		t.Fatalf("watch after restart: %+v", lines)
	}
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "OK: 7 envelopes") {
		t.Fatalf("verify after restart: %q", out)
	}
	node.Process.Signal(syscall.SIGTERM)
	node.Wait()

	ctx := context.Background()
	db, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(ctx)
	if _, err := db.Exec(ctx, `UPDATE envelopes SET payload = convert_to(replace(convert_from(payload, 'UTF8'), 'message 3', 'message X'), 'UTF8') WHERE channel = 'ru-us' AND idx = 3`); err != nil {
		t.Fatal(err)
	}
	startServeWith(t, dir, args)
	h := health(t, addr, data)
	refused, _ := h["refused_channels"].(map[string]any)
	if reason, _ := refused["ru-us"].(string); !strings.Contains(reason, "index 3") {
		t.Fatalf("health %v: ru-us refusal %q does not name index 3", h, reason)
	}
	if out := c.run(true, "serve", "--data", filepath.Join(dir, "other"), "--addr", freeAddr(t), "--db", "mysql://x"); !strings.Contains(out, "--db") {
		t.Fatalf("serve with a bad --db: %q", out)
	}
}
