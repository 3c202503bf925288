package console_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/custody"
	"github.com/deconflict/deconflict/detect"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sqlite"
)

// testNode is a real node (SQLite in a temporary directory, live picture
// on, HTTP on 127.0.0.1:0) with the console mounted, parties RU, US, FR
// and NATO whose keys it hosts, channels ru-us-syria (RU, US) and ru-nato
// (RU, NATO), and one console user per party: "<party>-officer" (lower
// case) with password "<party>-password".
type testNode struct {
	*node.Node
	Live    *live.Picture
	Server  *dhttp.Server
	Console *console.Console
	Dir     string
	Keys    map[string]ed25519.PrivateKey

	nodeKey ed25519.PrivateKey
	db      *sqlite.DB
	// ahead moves the node's clock (and its live picture's) forward by
	// that many nanoseconds: deadlines pass without waiting for them.
	// The console's own clock (sessions, Console.Now) stays.
	ahead atomic.Int64
}

var testParties = []string{"RU", "US", "FR", "NATO"}

func username(party string) string { return lower(party) + "-officer" }
func password(party string) string { return lower(party) + "-password" }

func lower(s string) string { return string(bytes.ToLower([]byte(s))) }

func startNode(tb testing.TB) *testNode {
	tb.Helper()
	// Officers need to sign in, not strong hashes (TestAddUser checks
	// those): each login hashes once, and -race makes 600,000 rounds slow.
	console.SetPasswordIterations(tb, 1000)
	_, nodeKey, _ := ed25519.GenerateKey(rand.Reader)
	tn := &testNode{Dir: tb.TempDir(), Keys: map[string]ed25519.PrivateKey{}, nodeKey: nodeKey}
	tn.open(tb, true, "127.0.0.1:0")
	tb.Cleanup(tn.close)
	return tn
}

// open opens the node on tn.Dir with tn.nodeKey and serves it at addr;
// first, it also registers the parties, channels and console users.
func (tn *testNode) open(tb testing.TB, first bool, addr string) {
	tb.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(tn.Dir, "deconflict.db"))
	if err != nil {
		tb.Fatal(err)
	}
	n := node.New(db, tn.nodeKey, "test-node")
	n.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n.TickInterval = 50 * time.Millisecond
	n.Now = func() time.Time { return time.Now().Add(time.Duration(tn.ahead.Load())) }
	if err := n.Open(ctx); err != nil {
		db.Close()
		tb.Fatal(err)
	}
	tn.Node, tn.db = n, db
	if first {
		for _, p := range testParties {
			pub, priv, _ := ed25519.GenerateKey(rand.Reader)
			if err := n.CreateParty(ctx, deconflict.NodeAuthor, &deconflict.Party{ID: p, Keys: []deconflict.PartyKey{{Party: p, Public: pub}}}); err != nil {
				tb.Fatal(err)
			}
			if err := custody.Host(tn.Dir, p, priv); err != nil {
				tb.Fatal(err)
			}
			if err := console.AddUser(tn.Dir, username(p), p, password(p)); err != nil {
				tb.Fatal(err)
			}
			tn.Keys[p] = priv
		}
		for id, members := range map[string][]string{"ru-us-syria": {"RU", "US"}, "ru-nato": {"RU", "NATO"}} {
			if err := n.CreateChannel(ctx, deconflict.NodeAuthor, &deconflict.Channel{ID: id, Members: members}); err != nil {
				tb.Fatal(err)
			}
		}
	}
	pic := live.New(n, db)
	pic.Now, pic.Logger = n.Now, n.Logger
	if err := pic.Open(ctx, nil, detect.Config{}); err != nil {
		tb.Fatal(err)
	}
	tn.Live = pic
	s := dhttp.NewServer(n)
	s.SetLive(pic)
	c, err := console.Mount(s, n, tn.Dir)
	if err != nil {
		tb.Fatal(err)
	}
	c.Now = time.Now // sessions keep real time when the node's clock moves (ahead)
	if err := s.Listen(addr); err != nil {
		tb.Fatal(err)
	}
	tn.Server, tn.Console = s, c
}

// close stops the node's server, picture and node and closes its store.
func (tn *testNode) close() {
	tn.Server.Close()
	tn.Live.Close()
	tn.Node.Close()
	tn.db.Close()
}

// Restart stops the node and starts it again on the same data directory,
// node key and address, as an operator's restart does.
func (tn *testNode) Restart(tb testing.TB) {
	tb.Helper()
	addr := tn.Server.Addr()
	tn.close()
	tn.open(tb, false, addr)
}

// browserless is a cookie-keeping HTTP client of the console API.
type browserless struct {
	tb   testing.TB
	base string
	http *http.Client
	csrf bool // send the console's CSRF header
}

func newBrowserless(tb testing.TB, base string) *browserless {
	jar, _ := cookiejar.New(nil)
	return &browserless{tb: tb, base: base, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}, csrf: true}
}

// do sends a request with a JSON body (when in is not nil) and returns the
// status and the decoded error code ("" on success), decoding a success
// into out.
func (b *browserless) do(method, path string, in, out any) (int, string) {
	b.tb.Helper()
	var body io.Reader
	if in != nil {
		j, _ := json.Marshal(in)
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.tb.Fatal(err)
	}
	if b.csrf {
		req.Header.Set(console.CSRFHeader, "1")
	}
	resp, err := b.http.Do(req)
	if err != nil {
		b.tb.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		var e dhttp.ErrorResponse
		json.Unmarshal(data, &e)
		return resp.StatusCode, e.Code
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			b.tb.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return resp.StatusCode, ""
}

// login signs in as party's officer and fails the test if that fails.
func (b *browserless) login(party string) {
	b.tb.Helper()
	var me console.Me
	if st, code := b.do("POST", "/console/login", console.LoginRequest{Username: username(party), Password: password(party)}, &me); code != "" {
		b.tb.Fatalf("login %s: %d %s", party, st, code)
	}
	if me.Party != party {
		b.tb.Fatalf("login party %q, want %q", me.Party, party)
	}
}

// chromium starts headless Chromium for one test, under a deadline of d,
// and returns its root context; extra options (a window size, a flag)
// override the defaults.
func chromium(t *testing.T, d time.Duration, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return chromiumUnder(t, ctx, extra...)
}

// chromiumUnder is chromium under the test's own context ctx.
func chromiumUnder(t *testing.T, ctx context.Context, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath()); err != nil {
		t.Fatalf("browser tests need Chromium at %s (apt-get install -y chromium): %v", chromiumPath(), err)
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath()), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800),
		chromedp.Flag("headless", true), chromedp.Flag("no-sandbox", true), chromedp.Flag("disable-gpu", true),
		chromedp.Flag("no-first-run", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
	}, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	root, cancelRoot := chromedp.NewContext(allocCtx)
	t.Cleanup(cancelRoot)
	if err := chromedp.Do(root, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start %s: %v", chromiumPath(), err)
	}
	return root
}
