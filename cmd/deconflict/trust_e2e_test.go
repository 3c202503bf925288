package main_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestChannelPolicyEndToEnd: 'channel policy' changes only what it names
// (it used to reset the other deadlines and delete the webhooks), and the
// change is a node-signed envelope members see in the log.
func TestChannelPolicyEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + filepath.Join(dir, "state")}}
	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--ack", "flash=1m", "--webhook", "http://127.0.0.1:9/escalate", "--data", data)
	c.run(false, "channel", "policy", "ru-us", "--ack", "immediate=5m", "--data", data)

	var ch struct {
		Policy struct {
			AckDeadlines map[string]string `json:"ack_deadlines"`
			Webhooks     []string          `json:"webhooks"`
		} `json:"policy"`
	}
	if err := json.Unmarshal([]byte(c.run(false, "channel", "list", "--json", "--key", "ru.key")), &ch); err != nil {
		t.Fatal(err)
	}
	if got, want := ch.Policy.AckDeadlines["flash"], "1m0s"; got != want {
		t.Errorf("flash deadline %q after 'channel policy --ack immediate=5m', want %q", got, want)
	}
	if got, want := ch.Policy.AckDeadlines["immediate"], "5m0s"; got != want {
		t.Errorf("immediate deadline %q, want %q", got, want)
	}
	if got, want := strings.Join(ch.Policy.Webhooks, ","), "http://127.0.0.1:9/escalate"; got != want {
		t.Errorf("webhooks %q after a deadline-only change, want %q", got, want)
	}
	lines := parseLines(t, c.run(false, "watch", "--channel", "ru-us", "--key", "ru.key"))
	if len(lines) != 1 || lines[0].Kind != "policy" || lines[0].Author != "node" || !strings.Contains(lines[0].Payload.Text, "immediate acknowledgement deadline 10m0s -> 5m0s") {
		t.Fatalf("RU's watch after the policy change: %+v", lines)
	}
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "OK") || !strings.Contains(out, "index 0: channel policy changed by the node operator") {
		t.Fatalf("verify: %q", out)
	}
}
