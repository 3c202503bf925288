package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
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

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/pgtest"
	"github.com/deconflict/deconflict/node"
)

// replica is one 'serve --db' process of a replica test.
type replica struct {
	dir, data, addr string
	cmd             *exec.Cmd
}

func (r *replica) url() string { return "http://" + r.addr }

// log returns the replica's serve.log so far.
func (r *replica) log() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "serve.log"))
	return string(b)
}

// leaseTime returns when the replica's log says it took the lease name,
// and whether it did.
func (r *replica) leaseTime(name string) (time.Time, bool) {
	sc := bufio.NewScanner(strings.NewReader(r.log()))
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, `msg="holding lease" lease=`+name) {
			continue
		}
		ts, _, _ := strings.Cut(strings.TrimPrefix(line, "time="), " ")
		t, err := time.Parse(time.RFC3339Nano, ts)
		return t, err == nil
	}
	return time.Time{}, false
}

// startReplicas starts n replicas of one node on the database at dsn,
// sharing the first one's node key.
func startReplicas(t *testing.T, dsn string, n int) []*replica {
	t.Helper()
	var rs []*replica
	for i := 0; i < n; i++ {
		dir := t.TempDir()
		r := &replica{dir: dir, data: filepath.Join(dir, "data"), addr: freeAddr(t)}
		if i > 0 {
			key, err := os.ReadFile(filepath.Join(rs[0].data, "node.key"))
			if err != nil {
				t.Fatal(err)
			}
			os.MkdirAll(r.data, 0o700)
			if err := os.WriteFile(filepath.Join(r.data, "node.key"), key, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		r.cmd = startServeWith(t, dir, []string{"serve", "--data", r.data, "--addr", r.addr, "--tick", "50ms", "--db", dsn, "--name", "replicated"})
		rs = append(rs, r)
	}
	return rs
}

// TestReplicasSurviveSIGKILL runs two replicas of one node on one real
// PostgreSQL. Senders spread over both append to one channel while a
// watcher follows the channel on the replica that will survive; the
// replica that runs the timers is killed with SIGKILL mid-load. Then:
// every envelope with a receipt is in the log exactly once at its index,
// the log has no gap, the watcher on the survivor and one that started on
// the killed replica and failed over saw all of it in order, verify passes,
// and each FLASH message left unacknowledged got exactly one missed-ack,
// those falling due after the kill written by the survivor.
func TestReplicasSurviveSIGKILL(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	dsn := pg.NewDatabase(t)
	rs := startReplicas(t, dsn, 2)
	work := t.TempDir()
	c := &cli{t: t, dir: work, env: []string{"DECONFLICT_NODE=" + rs[0].url() + "," + rs[1].url(), "DECONFLICT_STATE=" + filepath.Join(work, "state")}}

	var hookMu sync.Mutex
	var hooks []string
	hookLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hookSrv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hookMu.Lock()
		hooks = append(hooks, string(b))
		hookMu.Unlock()
	})}
	go hookSrv.Serve(hookLn)
	defer hookSrv.Close()

	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", filepath.Join(work, strings.ToLower(p)+".key")))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", rs[0].data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--ack", "flash=1s", "--webhook", "http://"+hookLn.Addr().String()+"/hook", "--data", rs[0].data)
	us, err := custody.ReadKeyFile(filepath.Join(work, "us.key"))
	if err != nil {
		t.Fatal(err)
	}
	ru, _ := custody.ReadKeyFile(filepath.Join(work, "ru.key"))

	// Which replica runs the timers? That one dies.
	var victim, survivor *replica
	for deadline := time.Now().Add(30 * time.Second); victim == nil; {
		for i, r := range rs {
			if _, ok := r.leaseTime("timers"); ok {
				victim, survivor = r, rs[1-i]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica took the timers lease:\n%s\n%s", rs[0].log(), rs[1].log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if _, ok := survivor.leaseTime("timers"); ok {
		t.Fatal("both replicas hold the timers lease")
	}

	// A watcher on the survivor, from the start.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var watchMu sync.Mutex
	var watched []int64
	go dhttp.NewClient(survivor.url(), ru).Watch(ctx, "ru-us", -1, func(v *dhttp.EnvelopeView) error {
		watchMu.Lock()
		watched = append(watched, v.Index)
		watchMu.Unlock()
		return nil
	})

	// A watcher that starts on the victim and must move to the survivor
	// (the client behind 'watch --follow'), resuming after its last index.
	var failMu sync.Mutex
	var failedOver []int64
	go dhttp.NewClient(victim.url()+","+survivor.url(), ru).Watch(ctx, "ru-us", -1, func(v *dhttp.EnvelopeView) error {
		failMu.Lock()
		failedOver = append(failedOver, v.Index)
		failMu.Unlock()
		return nil
	})

	var recMu sync.Mutex
	receipts := map[int64][]byte{}
	var flash []int64 // FLASH messages nobody acknowledges
	send := func(cl *dhttp.Client, prec deconflict.Precedence, text string) (*deconflict.Receipt, error) {
		r, err := cl.Send(ctx, "US", &deconflict.Payload{Channel: "ru-us", Kind: deconflict.KindMessage, Precedence: prec, Text: text})
		if err == nil {
			recMu.Lock()
			receipts[r.Index] = r.LeafHash
			recMu.Unlock()
		}
		return r, err
	}
	both := dhttp.NewClient(victim.url()+","+survivor.url(), us)
	for i := 0; i < 2; i++ {
		r, err := send(both, deconflict.Flash, "flash before the kill")
		if err != nil {
			t.Fatal(err)
		}
		flash = append(flash, r.Index)
	}

	loadCtx, stopLoad := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		urls := victim.url() + "," + survivor.url()
		if w%2 == 1 {
			urls = survivor.url() + "," + victim.url()
		}
		cl := dhttp.NewClient(urls, us)
		cl.HTTP.Timeout = 10 * time.Second
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil {
				send(cl, deconflict.Routine, "position report")
			}
		}()
	}
	time.Sleep(1500 * time.Millisecond)
	recMu.Lock()
	before := len(receipts)
	recMu.Unlock()
	// Two FLASH messages fall due after the kill, on the survivor's watch.
	for i := 0; i < 2; i++ {
		r, err := send(dhttp.NewClient(survivor.url(), us), deconflict.Flash, "flash at the kill")
		if err != nil {
			t.Fatal(err)
		}
		flash = append(flash, r.Index)
	}
	killed := time.Now()
	victim.cmd.Process.Signal(syscall.SIGKILL)
	victim.cmd.Wait()
	time.Sleep(1500 * time.Millisecond)
	stopLoad()
	wg.Wait()
	recMu.Lock()
	n := len(receipts)
	recMu.Unlock()
	if before < 20 || n-before < 20 {
		t.Fatalf("%d receipts before the kill and %d after; the test needs load on both sides", before, n-before)
	}
	took, ok := time.Time{}, false
	for deadline := time.Now().Add(30 * time.Second); !ok && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		took, ok = survivor.leaseTime("timers")
	}
	if !ok {
		t.Fatalf("the survivor never took the timers lease over:\n%s", survivor.log())
	}
	detector := "never"
	if victimDetector, _ := victim.leaseTime("detector"); !victimDetector.IsZero() {
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if at, ok := survivor.leaseTime("detector"); ok {
				detector = at.Sub(killed).Round(time.Millisecond).String() + " after the SIGKILL"
				break
			}
		}
	}
	t.Logf("%d receipts (%d before the kill); the survivor took the timers over %s after the SIGKILL, the detector lease (if the victim held it) %s", n, before, took.Sub(killed).Round(time.Millisecond), detector)

	// Every FLASH message gets its missed-ack, from whichever replica ran
	// the timers when it fell due.
	operator, err := custody.ReadKeyFile(filepath.Join(survivor.data, "node.key"))
	if err != nil {
		t.Fatal(err)
	}
	oc := dhttp.NewClient(survivor.url(), operator)
	var envs []*dhttp.EnvelopeView
	missed := map[int64]int{} // message index -> missed-acks naming it
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		envs = envs[:0]
		for {
			page, err := oc.Envelopes(ctx, "ru-us", int64(len(envs)), 10000)
			if err != nil {
				t.Fatal(err)
			}
			if envs = append(envs, page...); len(page) < 10000 {
				break
			}
		}
		clear(missed)
		for _, e := range envs {
			if e.Kind == deconflict.KindMissedAck {
				s, _ := e.Signed()
				p, err := deconflict.ParsePayload(s.Payload)
				if err != nil || p.Ack == nil {
					t.Fatalf("missed-ack %d: %v", e.Index, err)
				}
				missed[*p.Ack]++
			}
		}
		if len(missed) == len(flash) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("missed-acks for %v, want one for each of %v", missed, flash)
		}
	}
	for _, i := range flash {
		if missed[i] != 1 {
			t.Fatalf("message %d has %d missed-acks, want 1 (all: %v)", i, missed[i], missed)
		}
	}

	// The log: no gap, every receipt at its index, no envelope twice.
	seen := map[string]bool{}
	for i, e := range envs {
		if e.Index != int64(i) {
			t.Fatalf("envelope %d has index %d", i, e.Index)
		}
		s, _ := e.Signed()
		leaf := deconflict.LeafHash(s.Leaf())
		if seen[string(leaf[:])] {
			t.Fatalf("envelope %d is in the log twice", i)
		}
		seen[string(leaf[:])] = true
	}
	byIndex := map[int64]*dhttp.EnvelopeView{}
	for _, e := range envs {
		byIndex[e.Index] = e
	}
	for idx, lh := range receipts {
		e := byIndex[idx]
		if e == nil {
			t.Fatalf("receipt for index %d, but the log has %d envelopes", idx, len(envs))
		}
		s, _ := e.Signed()
		if got := deconflict.LeafHash(s.Leaf()); !bytes.Equal(got[:], lh) {
			t.Fatalf("index %d: the logged envelope differs from its receipt", idx)
		}
	}

	// The watcher on the survivor saw the whole log, in order.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		watchMu.Lock()
		got := len(watched)
		watchMu.Unlock()
		if got >= len(envs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher on the survivor has %d of %d envelopes", got, len(envs))
		}
	}
	watchMu.Lock()
	for i, idx := range watched[:len(envs)] {
		if idx != int64(i) {
			t.Fatalf("the watcher's envelope %d has index %d", i, idx)
		}
	}
	watchMu.Unlock()

	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		failMu.Lock()
		got := len(failedOver)
		failMu.Unlock()
		if got >= len(envs) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watcher that started on the killed replica has %d of %d envelopes", got, len(envs))
		}
	}
	failMu.Lock()
	for i, idx := range failedOver[:len(envs)] {
		if idx != int64(i) {
			t.Fatalf("the failed-over watcher's envelope %d has index %d", i, idx)
		}
	}
	failMu.Unlock()

	c.env[0] = "DECONFLICT_NODE=" + survivor.url()
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", filepath.Join(work, "ru.key")); !strings.Contains(out, "OK:") {
		t.Fatalf("verify: %q", out)
	}

	// Every missed-ack was escalated (a webhook call that the dead
	// replica made but had not marked done is made again by the survivor:
	// at least once).
	called := map[int64]int{}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		hookMu.Lock()
		clear(called)
		for _, h := range hooks {
			var b node.MissedAckBody
			if err := json.Unmarshal([]byte(h), &b); err != nil {
				t.Fatalf("webhook body %q: %v", h, err)
			}
			called[b.Message]++
		}
		hookMu.Unlock()
		all := true
		for _, i := range flash {
			all = all && called[i] > 0
		}
		if all {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook calls %v, want one for each of %v", called, flash)
		}
	}
}
