package main_test

import (
	"bytes"
	"crypto/ed25519"
	"database/sql"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
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

// pubOf returns the public key (base64) of a key file.
func pubOf(t *testing.T, path string) string {
	t.Helper()
	k, err := custody.ReadKeyFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return deconflict.EncodeKey(k.Public().(ed25519.PublicKey))
}

// TestReceiptsCheckedAgainstLog: the operator rewrites the log without
// message 5 (a new data directory with the same node key, the parties'
// real envelopes resubmitted but one). The new log is consistent with
// itself, so a member's first audit passes; but US, who holds the
// receipts of its messages (send keeps them in the verify state), gets a
// failure from 'verify --channel' naming the receipt, and from 'verify
// --receipt' with its key; offline the receipt still proves delivery.
func TestReceiptsCheckedAgainstLog(t *testing.T) {
	fx := newRecordFixture(t)
	state := filepath.Join(fx.dir, "state") // the fixture's sends kept their receipts here
	nodeKey := pubOf(t, filepath.Join(fx.data, "node.key"))

	// The rewritten node: same key (so the same name and origins).
	data := filepath.Join(fx.dir, "rewritten")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(fx.data, "node.key"))
	os.WriteFile(filepath.Join(data, "node.key"), b, 0o600)
	addr := freeAddr(t)
	startServe(t, fx.dir, data, addr)
	c := &cli{t: t, dir: fx.dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + state}}
	for _, p := range []string{"RU", "US"} {
		c.run(false, "party", "add", p, "--pubkey", pubOf(t, filepath.Join(fx.dir, strings.ToLower(p)+".key")), "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)
	db, err := sql.Open("sqlite", filepath.Join(fx.data, "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Query(`SELECT idx, payload, key, sig FROM envelopes WHERE channel = 'ru-us' ORDER BY idx`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var idx int64
		var payload, key, sig []byte
		if err := rows.Scan(&idx, &payload, &key, &sig); err != nil {
			t.Fatal(err)
		}
		if idx == 5 {
			continue
		}
		body, _ := json.Marshal(map[string][]byte{"payload": payload, "key": key, "sig": sig})
		resp, err := http.Post("http://"+addr+"/v1/channels/ru-us/envelopes", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("resubmitting envelope %d: status %s", idx, resp.Status)
		}
	}
	rows.Close()
	db.Close()

	// RU, auditing for the first time, cannot tell.
	fresh := &cli{t: t, dir: fx.dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + filepath.Join(fx.dir, "ru-state")}}
	if out := fresh.run(false, "verify", "--channel", "ru-us", "--key", "ru.key", "--node-key", nodeKey); !strings.Contains(out, "OK: 9 envelopes") {
		t.Fatalf("RU's first audit of the rewritten log: %q", out)
	}
	// US holds the receipts: its audit fails, naming the receipt.
	out := c.run(true, "verify", "--channel", "ru-us", "--key", "us.key", "--node-key", nodeKey)
	if !strings.Contains(out, "FAILED") || !strings.Contains(out, "receipt") || !strings.Contains(out, "index 5") {
		t.Fatalf("US's audit with its receipts: %q, want FAILED naming the receipt of index 5", out)
	}
	out = c.run(true, "verify", "--receipt", "r5.json", "--key", "us.key", "--node-key", nodeKey)
	if !strings.Contains(out, "FAILED") || !strings.Contains(out, "index 5") {
		t.Fatalf("verify --receipt r5.json against the rewritten log: %q, want FAILED", out)
	}
	// The receipts of messages the rewrite kept in place (0 to 4) still hold.
	if out := c.run(false, "verify", "--receipt", "r4.json", "--key", "us.key", "--node-key", nodeKey); !strings.Contains(out, "still in the node's log") {
		t.Fatalf("verify --receipt r4.json: %q", out)
	}
	// Offline, the receipt still proves that the node accepted message 5.
	if out := c.run(false, "verify", "--receipt", "r5.json", "--node-key", nodeKey); !strings.Contains(out, "receipt OK") || !strings.Contains(out, "checked offline") {
		t.Fatalf("offline verify --receipt r5.json: %q", out)
	}
}

// TestOperatorCannotSpeakForParty: the red-team scenario of the keys
// issue. The operator adds a key for US and signs a FLASH as US: today's
// node must refuse the key unless it is an emergency re-keying, and then
// every member's verify reports the re-keying and fails until the member
// accepts it. Keys US adds itself, signed with its own key, verify clean.
func TestOperatorCannotSpeakForParty(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + filepath.Join(dir, "ru-state")}}
	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)
	c.run(false, "send", "--channel", "ru-us", "--key", "us.key", "hello from US")
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "OK: 1 envelopes") {
		t.Fatalf("RU's first verify: %q", out)
	}

	// The operator tries to add a key for US.
	evil := strings.TrimSpace(c.run(false, "keygen", "--out", "evil.key"))
	if out := c.run(true, "party", "key-add", "US", "--pubkey", evil, "--data", data); !strings.Contains(out, "emergency") {
		t.Fatalf("operator's key-add for US: %q, want a refusal naming the emergency re-keying", out)
	}
	if out := c.run(true, "send", "--channel", "ru-us", "--key", "evil.key", "--precedence", "flash", "FLASH as US"); !strings.Contains(out, "not registered") {
		t.Fatalf("FLASH with the operator's key: %q, want refused", out)
	}
	// As an emergency re-keying it goes through, and RU's verify says so loudly.
	c.run(false, "party", "key-add", "US", "--pubkey", evil, "--data", data, "--emergency", "--reason", "US reports its key lost")
	c.run(false, "send", "--channel", "ru-us", "--key", "evil.key", "--precedence", "flash", "FLASH as US")
	out := c.run(true, "verify", "--channel", "ru-us", "--key", "ru.key")
	if !strings.Contains(out, "FAILED") || !strings.Contains(out, "EMERGENCY RE-KEYING") || !strings.Contains(out, "--accept-rekey") {
		t.Fatalf("RU's verify after the operator re-keyed US: %q, want FAILED naming the re-keying", out)
	}
	// RU confirms it with US out of band and accepts it, once.
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key", "--accept-rekey"); !strings.Contains(out, "WARNING") || !strings.Contains(out, "OK: 2 envelopes") {
		t.Fatalf("verify --accept-rekey: %q", out)
	}
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "accepted before") || !strings.Contains(out, "OK: 2 envelopes") {
		t.Fatalf("verify after accepting: %q", out)
	}

	// US adds and later revokes a key of its own: no warning, no failure.
	us2 := strings.TrimSpace(c.run(false, "keygen", "--out", "us2.key"))
	c.run(false, "party", "key-add", "US", "--pubkey", us2, "--key", "us.key")
	c.run(false, "send", "--channel", "ru-us", "--key", "us2.key", "from US's second key")
	c.run(false, "party", "key-revoke", "--pubkey", us2, "--key", "us.key", "--reason", "rotated")
	if out := c.run(true, "send", "--channel", "ru-us", "--key", "us2.key", "after revocation"); !strings.Contains(out, "revoked") {
		t.Fatalf("send with a revoked key: %q", out)
	}
	out = c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key", "--party-key", "US="+pubOf(t, filepath.Join(dir, "us.key")))
	if !strings.Contains(out, "OK: 3 envelopes") || strings.Count(out, "WARNING") != 1 {
		t.Fatalf("verify after US's own key changes: %q, want OK with only the accepted re-keying's warning", out)
	}
	// A pinned first key that is not US's fails.
	if out := c.run(true, "verify", "--channel", "ru-us", "--key", "ru.key", "--party-key", "US="+evil); !strings.Contains(out, "not the key") {
		t.Fatalf("verify with a wrong pinned key: %q", out)
	}
}
