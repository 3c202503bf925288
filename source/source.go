// Package source reads live feeds as lines: files (gzip or plain),
// standard input, a TCP client that reconnects with exponential backoff,
// a TCP listener and a UDP listener. Several feeds can be merged into
// one channel. It knows nothing of the formats carried (SBS, NMEA,
// positions CSV): the caller hands each line to its decoder.
//
// Specs:
//
//	PATH, file://PATH         a file, gzip-compressed or not; the feed ends at its end
//	"-"                       standard input
//	tcp://HOST:PORT           connect (a receiver's SBS port 30003, an NMEA feed); reconnect when dropped
//	tcp-listen://[HOST]:PORT  accept any number of connections pushing lines
//	udp://[HOST]:PORT         receive datagrams of one or more lines
//
// Every goroutine a feed starts ends when its context is cancelled (or
// at the end of a file), after which its channel is closed.
package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/safe"
)

// Defaults for Options.
const (
	// DefaultMinBackoff is the first wait (s) before reconnecting a
	// dropped TCP feed; each failed attempt doubles it.
	DefaultMinBackoff = 500 * time.Millisecond
	// DefaultMaxBackoff caps the reconnect wait (s), as the readsb and
	// AIS-catcher feeders' 30 s reconnect interval.
	DefaultMaxBackoff = 30 * time.Second
	// DefaultMaxLine is the longest line accepted (bytes); an NMEA
	// sentence is at most 82 bytes, an SBS line under 200, a tag block
	// adds less than 100. Longer lines are skipped and counted.
	DefaultMaxLine = 64 << 10
	// DefaultBuffer is the capacity of a feed's channel (lines).
	DefaultBuffer = 4096
)

// Line is one line of a feed, without its line ending.
type Line struct {
	Source string    // the spec of the feed ("tcp://host:30003"); for listeners, the peer's address is in Peer
	Peer   string    // the remote address for network feeds, "" otherwise
	Data   []byte    // the line; the receiver owns it
	Time   time.Time // when it was read (Options.Now)
}

// Options tune feeds. The zero value takes the defaults.
type Options struct {
	Stdin      io.Reader                        // for "-"; default os.Stdin
	Now        func() time.Time                 // stamps Line.Time; default time.Now
	Logf       func(format string, args ...any) // connections, drops and skipped lines; default none
	MinBackoff time.Duration                    // default DefaultMinBackoff
	MaxBackoff time.Duration                    // default DefaultMaxBackoff
	MaxLine    int                              // default DefaultMaxLine
	Buffer     int                              // default DefaultBuffer
}

func (o *Options) withDefaults() Options {
	var d Options
	if o != nil {
		d = *o
	}
	if d.Stdin == nil {
		d.Stdin = os.Stdin
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	if d.MinBackoff <= 0 {
		d.MinBackoff = DefaultMinBackoff
	}
	if d.MaxBackoff <= 0 {
		d.MaxBackoff = DefaultMaxBackoff
	}
	if d.MaxBackoff < d.MinBackoff {
		d.MaxBackoff = d.MinBackoff
	}
	if d.MaxLine <= 0 {
		d.MaxLine = DefaultMaxLine
	}
	if d.Buffer <= 0 {
		d.Buffer = DefaultBuffer
	}
	return d
}

// Feed is one running source.
type Feed struct {
	Spec  string
	Lines <-chan Line // closed when the feed ends
	// Addr is the local address of a listener (its port when the spec
	// said 0), nil for other feeds.
	Addr net.Addr

	mu  sync.Mutex
	err error
}

// Err returns why the feed ended, once Lines is closed: nil at the end
// of a file or when the context was cancelled, else the read error.
func (f *Feed) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *Feed) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

// Open starts the feed a spec names and returns its lines. It is Start
// for callers that need neither the listener address nor the final
// error.
func Open(ctx context.Context, spec string, opts *Options) (<-chan Line, error) {
	f, err := Start(ctx, spec, opts)
	if err != nil {
		return nil, err
	}
	return f.Lines, nil
}

// Start starts the feed a spec names. It returns an error with code
// EINVALID for a malformed spec, and the error of opening a file or
// listening; a TCP client's connection failures are not errors (it
// keeps trying, logging each failure through Options.Logf).
func Start(ctx context.Context, spec string, opts *Options) (*Feed, error) {
	o := opts.withDefaults()
	c := make(chan Line, o.Buffer)
	f := &Feed{Spec: spec, Lines: c}
	r := &reader{spec: spec, o: o, c: c, ctx: ctx}
	scheme, rest, hasScheme := strings.Cut(spec, "://")
	if !hasScheme {
		scheme, rest = "file", spec
	}
	switch scheme {
	case "file":
		if rest == "" {
			return nil, deconflict.Errorf(deconflict.EINVALID, "source %q: no file name", spec)
		}
		if rest == "-" {
			go func() {
				defer close(c)
				f.setErr(safe.Call(func() error { return r.read(o.Stdin, "", true) }))
			}()
			return f, nil
		}
		file, err := os.Open(rest)
		if err != nil {
			return nil, err
		}
		go func() {
			defer close(c)
			defer file.Close()
			stop := context.AfterFunc(ctx, func() { file.Close() })
			defer stop()
			err := safe.Call(func() error { return r.readFile(file) })
			if ctx.Err() != nil {
				err = nil
			}
			f.setErr(err)
		}()
		return f, nil
	case "tcp":
		if err := checkHostPort(spec, rest, true); err != nil {
			return nil, err
		}
		go func() {
			defer close(c)
			f.setErr(safe.Call(func() error { r.dialLoop(rest); return nil }))
		}()
		return f, nil
	case "tcp-listen":
		if err := checkHostPort(spec, rest, false); err != nil {
			return nil, err
		}
		ln, err := net.Listen("tcp", rest)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", spec, err)
		}
		f.Addr = ln.Addr()
		go func() {
			defer close(c)
			f.setErr(safe.Call(func() error { return r.acceptLoop(ln) }))
		}()
		return f, nil
	case "udp":
		if err := checkHostPort(spec, rest, false); err != nil {
			return nil, err
		}
		pc, err := net.ListenPacket("udp", rest)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", spec, err)
		}
		f.Addr = pc.LocalAddr()
		go func() {
			defer close(c)
			f.setErr(safe.Call(func() error { return r.udpLoop(pc) }))
		}()
		return f, nil
	}
	return nil, deconflict.Errorf(deconflict.EINVALID,
		"source %q: unknown scheme %q (want a file, -, tcp://, tcp-listen:// or udp://)", spec, scheme)
}

func checkHostPort(spec, hostport string, needHost bool) error {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || port == "" || (needHost && host == "") {
		want := "[HOST]:PORT"
		if needHost {
			want = "HOST:PORT"
		}
		return deconflict.Errorf(deconflict.EINVALID, "source %q: address %q: want %s", spec, hostport, want)
	}
	return nil
}

// Merge starts every spec and merges their lines into one channel,
// closed when all feeds have ended. If a spec cannot be started, the
// feeds already started are stopped and the error returned.
func Merge(ctx context.Context, specs []string, opts *Options) (<-chan Line, []*Feed, error) {
	ctx, cancel := context.WithCancel(ctx)
	o := opts.withDefaults()
	feeds := make([]*Feed, 0, len(specs))
	for _, s := range specs {
		f, err := Start(ctx, s, opts)
		if err != nil {
			cancel()
			for _, g := range feeds {
				for range g.Lines { // wait for the goroutines to end
				}
			}
			return nil, nil, err
		}
		feeds = append(feeds, f)
	}
	out := make(chan Line, o.Buffer)
	var wg sync.WaitGroup
	for _, f := range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range f.Lines {
				select {
				case out <- l:
				case <-ctx.Done():
					for range f.Lines { // drain until the feed closes
					}
					return
				}
			}
		}()
	}
	go func() {
		wg.Wait()
		cancel()
		close(out)
	}()
	return out, feeds, nil
}

// reader turns byte streams into Lines on c.
type reader struct {
	spec string
	o    Options
	c    chan<- Line
	ctx  context.Context
}

// send delivers one line, waiting for room unless ctx is done; it
// reports whether the line was delivered.
func (r *reader) send(peer string, data []byte) bool {
	l := Line{Source: r.spec, Peer: peer, Data: bytes.Clone(data), Time: r.o.Now()}
	select {
	case r.c <- l:
		return true
	case <-r.ctx.Done():
		return false
	}
}

func (r *reader) readFile(file *os.File) error {
	br := bufio.NewReaderSize(file, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("source %s: gzip: %w", r.spec, err)
		}
		defer zr.Close()
		return r.read(zr, "", true)
	}
	return r.read(br, "", true)
}

// read sends every line of rd. A last line without a newline is sent
// when lastPartial is true (a file) and dropped otherwise (a connection
// cut mid-line: the rest of that line is lost, and half a sentence is
// worse than none). Lines over MaxLine are skipped and logged.
func (r *reader) read(rd io.Reader, peer string, lastPartial bool) error {
	br := bufio.NewReaderSize(rd, 64<<10)
	var long []byte // a line longer than the buffer, being assembled
	skipping := false
	for {
		chunk, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !skipping {
				long = append(long, chunk...)
				if len(long) > r.o.MaxLine {
					r.o.Logf("source %s: line over %d bytes skipped", r.spec, r.o.MaxLine)
					long, skipping = long[:0], true
				}
			}
			continue
		}
		if len(chunk) > 0 && (err == nil || lastPartial) {
			line := chunk
			if len(long) > 0 {
				line = append(long, chunk...)
			}
			if skipping {
				skipping = false
			} else if len(line) > r.o.MaxLine+2 {
				r.o.Logf("source %s: line over %d bytes skipped", r.spec, r.o.MaxLine)
			} else {
				line = bytes.TrimRight(line, "\r\n")
				if len(line) > 0 && !r.send(peer, line) {
					return nil
				}
			}
			long = long[:0]
		} else if len(chunk) > 0 || len(long) > 0 {
			r.o.Logf("source %s: connection ended in the middle of a line; %d bytes dropped", r.spec, len(chunk)+len(long))
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// dialLoop connects to addr, reads until the connection drops, and
// connects again after an exponentially growing wait, reset by every
// connection that delivered data, until ctx is done.
func (r *reader) dialLoop(addr string) {
	var d net.Dialer
	backoff := r.o.MinBackoff
	for {
		conn, err := d.DialContext(r.ctx, "tcp", addr)
		if err == nil {
			r.o.Logf("source %s: connected", r.spec)
			stop := context.AfterFunc(r.ctx, func() { conn.Close() })
			cr := &countingReader{r: conn}
			err = r.read(cr, conn.RemoteAddr().String(), false)
			stop()
			conn.Close()
			if cr.n > 0 {
				backoff = r.o.MinBackoff
			}
			if r.ctx.Err() != nil {
				return
			}
			if err == nil {
				err = io.EOF
			}
			r.o.Logf("source %s: connection lost: %v; reconnecting in %v", r.spec, err, backoff)
		} else {
			if r.ctx.Err() != nil {
				return
			}
			r.o.Logf("source %s: %v; retrying in %v", r.spec, err, backoff)
		}
		t := time.NewTimer(backoff)
		select {
		case <-r.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(backoff*2, r.o.MaxBackoff)
	}
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// acceptLoop serves every connection to ln until ctx is done.
func (r *reader) acceptLoop(ln net.Listener) error {
	stop := context.AfterFunc(r.ctx, func() { ln.Close() })
	defer stop()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if r.ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			ln.Close()
			return err
		}
		r.o.Logf("source %s: %s connected", r.spec, conn.RemoteAddr())
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer conn.Close()
			stop := context.AfterFunc(r.ctx, func() { conn.Close() })
			defer stop()
			err := safe.Call(func() error { return r.read(conn, conn.RemoteAddr().String(), false) })
			if r.ctx.Err() == nil {
				r.o.Logf("source %s: %s disconnected (%v)", r.spec, conn.RemoteAddr(), err)
			}
		}()
	}
}

// udpLoop receives datagrams until ctx is done; each holds one or more
// lines.
func (r *reader) udpLoop(pc net.PacketConn) error {
	stop := context.AfterFunc(r.ctx, func() { pc.Close() })
	defer stop()
	defer pc.Close()
	buf := make([]byte, 65536)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if r.ctx.Err() != nil {
				return nil
			}
			return err
		}
		data := buf[:n]
		for len(data) > 0 {
			line, rest, _ := bytes.Cut(data, []byte("\n"))
			data = rest
			line = bytes.TrimRight(line, "\r")
			if len(line) == 0 {
				continue
			}
			if !r.send(addr.String(), line) {
				return nil
			}
		}
	}
}
