package main_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
	_ "modernc.org/sqlite"
)

// recordFixture is a data directory holding channel ru-us with 10
// messages, and the keys of RU and US, made once by an honest node.
type recordFixture struct {
	dir, data string
}

func newRecordFixture(t *testing.T) *recordFixture {
	t.Helper()
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr := freeAddr(t)
	node := startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + filepath.Join(dir, "state")}}
	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)
	for i := 0; i < 10; i++ {
		c.run(false, "send", "--channel", "ru-us", "--key", "us.key", "--receipt", fmt.Sprintf("r%d.json", i), fmt.Sprintf("message %d", i))
	}
	node.Process.Signal(syscall.SIGTERM)
	node.Wait()
	return &recordFixture{dir: dir, data: data}
}

// copyDir copies the fixture's data into a fresh directory.
func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(from)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func editDB(t *testing.T, data string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(data, "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// health reads /healthz as the operator (signed with DATA/node.key), who
// alone is told which channels are refused.
func health(t *testing.T, addr, data string) map[string]any {
	t.Helper()
	key, err := custody.ReadKeyFile(filepath.Join(data, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/healthz", nil)
	k, ts, sig := dhttp.SignRequest(key, "GET", "/healthz", time.Now(), nil)
	req.Header.Set(dhttp.HeaderKey, k)
	req.Header.Set(dhttp.HeaderTime, ts)
	req.Header.Set(dhttp.HeaderSig, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var h map[string]any
	json.Unmarshal(b, &h)
	return h
}

// startServeArgs starts serve with extra flags.
func startServeArgs(t *testing.T, dir, data, addr string, extra ...string) *exec.Cmd {
	t.Helper()
	cmd := startServeWith(t, dir, append([]string{"serve", "--data", data, "--addr", addr, "--tick", "50ms"}, extra...))
	return cmd
}

// TestTamperingDetected edits the SQLite file of a stopped node in each
// way the record issue names, then checks that the node refuses the
// channel at start-up naming the index, and that a member's verify
// (against a node made to serve the altered store) fails naming it too.
func TestTamperingDetected(t *testing.T) {
	fx := newRecordFixture(t)
	for _, tc := range []struct {
		name   string
		edit   func(t *testing.T, data string)
		health string // what the start-up check must say
		verify string // what verify must say
	}{
		{"ChangeOneByte", func(t *testing.T, data string) {
			editDB(t, data, `UPDATE envelopes SET payload = CAST(replace(CAST(payload AS TEXT), 'message 4', 'message X') AS BLOB) WHERE channel = 'ru-us' AND idx = 4`)
		}, "index 4", "index 4"},
		{"DeleteRow", func(t *testing.T, data string) {
			editDB(t, data, `DELETE FROM envelopes WHERE channel = 'ru-us' AND idx = 6`)
		}, "index 6", "index 6"},
		{"SwapRows", func(t *testing.T, data string) {
			editDB(t, data,
				`UPDATE envelopes SET idx = -1 WHERE channel = 'ru-us' AND idx = 2`,
				`UPDATE envelopes SET idx = 2 WHERE channel = 'ru-us' AND idx = 3`,
				`UPDATE envelopes SET idx = 3 WHERE channel = 'ru-us' AND idx = -1`)
		}, "index 2", "index 2"},
		{"Truncate", func(t *testing.T, data string) {
			editDB(t, data, `DELETE FROM envelopes WHERE channel = 'ru-us' AND idx >= 7`, `DELETE FROM log_hashes WHERE channel = 'ru-us' AND n >= 13`)
		}, "index 7", "index 7"},
		{"ReplaceNodeKey", func(t *testing.T, data string) {
			os.Remove(filepath.Join(data, "node.key"))
			c := &cli{t: t, dir: t.TempDir()}
			c.run(false, "keygen", "--out", filepath.Join(data, "node.key"))
		}, "not signed by", "not the key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			data := filepath.Join(dir, "data")
			copyDir(t, fx.data, data)
			for _, k := range []string{"ru.key", "us.key"} {
				b, _ := os.ReadFile(filepath.Join(fx.dir, k))
				os.WriteFile(filepath.Join(dir, k), b, 0o600)
			}
			state := filepath.Join(dir, "state")
			addr := freeAddr(t)
			c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + state}}
			// A member audits the honest log first, pinning the node key.
			honest := startServeArgs(t, dir, data, addr)
			if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "OK: 10 envelopes") {
				t.Fatalf("honest verify: %q", out)
			}
			honest.Process.Signal(syscall.SIGTERM)
			honest.Wait()

			tc.edit(t, data)

			// The node refuses the channel at start-up, naming the fault.
			n1 := startServeArgs(t, dir, data, addr)
			h := health(t, addr, data)
			refused, _ := h["refused_channels"].(map[string]any)
			reason, _ := refused["ru-us"].(string)
			if !strings.Contains(reason, tc.health) {
				t.Fatalf("health %v: ru-us refusal %q does not say %q", h, reason, tc.health)
			}
			if e := c.run(true, "watch", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(e, "refused") {
				t.Fatalf("watch on a refused channel: %q", e)
			}
			n1.Process.Signal(syscall.SIGTERM)
			n1.Wait()

			// A member's verify catches it on a node that serves the altered store.
			startServeArgs(t, dir, data, addr, "--serve-altered")
			out := c.run(true, "verify", "--channel", "ru-us", "--key", "ru.key")
			if !strings.Contains(out, "FAILED") || !strings.Contains(out, tc.verify) {
				t.Fatalf("verify of the altered log: %q, want FAILED naming %q", out, tc.verify)
			}
		})
	}
}

// TestRollbackCaught restores a node's data directory from an old copy:
// the member's second verify demands consistency with what it verified
// before and catches the rollback.
func TestRollbackCaught(t *testing.T) {
	fx := newRecordFixture(t)
	dir := fx.dir
	state := filepath.Join(dir, "state2")
	addr := freeAddr(t)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_STATE=" + state}}
	old := filepath.Join(dir, "old-copy")
	copyDir(t, fx.data, old)
	n := startServeArgs(t, dir, fx.data, addr)
	for i := 0; i < 5; i++ {
		c.run(false, "send", "--channel", "ru-us", "--key", "us.key", fmt.Sprintf("later %d", i))
	}
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "OK: 15 envelopes") {
		t.Fatalf("verify: %q", out)
	}
	n.Process.Signal(syscall.SIGTERM)
	n.Wait()
	// The operator restores the old copy: an honest-looking, smaller log.
	os.RemoveAll(fx.data)
	copyDir(t, old, fx.data)
	startServeArgs(t, dir, fx.data, addr)
	if h := health(t, addr, fx.data); h["status"] != "ok" {
		t.Fatalf("the restored node passes its own check (it is consistent with itself): %v", h)
	}
	out := c.run(true, "verify", "--channel", "ru-us", "--key", "ru.key")
	if !strings.Contains(out, "FAILED") || !strings.Contains(out, "rollback") {
		t.Fatalf("second verify after the rollback: %q, want FAILED naming the rollback", out)
	}
}

// TestReceiptsVerifyOffline checks every saved receipt without a node,
// and that an altered receipt fails.
func TestReceiptsVerifyOffline(t *testing.T) {
	fx := newRecordFixture(t)
	c := &cli{t: t, dir: fx.dir}
	// The node key comes from the party's own records (here the node's
	// key file), not from the receipt.
	nodeKey := pubOf(t, filepath.Join(fx.data, "node.key"))
	for i := 0; i < 10; i++ {
		out := c.run(false, "verify", "--receipt", fmt.Sprintf("r%d.json", i), "--node-key", nodeKey)
		if !strings.Contains(out, "receipt OK") || !strings.Contains(out, fmt.Sprintf("index %d", i)) || strings.Contains(out, "taken from the receipt") {
			t.Fatalf("receipt %d: %q", i, out)
		}
	}
	// A receipt signed by another node key fails against the pinned one.
	other := strings.TrimSpace(c.run(false, "keygen", "--out", "other.key"))
	if out := c.run(true, "verify", "--receipt", "r0.json", "--node-key", other); !strings.Contains(out, "FAILED") || !strings.Contains(out, "not the trusted node key") {
		t.Fatalf("receipt against another node key: %q", out)
	}
	b, _ := os.ReadFile(filepath.Join(fx.dir, "r3.json"))
	var r map[string]any
	json.Unmarshal(b, &r)
	r["index"] = 4
	b, _ = json.Marshal(r)
	os.WriteFile(filepath.Join(fx.dir, "bad.json"), b, 0o600)
	if out := c.run(true, "verify", "--receipt", "bad.json", "--node-key", nodeKey); !strings.Contains(out, "FAILED") {
		t.Fatalf("altered receipt: %q", out)
	}
}
