package witness_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// litewitness is a running torchwood litewitness: an independent C2SP
// tlog-witness implementation, built from the module cache into a
// temporary directory and listening on loopback.
type litewitness struct {
	URL  string
	VKey string
	dir  string
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

// startLitewitness starts a litewitness named name that witnesses the
// log origin signed by vkey. Its Ed25519 key lives in a dedicated
// ssh-agent, as litewitness requires.
func startLitewitness(t *testing.T, name, origin, vkey string) *litewitness {
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
	return &litewitness{URL: "http://" + addr, VKey: m[1], dir: dir}
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

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// waitFor polls until ok (a process coming up), failing after 30 s.
func waitFor(t *testing.T, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatal("timed out waiting for a peer process to start")
}

func postAddCheckpoint(t *testing.T, url string, body []byte) response {
	t.Helper()
	resp, err := http.Post(url+"/add-checkpoint", "text/plain", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header.Get("Content-Type"), string(b)}
}

// TestInteropLitewitness: our witness and torchwood's litewitness each
// cosign the checkpoints of a real deconflict channel as it grows; the
// checkpoint with both cosignatures verifies with the node's key and both
// witness keys; both answer the conflict and inconsistency cases alike.
func TestInteropLitewitness(t *testing.T) {
	ctx := context.Background()
	n := nodetest.Start(t, nodetest.Options{})
	n.AddParties(t, "RU", "US")
	n.AddChannel(t, "ru-us", []string{"RU", "US"}, nil)
	origin, vkey := n.Origin("ru-us"), n.VerifierKey("ru-us")
	member := n.Client("US")

	lw := startLitewitness(t, "litewitness.test/lw", origin, vkey)
	ours := startWitness(t)
	ours.now = time.Now()
	if _, err := ours.Store.AddLog(ctx, origin, vkey); err != nil {
		t.Fatal(err)
	}
	type peer struct{ name, url, vkey string }
	peers := []peer{{"litewitness", lw.URL, lw.VKey}, {"deconflict", ours.URL, ours.Cosigner.VerifierKey()}}
	verifiers := []note.Verifier{}
	lv, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	verifiers = append(verifiers, lv)
	for _, p := range peers {
		v, err := witness.NewCosignatureVerifier(p.vkey)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		verifiers = append(verifiers, v)
	}

	var held int64
	for round, k := range []int{3, 1, 6} {
		for i := 0; i < k; i++ {
			n.Send(t, "RU", "ru-us", deconflict.Routine, fmt.Sprintf("round %d message %d", round, i))
		}
		cp, err := member.Checkpoint(ctx, "ru-us")
		if err != nil {
			t.Fatal(err)
		}
		text, _, _ := strings.Cut(string(cp), "\n\n")
		size := checkpointSize(t, text+"\n")
		var proof tlog.TreeProof
		if held > 0 {
			pr, err := member.ConsistencyProof(ctx, "ru-us", held, size)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range pr.Proof {
				proof = append(proof, tlog.Hash(h))
			}
		}
		body := witness.AddCheckpointRequest{Old: held, Proof: proof, Checkpoint: cp}.Marshal()
		cosigned := append([]byte(nil), cp...)
		for _, p := range peers {
			r := postAddCheckpoint(t, p.url, body)
			if r.Status != http.StatusOK {
				t.Fatalf("round %d: %s: status %d %q", round, p.name, r.Status, r.Body)
			}
			cosigned = append(cosigned, r.Body...)
		}
		nt, err := note.Open(cosigned, note.VerifierList(verifiers...))
		if err != nil {
			t.Fatalf("round %d: cosigned checkpoint %q: %v", round, cosigned, err)
		}
		if len(nt.Sigs) != 3 {
			t.Fatalf("round %d: %d verified signatures, want the node's and two witnesses'", round, len(nt.Sigs))
		}
		held = size
	}

	// A stale old size: both answer 409 with the size they hold.
	cp, _ := member.Checkpoint(ctx, "ru-us")
	for _, p := range peers {
		r := postAddCheckpoint(t, p.url, witness.AddCheckpointRequest{Old: 0, Checkpoint: cp}.Marshal())
		if r.Status != http.StatusConflict || r.ContentType != "text/x.tlog.size" || r.Body != fmt.Sprintf("%d\n", held) {
			t.Fatalf("%s: stale old size: %d %q %q", p.name, r.Status, r.ContentType, r.Body)
		}
	}
	// A checkpoint the node signed over a root that does not extend what
	// they cosigned (a dishonest node's other view): both refuse with 422.
	forkText := fmt.Sprintf("%s\n%d\n%s\n", origin, held+1, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	signer, err := nodeSigner(n)
	if err != nil {
		t.Fatal(err)
	}
	fork, err := note.Sign(&note.Note{Text: forkText}, signer)
	if err != nil {
		t.Fatal(err)
	}
	n.Send(t, "RU", "ru-us", deconflict.Routine, "one more")
	pr, err := member.ConsistencyProof(ctx, "ru-us", held, held+1)
	if err != nil {
		t.Fatal(err)
	}
	var proof tlog.TreeProof
	for _, h := range pr.Proof {
		proof = append(proof, tlog.Hash(h))
	}
	for _, p := range peers {
		r := postAddCheckpoint(t, p.url, witness.AddCheckpointRequest{Old: held, Proof: proof, Checkpoint: fork}.Marshal())
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: forked checkpoint: status %d %q, want 422", p.name, r.Status, r.Body)
		}
	}
	// A checkpoint signed by another key for the channel's origin: 403.
	other := newMemLog(t, origin).append("x", int(held))
	for _, p := range peers {
		r := postAddCheckpoint(t, p.url, other.request(held, held))
		if r.Status != http.StatusForbidden {
			t.Fatalf("%s: checkpoint by another key: status %d %q, want 403", p.name, r.Status, r.Body)
		}
	}
}

func checkpointSize(t *testing.T, text string) int64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Scan()
	sc.Scan()
	var n int64
	if _, err := fmt.Sscanf(sc.Text(), "%d", &n); err != nil {
		t.Fatalf("checkpoint %q: size line: %v", text, err)
	}
	return n
}

// nodeSigner is a signed-note signer with the test node's key under the
// channel origin's name, built with x/mod's note package alone.
func nodeSigner(n *nodetest.Node) (note.Signer, error) {
	parts := strings.SplitN(n.VerifierKey("ru-us"), "+", 3) // name, key ID, key
	return note.NewSigner("PRIVATE+KEY+" + parts[0] + "+" + parts[1] + "+" + base64.StdEncoding.EncodeToString(append([]byte{1}, n.Key.Seed()...)))
}
