package main_test

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
)

// operatorClient returns a client signing with the node key of a data dir.
func operatorClient(t *testing.T, addr, data string) *dhttp.Client {
	t.Helper()
	k, err := custody.ReadKeyFile(filepath.Join(data, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	return dhttp.NewClient("http://"+addr, k)
}

// TestIngestFromFileAndTCP feeds a running node from a recording file and
// from a TCP feed that a test server plays the recording into.
func TestIngestFromFileAndTCP(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_DATA=" + data}}
	op := operatorClient(t, addr, data)
	tracks := func() []dhttp.TrackView {
		var pic struct {
			Tracks []dhttp.TrackView `json:"tracks"`
		}
		if err := op.Do(t.Context(), "GET", "/v1/picture?lost=1", nil, &pic); err != nil {
			t.Fatal(err)
		}
		return pic.Tracks
	}
	recording, _ := filepath.Abs("../../testdata/ais/dma-aislib/stream_example.txt")
	// Posted as it is, a recording of 2010 would be swept at once: refused.
	if out := c.run(true, "ingest", "--format", "ais", recording); !strings.Contains(out, "--replay") {
		t.Fatalf("ingest of an old recording without --replay: %q, want a refusal naming --replay", out)
	}
	c.run(false, "ingest", "--format", "ais", "--replay", "--speed", "100", recording)
	deadline := time.Now().Add(20 * time.Second)
	var n int
	for time.Now().Before(deadline) {
		if n = len(tracks()); n > 50 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n <= 50 {
		t.Fatalf("after ingesting %s the picture has %d tracks, want the recording's ships", filepath.Base(recording), n)
	}

	// A TCP feed: an SBS recording served over a local socket.
	sbs, err := os.ReadFile("../../testdata/adsb/stratux/cyoung-09062015-noproblem-stratux-es.log")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		conn.Write(sbs)
		conn.Close()
	}()
	feed := exec.Command(binary, "ingest", "--format", "sbs", "--replay", "--speed", "1000", "tcp://"+ln.Addr().String())
	feed.Dir = dir
	feed.Env = append(os.Environ(), c.env...)
	if err := feed.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { feed.Process.Kill(); feed.Wait() }()
	var air int
	for time.Now().Before(deadline.Add(20 * time.Second)) {
		air = 0
		for _, tr := range tracks() {
			if tr.Domain == deconflict.Air && strings.HasPrefix(tr.ID, "icao:") {
				air++
			}
		}
		if air >= 20 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if air < 20 {
		t.Fatalf("after the TCP feed the picture has %d aircraft, want the recording's", air)
	}
}

// TestServeSource: a node started with --source feeds its own live
// picture from a file, and stops the feed when it stops.
func TestServeSource(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	// Positions of now, so that the picture keeps them (a recording's
	// would be swept as stale): 60 ships in a row off Gotland.
	var csv strings.Builder
	csv.WriteString("time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms\n")
	now := time.Now().UTC().Format(time.RFC3339)
	for i := range 60 {
		fmt.Fprintf(&csv, "%s,mmsi:2731%05d,RU,sea,%.3f,19.000,,5,90,\n", now, i, 56+float64(i)*0.01)
	}
	feed := filepath.Join(dir, "ships.csv")
	if err := os.WriteFile(feed, []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	node := startServeWith(t, dir, []string{"serve", "--data", data, "--addr", addr, "--source", feed, "--source-format", "csv"})
	op := operatorClient(t, addr, data)
	deadline := time.Now().Add(20 * time.Second)
	var n int
	for time.Now().Before(deadline) {
		var pic struct {
			Tracks []dhttp.TrackView `json:"tracks"`
		}
		if err := op.Do(t.Context(), "GET", "/v1/picture?lost=1", nil, &pic); err != nil {
			t.Fatal(err)
		}
		if n = len(pic.Tracks); n == 60 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n != 60 {
		t.Fatalf("serve --source %s: the picture has %d tracks, want the file's 60 ships", filepath.Base(feed), n)
	}
	node.Process.Signal(os.Interrupt)
	if err := node.Wait(); err != nil {
		t.Fatalf("serve after Ctrl-C: %v, want exit 0", err)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "serve.log")); !strings.Contains(string(log), "sources ended") || strings.Contains(string(log), "level=ERROR") {
		t.Errorf("serve.log does not say the sources ended cleanly:\n%s", log)
	}
}

// TestDemoEncounters runs the demo (at 10x) and expects its scripted
// encounters to alert RU and NATO on ru-nato, with a flash alert that
// both must acknowledge, within the first simulated minutes.
func TestDemoEncounters(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	cmd := exec.Command(binary, "demo", "--addr", addr, "--data", data, "--speed", "10")
	cmd.Dir = dir
	out, _ := os.Create(filepath.Join(dir, "demo.out"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// The demo prints its banner once its parties and channels are set up.
	start := time.Now()
	deadline := start.Add(60 * time.Second)
	var printed []byte
	for time.Now().Before(deadline) {
		if printed, _ = os.ReadFile(filepath.Join(dir, "demo.out")); strings.Contains(string(printed), "Scenario:") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(string(printed), "http://"+addr) || !strings.Contains(string(printed), "Scenario:") {
		t.Fatalf("demo did not print its address and scenario:\n%s", printed)
	}
	nato, err := custody.ReadKeyFile(filepath.Join(data, "party-keys", "NATO.key"))
	if err != nil {
		t.Fatal(err)
	}
	c := dhttp.NewClient("http://"+addr, nato)
	seen := map[string]bool{}
	var flash bool
	deadline = time.Now().Add(240 * time.Second)
	for time.Now().Before(deadline) && !(flash && seen["critical"] && seen["dangerous"] && seen["advisory"]) {
		envs, err := c.Envelopes(t.Context(), "ru-nato", 0, 10000)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range envs {
			var p deconflict.Payload
			json.Unmarshal(e.Payload, &p)
			var b deconflict.AlertBody
			json.Unmarshal(p.Body, &b)
			seen[b.Encounter.Severity] = true
			if p.Precedence == deconflict.Flash && len(p.AckFrom) == 2 {
				flash = true
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Logf("demo alerts of every tier after %v", time.Since(start))
	if !flash || !seen["critical"] || !seen["dangerous"] || !seen["advisory"] {
		t.Fatalf("demo alerts on ru-nato: tiers %v, flash requiring both acks %v", seen, flash)
	}
}

// TestConsoleUser hosts a party's key and adds an officer with the user
// command, then signs in to the running node's console with it.
func TestConsoleUser(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	serve := startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_DATA=" + data}}
	c.run(false, "party", "add", "US", "--pubkey", strings.TrimSpace(c.run(false, "keygen", "--out", "us.key")))
	c.run(false, "user", "host", "US", "--party-key", "us.key")
	os.WriteFile(filepath.Join(dir, "pw"), []byte("correct horse battery\n"), 0o600)
	c.run(false, "user", "add", "us-duty-1", "--party", "US", "--password-file", "pw")
	var cookie *http.Cookie
	login := func(pw string) int {
		req, _ := http.NewRequest("POST", "http://"+addr+"/console/login", strings.NewReader(`{"username":"us-duty-1","password":"`+pw+`"}`))
		req.Header.Set("X-Deconflict-Console", "1")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for _, ck := range resp.Cookies() {
			if ck.Name == "deconflict_session" {
				cookie = ck
			}
		}
		return resp.StatusCode
	}
	me := func() int {
		req, _ := http.NewRequest("GET", "http://"+addr+"/console/me", nil)
		req.AddCookie(cookie)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := login("wrong password"); got != http.StatusUnauthorized {
		t.Fatalf("login with a wrong password: status %d, want 401", got)
	}
	if got := login("correct horse battery"); got != http.StatusOK || cookie == nil {
		t.Fatalf("login: status %d (cookie %v), want 200 and a session cookie", got, cookie)
	}
	// The officer stays signed in across a restart of serve on the same
	// data directory (the session is in the store, hashed).
	serve.Process.Kill()
	serve.Wait()
	startServe(t, dir, data, addr)
	if got := me(); got != http.StatusOK {
		t.Fatalf("/console/me after a restart: status %d, want 200", got)
	}
	// A new password signs the old session out.
	os.WriteFile(filepath.Join(dir, "pw"), []byte("another horse battery\n"), 0o600)
	c.run(false, "user", "add", "us-duty-1", "--party", "US", "--password-file", "pw")
	if got := me(); got != http.StatusUnauthorized {
		t.Fatalf("/console/me after a new password: status %d, want 401", got)
	}
}
