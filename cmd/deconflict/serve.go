package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/custody"
	"github.com/deconflict/deconflict/detect"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/ingest"
	"github.com/deconflict/deconflict/internal/flock"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/postgres"
	"github.com/deconflict/deconflict/sqlite"
)

func init() {
	register("serve", &command{
		Summary: "run a node (SQLite storage in the data directory, or PostgreSQL)",
		Usage: `
usage: deconflict serve [--data DIR] [--db postgres://...] [--addr HOST:PORT] [--name NAME] [--log-format text|json]

Runs a node. On first start it creates DIR (default ./deconflict-data) with
the SQLite database (deconflict.db) and the node's own key (node.key),
which signs checkpoints and node envelopes and is the operator's identity
for 'party' and 'channel' commands. With --db postgres://... the node
stores everything in that PostgreSQL database instead, and DIR keeps only
node.key. The node's name (the first part of every checkpoint origin) is
--name, or else "deconflict-" and 12 hex digits of the node key's hash,
fixed at the first start. A second process on a DIR in use refuses to
start (DIR/lock is held for the node's life). On every start it checks
each channel's stored log against its last signed checkpoint (every
leaf's bytes and stored hash; the signatures and keys of the envelopes
added since the checkpoint it last checked, or of all with --full-check)
and refuses to serve a channel whose store was altered.

Attachments (files a message carries by hash, their bytes kept apart from
the log): --attach-max-bytes (default 8 MiB) bounds one file,
--attach-quota-bytes (default 1 GiB) all of them together, and
--attach-types (default image/png,image/jpeg,application/pdf,text/plain)
lists the media types taken; --attach-types '' takes none.

Environment: DECONFLICT_DATA, DECONFLICT_DB, DECONFLICT_ADDR, DECONFLICT_NAME.

example:
  deconflict serve --data /var/lib/deconflict --addr 127.0.0.1:8080
  deconflict serve --data /etc/deconflict --db postgres://deconflict@db1/deconflict`,
		Run: runServe,
	})
}

// nodeOptions are the settings shared by serve and demo.
type nodeOptions struct {
	data, addr, name, logFormat string
	db                          string // PostgreSQL URL; "" for SQLite in data
	tick                        time.Duration
	parties                     string   // parties file for attribution
	sources                     []string // feeds to ingest directly
	sourceFormat                string   // their format
	serveAltered                bool     // serve channels that fail the start-up check
	fullCheck                   bool     // check every envelope's signature at start-up
	attachMaxBytes              int64    // the largest attachment
	attachQuotaBytes            int64    // all attachments together
	attachTypes                 string   // the media types allowed as attachments, comma-separated
	metricsChannels             bool     // per-channel link test figures on /metrics
	maxConns, maxStreams        int      // open connections and streams the HTTP server takes
	maxStreamsPerClient         int      // open streams per key or console session
	watchLinger                 time.Duration
	// onLinkTest, when set, is the node's OnLinkTest (the demo answers
	// for the parties whose keys it hosts).
	onLinkTest func(ctx context.Context, n *node.Node, channel string, index int64, parties []string)
}

func (m *Main) addNodeFlags(fs *flag.FlagSet, o *nodeOptions, defAddr string) {
	fs.BoolVar(&o.fullCheck, "full-check", false, "at start-up, check every envelope's signature and key, not only those added since the last checked checkpoint")
	fs.BoolVar(&o.serveAltered, "serve-altered", false, "serve channels whose stored log fails the start-up check, so members can audit it (forensics only)")
	fs.StringVar(&o.parties, "parties", "", "parties file (JSON) for attributing tracks: declared assets and alliances (default: NATO members to NATO, Russia to RU)")
	fs.Func("source", "a feed to ingest directly (file, tcp://HOST:PORT, tcp-listen://:PORT, udp://:PORT; repeatable)", func(v string) error { o.sources = append(o.sources, v); return nil })
	fs.StringVar(&o.sourceFormat, "source-format", "ais", "format of the --source feeds: ais, sbs, csv, ...")
	fs.StringVar(&o.data, "data", m.envOr("DECONFLICT_DATA", DefaultDataDir), "data directory (env DECONFLICT_DATA)")
	fs.StringVar(&o.db, "db", m.Getenv("DECONFLICT_DB"), "PostgreSQL database URL (postgres://...) instead of SQLite in the data directory (env DECONFLICT_DB)")
	fs.StringVar(&o.addr, "addr", m.envOr("DECONFLICT_ADDR", defAddr), "listen address (env DECONFLICT_ADDR)")
	fs.StringVar(&o.name, "name", m.Getenv("DECONFLICT_NAME"), "node name, the first part of checkpoint origins (kept from the first start; env DECONFLICT_NAME)")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.Int64Var(&o.attachMaxBytes, "attach-max-bytes", node.DefaultAttachMaxBytes, "the largest attachment (file) the node takes, bytes")
	fs.Int64Var(&o.attachQuotaBytes, "attach-quota-bytes", node.DefaultAttachQuotaBytes, "all attachments the node stores together (each file once), bytes")
	fs.StringVar(&o.attachTypes, "attach-types", strings.Join(node.DefaultAttachTypes, ","), "the media types the node takes as attachments, comma-separated")
	fs.DurationVar(&o.tick, "tick", 500*time.Millisecond, "how often acknowledgement deadlines and webhooks are checked")
	fs.IntVar(&o.maxConns, "max-conns", dhttp.DefaultMaxConns, "open HTTP connections the node takes (streams included); one over it is answered 503 and closed")
	fs.IntVar(&o.maxStreams, "max-streams", dhttp.DefaultMaxStreams, "open streams (watch, picture watch) the node takes in total; one over it is refused with 429")
	fs.IntVar(&o.maxStreamsPerClient, "max-streams-per-client", dhttp.DefaultMaxStreamsPerClient, "open streams per key or console session; one over it is refused with 429")
	fs.DurationVar(&o.watchLinger, "watch-linger", dhttp.DefaultWatchLinger, "how long a batched watch stream holds a write that closely follows its last one, to send what is committed meanwhile with it (0: none)")
	fs.BoolVar(&o.metricsChannels, "metrics-channels", false, "add each channel's and party's link test availability to /metrics, labelled (whoever reaches /metrics then sees channel ids and members)")
}

// attachLimits reads the --attach-* flags.
func (o *nodeOptions) attachLimits() (node.AttachLimits, error) {
	l := node.AttachLimits{MaxBytes: o.attachMaxBytes, QuotaBytes: o.attachQuotaBytes, Types: []string{}}
	if l.MaxBytes < 1 || l.MaxBytes > 1<<30 {
		return l, usagef("--attach-max-bytes %d: want 1 to %d", l.MaxBytes, 1<<30)
	}
	if l.QuotaBytes < l.MaxBytes {
		return l, usagef("--attach-quota-bytes %d: want at least --attach-max-bytes (%d)", l.QuotaBytes, l.MaxBytes)
	}
	for _, t := range strings.Split(o.attachTypes, ",") {
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if err := deconflict.CheckMediaType(t); err != nil {
			return l, usagef("--attach-types: %s", deconflict.ErrorMessage(err))
		}
		l.Types = append(l.Types, t)
	}
	return l, nil
}

// running is a started node with its HTTP server.
type running struct {
	node   *node.Node
	live   *live.Picture
	store  deconflict.Store
	server *dhttp.Server
	lock   *flock.Lock    // the data directory's, held until Close
	feeds  *ingest.Feeder // the --source feeds, nil without any
}

func (r *running) Close() {
	if r.feeds != nil {
		r.feeds.Close()
	}
	r.server.Close()
	r.live.Close()
	r.node.Close()
	r.store.Close()
	r.lock.Release()
}

func (m *Main) startNode(ctx context.Context, o *nodeOptions) (_ *running, err error) {
	var h slog.Handler = slog.NewTextHandler(m.Stderr, nil)
	if o.logFormat == "json" {
		h = slog.NewJSONHandler(m.Stderr, nil)
	} else if o.logFormat != "text" {
		return nil, usagef("--log-format %q: want text or json", o.logFormat)
	}
	readSource, err := reportFormatNamed(o.sourceFormat)
	if err != nil {
		return nil, err
	}
	attach, err := o.attachLimits()
	if err != nil {
		return nil, err
	}
	logger := slog.New(h)
	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	// One data directory, one process: a second node on it would break
	// the first one's appends.
	lock, err := flock.Acquire(filepath.Join(o.data, "lock"))
	if errors.Is(err, flock.ErrLocked) {
		return nil, fmt.Errorf("data directory %s is in use by another deconflict process (its lock file is held)", o.data)
	} else if err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	defer func() {
		if err != nil {
			lock.Release()
		}
	}()
	key, created, err := custody.LoadOrCreateKey(filepath.Join(o.data, "node.key"))
	if err != nil {
		return nil, fmt.Errorf("node key: %w", err)
	}
	if created {
		logger.Info("created node key", "path", filepath.Join(o.data, "node.key"))
	}
	db, err := openStore(ctx, o)
	if err != nil {
		return nil, err
	}
	name, err := db.Meta(ctx, "node_name")
	if deconflict.ErrorCode(err) == deconflict.ENOTFOUND {
		name, err = "", nil // a new data directory
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	switch {
	case name == "" && o.name == "":
		// Unique without the operator thinking about it: members pin
		// a checkpoint origin with the node key.
		name = node.DefaultName(key.Public().(ed25519.PublicKey))
	case name == "":
		name = o.name
	case o.name != "" && o.name != name:
		db.Close()
		return nil, fmt.Errorf("--name %q: this data directory's node is named %q, which its checkpoints carry; it cannot change", o.name, name)
	}
	if err := db.SetMeta(ctx, "node_name", name); err != nil {
		db.Close()
		return nil, err
	}
	n := node.New(db, key, name)
	n.Logger = logger
	n.TickInterval = o.tick
	n.OnLinkTest = o.onLinkTest
	n.ServeAltered = o.serveAltered
	n.FullCheck = o.fullCheck
	n.Attach = attach
	if r, ok := db.(deconflict.Replicas); ok {
		// Other replicas may share this database: timers under a lease,
		// logs followed through notifications and polling.
		n.Replicas = r
	}
	if err := n.Open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	var base *attrib.File
	if o.parties != "" {
		f, err := readPartiesFile(o.parties)
		if err != nil {
			n.Close()
			db.Close()
			return nil, err
		}
		base = &f
	}
	pic := live.New(n, db)
	pic.Now, pic.Logger = n.Now, n.Logger
	if bus, ok := db.(live.ReportBus); ok && n.Replicas != nil {
		// Replicas share reports; the detector lease's holder posts alerts.
		pic.Bus = bus
		pic.Leading = func() bool { return n.Leading(node.LeaseDetector) }
		n.OnLease(node.LeaseDetector, pic.WakeAlerts)
	}
	if err := pic.Open(ctx, base, detect.Config{}); err != nil {
		n.Close()
		db.Close()
		return nil, err
	}
	srv := dhttp.NewServer(n)
	srv.SetLive(pic)
	srv.Version = buildVersion()
	srv.MetricsChannels = o.metricsChannels
	srv.MaxConns, srv.MaxStreams, srv.MaxStreamsPerClient = o.maxConns, o.maxStreams, o.maxStreamsPerClient
	srv.WatchLinger = o.watchLinger
	if o.watchLinger <= 0 {
		srv.WatchLinger = -1 // none (the Server's 0 is the default)
	}
	if _, err := console.Mount(srv, n, o.data); err != nil {
		pic.Close()
		n.Close()
		db.Close()
		return nil, fmt.Errorf("console: %w", err)
	}
	if err := srv.Listen(o.addr); err != nil {
		pic.Close()
		n.Close()
		db.Close()
		return nil, err
	}
	logger.Info("node serving", "name", name, "url", srv.URL(), "data", o.data, "node_key", deconflict.EncodeKey(n.PublicKey()))
	r := &running{node: n, live: pic, store: db, server: srv, lock: lock}
	if len(o.sources) > 0 {
		r.feeds = ingest.Start(ctx, o.sources, readSource, func(ctx context.Context, rs []deconflict.Report) error {
			return pic.Ingest(ctx, deconflict.NodeAuthor, rs)
		}, &ingest.Options{Source: m.sourceOptions()})
		go func() {
			<-r.feeds.Done()
			if err := r.feeds.Err(); err != nil {
				logger.Error("sources ended", "err", err, "reports", r.feeds.Stats().Reports)
			} else {
				logger.Info("sources ended", "reports", r.feeds.Stats().Reports)
			}
		}()
	}
	return r, nil
}

// openStore opens the node's database: PostgreSQL when o.db is set,
// otherwise SQLite in the data directory.
func openStore(ctx context.Context, o *nodeOptions) (deconflict.Store, error) {
	switch {
	case o.db == "":
		return sqlite.Open(ctx, filepath.Join(o.data, "deconflict.db"))
	case strings.HasPrefix(o.db, "postgres://"), strings.HasPrefix(o.db, "postgresql://"):
		return postgres.Open(ctx, o.db)
	}
	return nil, fmt.Errorf("--db %q: want a postgres:// URL (or no --db for SQLite in the data directory)", o.db)
}

func runServe(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("serve")
	var o nodeOptions
	m.addNodeFlags(fs, &o, "127.0.0.1:8080")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("serve: unexpected argument %q", pos[0])
	}
	r, err := m.startNode(ctx, &o)
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Fprintf(m.Stdout, "deconflict node %q listening on %s\n", r.node.Name, r.server.URL())
	<-ctx.Done()
	return nil
}

func readPartiesFile(path string) (attrib.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return attrib.File{}, err
	}
	defer f.Close()
	pf, err := attrib.ReadFile(f)
	if err != nil {
		return attrib.File{}, fmt.Errorf("%s: %w", path, err)
	}
	return pf, nil
}
