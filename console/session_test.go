package console_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
)

// cookies returns the browserless client's cookies for base.
func (b *browserless) cookies() []*http.Cookie {
	u, _ := url.Parse(b.base)
	return b.http.Jar.Cookies(u)
}

// replay is a new client that carries cookies, as one who copied them.
func replay(t *testing.T, base string, cookies []*http.Cookie) *browserless {
	b := newBrowserless(t, base)
	u, _ := url.Parse(base)
	b.http.Jar.SetCookies(u, cookies)
	return b
}

// TestSessionSurvivesRestart: an officer signed in stays signed in across
// a node restart on the same data directory; a session signed out, one
// expired and one whose user was given a new password do not, before or
// after the restart; the store holds the token's hash, never the token.
func TestSessionSurvivesRestart(t *testing.T) {
	tn := startNode(t)
	base := tn.Server.URL()
	us, ru, fr, nato := newBrowserless(t, base), newBrowserless(t, base), newBrowserless(t, base), newBrowserless(t, base)
	for _, x := range []struct {
		b     *browserless
		party string
	}{{us, "US"}, {ru, "RU"}, {fr, "FR"}, {nato, "NATO"}} {
		x.b.login(x.party)
	}
	// RU signs out; a copy of its cookie made before must not sign in again.
	ruCopy := replay(t, base, ru.cookies())
	if st, code := ru.do("POST", "/console/logout", nil, nil); code != "" {
		t.Fatalf("logout: %d %s", st, code)
	}
	// FR's officer is given a new password: its session ends.
	if err := console.AddUser(tn.Dir, username("FR"), "FR", "a brand new password"); err != nil {
		t.Fatal(err)
	}
	token := ""
	for _, c := range us.cookies() {
		if c.Name == console.CookieName {
			token = c.Value
		}
	}
	if token == "" {
		t.Fatal("no session cookie")
	}

	tn.Restart(t)

	var me console.Me
	if st, code := us.do("GET", "/console/me", nil, &me); code != "" || me.Username != "us-officer" || me.Party != "US" {
		t.Fatalf("US after restart: %d %s %+v, want signed in as us-officer", st, code, me)
	}
	var chans []deconflict.Channel
	if st, code := us.do("GET", "/v1/channels", nil, &chans); code != "" || len(chans) != 1 {
		t.Fatalf("US channels after restart: %d %s %+v", st, code, chans)
	}
	var rec deconflict.Receipt
	if st, code := us.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "routine", Text: "still signed in"}, &rec); st != http.StatusCreated {
		t.Fatalf("US send after restart: %d %s", st, code)
	}
	for name, b := range map[string]*browserless{"signed out (a copied cookie)": ruCopy, "signed out": ru, "new password": fr} {
		if st, code := b.do("GET", "/console/me", nil, nil); st != http.StatusUnauthorized || code != deconflict.EUNAUTHORIZED {
			t.Fatalf("%s: /console/me %d %s, want 401 unauthorized", name, st, code)
		}
		if st, _ := b.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "routine", Text: "replayed"}, nil); st != http.StatusUnauthorized {
			t.Fatalf("%s: send %d, want 401", name, st)
		}
	}
	// Expiry holds across the restart too, by the console's clock.
	now := time.Now()
	tn.Console.Now = func() time.Time { return now.Add(console.SessionTTL + time.Minute) }
	if st, _ := nato.do("GET", "/console/me", nil, nil); st != http.StatusUnauthorized {
		t.Fatalf("expired session after restart: %d, want 401", st)
	}
	tn.Console.Now = time.Now
	// The data directory holds no token: only its hash is stored.
	if out := grepDir(t, tn.Dir, token); out != "" {
		t.Fatalf("the session token is stored in clear in %s", out)
	}
}

// TestStreamEndsWithSession: an open watch stream opened with a session
// ends when the officer signs out (at once), when the officer's user is
// removed, and when the session expires (within StreamCheck), and the
// page is told why.
func TestStreamEndsWithSession(t *testing.T) {
	tn := startNode(t)
	tn.Console.StreamCheck = 20 * time.Millisecond
	// The clock moves by an offset the stream checker reads safely.
	var ahead atomic.Int64
	tn.Console.Now = func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	base := tn.Server.URL()
	dial := func(b *browserless, path string) *websocket.Conn {
		t.Helper()
		h := http.Header{}
		for _, c := range b.cookies() {
			h.Add("Cookie", c.Name+"="+c.Value)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http")+path, &websocket.DialOptions{HTTPHeader: h})
		if err != nil {
			t.Fatalf("dial %s: %v", path, err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	// ended reads c until it closes and returns the close reason.
	ended := func(c *websocket.Conn) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			if _, _, err := c.Read(ctx); err != nil {
				if ctx.Err() != nil {
					t.Fatal("the stream did not end")
				}
				if s := websocket.CloseStatus(err); s != websocket.StatusPolicyViolation {
					t.Fatalf("stream ended with %v, want a policy violation close", err)
				}
				var ce websocket.CloseError
				if errors.As(err, &ce) {
					return ce.Reason
				}
				return ""
			}
		}
	}
	t.Run("SignOut", func(t *testing.T) {
		b := newBrowserless(t, base)
		b.login("US")
		c, pic := dial(b, "/v1/channels/ru-us-syria/watch"), dial(b, "/v1/picture/watch")
		b.do("POST", "/console/logout", nil, nil)
		for _, s := range []*websocket.Conn{c, pic} {
			if got := ended(s); !strings.Contains(got, "session ended") {
				t.Fatalf("close reason %q", got)
			}
		}
	})
	t.Run("UserRemoved", func(t *testing.T) {
		if err := console.AddUser(tn.Dir, "ru-temp", "RU", "temporary password"); err != nil {
			t.Fatal(err)
		}
		b := newBrowserless(t, base)
		if st, code := b.do("POST", "/console/login", console.LoginRequest{Username: "ru-temp", Password: "temporary password"}, nil); code != "" {
			t.Fatalf("login: %d %s", st, code)
		}
		other := newBrowserless(t, base)
		other.login("RU")
		c, keep := dial(b, "/v1/channels/ru-us-syria/watch"), dial(other, "/v1/channels/ru-us-syria/watch")
		if err := console.RemoveUser(tn.Dir, "ru-temp"); err != nil {
			t.Fatal(err)
		}
		ended(c)
		// RU's other officer still reads: its stream gets the next message.
		us := newBrowserless(t, base)
		us.login("US")
		if st, code := us.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "routine", Text: "still there?"}, nil); st != http.StatusCreated {
			t.Fatalf("send: %d %s", st, code)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for {
			_, data, err := keep.Read(ctx)
			if err != nil {
				t.Fatalf("the other officer's stream: %v", err)
			}
			if strings.Contains(string(data), "still there?") {
				break
			}
		}
	})
	t.Run("Expired", func(t *testing.T) {
		b := newBrowserless(t, base)
		b.login("NATO")
		c := dial(b, "/v1/channels/ru-nato/watch")
		ahead.Store(int64(console.SessionTTL))
		defer ahead.Store(0)
		ended(c)
	})
}

// grepDir returns the first file under dir whose bytes contain s ("" if
// none).
func grepDir(t *testing.T, dir, s string) string {
	t.Helper()
	found := ""
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || found != "" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			found = path
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}
