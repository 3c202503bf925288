package main_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// runCode runs the binary in c.dir and returns its output and exit status.
func (c *cli) runCode(stdin string, args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = c.dir
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee) && ee.Exited():
		code = ee.ExitCode()
	default:
		c.t.Fatalf("deconflict %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errb.String(), code
}

// commandNames returns the commands 'deconflict help' lists.
func commandNames(t *testing.T, c *cli) []string {
	t.Helper()
	out := c.run(false, "help")
	_, list, ok := strings.Cut(out, "Commands:\n")
	if !ok {
		t.Fatalf("help lists no commands:\n%s", out)
	}
	var names []string
	for _, l := range strings.Split(list, "\n") {
		if !strings.HasPrefix(l, "  ") {
			break
		}
		names = append(names, strings.Fields(l)[0])
	}
	if len(names) < 15 {
		t.Fatalf("help lists %d commands: %v", len(names), names)
	}
	return names
}

// TestHelp asks every command for help in each way people do, with no
// key, node or data directory around: each explains itself with an
// example on standard output and exits 0.
func TestHelp(t *testing.T) {
	c := &cli{t: t, dir: t.TempDir(), env: []string{"DECONFLICT_KEY=", "DECONFLICT_DATA=", "DECONFLICT_NODE=http://127.0.0.1:1"}}
	names := commandNames(t, c)
	for _, want := range []string{"help", "version", "party", "channel", "user", "assets", "zone", "send", "verify"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("help does not list %s: %v", want, names)
		}
	}
	// Commands with verbs also explain themselves after the verb.
	verbs := map[string][]string{
		"party": {"add", "key-add", "key-revoke", "list"}, "channel": {"create", "policy", "list"},
		"user": {"host", "add", "list", "remove"}, "assets": {"declare", "list"}, "zone": {"add", "list", "remove"},
	}
	for _, name := range names {
		ways := [][]string{{"help", name}, {name, "-h"}, {name, "--help"}}
		for _, v := range verbs[name] {
			ways = append(ways, []string{name, v, "-h"})
		}
		if len(verbs[name]) > 0 {
			ways = append(ways, []string{name, "help"}, []string{"help", name, verbs[name][0]})
		}
		for _, args := range ways {
			out, errs, code := c.runCode("", args...)
			if code != 0 || !strings.Contains(out, "example:") || !strings.Contains(out, "usage: deconflict "+name) {
				t.Errorf("deconflict %s: exit %d, stdout %q, stderr %q; want exit 0 and the usage with an example on stdout", strings.Join(args, " "), code, out, errs)
			}
		}
	}
	if out := c.run(false, "help", "help"); !strings.Contains(out, "usage: deconflict help") {
		t.Errorf("help help: %q", out)
	}
	// CMD -h also lists the command's flags.
	if out := c.run(false, "send", "-h"); !strings.Contains(out, "-precedence") {
		t.Errorf("send -h lists no flags: %q", out)
	}
}

// TestVersion: the binary and the node it runs report the same version.
func TestVersion(t *testing.T) {
	dir := t.TempDir()
	c := &cli{t: t, dir: dir}
	out := c.run(false, "version")
	m := regexp.MustCompile(`^deconflict (\S+) \(go1\.[0-9.]+\)\n$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("version: %q", out)
	}
	addr := freeAddr(t)
	startServe(t, dir, filepath.Join(dir, "data"), addr)
	b := httpGet(t, "http://"+addr+"/v1/node")
	var info struct{ Version string }
	if err := json.Unmarshal(b, &info); err != nil || info.Version != m[1] {
		t.Errorf("/v1/node says %s (%v), want version %q", b, err, m[1])
	}
	if metrics := string(httpGet(t, "http://"+addr+"/metrics")); !strings.Contains(metrics, `deconflict_build_info{version="`+m[1]+`"} 1`) {
		t.Errorf("/metrics has no deconflict_build_info of version %s:\n%s", m[1], metrics)
	}
}

func httpGet(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %v", url, resp.Status, err)
	}
	return b
}

// TestExitStatus: 0 success, 1 a failure the command reports, 2 usage,
// for commands run against a real node.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_DATA=" + data, "DECONFLICT_KEY="}}
	pub := strings.TrimSpace(c.run(false, "keygen", "--out", "us.key"))
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"party", "add", "US", "--pubkey", pub}, 0, ""},
		{nil, 2, "Commands:"},
		{[]string{"bogus"}, 2, `unknown command "bogus"`},
		{[]string{"party"}, 2, "want a subcommand"},
		{[]string{"party", "bogus"}, 2, `unknown subcommand "bogus"`},
		{[]string{"party", "add", "US"}, 2, "--pubkey is required"},
		{[]string{"party", "add", "--pubkey", "not-base64", "FR"}, 2, "not base64"},
		{[]string{"send", "--channel"}, 2, "flag needs an argument"},
		{[]string{"send", "--no-such-flag", "x"}, 2, "flag provided but not defined"},
		{[]string{"send", "text", "--key", "us.key"}, 2, "--channel is required"},
		{[]string{"send", "--channel", "c", "text"}, 2, "no key"},
		{[]string{"ack", "--channel", "c", "--key", "us.key", "minus-one"}, 2, "non-negative integer"},
		{[]string{"channel", "create", "c", "--members", "US,RU", "--ack", "flash=soon"}, 2, "positive duration"},
		{[]string{"scan", "--format", "nope", "x"}, 2, "unknown --format"},
		{[]string{"verify"}, 2, "either --channel"},
		{[]string{"help", "nope"}, 2, `unknown command "nope"`},
		{[]string{"keygen", "--out", "us.key"}, 1, "us.key"},
		{[]string{"party", "add", "US", "--pubkey", pub}, 1, "already exists (conflict)"},
		{[]string{"channel", "create", "c", "--members", "US,RU"}, 1, "RU"},
		{[]string{"send", "--channel", "nowhere", "--key", "us.key", "text"}, 1, "channel nowhere not found"},
		{[]string{"send", "--channel", "c", "--key", "missing.key", "text"}, 1, "missing.key does not exist"},
		{[]string{"verify", "--receipt", "missing.json"}, 1, "missing.json"},
	} {
		out, errs, code := c.runCode("", tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.says) {
			t.Errorf("deconflict %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.says)
		}
	}
}

// TestWatchFollowInterrupt: Ctrl-C ends 'watch --follow' with status 0,
// nothing on standard error and every printed line complete.
func TestWatchFollowInterrupt(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_DATA=" + data}}
	for _, p := range []string{"RU", "US"} {
		c.run(false, "party", "add", p, "--pubkey", strings.TrimSpace(c.run(false, "keygen", "--out", p+".key")))
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US")
	c.run(false, "send", "--channel", "ru-us", "--key", "US.key", "hello")
	follow := exec.Command(binary, "watch", "--channel", "ru-us", "--follow", "--key", "RU.key")
	follow.Dir = dir
	follow.Env = append(os.Environ(), c.env...)
	var errb bytes.Buffer
	follow.Stderr = &errb
	outPipe, err := follow.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := follow.Start(); err != nil {
		t.Fatal(err)
	}
	defer follow.Process.Kill()
	first := make([]byte, 0, 4096)
	buf := make([]byte, 4096)
	for !bytes.Contains(first, []byte("\n")) {
		n, err := outPipe.Read(buf)
		if err != nil {
			t.Fatalf("watch --follow printed %q, then %v", first, err)
		}
		first = append(first, buf[:n]...)
	}
	if err := follow.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := readAll(outPipe)
	err = follow.Wait()
	if err != nil || errb.Len() > 0 {
		t.Fatalf("watch --follow after Ctrl-C: %v, stderr %q; want exit 0 and nothing on stderr", err, errb.String())
	}
	// The watcher's own fetch makes the node log a seen record, which it
	// may print before the interrupt: everything else is the one message.
	var lines []envLine
	for _, l := range parseLines(t, string(first)+rest) {
		if l.Kind != "seen" {
			lines = append(lines, l)
		}
	}
	if len(lines) != 1 || lines[0].Payload.Text != "hello" {
		t.Fatalf("watch --follow printed %+v", lines)
	}
}

func readAll(r interface{ Read([]byte) (int, error) }) (string, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r)
	return b.String(), err
}

// TestListings: every listing command prints tab-separated lines by
// default, whatever a message's text holds, and one JSON object per line
// with --json; the user and channel commands act as DESIGN.md says.
func TestListings(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_DATA=" + data}}
	for _, p := range []string{"RU", "US"} {
		c.run(false, "party", "add", p, "--pubkey", strings.TrimSpace(c.run(false, "keygen", "--out", p+".key")), "--name", p+" name")
	}
	c.run(false, "keygen", "--out", "stranger.key")
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US")
	text := "line one\n\tindented\\path"
	c.run(false, "send", "--channel", "ru-us", "--key", "US.key", "--precedence", "flash", text)
	c.run(false, "assets", "declare", "--key", "RU.key", "--mmsi", "273456789", "--callsign", "RFF*")

	// Tab-separated: one line per item, fields escaped.
	lines := func(s string) [][]string {
		var out [][]string
		for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			out = append(out, strings.Split(l, "\t"))
		}
		return out
	}
	inbox := lines(c.run(false, "inbox", "--channel", "ru-us", "--key", "RU.key"))
	if len(inbox) != 1 || len(inbox[0]) != 5 || inbox[0][0] != "0" || inbox[0][1] != "FLASH" || inbox[0][2] != "US" || inbox[0][4] != `line one\n\tindented\\path` {
		t.Errorf("inbox: %q", inbox)
	}
	parties := lines(c.run(false, "party", "list"))
	if len(parties) != 2 || parties[0][0] != "RU" || parties[0][1] != "RU name" || parties[1][0] != "US" {
		t.Errorf("party list: %q", parties)
	}
	// channel list for a party (--key) and for the operator (--data).
	for _, args := range [][]string{{"--key", "RU.key"}, {"--data", data}} {
		chans := lines(c.run(false, append([]string{"channel", "list"}, args...)...))
		if len(chans) != 1 || chans[0][0] != "ru-us" || chans[0][1] != "RU,US" {
			t.Errorf("channel list %v: %q", args, chans)
		}
	}
	if out, errs, code := c.runCode("", "channel", "list", "--key", "stranger.key"); code != 1 || out != "" || !strings.Contains(errs, "not registered with this node (unauthorized)") {
		// A key no party holds is refused by the node.
		t.Errorf("channel list with a stranger's key: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	assets := lines(c.run(false, "assets", "list", "--key", "RU.key"))
	if len(assets) != 1 || assets[0][0] != "RU" || assets[0][1] != "273456789" || assets[0][3] != "RFF*" {
		t.Errorf("assets list: %q", assets)
	}

	// --json: one object per line, decodable.
	for _, args := range [][]string{
		{"inbox", "--channel", "ru-us", "--key", "RU.key", "--json"},
		{"party", "list", "--json"},
		{"channel", "list", "--json", "--key", "US.key"},
		{"assets", "list", "--json", "--key", "US.key"},
	} {
		out := c.run(false, args...)
		for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			var v map[string]any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				t.Errorf("%s: line %q is not one JSON object: %v", strings.Join(args, " "), l, err)
			}
		}
	}
	var msg struct {
		Envelope struct {
			Payload struct{ Text string }
		}
	}
	if err := json.Unmarshal([]byte(c.run(false, "inbox", "--channel", "ru-us", "--key", "RU.key", "--json")), &msg); err != nil || msg.Envelope.Payload.Text != text {
		t.Errorf("inbox --json text %q (%v), want %q", msg.Envelope.Payload.Text, err, text)
	}

	// user: host checks the key against the party; add refuses a party
	// the node does not know; list and remove.
	os.WriteFile(filepath.Join(dir, "pw"), []byte("correct horse battery\n"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"user", "host", "US", "--party-key", "RU.key"}, 1, "is not a key of party US"},
		{[]string{"user", "host", "XX", "--party-key", "RU.key"}, 1, "party XX is not registered"},
		{[]string{"user", "host", "US", "--party-key", "US.key"}, 0, "party US is hosted"},
		{[]string{"user", "add", "xx-duty", "--party", "XX", "--password-file", "pw"}, 1, "party XX is not registered"},
		{[]string{"user", "add", "us-duty-2", "--party", "US", "--password-file", "pw"}, 0, "can sign in"},
		{[]string{"user", "add", "us-duty-1", "--party", "US", "--password-file", "pw"}, 0, "can sign in"},
		{[]string{"user", "remove", "nobody"}, 1, "not found"},
		{[]string{"user", "remove", "us-duty-2"}, 0, "removed"},
		{[]string{"user", "list"}, 0, "us-duty-1\tUS\n"},
	} {
		out, errs, code := c.runCode("", tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.says) {
			t.Errorf("deconflict %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.says)
		}
	}
	if out := c.run(false, "user", "list", "--json"); out != `{"username":"us-duty-1","party":"US"}`+"\n" {
		t.Errorf("user list --json: %q", out)
	}
}
