package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func nodeName(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v1/node")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ Name string }
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info.Name
}

// TestDataDirOneProcess: a second serve on a data directory in use
// refuses to start (it used to start, and its first append broke the
// first node's appends for good).
func TestDataDirOneProcess(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	first := startServe(t, dir, data, freeAddr(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, binary, "serve", "--data", data, "--addr", freeAddr(t))
	out, err := second.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("a second serve on the same data directory kept running:\n%s", out)
	}
	if err == nil || !strings.Contains(string(out), "in use") {
		t.Fatalf("second serve: err %v, output:\n%s\nwant a refusal saying the directory is in use", err, out)
	}
	// Once the first has stopped, the directory can be served again.
	first.Process.Kill()
	first.Wait()
	startServe(t, dir, data, freeAddr(t))
}

// TestDefaultNodeNameUnique: two nodes started without --name get
// different names (checkpoint origins), kept across restarts.
func TestDefaultNodeNameUnique(t *testing.T) {
	dir := t.TempDir()
	a, b := freeAddr(t), freeAddr(t)
	na := startServe(t, dir, filepath.Join(dir, "a"), a)
	startServe(t, dir, filepath.Join(dir, "b"), b)
	nameA, nameB := nodeName(t, a), nodeName(t, b)
	if nameA == nameB || !strings.HasPrefix(nameA, "deconflict-") || !strings.HasPrefix(nameB, "deconflict-") {
		t.Fatalf("default names %q and %q: want two different deconflict-... names", nameA, nameB)
	}
	na.Process.Kill()
	na.Wait()
	a2 := freeAddr(t)
	startServe(t, dir, filepath.Join(dir, "a"), a2)
	if got := nodeName(t, a2); got != nameA {
		t.Fatalf("after a restart the node is named %q, was %q", got, nameA)
	}
}
