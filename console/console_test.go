package console_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	dhttp "github.com/deconflict/deconflict/http"
)

func TestAddUser(t *testing.T) {
	dir := t.TempDir()
	t.Run("OK", func(t *testing.T) {
		if err := console.AddUser(dir, "us-officer", "US", "correct horse"); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(dir, console.UsersFile))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "correct horse") {
			t.Fatal("users file holds the password in clear")
		}
		var f struct{ Users []console.User }
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if got, want := len(f.Users), 1; got != want {
			t.Fatalf("users=%d, want %d", got, want)
		}
		u := f.Users[0]
		if u.Iterations < 600_000 || len(u.Salt) < 16 || len(u.Hash) != 32 || u.Algorithm != "pbkdf2-sha256" {
			t.Fatalf("user %+v: want pbkdf2-sha256, >= 600000 iterations, 16-byte salt, 32-byte hash", u)
		}
		fi, _ := os.Stat(filepath.Join(dir, console.UsersFile))
		if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
			t.Fatalf("mode=%v, want %v", got, want)
		}
	})
	t.Run("ReplacesPassword", func(t *testing.T) {
		if err := console.AddUser(dir, "us-officer", "US", "battery staple"); err != nil {
			t.Fatal(err)
		}
		if err := console.AddUser(dir, "ru-officer", "RU", "another secret"); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(filepath.Join(dir, console.UsersFile))
		if got, want := strings.Count(string(b), `"username"`), 2; got != want {
			t.Fatalf("users=%d, want %d", got, want)
		}
	})
	for _, tc := range []struct{ name, user, party, pw, want string }{
		{"ErrUsername", "bad name", "US", "long enough", "username"},
		{"ErrParty", "x", "node", "long enough", "party"},
		{"ErrShortPassword", "x", "US", "short", "at least 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := console.AddUser(dir, tc.user, tc.party, tc.pw)
			if deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err=%v, want invalid naming %q", err, tc.want)
			}
		})
	}
}

func TestUsersAndRemoveUser(t *testing.T) {
	dir := t.TempDir()
	if us, err := console.Users(dir); err != nil || len(us) != 0 {
		t.Fatalf("Users of an empty dir: %v, %v; want none", us, err)
	}
	for _, u := range []struct{ name, party string }{{"us-2", "US"}, {"ru-1", "RU"}, {"us-1", "US"}} {
		if err := console.AddUser(dir, u.name, u.party, "long enough"); err != nil {
			t.Fatal(err)
		}
	}
	names := func() string {
		us, err := console.Users(dir)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range us {
			out = append(out, u.Username+"/"+u.Party)
		}
		return strings.Join(out, ",")
	}
	if got, want := names(), "ru-1/RU,us-1/US,us-2/US"; got != want {
		t.Fatalf("Users=%s, want %s", got, want)
	}
	if err := console.RemoveUser(dir, "us-1"); err != nil {
		t.Fatal(err)
	}
	if got, want := names(), "ru-1/RU,us-2/US"; got != want {
		t.Fatalf("after RemoveUser(us-1) Users=%s, want %s", got, want)
	}
	if err := console.RemoveUser(dir, "us-1"); deconflict.ErrorCode(err) != deconflict.ENOTFOUND || !strings.Contains(err.Error(), "us-1") {
		t.Fatalf("RemoveUser of a removed user: %v, want not found naming it", err)
	}
}

func TestLoginAndSession(t *testing.T) {
	tn := startNode(t)
	base := tn.Server.URL()

	t.Run("ErrWrongPassword", func(t *testing.T) {
		b := newBrowserless(t, base)
		if st, code := b.do("POST", "/console/login", console.LoginRequest{Username: "us-officer", Password: "wrong-password"}, nil); st != http.StatusUnauthorized || code != deconflict.EUNAUTHORIZED {
			t.Fatalf("got %d %s, want 401 unauthorized", st, code)
		}
	})
	t.Run("ErrNoCSRFHeader", func(t *testing.T) {
		b := newBrowserless(t, base)
		b.csrf = false
		if st, _ := b.do("POST", "/console/login", console.LoginRequest{Username: "us-officer", Password: password("US")}, nil); st != http.StatusForbidden {
			t.Fatalf("status=%d, want 403", st)
		}
	})
	t.Run("ErrNotSignedIn", func(t *testing.T) {
		b := newBrowserless(t, base)
		if st, _ := b.do("GET", "/console/me", nil, nil); st != http.StatusUnauthorized {
			t.Fatalf("status=%d, want 401", st)
		}
		if st, _ := b.do("GET", "/v1/channels", nil, nil); st != http.StatusUnauthorized {
			t.Fatalf("/v1/channels status=%d, want 401", st)
		}
	})
	t.Run("OK", func(t *testing.T) {
		b := newBrowserless(t, base)
		b.login("US")
		var me console.Me
		b.do("GET", "/console/me", nil, &me)
		if me.Party != "US" || me.Username != "us-officer" || !me.CanSign {
			t.Fatalf("me=%+v", me)
		}
		var chans []deconflict.Channel
		if st, code := b.do("GET", "/v1/channels", nil, &chans); code != "" {
			t.Fatalf("channels: %d %s", st, code)
		}
		if got, want := len(chans), 1; got != want || chans[0].ID != "ru-us-syria" {
			t.Fatalf("channels=%+v, want only ru-us-syria", chans)
		}
		// Logout ends the session on the server, not only in the browser.
		u, _ := http.NewRequest("GET", base, nil)
		cookies := b.http.Jar.Cookies(u.URL)
		b.do("POST", "/console/logout", nil, nil)
		old := newBrowserless(t, base)
		old.http.Jar.SetCookies(u.URL, cookies)
		if st, _ := old.do("GET", "/v1/channels", nil, nil); st != http.StatusUnauthorized {
			t.Fatalf("old cookie after logout: status=%d, want 401", st)
		}
	})
	t.Run("ErrUserRemoved", func(t *testing.T) {
		if err := console.AddUser(tn.Dir, "us-temp", "US", "temporary password"); err != nil {
			t.Fatal(err)
		}
		b := newBrowserless(t, base)
		if st, code := b.do("POST", "/console/login", console.LoginRequest{Username: "us-temp", Password: "temporary password"}, nil); code != "" {
			t.Fatalf("login: %d %s", st, code)
		}
		if st, code := b.do("GET", "/console/me", nil, nil); code != "" {
			t.Fatalf("me before removal: %d %s", st, code)
		}
		if err := console.RemoveUser(tn.Dir, "us-temp"); err != nil {
			t.Fatal(err)
		}
		if st, code := b.do("GET", "/console/me", nil, nil); st != http.StatusUnauthorized || code != deconflict.EUNAUTHORIZED {
			t.Fatalf("me after removal: %d %s, want 401 unauthorized", st, code)
		}
	})
	t.Run("ErrRateLimited", func(t *testing.T) {
		// The clock stands still: however long each password hash takes
		// (seconds under -race), the failures fall within one minute.
		now := time.Now()
		tn.Console.Now = func() time.Time { return now }
		defer func() { tn.Console.Now = time.Now }()
		b := newBrowserless(t, base)
		for i := 0; i < console.MaxLoginFailures; i++ {
			b.do("POST", "/console/login", console.LoginRequest{Username: "fr-officer", Password: "wrong-password"}, nil)
		}
		// Now even the right password is refused, with a clear status.
		st, _ := b.do("POST", "/console/login", console.LoginRequest{Username: "fr-officer", Password: password("FR")}, nil)
		if got, want := st, http.StatusTooManyRequests; got != want {
			t.Fatalf("status=%d, want %d", got, want)
		}
		// Other users are not affected.
		b.login("NATO")
	})
	t.Run("Expiry", func(t *testing.T) {
		b := newBrowserless(t, base)
		b.login("RU")
		now := time.Now()
		tn.Console.Now = func() time.Time { return now.Add(console.SessionTTL + time.Second) }
		defer func() { tn.Console.Now = time.Now }()
		if st, _ := b.do("GET", "/console/me", nil, nil); st != http.StatusUnauthorized {
			t.Fatalf("expired session: status=%d, want 401", st)
		}
	})
}

func TestSendAckNote(t *testing.T) {
	tn := startNode(t)
	base := tn.Server.URL()
	us, ru, fr := newBrowserless(t, base), newBrowserless(t, base), newBrowserless(t, base)
	us.login("US")
	ru.login("RU")
	fr.login("FR")

	var rec deconflict.Receipt
	if st, code := us.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "FLASH", Text: "turn north now"}, &rec); st != http.StatusCreated {
		t.Fatalf("send: %d %s", st, code)
	}
	if got, want := rec.Index, int64(0); got != want {
		t.Fatalf("Index=%d, want %d", got, want)
	}
	var envs []dhttp.EnvelopeView
	ru.do("GET", "/v1/channels/ru-us-syria/envelopes", nil, &envs)
	if len(envs) != 1 || envs[0].Author != "US" || envs[0].Kind != deconflict.KindMessage {
		t.Fatalf("envelopes=%+v, want one message by US", envs)
	}
	// It is signed with the hosted US key, as any party's envelope.
	if got, want := envs[0].Key, deconflict.EncodeKey(tn.Keys["US"].Public().(ed25519.PublicKey)); got != want {
		t.Fatalf("key=%s, want the hosted US key %s", got, want)
	}
	var inbox []dhttp.InboxEntry
	ru.do("GET", "/v1/channels/ru-us-syria/inbox", nil, &inbox)
	if len(inbox) != 1 {
		t.Fatalf("RU inbox=%d entries, want 1", len(inbox))
	}
	zero := int64(0)
	if st, code := ru.do("POST", "/v1/console/ack", console.AckRequest{Channel: "ru-us-syria", Index: &zero}, nil); st != http.StatusCreated {
		t.Fatalf("ack: %d %s", st, code)
	}
	var duties []deconflict.PendingAck
	us.do("GET", "/v1/channels/ru-us-syria/acks", nil, &duties)
	if len(duties) != 1 || duties[0].Party != "RU" || duties[0].AckIndex == nil {
		t.Fatalf("duties=%+v, want RU's acknowledged", duties)
	}
	if st, code := ru.do("POST", "/v1/console/note", console.NoteRequest{Channel: "ru-us-syria", Text: "acknowledged, turning", ReplyTo: &zero, Incident: "inc-1"}, nil); st != http.StatusCreated {
		t.Fatalf("note: %d %s", st, code)
	}

	t.Run("ErrNonMember", func(t *testing.T) {
		for _, path := range []string{"/v1/channels/ru-us-syria", "/v1/channels/ru-us-syria/envelopes", "/v1/channels/ru-us-syria/checkpoint", "/v1/channels/ru-us-syria/incidents", "/v1/channels/ru-us-syria/verify"} {
			if st, code := fr.do("GET", path, nil, nil); st != http.StatusNotFound || code != deconflict.ENOTFOUND {
				t.Fatalf("FR GET %s: %d %s, want 404 not_found", path, st, code)
			}
		}
		if st, code := fr.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "routine", Text: "hello"}, nil); code != deconflict.ENOTFOUND {
			t.Fatalf("FR send: %d %s, want not_found", st, code)
		}
		if st, code := fr.do("POST", "/v1/console/ack", console.AckRequest{Channel: "ru-us-syria", Index: &zero}, nil); code != deconflict.ENOTFOUND {
			t.Fatalf("FR ack: %d %s, want not_found", st, code)
		}
	})
	t.Run("ErrNoCSRFHeader", func(t *testing.T) {
		us.csrf = false
		defer func() { us.csrf = true }()
		if st, _ := us.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "routine", Text: "x"}, nil); st != http.StatusForbidden {
			t.Fatalf("status=%d, want 403", st)
		}
		// The session does not authorise the node's own POST routes without it either.
		if st, _ := us.do("POST", "/v1/channels", deconflict.Channel{ID: "x", Members: []string{"US", "RU"}}, nil); st != http.StatusForbidden {
			t.Fatalf("POST /v1/channels status=%d, want 403", st)
		}
	})
	for _, tc := range []struct {
		name string
		req  any
		path string
		want string
	}{
		{"ErrPrecedence", console.SendRequest{Channel: "ru-us-syria", Precedence: "urgent", Text: "x"}, "/v1/console/send", deconflict.EINVALID},
		{"ErrEmptyText", console.SendRequest{Channel: "ru-us-syria", Precedence: "routine", Text: "  "}, "/v1/console/send", deconflict.EINVALID},
		{"ErrUnknownField", map[string]string{"channel": "ru-us-syria", "txt": "x"}, "/v1/console/send", deconflict.EINVALID},
		{"ErrAckOwn", console.AckRequest{Channel: "ru-us-syria", Index: &zero}, "/v1/console/ack", deconflict.EINVALID},
		{"ErrNoChannel", console.SendRequest{Channel: "", Precedence: "routine", Text: "x"}, "/v1/console/send", deconflict.EINVALID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if st, code := us.do("POST", tc.path, tc.req, nil); code != tc.want {
				t.Fatalf("%d %s, want %s", st, code, tc.want)
			}
		})
	}
}

func TestPageAndAssets(t *testing.T) {
	tn := startNode(t)
	b := newBrowserless(t, tn.Server.URL())
	for _, path := range []string{"/", "/console/assets/style.css", "/console/assets/js/app.js", "/console/assets/map/countries-50m.json"} {
		req, _ := http.NewRequest("GET", tn.Server.URL()+path, nil)
		resp, err := b.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %s", path, resp.Status)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
			t.Fatalf("GET %s: CSP %q", path, csp)
		}
		if path == "/console/assets/js/app.js" && !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Fatalf("GET %s: Content-Type %q, want JavaScript for an ES module", path, resp.Header.Get("Content-Type"))
		}
	}
}

func TestDemoUsers(t *testing.T) {
	dir := t.TempDir()
	keys := map[string]ed25519.PrivateKey{}
	for _, p := range []string{"US", "RU"} {
		_, keys[p], _ = ed25519.GenerateKey(rand.Reader)
	}
	creds, err := console.DemoUsers(dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(creds), 2; got != want {
		t.Fatalf("credentials=%d, want %d", got, want)
	}
	if c := creds[0]; c.Party != "RU" || c.Username != "ru-officer" || len(c.Password) < 16 {
		t.Fatalf("first credential %+v, want ru-officer with a long password", c)
	}
	// Again (a demo restarted on the same data directory): same keys, new passwords.
	again, err := console.DemoUsers(dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Password == creds[0].Password {
		t.Fatal("the password did not change")
	}
}
