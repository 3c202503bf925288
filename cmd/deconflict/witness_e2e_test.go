package main_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/witnesstest"
	"golang.org/x/mod/sumdb/note"
)

// startWitnessServe starts 'deconflict witness serve' and returns its
// verifier key (the first line it prints on first start) and the process.
func startWitnessServe(t *testing.T, dir, data, addr, name string) (string, *exec.Cmd) {
	t.Helper()
	out := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "witness", "serve", "--data", data, "--addr", addr, "--name", name)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); f.Close() })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(out)
		if strings.Contains(string(b), "listening on") {
			vkey, _, _ := strings.Cut(string(b), "\n")
			if !strings.HasPrefix(vkey, name+"+") {
				t.Fatalf("witness serve printed %q first, want its verifier key", b)
			}
			return vkey, cmd
		}
	}
	b, _ := os.ReadFile(out)
	t.Fatalf("witness serve did not start:\n%s", b)
	return "", nil
}

func stopProcess(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
}

// TestWitnessEndToEnd: each party runs 'deconflict witness serve', a third
// witness is torchwood's litewitness; the operator sets the channel's
// witness policy; messages get receipts at once and cosigned tlog-proof
// files after; verify --policy passes. A witness that goes away makes
// verify --policy fail naming it. Then the host rolls the store back and
// writes another history: every witness refuses it, and a member's verify
// --policy fails naming each of them.
func TestWitnessEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	srv := startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)

	var info struct{ Name, Key string }
	if err := json.Unmarshal(httpGet(t, "http://"+addr+"/v1/node"), &info); err != nil {
		t.Fatal(err)
	}
	pub, err := deconflict.DecodeKey(info.Key)
	if err != nil {
		t.Fatal(err)
	}
	origin := info.Name + "/ru-us"
	logKey, _ := note.NewEd25519VerifierKey(origin, pub)

	ruAddr, usAddr := freeAddr(t), freeAddr(t)
	ruKey, _ := startWitnessServe(t, dir, filepath.Join(dir, "ru-witness"), ruAddr, "ru.test/witness")
	usKey, usW := startWitnessServe(t, dir, filepath.Join(dir, "us-witness"), usAddr, "us.test/witness")
	if out := c.run(true, "witness", "serve", "--data", filepath.Join(dir, "ru-witness"), "--addr", freeAddr(t)); !strings.Contains(out, "in use by another 'witness serve'") {
		t.Fatalf("a second witness serve on the same data directory: %q", out)
	}
	lw := witnesstest.StartLitewitness(t, "lw.test/witness", origin, logKey)
	policy := "# ru-us: every member's witness and an independent one\n" +
		"log " + logKey + "\n" +
		"witness RU-W " + ruKey + " http://" + ruAddr + "\n" +
		"witness US-W " + usKey + " http://" + usAddr + "\n" +
		"witness LW " + lw.VKey + " " + lw.URL + "\n" +
		"group all-three all RU-W US-W LW\nquorum all-three\n"
	if err := os.WriteFile(filepath.Join(dir, "ru-us.policy"), []byte(policy), 0o644); err != nil {
		t.Fatal(err)
	}
	out := c.run(false, "channel", "witnesses", "ru-us", "--policy", "ru-us.policy", "--data", data)
	if !strings.Contains(out, "origin "+origin+"\n") || !strings.Contains(out, "log key "+logKey+"\n") {
		t.Fatalf("channel witnesses: %q, want the origin and log key", out)
	}
	for _, w := range []string{"ru-witness", "us-witness"} {
		c.run(false, "witness", "add-log", "--data", filepath.Join(dir, w), origin, logKey)
	}

	out = c.run(false, "send", "--channel", "ru-us", "--key", "ru.key", "--receipt", "m1.tlog-proof", "--policy", "ru-us.policy", "Two Su-34 entering sector 4")
	if !strings.Contains(out, "accepted: channel ru-us index 1") || !strings.Contains(out, "cosigned by RU-W, US-W, LW (the policy's quorum)") {
		t.Fatalf("send: %q", out)
	}
	out = c.run(false, "verify", "--receipt", "m1.tlog-proof", "--policy", "ru-us.policy")
	if !strings.Contains(out, "tlog-proof OK") || !strings.Contains(out, "by RU (message") || !strings.Contains(out, "cosigned by RU-W, US-W, LW") {
		t.Fatalf("verify --receipt: %q", out)
	}
	out = c.run(false, "verify", "--channel", "ru-us", "--key", "us.key", "--policy", "ru-us.policy", "--state", "us-state")
	if !strings.Contains(out, "channel ru-us OK: 2 envelopes") || !strings.Contains(out, "cosigned by RU-W, US-W, LW, the policy's quorum") {
		t.Fatalf("verify --policy: %q", out)
	}
	out = c.run(false, "channel", "witnesses", "ru-us", "--key", "us.key")
	if strings.Count(out, "\tok\t2\t") != 3 {
		t.Fatalf("channel witnesses (status): %q", out)
	}
	if out := c.run(false, "witness", "logs", "--data", filepath.Join(dir, "ru-witness")); !strings.Contains(out, `"size":2`) {
		t.Fatalf("witness logs: %q", out)
	}

	// A tampered tlog-proof fails offline.
	b, _ := os.ReadFile(filepath.Join(dir, "m1.tlog-proof"))
	os.WriteFile(filepath.Join(dir, "bad.tlog-proof"), []byte(strings.Replace(string(b), "index 1\n", "index 0\n", 1)), 0o644)
	if out := c.run(true, "verify", "--receipt", "bad.tlog-proof", "--policy", "ru-us.policy"); !strings.Contains(out, "index 0 is not proved") {
		t.Fatalf("verify of a tampered tlog-proof: %q", out)
	}

	// The US witness goes away: the next checkpoint lacks its cosignature.
	stopProcess(t, usW)
	c.run(false, "send", "--channel", "ru-us", "--key", "us.key", "Acknowledged, sector 4")
	out = c.run(true, "verify", "--channel", "ru-us", "--key", "us.key", "--policy", "ru-us.policy", "--state", "us-state", "--wait", "2s")
	if !strings.Contains(out, "no cosignature from US-W") || !strings.Contains(out, "the node reports witness US-W unreachable") {
		t.Fatalf("verify --policy without US-W: %q", out)
	}
	_, usW = startWitnessServeAgain(t, dir, filepath.Join(dir, "us-witness"), usAddr, "us.test/witness")
	out = c.run(false, "verify", "--channel", "ru-us", "--key", "us.key", "--policy", "ru-us.policy", "--state", "us-state", "--wait", "30s")
	if !strings.Contains(out, "channel ru-us OK: 3 envelopes") {
		t.Fatalf("verify --policy after US-W came back: %q", out)
	}

	// Split view: the host keeps a copy of the store at 3 envelopes, goes
	// on honestly to 5, then serves the copy extended differently.
	stopProcess(t, srv)
	snapshot := filepath.Join(dir, "snapshot")
	copyTree(t, data, snapshot)
	srv = startServe(t, dir, data, addr)
	c.run(false, "send", "--channel", "ru-us", "--key", "us.key", "US objects to the intercept")
	c.run(false, "send", "--channel", "ru-us", "--key", "us.key", "--receipt", "m4.tlog-proof", "--policy", "ru-us.policy", "US requests a meeting")
	stopProcess(t, srv)
	os.RemoveAll(data)
	copyTree(t, snapshot, data)
	startServe(t, dir, data, addr)
	for _, text := range []string{"RU: no objection received", "RU: routine transit", "RU: routine transit 2", "RU: routine transit 3"} {
		c.run(false, "send", "--channel", "ru-us", "--key", "ru.key", text)
	}
	// A member that never audited before sees only the forked log: its
	// own audit passes, the witnesses' do not.
	out = c.run(true, "verify", "--channel", "ru-us", "--key", "ru.key", "--policy", "ru-us.policy", "--state", "ru-fresh-state", "--wait", "3s")
	for _, w := range []string{"RU-W", "US-W", "LW"} {
		if !strings.Contains(out, "the node reports witness "+w+" refused") {
			t.Fatalf("verify --policy of the fork: %q, want %s named as refusing", out, w)
		}
	}
	if !strings.Contains(out, "no cosignature from RU-W, US-W, LW") {
		t.Fatalf("verify --policy of the fork: %q", out)
	}
	// The cosigned receipt of the honest history still verifies offline.
	if out := c.run(false, "verify", "--receipt", "m4.tlog-proof", "--policy", "ru-us.policy"); !strings.Contains(out, "tlog-proof OK") {
		t.Fatalf("verify --receipt of the honest receipt: %q", out)
	}
}

// startWitnessServeAgain restarts a witness on its data directory (no
// verifier key is printed after the first start).
func startWitnessServeAgain(t *testing.T, dir, data, addr, name string) (string, *exec.Cmd) {
	t.Helper()
	out := filepath.Join(dir, strings.ReplaceAll(name, "/", "_")+".out2")
	f, _ := os.Create(out)
	cmd := exec.Command(binary, "witness", "serve", "--data", data, "--addr", addr)
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); f.Close() })
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		b, _ := os.ReadFile(out)
		if strings.Contains(string(b), "listening on") {
			if strings.HasPrefix(string(b), name+"+") {
				t.Fatalf("witness serve printed its key again on a second start: %q", b)
			}
			return "", cmd
		}
	}
	t.Fatal("witness serve did not restart")
	return "", nil
}

func copyTree(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// TestDemoWitnesses: the demo runs a witness per party; every channel's
// checkpoints carry its members' cosignatures, and a member's verify with
// the policy the demo wrote passes.
func TestDemoWitnesses(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	cmd := exec.Command(binary, "demo", "--addr", addr, "--data", data)
	cmd.Dir = dir
	out, _ := os.Create(filepath.Join(dir, "demo.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var printed []byte
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if printed, _ = os.ReadFile(filepath.Join(dir, "demo.out")); strings.Contains(string(printed), "Scenario:") {
			break
		}
	}
	for _, p := range []string{"RU", "NATO", "US", "FR"} {
		if !strings.Contains(string(printed), p+"'s witness "+strings.ToLower(p)+".demo/witness at http://127.0.0.1:") {
			t.Fatalf("demo did not print %s's witness:\n%s", p, printed)
		}
	}
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	keys := filepath.Join(data, "party-keys")
	for _, ch := range []struct{ id, a, b string }{{"ru-nato", "RU", "NATO"}, {"ru-us-syria", "RU", "US"}, {"ru-fr", "RU", "FR"}} {
		got := c.run(false, "verify", "--channel", ch.id, "--key", filepath.Join(keys, ch.b+".key"), "--policy", filepath.Join(data, "policies", ch.id+".policy"), "--state", filepath.Join(dir, "state-"+ch.b), "--wait", "30s")
		if !strings.Contains(got, "cosigned by "+ch.a+"-witness, "+ch.b+"-witness, the policy's quorum") {
			t.Fatalf("verify %s --policy: %q", ch.id, got)
		}
	}
}
