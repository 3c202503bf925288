package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "deconflict-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "deconflict")
	// Built without -race even under go test -race: a race-instrumented
	// binary made this package's tests take ten times as long (678 s
	// against 66 s on the loaded 2-core machine), over the CI budget. The
	// node's concurrency runs under -race in the node, live, http and
	// console tests, in process.
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building the binary: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// cli runs the binary in dir with env and returns stdout; it fails the
// test on a non-zero exit unless wantErr.
type cli struct {
	t   *testing.T
	dir string
	env []string
}

func (c *cli) run(wantErr bool, args ...string) string {
	c.t.Helper()
	// A command that hangs fails the test with its output instead of
	// running into the suite's timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = c.dir
	// The verify state (and the receipts kept in it) goes to the test's
	// directory unless the test names one, never the user's.
	cmd.Env = append(os.Environ(), "XDG_CONFIG_HOME="+filepath.Join(c.dir, ".config"))
	cmd.Env = append(cmd.Env, c.env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if (err != nil) != wantErr {
		if log, _ := os.ReadFile(filepath.Join(c.dir, "serve.log")); len(log) > 0 {
			c.t.Logf("serve.log:\n%s", log)
		}
		c.t.Fatalf("deconflict %s: err=%v, want error %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, wantErr, out.String(), errb.String())
	}
	if wantErr {
		return out.String() + errb.String()
	}
	return out.String()
}

// startServe starts 'deconflict serve' and waits until it answers.
func startServe(t *testing.T, dir, data, addr string) *exec.Cmd {
	t.Helper()
	return startServeWith(t, dir, []string{"serve", "--data", data, "--addr", addr, "--tick", "50ms"})
}

// startServeWith starts the binary with args and waits until the node
// listening at the --addr in args answers.
func startServeWith(t *testing.T, dir string, args []string) *exec.Cmd {
	t.Helper()
	var addr string
	for i, a := range args {
		if a == "--addr" {
			addr = args[i+1]
		}
	}
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	logf, _ := os.OpenFile(filepath.Join(dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait(); logf.Close() })
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			return cmd
		}
		time.Sleep(50 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
	t.Fatalf("node did not start:\n%s", log)
	return nil
}

type envLine struct {
	Index   int64  `json:"index"`
	Author  string `json:"author"`
	Kind    string `json:"kind"`
	Payload struct {
		Text    string   `json:"text"`
		Ack     *int64   `json:"ack"`
		AckFrom []string `json:"ack_from"`
	} `json:"payload"`
}

func parseLines(t *testing.T, s string) []envLine {
	t.Helper()
	var out []envLine
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<22)
	for sc.Scan() {
		var e envLine
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("watch line %q: %v", sc.Text(), err)
		}
		out = append(out, e)
	}
	return out
}

// TestHotlineEndToEnd drives the real binary through the hotline issue's
// scenario: parties RU, US, FR; channel ru-us-syria (RU, US); a FLASH
// message acknowledged; a second one missed with a webhook call; FR
// locked out; kill -9, restart, and a watcher that resumes with no gap
// and no duplicate.
func TestHotlineEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	node := startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}

	// A webhook receiver.
	var mu sync.Mutex
	var hooks []string
	hookLn, _ := net.Listen("tcp", "127.0.0.1:0")
	hookSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		hooks = append(hooks, string(b))
		mu.Unlock()
	})}
	go hookSrv.Serve(hookLn)
	defer hookSrv.Close()

	pub := map[string]string{}
	for _, p := range []string{"RU", "US", "FR"} {
		pub[p] = strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub[p], "--data", data)
	}
	c.run(false, "channel", "create", "ru-us-syria", "--members", "RU,US", "--data", data,
		"--ack", "flash=8s", "--webhook", "http://"+hookLn.Addr().String()+"/escalate")

	// A FLASH message from US; flags after the text, as people type them.
	out := c.run(false, "send", "Two Su-34 entering sector 4 at FL250, request intentions", "--channel", "ru-us-syria", "--precedence", "flash", "--key", "us.key")
	if !strings.Contains(out, "index 0") {
		t.Fatalf("send: %q, want index 0", out)
	}
	// RU sees it with watch and in its inbox.
	lines := parseLines(t, c.run(false, "watch", "--channel", "ru-us-syria", "--key", "ru.key"))
	if len(lines) != 1 || lines[0].Author != "US" || !strings.Contains(lines[0].Payload.Text, "Su-34") {
		t.Fatalf("RU watch: %+v", lines)
	}
	if out := c.run(false, "inbox", "--channel", "ru-us-syria", "--key", "ru.key"); !strings.Contains(out, "FLASH") || !strings.Contains(out, "Su-34") {
		t.Fatalf("RU inbox: %q", out)
	}
	c.run(false, "ack", "--channel", "ru-us-syria", "0", "--key", "ru.key")
	if out := c.run(false, "inbox", "--channel", "ru-us-syria", "--key", "ru.key"); !strings.Contains(out, "nothing awaits") {
		t.Fatalf("RU inbox after ack: %q", out)
	}

	// A second message nobody acknowledges: a missed-ack after the 8 s deadline (long enough for RU to
	// read and acknowledge the first one with a -race binary on a loaded machine).
	c.run(false, "send", "--channel", "ru-us-syria", "--precedence", "flash", "--key", "us.key", "Second warning, please answer")
	var missed *envLine
	deadline := time.Now().Add(30 * time.Second)
	for missed == nil && time.Now().Before(deadline) {
		for _, e := range parseLines(t, c.run(false, "watch", "--channel", "ru-us-syria", "--key", "us.key")) {
			if e.Kind == "missed-ack" {
				e := e
				missed = &e
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	if missed == nil || missed.Author != "node" || *missed.Payload.Ack != 2 || strings.Join(missed.Payload.AckFrom, ",") != "RU" {
		t.Fatalf("missed-ack: %+v", missed)
	}
	if out := c.run(false, "inbox", "--channel", "ru-us-syria", "--key", "ru.key"); !strings.Contains(out, "OVERDUE") {
		t.Fatalf("RU inbox shows no overdue message: %q", out)
	}
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(hooks)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	if len(hooks) != 1 || !strings.Contains(hooks[0], `"missed-ack"`) || !strings.Contains(hooks[0], `"RU"`) {
		t.Fatalf("webhook calls: %q", hooks)
	}
	mu.Unlock()

	// FR reads nothing of the channel.
	for _, args := range [][]string{
		{"watch", "--channel", "ru-us-syria", "--key", "fr.key"},
		{"inbox", "--channel", "ru-us-syria", "--key", "fr.key"},
		{"send", "--channel", "ru-us-syria", "--key", "fr.key", "let me in"},
	} {
		if e := c.run(true, args...); !strings.Contains(e, "channel ru-us-syria not found") {
			t.Fatalf("FR %s: %q", args[0], e)
		}
	}

	// A follower from RU, then kill -9 while messages keep coming.
	follow := exec.Command(binary, "watch", "--channel", "ru-us-syria", "--follow", "--key", "ru.key")
	follow.Dir = dir
	follow.Env = append(os.Environ(), c.env...)
	fout, _ := follow.StdoutPipe()
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()
	followed := make(chan envLine, 100)
	go func() {
		sc := bufio.NewScanner(fout)
		sc.Buffer(make([]byte, 1<<20), 1<<22)
		for sc.Scan() {
			var e envLine
			json.Unmarshal(sc.Bytes(), &e)
			followed <- e
		}
		close(followed)
	}()
	before := len(parseLines(t, c.run(false, "watch", "--channel", "ru-us-syria", "--key", "us.key")))
	for i := 0; i < 5; i++ {
		c.run(false, "send", "--channel", "ru-us-syria", "--key", "us.key", fmt.Sprintf("before crash %d", i))
	}
	node.Process.Signal(syscall.SIGKILL)
	node.Wait()
	startServe(t, dir, data, addr)
	for i := 0; i < 5; i++ {
		c.run(false, "send", "--channel", "ru-us-syria", "--key", "us.key", fmt.Sprintf("after restart %d", i))
	}
	all := parseLines(t, c.run(false, "watch", "--channel", "ru-us-syria", "--key", "ru.key"))
	if got, want := len(all), before+10; got != want {
		t.Fatalf("after kill -9 and restart the log holds %d envelopes, want %d", got, want)
	}
	for i, e := range all {
		if e.Index != int64(i) {
			t.Fatalf("envelope %d has index %d", i, e.Index)
		}
	}
	// The follower saw every envelope exactly once, in order, across the restart.
	for want := int64(0); want < int64(len(all)); want++ {
		select {
		case e := <-followed:
			if e.Index != want {
				t.Fatalf("follower got index %d, want %d", e.Index, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("follower stalled at %d", want)
		}
	}
	// A new watcher resumes after a given index with no duplicate.
	rest := parseLines(t, c.run(false, "watch", "--channel", "ru-us-syria", "--after", fmt.Sprint(before+4), "--key", "ru.key"))
	if len(rest) != 5 || rest[0].Index != int64(before+5) || rest[0].Payload.Text != "after restart 0" {
		t.Fatalf("resume after %d: %+v", before+4, rest)
	}
}
