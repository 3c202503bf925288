package main_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRenotifyEndToEnd: a channel created with --renotify flash=1s
// notifies an unacknowledged FLASH again, as a node-signed renotify
// envelope members see with watch; 'channel policy --renotify flash=0s'
// turns it off and says so.
func TestRenotifyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	if e := c.run(true, "channel", "create", "bad", "--members", "RU,US", "--renotify", "routine=1m", "--data", data); !strings.Contains(e, "only flash and immediate") {
		t.Fatalf("--renotify routine: %q", e)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--renotify", "flash=1s", "--data", data)
	c.run(false, "send", "--channel", "ru-us", "--precedence", "flash", "--key", "us.key", "turn away")
	var found *envLine
	for deadline := time.Now().Add(20 * time.Second); found == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, e := range parseLines(t, c.run(false, "watch", "--channel", "ru-us", "--key", "us.key")) {
			if e.Kind == "renotify" {
				found = &e
				break
			}
		}
	}
	if found == nil || found.Author != "node" || *found.Payload.Ack != 0 || strings.Join(found.Payload.AckFrom, ",") != "RU" ||
		!strings.Contains(found.Payload.Text, "FLASH message 0 from US still not acknowledged by RU (re-notification ") || !strings.HasSuffix(found.Payload.Text, " of 6, every 1s)") {
		t.Fatalf("renotify: %+v", found)
	}
	if out := c.run(false, "channel", "policy", "ru-us", "--renotify", "flash=0s", "--data", data); !strings.Contains(out, "re-notify flash 0s immediate 5m0s") {
		t.Fatalf("channel policy --renotify flash=0s: %q", out)
	}
}
