// Package witnesstest runs torchwood's litewitness, an independent C2SP
// tlog-witness implementation, as a peer in tests: built from the module
// cache into a temporary directory (none of its code is in this
// repository), its key in a dedicated ssh-agent, listening on loopback.
package witnesstest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// Litewitness is a running torchwood litewitness: an independent C2SP
// tlog-witness implementation, built from the module cache into a
// temporary directory and listening on loopback.
type Litewitness struct {
	URL  string // its submission prefix on loopback
	VKey string // its cosignature verifier key, as it logs it
	DB   string // its SQLite database, for witnessctl
	bin  string
}

var buildLitewitness = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("go", "list", "-m", "-json", "filippo.io/torchwood").Output()
	if err != nil {
		return "", fmt.Errorf("go list -m filippo.io/torchwood: %w", err)
	}
	var mod struct{ Dir string }
	if err := json.Unmarshal(out, &mod); err != nil || mod.Dir == "" {
		if err == nil {
			if out, err = exec.Command("go", "mod", "download", "-json", "filippo.io/torchwood").Output(); err == nil {
				err = json.Unmarshal(out, &mod)
			}
		}
		if err != nil || mod.Dir == "" {
			return "", fmt.Errorf("torchwood module directory not found (%v)", err)
		}
	}
	bin, err := os.MkdirTemp("", "litewitness-bin-")
	if err != nil {
		return "", err
	}
	cmd := exec.Command("go", "build", "-o", bin+string(os.PathSeparator), "./cmd/litewitness", "./cmd/witnessctl")
	cmd.Dir = mod.Dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building litewitness in %s: %v\n%s", mod.Dir, err, out)
	}
	return bin, nil
})

// StartLitewitness starts a litewitness named name that witnesses the
// log origin signed by vkey. Its Ed25519 key lives in a dedicated
// ssh-agent, as litewitness requires.
func StartLitewitness(t testing.TB, name, origin, vkey string) *Litewitness {
	t.Helper()
	bin, err := buildLitewitness()
	if err != nil {
		t.Fatal(err)
	}
	// A short directory: the agent's socket path must fit in sun_path.
	dir, err := os.MkdirTemp("", "lw")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SSH_AUTH_SOCK="+filepath.Join(dir, "s"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", "key")
	fp := strings.Fields(run("ssh-keygen", "-l", "-E", "sha256", "-f", "key.pub"))[1]
	agent := exec.Command("ssh-agent", "-D", "-a", filepath.Join(dir, "s"))
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agent.Process.Kill(); agent.Wait() })
	waitFor(t, func() bool { _, err := os.Stat(filepath.Join(dir, "s")); return err == nil })
	run("ssh-add", "key")
	db := filepath.Join(dir, "litewitness.db")
	run(filepath.Join(bin, "witnessctl"), "add-log", "-db", db, "-origin", origin)
	run(filepath.Join(bin, "witnessctl"), "add-key", "-db", db, "-origin", origin, "-key", vkey)

	addr := freeAddr(t)
	var stderr syncBuffer
	lw := exec.Command(filepath.Join(bin, "litewitness"), "-db", db, "-name", name, "-key", fp,
		"-ssh-agent", filepath.Join(dir, "s"), "-listen", addr)
	lw.Dir = dir
	lw.Stderr = &stderr
	if err := lw.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lw.Process.Kill(); lw.Wait() })
	waitFor(t, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	m := regexp.MustCompile(`vkey=(\S+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("litewitness did not log its verifier key:\n%s", stderr.String())
	}
	return &Litewitness{URL: "http://" + addr, VKey: m[1], DB: db, bin: bin}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls until ok (a process coming up), failing after 30 s.
func waitFor(t testing.TB, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out waiting for a peer process to start")
}

// AddLog makes the running litewitness witness another log (witnessctl
// writes to its database, which it reads on every request).
func (lw *Litewitness) AddLog(t testing.TB, origin, vkey string) {
	t.Helper()
	for _, args := range [][]string{{"add-log", "-db", lw.DB, "-origin", origin}, {"add-key", "-db", lw.DB, "-origin", origin, "-key", vkey}} {
		if out, err := exec.Command(filepath.Join(lw.bin, "witnessctl"), args...).CombinedOutput(); err != nil {
			t.Fatalf("witnessctl %v: %v\n%s", args, err, out)
		}
	}
}
