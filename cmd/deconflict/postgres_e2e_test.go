package main_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/jackc/pgx/v5"
)

// TestServeOnPostgres runs the binary with --db on a real PostgreSQL:
// parties, a channel, messages with an acknowledgement, watch and verify;
// then a restart that keeps everything, and an edit of the database that
// the start-up check refuses.
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
