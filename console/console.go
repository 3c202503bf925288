// Package console serves the node's web console: the embedded page and
// its assets, password sign-in per hosted party with server-side
// sessions, and the few endpoints by which a signed-in officer sends,
// acknowledges and annotates with the party key the node hosts. Every
// read goes through the node's existing API, which the session
// authenticates as the officer's party; the node, not the page, decides
// what a party may see.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/safe"
	"github.com/deconflict/deconflict/node"
)

//go:embed assets
var assets embed.FS

// CookieName is the session cookie.
const CookieName = "deconflict_session"

// CSRFHeader must be sent, with the value "1", on every console request
// that changes state. A cross-site form cannot set it, and a cross-site
// script cannot send it without a CORS preflight the node never allows.
const CSRFHeader = "X-Deconflict-Console"

// SessionTTL is how long a session lasts after sign-in: a 12-hour watch.
const SessionTTL = 12 * time.Hour

// Login rate limit: at most MaxLoginFailures failed sign-ins per username
// within LoginFailureWindow.
const (
	MaxLoginFailures   = 5
	LoginFailureWindow = time.Minute
)

// MaxTextBytes is the longest message or note text the console sends.
const MaxTextBytes = 16 << 10

// DefaultStreamCheck is how often the console checks that the sessions
// of open streams (the hotline's and the picture's WebSockets) are still
// signed in, ending the streams of those that are not.
const DefaultStreamCheck = 2 * time.Second

// Console is the web console mounted on a node's HTTP server.
type Console struct {
	node    *node.Node
	dataDir string
	logger  *slog.Logger
	// Now is the clock of sessions and rate limits (the node's by default).
	Now func() time.Time
	// StreamCheck is how often open streams' sessions are checked
	// (DefaultStreamCheck when 0). A sign-out here ends its streams at
	// once; a user removed, a session expired or signed out on another
	// replica, within StreamCheck.
	StreamCheck time.Duration

	mu       sync.Mutex
	failures map[string][]time.Time    // failed sign-ins per username; guarded by mu
	streams  map[*streamWatch]struct{} // open streams' sessions; guarded by mu
	polling  bool                      // pollStreams runs; guarded by mu
	hashing  chan struct{}             // bounds concurrent password hashing (CPU)
}

// session is a live console session: the SHA-256 of its token (its key
// in the store) and whom it signs in.
type session struct {
	key             [32]byte
	username, party string
	expires         time.Time
}

// streamWatch is an open stream's session (SessionWatch).
type streamWatch struct {
	key   [32]byte
	ended chan struct{} // closed by end
	once  sync.Once
}

func (w *streamWatch) end() { w.once.Do(func() { close(w.ended) }) }

// Mount registers the console's routes on s.Mux (the page at /, assets
// under /console/assets/, sign-in under /console/, sending under
// /v1/console/) and sets s.SessionAuth so that the node's /v1 routes
// accept a console session as its party. dataDir holds console-users.json
// and parties/<PARTY>.key. Call it before s.Listen. It returns an error if
// the users file is unreadable.
func Mount(s *dhttp.Server, n *node.Node, dataDir string) (*Console, error) {
	if _, err := readUsers(dataDir); err != nil {
		return nil, err
	}
	c := &Console{
		node: n, dataDir: dataDir, logger: n.Logger, Now: n.Now,
		failures: map[string][]time.Time{},
		streams:  map[*streamWatch]struct{}{},
		hashing:  make(chan struct{}, 2),
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	static, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	m := s.Mux
	m.HandleFunc("GET /{$}", c.index)
	m.Handle("GET /console/assets/", http.StripPrefix("/console/assets/", staticHandler(http.FileServerFS(static))))
	m.HandleFunc("POST /console/login", c.handle(s, false, c.login))
	m.HandleFunc("POST /console/logout", c.handle(s, false, c.logout))
	m.HandleFunc("GET /console/me", c.handle(s, true, c.me))
	m.HandleFunc("POST /v1/console/send", c.handle(s, true, c.send))
	m.HandleFunc("POST /v1/console/ack", c.handle(s, true, c.ack))
	m.HandleFunc("POST /v1/console/note", c.handle(s, true, c.note))
	c.regimeRoutes(s)
	c.reportRoutes(s)
	c.linkTestRoutes(s)
	prev := s.SessionAuth
	s.SessionAuth = func(r *http.Request) (string, error) {
		if p, err := c.Authenticate(r); p != "" || err != nil || prev == nil {
			return p, err
		}
		return prev(r)
	}
	s.SessionWatch = c.watchSession
	// A console session's streams count against the session (serve
	// --max-streams-per-client), not against its party's other users.
	s.StreamClient = func(r *http.Request) string {
		if k, err := r.Cookie(CookieName); err == nil {
			return k.Value
		}
		return ""
	}
	return c, nil
}

// Authenticate returns the party of the request's session cookie: "" and
// no error when it carries none, EUNAUTHORIZED for an unknown, expired or
// revoked session, EFORBIDDEN for a state-changing request without
// CSRFHeader.
func (c *Console) Authenticate(r *http.Request) (string, error) {
	s, err := c.session(r)
	if s == nil || err != nil {
		return "", err
	}
	return s.party, nil
}

// session returns the request's live session, nil if it has no cookie.
func (c *Console) session(r *http.Request) (*session, error) {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" {
		return nil, nil
	}
	s, err := c.check(r.Context(), sha256.Sum256([]byte(ck.Value)))
	if err != nil {
		return nil, err
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if r.Header.Get(CSRFHeader) != "1" {
			return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "console %s request without the %s: 1 header", r.Method, CSRFHeader)
		}
	}
	return s, nil
}

// check returns the session whose token hashes to key if it still signs
// its officer in: stored (not signed out), not expired, and its user
// still signs in for its party with the password it signed in with.
// EUNAUTHORIZED otherwise; a session whose user was removed, moved or
// given a new password is revoked.
func (c *Console) check(ctx context.Context, key [32]byte) (*session, error) {
	// An officer removed ('deconflict user remove'), moved to another
	// party or given a new password since signing in is signed out at
	// the next request.
	users, err := Users(c.dataDir)
	if err != nil {
		return nil, err
	}
	return c.checkWith(ctx, key, users)
}

// checkWith is check against users, the users file as read.
func (c *Console) checkWith(ctx context.Context, key [32]byte, users []User) (*session, error) {
	st, err := c.node.ConsoleSession(ctx, key, c.Now())
	if deconflict.ErrorCode(err) == deconflict.ENOTFOUND {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "console session expired, signed out or unknown; sign in again")
	} else if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(users, func(u User) bool {
		return u.Username == st.Username && u.Party == st.Party && u.credential() == st.Credential
	}) {
		if err := c.node.RevokeConsoleSession(ctx, key); err != nil && deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
			return nil, err
		}
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "console user %s no longer signs in for %s with that password; sign in again", st.Username, st.Party)
	}
	return &session{key: key, username: st.Username, party: st.Party, expires: st.Expires}, nil
}

// watchSession is the server's SessionWatch: the stream of r ends when
// its session does.
func (c *Console) watchSession(r *http.Request) (<-chan struct{}, func()) {
	ck, err := r.Cookie(CookieName)
	if err != nil || ck.Value == "" {
		return nil, func() {}
	}
	w := &streamWatch{key: sha256.Sum256([]byte(ck.Value)), ended: make(chan struct{})}
	c.mu.Lock()
	c.streams[w] = struct{}{}
	if !c.polling {
		c.polling = true
		go c.pollStreams()
	}
	c.mu.Unlock()
	return w.ended, func() {
		c.mu.Lock()
		delete(c.streams, w)
		c.mu.Unlock()
	}
}

// pollStreams checks the sessions of open streams every StreamCheck and
// ends the streams of those no longer signed in. It runs while any stream
// is open: the streams own it.
func (c *Console) pollStreams() {
	every := c.StreamCheck
	if every <= 0 {
		every = DefaultStreamCheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		c.mu.Lock()
		if len(c.streams) == 0 {
			c.polling = false
			c.mu.Unlock()
			return
		}
		keys := map[[32]byte]bool{}
		for w := range c.streams {
			keys[w.key] = true
		}
		c.mu.Unlock()
		users, err := Users(c.dataDir) // once a round, for every stream
		if err != nil {
			c.logger.Error("console stream session check", "err", err)
			continue
		}
		for k := range keys {
			err := safe.Call(func() error {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				_, err := c.checkWith(ctx, k, users)
				return err
			})
			switch {
			case deconflict.ErrorCode(err) == deconflict.EUNAUTHORIZED:
				c.endStreams(k)
			case err != nil:
				// The store or users file could not be read: keep the
				// stream, and say so.
				c.logger.Error("console stream session check", "err", err)
			}
		}
	}
}

// endStreams ends the open streams of the session key.
func (c *Console) endStreams(key [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for w := range c.streams {
		if w.key == key {
			w.end()
			delete(c.streams, w)
		}
	}
}

func (c *Console) pruneLocked(now time.Time) {
	for u, fs := range c.failures {
		if len(fs) == 0 || now.Sub(fs[len(fs)-1]) >= LoginFailureWindow {
			delete(c.failures, u)
		}
	}
}

// consoleHandler handles a console request with its session (nil when
// the route needs none) and body, returning a status and a value to write
// as JSON, or an error.
type consoleHandler func(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error)

// handle adapts h to the API's handler (http.Server's body reading, JSON
// and error writing): sign-in and sign-out are open to anyone, the rest
// need a console session. Every state-changing console request needs
// CSRFHeader.
func (c *Console) handle(s *dhttp.Server, needSession bool, h consoleHandler) http.HandlerFunc {
	wrapped := func(w http.ResponseWriter, r *http.Request, _ string, body []byte) (any, error) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodGet && r.Header.Get(CSRFHeader) != "1" {
			return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "console %s request without the %s: 1 header", r.Method, CSRFHeader)
		}
		var sess *session
		if needSession {
			var err error
			if sess, err = c.session(r); err != nil {
				return nil, err
			} else if sess == nil {
				return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "not signed in to the console")
			}
		}
		status, v, err := h(w, r, sess, body)
		if err != nil {
			return nil, err
		}
		return dhttp.WithStatus(status, v), nil
	}
	return s.Unauthenticated(wrapped)
}

// rateLimitError is a refused sign-in: ETOOMANY, written with status 429
// and Retry-After.
type rateLimitError struct {
	err   *deconflict.Error
	retry time.Duration
}

func (e *rateLimitError) Error() string             { return e.err.Error() }
func (e *rateLimitError) Unwrap() error             { return e.err }
func (e *rateLimitError) RetryAfter() time.Duration { return e.retry }

// LoginRequest signs in to the console.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// Me describes the signed-in officer.
type Me struct {
	Username string    `json:"username"`
	Party    string    `json:"party"`
	Expires  time.Time `json:"expires"`
	CanSign  bool      `json:"can_sign"` // the node hosts the party's key
}

func (c *Console) login(w http.ResponseWriter, r *http.Request, _ *session, body []byte) (int, any, error) {
	var req LoginRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	if req.Username == "" || req.Password == "" {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "sign-in needs a username and a password")
	}
	if len(req.Username) > 64 || len(req.Password) > 1024 {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "username or password too long")
	}
	now := c.Now()
	if wait := c.lockedOut(req.Username, now); wait > 0 {
		return 0, nil, &rateLimitError{deconflict.Errorf(deconflict.ETOOMANY, "too many failed sign-ins for %s: try again in %d s", req.Username, int(wait.Seconds()+0.999)), wait}
	}
	users, err := readUsers(c.dataDir)
	if err != nil {
		return 0, nil, err
	}
	var user *User
	for i := range users {
		if users[i].Username == req.Username {
			user = &users[i]
		}
	}
	c.hashing <- struct{}{}
	ok := false
	if user != nil {
		ok = user.checkPassword(req.Password)
	} else {
		// Spend the same time as for a real user, so that timing does not
		// tell which usernames exist.
		dummy := User{Algorithm: algorithm, Iterations: passwordIterations, Salt: make([]byte, saltBytes), Hash: make([]byte, hashBytes)}
		dummy.checkPassword(req.Password)
	}
	<-c.hashing
	if !ok {
		c.recordFailure(req.Username, now)
		c.logger.Warn("console sign-in failed", "username", req.Username, "remote", r.RemoteAddr)
		return 0, nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "sign-in as %s failed: wrong username or password", req.Username)
	}
	var tok [32]byte
	rand.Read(tok[:])
	token := base64.RawURLEncoding.EncodeToString(tok[:])
	s := &session{key: sha256.Sum256([]byte(token)), username: user.Username, party: user.Party, expires: now.Add(SessionTTL)}
	// The store keeps the token's hash, not the token: a restart keeps the
	// officer signed in, and a copy of the store signs no one in.
	if err := c.node.CreateConsoleSession(r.Context(), &deconflict.ConsoleSession{TokenHash: s.key, Username: s.username, Party: s.party,
		Credential: user.credential(), Created: now, Expires: s.expires}); err != nil {
		return 0, nil, err
	}
	c.mu.Lock()
	c.pruneLocked(now)
	delete(c.failures, req.Username)
	c.mu.Unlock()
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: token, Path: "/", Expires: s.expires, MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	c.logger.Info("console sign-in", "username", s.username, "party", s.party, "remote", r.RemoteAddr)
	return http.StatusOK, c.meOf(s), nil
}

// lockedOut returns how long username must wait before trying again.
func (c *Console) lockedOut(username string, now time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	fs := c.failures[username]
	var recent []time.Time
	for _, t := range fs {
		if now.Sub(t) < LoginFailureWindow {
			recent = append(recent, t)
		}
	}
	if len(recent) == 0 {
		delete(c.failures, username)
	} else {
		c.failures[username] = recent
	}
	if len(recent) < MaxLoginFailures {
		return 0
	}
	return LoginFailureWindow - now.Sub(recent[len(recent)-MaxLoginFailures])
}

func (c *Console) recordFailure(username string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// Bound the table: usernames that do not exist are tracked too.
	if len(c.failures) > 10000 {
		c.pruneLocked(now)
	}
	c.failures[username] = append(c.failures[username], now)
}

// logout revokes the session in the store, so that its cookie, replayed
// from anywhere and on any replica, signs no one in again, and ends its
// open streams.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, _ *session, _ []byte) (int, any, error) {
	if ck, err := r.Cookie(CookieName); err == nil && ck.Value != "" {
		key := sha256.Sum256([]byte(ck.Value))
		if err := c.node.RevokeConsoleSession(r.Context(), key); err != nil && deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
			return 0, nil, err
		}
		c.endStreams(key)
		c.logger.Info("console sign-out", "remote", r.RemoteAddr)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	return http.StatusOK, map[string]bool{"signed_out": true}, nil
}

func (c *Console) me(w http.ResponseWriter, r *http.Request, s *session, _ []byte) (int, any, error) {
	return http.StatusOK, c.meOf(s), nil
}

func (c *Console) meOf(s *session) *Me {
	_, err := custody.HostedKey(c.dataDir, s.party)
	return &Me{Username: s.username, Party: s.party, Expires: s.expires, CanSign: err == nil}
}

// SendRequest is a hotline message from the console.
type SendRequest struct {
	Channel    string `json:"channel"`
	Precedence string `json:"precedence"`
	Text       string `json:"text"`
	ReplyTo    *int64 `json:"reply_to,omitempty"`
	// Phrase and Params send a standard phrase (docs/phrases.md); Text is
	// then optional.
	Phrase string            `json:"phrase,omitempty"`
	Params map[string]string `json:"params,omitempty"`
	// Officer, when given, must be the signed-in user (EFORBIDDEN
	// otherwise); the envelope names the signed-in user either way.
	Officer string `json:"officer,omitempty"`
	// Attachments are files uploaded to the channel first (POST
	// /v1/channels/{id}/blobs); Text is then optional.
	Attachments []deconflict.Attachment `json:"attachments,omitempty"`
}

// AckRequest acknowledges the message or alert at Index.
type AckRequest struct {
	Channel string `json:"channel"`
	Index   *int64 `json:"index"`
	Officer string `json:"officer,omitempty"` // as in SendRequest
}

// NoteRequest annotates an envelope (ReplyTo), optionally naming the
// incident it belongs to.
type NoteRequest struct {
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	ReplyTo  *int64 `json:"reply_to"`
	Incident string `json:"incident,omitempty"`
	Officer  string `json:"officer,omitempty"` // as in SendRequest
}

func (c *Console) send(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error) {
	var req SendRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	prec, err := deconflict.ParsePrecedence(req.Precedence)
	if err != nil {
		return 0, nil, err
	}
	if req.Phrase == "" && len(req.Attachments) == 0 {
		if err := checkText("message", req.Text); err != nil {
			return 0, nil, err
		}
	}
	return c.submit(r.Context(), s, &deconflict.Payload{Channel: req.Channel, Kind: deconflict.KindMessage, Precedence: prec, Text: req.Text, ReplyTo: req.ReplyTo,
		Phrase: req.Phrase, Params: req.Params, Officer: req.Officer, Attachments: req.Attachments})
}

func (c *Console) ack(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error) {
	var req AckRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	if req.Index == nil {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "ack names no message index")
	}
	return c.submit(r.Context(), s, &deconflict.Payload{Channel: req.Channel, Kind: deconflict.KindAck, Ack: req.Index, Officer: req.Officer})
}

func (c *Console) note(w http.ResponseWriter, r *http.Request, s *session, body []byte) (int, any, error) {
	var req NoteRequest
	if err := dhttp.DecodeJSON(body, &req); err != nil {
		return 0, nil, err
	}
	if err := checkText("note", req.Text); err != nil {
		return 0, nil, err
	}
	p := &deconflict.Payload{Channel: req.Channel, Kind: deconflict.KindNote, Text: req.Text, ReplyTo: req.ReplyTo, Officer: req.Officer}
	if req.Incident != "" {
		b, err := json.Marshal(deconflict.NoteBody{Incident: req.Incident})
		if err != nil {
			return 0, nil, err
		}
		p.Body = b
	}
	return c.submit(r.Context(), s, p)
}

func checkText(what, text string) error {
	if strings.TrimSpace(text) == "" {
		return deconflict.Errorf(deconflict.EINVALID, "%s text is empty", what)
	}
	if len(text) > MaxTextBytes {
		return deconflict.Errorf(deconflict.EINVALID, "%s text is %d bytes; the console sends at most %d", what, len(text), MaxTextBytes)
	}
	return nil
}

// submit completes p for the session's party and officer, signs it with
// the hosted key and submits it to the node, which checks membership as
// for any envelope (a non-member gets not_found) and that the envelope
// names the session's officer (node.SubmitOfficer). A request naming
// another officer than the signed-in one is EFORBIDDEN.
func (c *Console) submit(ctx context.Context, s *session, p *deconflict.Payload) (int, any, error) {
	if p.Channel == "" {
		return 0, nil, deconflict.Errorf(deconflict.EINVALID, "channel is missing")
	}
	if p.Officer != "" && p.Officer != s.username {
		return 0, nil, deconflict.Errorf(deconflict.EFORBIDDEN, "officer %q: you are signed in as %s, and send only in your own name", p.Officer, s.username)
	}
	p.Officer = s.username
	// Check membership before touching the key, so that a non-member
	// learns nothing more than not_found.
	if _, err := c.node.Channel(ctx, s.party, p.Channel); err != nil {
		return 0, nil, err
	}
	p.V, p.ID, p.Author, p.Time = 1, deconflict.NewEnvelopeID(), s.party, c.node.Now().UTC()
	signed, err := custody.SignAs(c.dataDir, p)
	if err != nil {
		return 0, nil, err
	}
	rec, err := c.node.SubmitOfficer(ctx, s.username, signed)
	if err != nil {
		return 0, nil, err
	}
	c.logger.Info("console envelope", "username", s.username, "party", s.party, "channel", rec.Channel, "index", rec.Index, "kind", p.Kind)
	return http.StatusCreated, rec, nil
}

// index serves the console page.
func (c *Console) index(w http.ResponseWriter, r *http.Request) {
	b, err := assets.ReadFile("assets/index.html")
	if err != nil {
		dhttp.WriteError(w, r, c.logger, fmt.Errorf("console page: %w", err))
		return
	}
	securityHeaders(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

func staticHandler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		securityHeaders(w, r)
		w.Header().Set("Cache-Control", "no-cache")
		h.ServeHTTP(w, r)
	})
}

// securityHeaders keeps the page to its own origin: no inline script, no
// framing, nothing loaded from elsewhere.
// (connect-src names the WebSocket origins too: older browsers do not
// count ws: as 'self'.)
func securityHeaders(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; connect-src 'self' ws://"+r.Host+" wss://"+r.Host+"; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
}
