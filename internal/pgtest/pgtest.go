// Package pgtest starts a real PostgreSQL server for a test: initdb in a
// temporary directory, the server on a free loopback port with its unix
// socket beside the data, stopped with pg_ctl when the test ends. It uses
// Debian's binaries (/usr/lib/postgresql/N/bin, or initdb on PATH); the
// project's test script installs them when they are missing.
//
// PostgreSQL refuses to run as root, so a test running as root runs
// initdb and the server as the "postgres" user that Debian's package
// creates (or "nobody" when there is none), in a directory that user owns.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL server owned by one test.
type Server struct {
	Dir    string // holds data/, the socket and server.log
	Port   int
	Bin    string // directory of initdb, pg_ctl, postgres
	cred   *syscall.Credential
	opts   Options
	proc   *exec.Cmd
	exited chan error // receives the server's exit, then is closed
	n      atomic.Int64
}

// Options changes how the server runs.
type Options struct {
	// Durable keeps fsync and synchronous_commit on, as a production server
	// runs; otherwise the server skips fsync, which tests do not need.
	Durable bool
}

// BinDir returns the directory holding initdb and pg_ctl: the newest
// /usr/lib/postgresql/N/bin, or the directory of initdb on PATH.
func BinDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	if len(dirs) > 0 {
		return filepath.Dir(dirs[0]), nil
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("pgtest: no initdb in /usr/lib/postgresql/*/bin nor on PATH: install PostgreSQL (./scripts/test does)")
}

func version(initdb string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(initdb))))
	return n
}

// Start starts a server for t and stops it when t ends. It fails t if the
// server cannot start.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// New starts a server that the caller stops with Stop, for a TestMain
// that shares one server among a package's tests.
func New(o Options) (s *Server, err error) {
	if s, err = newServer(o); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			s.Stop()
		}
	}()
	if out, err := s.command("initdb", "-D", s.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions", "--no-sync").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("pgtest: initdb: %v\n%s", err, out)
	}
	if err := s.run(); err != nil {
		return nil, err
	}
	return s, nil
}

// newServer makes the server's directory, owned by the user PostgreSQL
// runs as, and picks its port.
func newServer(o Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{Bin: bin, opts: o}
	dir, err := os.MkdirTemp("", "deconflict-pg-")
	if err != nil {
		return nil, err
	}
	s.Dir = dir
	if os.Geteuid() == 0 {
		if s.cred, err = unprivileged(); err != nil {
			s.Stop()
			return nil, err
		}
		if err := os.Chown(dir, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			s.Stop()
			return nil, fmt.Errorf("pgtest: chown %s: %w", dir, err)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Stop()
		return nil, err
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	return s, nil
}

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

// run starts the server on its data directory and waits until it takes
// connections.
func (s *Server) run() error {
	args := []string{"-D", s.data(), "-p", strconv.Itoa(s.Port), "-k", s.Dir, "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=200"}
	if !s.opts.Durable {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	logf, err := os.OpenFile(filepath.Join(s.Dir, "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	// The server is the test process's own child, so that it dies with
	// the test binary even when that is killed (a timeout).
	s.proc = s.command("postgres", args...)
	s.proc.Stdout, s.proc.Stderr = logf, logf
	s.proc.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := s.proc.Start(); err != nil {
		s.proc = nil
		return fmt.Errorf("pgtest: start postgres: %w", err)
	}
	proc, exited := s.proc, make(chan error, 1)
	s.exited = exited
	go func() { exited <- proc.Wait(); close(exited) }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		cancel()
		if err == nil {
			c.Close(context.Background())
			return nil
		}
		select {
		case werr := <-exited:
			s.proc, s.exited = nil, nil
			return fmt.Errorf("pgtest: postgres exited: %v\n%s", werr, s.Log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("pgtest: postgres did not accept connections within 60s: %v\n%s", err, s.Log())
		}
	}
}

// NewStandby makes a streaming replica of s (pg_basebackup, with the
// replication settings it writes) on a port of its own, starts it, and
// stops it when t ends. s must be running. It replicates asynchronously
// unless s names it in synchronous_standby_names.
func (s *Server) NewStandby(t testing.TB) *Server {
	t.Helper()
	r, err := newServer(s.opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Stop)
	if out, err := r.command("pg_basebackup", "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "postgres", "-D", r.data(), "-R", "-X", "stream", "-c", "fast", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("pgtest: pg_basebackup: %v\n%s", err, out)
	}
	if err := r.run(); err != nil {
		t.Fatal(err)
	}
	return r
}

// Crash stops the server at once, as a failing machine would (pg_ctl's
// immediate mode: no checkpoint, crash recovery at the next start); its
// data stays for Resume.
func (s *Server) Crash() error { return s.halt("immediate") }

// Halt stops the server cleanly (pg_ctl's fast mode); its data stays for
// Resume.
func (s *Server) Halt() error { return s.halt("fast") }

// Resume starts a crashed or halted server again on the same port.
func (s *Server) Resume() error {
	if s.proc != nil {
		return errors.New("pgtest: the server is running")
	}
	return s.run()
}

// Promote makes a standby the primary (pg_ctl promote) and waits until
// it takes writes.
func (s *Server) Promote() error {
	if out, err := s.command("pg_ctl", "promote", "-D", s.data(), "-w", "-t", "60").CombinedOutput(); err != nil {
		return fmt.Errorf("pgtest: pg_ctl promote: %v\n%s", err, out)
	}
	return nil
}

func (s *Server) halt(mode string) error {
	if s.proc == nil {
		return nil
	}
	var err error
	stop := s.command("pg_ctl", "stop", "-D", s.data(), "-m", mode, "-w", "-t", "30")
	if out, cerr := stop.CombinedOutput(); cerr != nil {
		err = fmt.Errorf("pgtest: pg_ctl stop: %v\n%s", cerr, out)
		s.proc.Process.Kill()
	}
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		s.proc.Process.Kill()
		<-s.exited
	}
	s.proc, s.exited = nil, nil
	return err
}

// unprivileged returns the credentials of the user PostgreSQL runs as
// when the test runs as root.
func unprivileged() (*syscall.Credential, error) {
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}, nil
	}
	return nil, errors.New("pgtest: running as root and neither user postgres nor nobody exists to run PostgreSQL as")
}

func (s *Server) command(name string, args ...string) *exec.Cmd {
	c := exec.Command(filepath.Join(s.Bin, name), args...)
	c.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	c.Dir = s.Dir
	c.Env = append(os.Environ(), "LC_ALL=C", "HOME="+s.Dir)
	return c
}

// Stop stops the server (pg_ctl stop, fast mode) and removes its directory.
func (s *Server) Stop() {
	if err := s.halt("fast"); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if s.Dir != "" {
		os.RemoveAll(s.Dir)
	}
}

// DSN returns the URL of database db on the server, over loopback TCP.
func (s *Server) DSN(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// SocketDSN returns the URL of database db over the server's unix socket.
func (s *Server) SocketDSN(db string) string {
	return fmt.Sprintf("postgres://postgres@/%s?host=%s&port=%d", db, s.Dir, s.Port)
}

// NewDatabase creates an empty database for t (dropped when t ends) and
// returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("t%d", s.n.Add(1))
	ctx := context.Background()
	c, err := pgx.Connect(ctx, s.DSN("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, s.DSN("postgres"))
		if err != nil {
			return
		}
		defer c.Close(ctx)
		c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return s.DSN(name)
}

// Log returns the server's log so far, for a failing test to print.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "server.log"))
	return strings.TrimSpace(string(b))
}
