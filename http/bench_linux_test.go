//go:build linux

package http_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

// BenchmarkWatchLatencySplit is BenchmarkWatchLatency with the node in a
// process of its own (this test binary run again as a node, configured as
// serve configures it, over SQLite in a temporary directory), so that the
// CPU the node spends (node-cores, node-us/send: per message sent, with its
// 100 deliveries and its seen record) is told from the clients'. In
// "pinned", the node runs on CPU 0 and the clients on CPU 1 (taskset).
func BenchmarkWatchLatencySplit(b *testing.B) {
	for _, pinned := range []bool{false, true} {
		name := "shared"
		if pinned {
			name = "pinned"
		}
		b.Run(name, func(b *testing.B) {
			_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
			var argv []string
			if pinned {
				argv = []string{"taskset", "-c", "0"}
				pin(b, "1")
				defer pin(b, "0,1")
			}
			argv = append(argv, os.Args[0], "-test.run=^$")
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = append(os.Environ(), benchNodeEnv+"="+hex.EncodeToString(nodeKey.Seed()), benchNodeDirEnv+"="+b.TempDir())
			cmd.Stderr = os.Stderr
			in, err := cmd.StdinPipe()
			if err != nil {
				b.Fatal(err)
			}
			out, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			defer func() { in.Close(); cmd.Wait() }()
			line, err := bufio.NewReader(out).ReadString('\n')
			if err != nil {
				b.Fatalf("node process: %v", err)
			}
			addr := strings.TrimSpace(line)
			ctx := context.Background()
			op := dhttp.NewClient("http://"+addr, nodeKey)
			keys := map[string]ed25519.PrivateKey{}
			for _, id := range []string{"RU", "US"} {
				pub, priv, _ := ed25519.GenerateKey(rand.Reader)
				if err := op.CreateParty(ctx, &dhttp.PartyRequest{ID: id, Keys: []string{deconflict.EncodeKey(pub)}}); err != nil {
					b.Fatal(err)
				}
				keys[id] = priv
			}
			if err := op.CreateChannel(ctx, &deconflict.Channel{ID: "ru-us", Members: []string{"RU", "US"}}); err != nil {
				b.Fatal(err)
			}
			nodeBefore, clientBefore := childCPU(b, cmd.Process.Pid), processCPU()
			commitsBefore := metric(b, op, "deconflict_append_batches_total")
			st := watchLatency(b, addr, keys["RU"], keys["US"])
			nodeCPU, clientCPU := childCPU(b, cmd.Process.Pid)-nodeBefore, processCPU()-clientBefore
			// Every commit wakes every watcher: the fan-out's cost follows it.
			b.ReportMetric((metric(b, op, "deconflict_append_batches_total")-commitsBefore)/float64(st.sent), "commits/send")
			st.report(b)
			b.ReportMetric(nodeCPU.Seconds()/st.wall.Seconds(), "node-cores")
			b.ReportMetric(clientCPU.Seconds()/st.wall.Seconds(), "client-cores")
			b.ReportMetric(float64(nodeCPU.Microseconds())/float64(st.sent), "node-us/send")
		})
	}
}

// pin sets the CPUs every thread of this process may run on.
func pin(b *testing.B, cpus string) {
	b.Helper()
	if out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(os.Getpid())).CombinedOutput(); err != nil {
		b.Fatalf("taskset: %v: %s", err, out)
	}
}

// processCPU returns the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// childCPU returns the user and system CPU time process pid has used,
// from /proc (in the kernel's USER_HZ ticks, 100 per second).
func childCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses.
	f := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: utime %q, stime %q", pid, f[11], f[12])
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// metric returns the value of the node's metric name (without labels).
func metric(b *testing.B, op *dhttp.Client, name string) float64 {
	b.Helper()
	raw, err := op.Get(context.Background(), "/metrics")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatalf("metric %s: %v", name, err)
			}
			return f
		}
	}
	b.Fatalf("no metric %s", name)
	return 0
}
