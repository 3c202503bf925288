package main_test

import (
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLinkTestEndToEnd drives link tests through the real binary over
// real HTTP: a channel of RU, US and FR tested every 6 s with 3 s to
// answer; RU's 'watch --follow' answers the first test by itself, US
// answers it late with 'linktest --answer' once it is closed, FR never;
// the node's link-result, 'linktest' and 'availability' say exactly that.
func TestLinkTestEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	for _, p := range []string{"RU", "US", "FR"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	if e := c.run(true, "channel", "create", "bad", "--members", "RU,US", "--link-test", "1m", "--link-test-within", "2m", "--data", data); !strings.Contains(e, "longer than the interval") {
		t.Fatalf("--link-test-within over the interval: %q", e)
	}
	c.run(false, "channel", "create", "trio", "--members", "RU,US,FR", "--link-test", "6s", "--link-test-within", "3s", "--data", data)

	watch := exec.Command(binary, "watch", "--channel", "trio", "--follow", "--key", "ru.key")
	watch.Dir = dir
	watch.Env = append(os.Environ(), c.env...)
	watch.Env = append(watch.Env, "XDG_CONFIG_HOME="+filepath.Join(dir, ".config"))
	watchErr, err := os.Create(filepath.Join(dir, "watch.stderr"))
	if err != nil {
		t.Fatal(err)
	}
	watch.Stdout, watch.Stderr = io.Discard, watchErr
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { watch.Process.Kill(); watch.Wait(); watchErr.Close() }()

	type answer struct {
		Party   string `json:"party"`
		State   string `json:"state"`
		DelayMS *int64 `json:"delay_ms"`
	}
	type test struct {
		Index   int64    `json:"index"`
		Seq     int64    `json:"seq"`
		Open    bool     `json:"open"`
		Answers []answer `json:"answers"`
	}
	tests := func(args ...string) []test {
		t.Helper()
		var out []test
		for _, line := range strings.Split(strings.TrimSpace(c.run(false, append([]string{"linktest", "--channel", "trio", "--key", "us.key", "--json"}, args...)...)), "\n") {
			if line == "" {
				continue
			}
			var v test
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("linktest line %q: %v", line, err)
			}
			out = append(out, v)
		}
		return out
	}
	var got []test
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if got = tests(); len(got) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no link test within 30 s")
		}
	}
	// FR reads the open test with --no-answer: it stays unanswered.
	if lines := parseLines(t, c.run(false, "watch", "--channel", "trio", "--key", "fr.key", "--no-answer")); len(lines) == 0 || lines[0].Kind != "link-test" {
		t.Fatalf("FR's watch: %+v, want the link test first", lines)
	}
	// One test only: the next would come in an hour.
	if out := c.run(false, "channel", "policy", "trio", "--link-test", "1h", "--data", data); !strings.Contains(out, "link test 1h0m0s within 3s") {
		t.Fatalf("channel policy --link-test 1h: %q", out)
	}
	for deadline := time.Now().Add(30 * time.Second); got[0].Open; time.Sleep(100 * time.Millisecond) {
		if got = tests(); time.Now().After(deadline) {
			t.Fatal("link test still open after 30 s")
		}
	}
	if len(got) != 1 || got[0].Seq != 1 {
		t.Fatalf("link tests %+v, want test 1 alone", got)
	}
	got = tests("--answer")
	if out := c.run(false, "linktest", "--channel", "trio", "--key", "fr.key"); !strings.Contains(out, "\ttest 1\t") || !strings.Contains(out, "\tclosed\tRU answered ") ||
		!strings.Contains(out, "\tUS late ") || !strings.HasSuffix(strings.TrimSpace(out), "\tFR missing") {
		t.Fatalf("linktest:\n%s", out)
	}
	a := got[0].Answers
	if len(a) != 3 || a[0].Party != "RU" || a[0].State != "answered" || *a[0].DelayMS > 3000 ||
		a[1].Party != "US" || a[1].State != "late" || *a[1].DelayMS <= 3000 || a[2].Party != "FR" || a[2].State != "missing" || a[2].DelayMS != nil {
		t.Fatalf("link test 1 answers %+v; watch stderr: %s", a, readFile(t, filepath.Join(dir, "watch.stderr")))
	}
	if s := readFile(t, filepath.Join(dir, "watch.stderr")); !strings.Contains(s, "watch: answered link test 1 (index ") {
		t.Fatalf("watch stderr %q, want it to say it answered", s)
	}

	// The node's result, once the time to answer is over, in the log.
	var result *envLine
	for deadline := time.Now().Add(30 * time.Second); result == nil && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, e := range parseLines(t, c.run(false, "watch", "--channel", "trio", "--key", "fr.key", "--no-answer")) {
			if e.Kind == "link-result" {
				result = &e
			}
		}
	}
	if result == nil || result.Author != "node" || *result.Payload.Ack != got[0].Index ||
		!strings.Contains(result.Payload.Text, "answered within 3s by RU (") || !strings.HasSuffix(result.Payload.Text, "not answered within 3s by US, FR") {
		t.Fatalf("link-result %+v", result)
	}

	type avail struct {
		Channel    string   `json:"channel"`
		Party      string   `json:"party"`
		Tests      int      `json:"tests"`
		Answered   int      `json:"answered"`
		Late       int      `json:"late"`
		Unanswered int      `json:"unanswered"`
		Percent    *float64 `json:"percent"`
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(c.run(false, "availability", "--channel", "trio", "--key", "fr.key", "--since", "1h", "--json")), "\n") {
		var v avail
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("availability line %q: %v", l, err)
		}
		pct := "null"
		if v.Percent != nil {
			b, _ := json.Marshal(*v.Percent)
			pct = string(b)
		}
		lines = append(lines, strings.Join([]string{v.Channel, v.Party, itoa(v.Tests), itoa(v.Answered), itoa(v.Late), itoa(v.Unanswered), pct}, " "))
	}
	if got, want := strings.Join(lines, "; "), "trio RU 1 1 0 0 100; trio US 1 0 1 0 0; trio FR 1 0 0 1 0"; got != want {
		t.Fatalf("availability --json: %s, want %s", got, want)
	}
	out := c.run(false, "availability", "--channel", "trio", "--data", data)
	if !strings.Contains(out, "1 link tests closed (tests every 1h0m0s; an answer within 3s counts)") || !strings.Contains(out, "RU\t100.0%\t1/1 answered in time\t0 late\t0 unanswered\tlongest ") ||
		!strings.Contains(out, "FR\t0.0%\t0/1 answered in time\t0 late\t1 unanswered\tlongest 0s") {
		t.Fatalf("availability (the operator's):\n%s", out)
	}
	if e := c.run(true, "availability", "--channel", "trio", "--key", "fr.key", "--since", "1h", "--to", "2026-01-01"); !strings.Contains(e, "--since excludes --from and --to") {
		t.Fatalf("--since with --to: %q", e)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, _ := os.ReadFile(path)
	return string(b)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}
