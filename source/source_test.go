package source_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/source"
)

const recording = "../testdata/adsb/stratux/gms5002-09072015-problem-stratux-es.log"

// recordingLines returns the non-empty lines of the recording.
func recordingLines(tb testing.TB) []string {
	tb.Helper()
	b, err := os.ReadFile(recording)
	if err != nil {
		tb.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimRight(l, "\r"); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// collect reads n lines from c, failing after a generous deadline so a
// broken feed fails the test instead of hanging it.
func collect(tb testing.TB, c <-chan source.Line, n int) []string {
	tb.Helper()
	var got []string
	deadline := time.After(30 * time.Second)
	for len(got) < n {
		select {
		case l, ok := <-c:
			if !ok {
				return got
			}
			got = append(got, string(l.Data))
		case <-deadline:
			tb.Fatalf("got %d lines, want %d", len(got), n)
		}
	}
	return got
}

func equalLines(tb testing.TB, got, want []string) {
	tb.Helper()
	if len(got) != len(want) {
		tb.Fatalf("%d lines, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			tb.Fatalf("line %d: %q, want %q", i+1, got[i], want[i])
		}
	}
}

func TestOpen_File(t *testing.T) {
	want := recordingLines(t)
	t.Run("Plain", func(t *testing.T) {
		c, err := source.Open(context.Background(), recording, nil)
		if err != nil {
			t.Fatal(err)
		}
		equalLines(t, collect(t, c, len(want)+1), want)
	})
	t.Run("GzipFileScheme", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "feed.log.gz")
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write([]byte(strings.Join(want, "\r\n"))) // CRLF, no final newline
		zw.Close()
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := source.Start(context.Background(), "file://"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		equalLines(t, collect(t, f.Lines, len(want)+1), want)
		if err := f.Err(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("Stdin", func(t *testing.T) {
		c, err := source.Open(context.Background(), "-", &source.Options{Stdin: strings.NewReader("a\n\nb\nc")})
		if err != nil {
			t.Fatal(err)
		}
		equalLines(t, collect(t, c, 4), []string{"a", "b", "c"})
	})
	t.Run("LongLineSkipped", func(t *testing.T) {
		in := "short\n" + strings.Repeat("x", 200_000) + "\nafter\n"
		c, err := source.Open(context.Background(), "-", &source.Options{Stdin: strings.NewReader(in), MaxLine: 1000})
		if err != nil {
			t.Fatal(err)
		}
		equalLines(t, collect(t, c, 3), []string{"short", "after"})
	})
	t.Run("Missing", func(t *testing.T) {
		if _, err := source.Open(context.Background(), filepath.Join(t.TempDir(), "none"), nil); !os.IsNotExist(err) {
			t.Fatalf("err=%v, want not exist", err)
		}
	})
}

// TestOpen_TCPReconnect serves the recording over a local TCP socket,
// drops the connection in the middle of a line, and serves the rest on
// the next connection: the client must reconnect, drop the cut line's
// fragment, and deliver every line after reconnecting.
func TestOpen_TCPReconnect(t *testing.T) {
	lines := recordingLines(t)
	half := len(lines) / 2
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		// First connection: half the lines, then half a line, then drop.
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		conn.Write([]byte(strings.Join(lines[:half], "\n") + "\n" + lines[half][:10]))
		conn.Close()
		// Second connection: the rest, from the line that was cut.
		conn, err = ln.Accept()
		if err != nil {
			return
		}
		conn.Write([]byte(strings.Join(lines[half:], "\n") + "\n"))
		// Keep it open until the test ends, as a live feed would.
		buf := make([]byte, 1)
		conn.Read(buf)
		conn.Close()
	}()
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var logs []string
	opts := &source.Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond,
		Logf: func(format string, args ...any) {
			mu.Lock()
			logs = append(logs, format)
			mu.Unlock()
		}}
	c, err := source.Open(ctx, "tcp://"+ln.Addr().String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(t, c, len(lines))
	equalLines(t, got, lines)
	cancel()
	for range c { // closed once the client goroutine has stopped
	}
	ln.Close()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(strings.Join(logs, "|"), "connection ended in the middle of a line") {
		t.Fatalf("logs %q: want the dropped fragment reported", logs)
	}
}

func TestOpen_TCPListen(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, err := source.Start(ctx, "tcp-listen://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, msg := range []string{"one\ntwo\n", "three\r\n"} {
		conn, err := net.Dial("tcp", f.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		conn.Write([]byte(msg))
		conn.Close()
	}
	got := collect(t, f.Lines, 3)
	want := map[string]bool{"one": true, "two": true, "three": true}
	for _, g := range got {
		if !want[g] {
			t.Fatalf("unexpected line %q", g)
		}
		delete(want, g)
	}
	cancel()
	for range f.Lines {
	}
	if err := f.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestOpen_UDP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, err := source.Start(ctx, "udp://127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("udp", f.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24\r\n!AIVDM,1,1,,B,400TcdiuiT7VDR>3nIfr6>i00000,0*78\r\n"))
	got := collect(t, f.Lines, 2)
	equalLines(t, got, []string{"!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24", "!AIVDM,1,1,,B,400TcdiuiT7VDR>3nIfr6>i00000,0*78"})
	cancel()
	for range f.Lines {
	}
}

func TestMerge(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	lines := recordingLines(t)
	out, feeds, err := source.Merge(ctx, []string{recording, "-"}, &source.Options{Stdin: strings.NewReader("from stdin\n")})
	if err != nil {
		t.Fatal(err)
	}
	if len(feeds) != 2 {
		t.Fatalf("%d feeds, want 2", len(feeds))
	}
	got := collect(t, out, len(lines)+2)
	if got, want := len(got), len(lines)+1; got != want {
		t.Fatalf("%d lines, want %d", got, want)
	}
	t.Run("BadSpecStopsOthers", func(t *testing.T) {
		_, _, err := source.Merge(ctx, []string{"tcp-listen://127.0.0.1:0", "ftp://x"}, nil)
		if deconflict.ErrorCode(err) != deconflict.EINVALID {
			t.Fatalf("err=%v, want EINVALID", err)
		}
	})
}

func TestStart_Err(t *testing.T) {
	for _, spec := range []string{"ftp://host:21", "tcp://nohostport", "tcp://:30003", "udp://127.0.0.1", "tcp-listen://x", "file://"} {
		t.Run(spec, func(t *testing.T) {
			_, err := source.Start(context.Background(), spec, nil)
			if got, want := deconflict.ErrorCode(err), deconflict.EINVALID; got != want {
				t.Fatalf("err=%v, want code %s", err, want)
			}
			if !strings.Contains(err.Error(), spec) {
				t.Fatalf("error %q does not name the spec", err)
			}
		})
	}
}

func TestOpen_CancelStopsClient(t *testing.T) {
	// A client to a port nobody listens on keeps retrying until cancelled.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	c, err := source.Open(ctx, "tcp://"+addr, &source.Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	for range c {
	}
}
