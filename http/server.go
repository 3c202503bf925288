package http

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/node"
)

// Server is the node's HTTP server.
type Server struct {
	Node   *node.Node
	Logger *slog.Logger
	// Mux holds every route; other parts of the node (the console)
	// register theirs on it.
	Mux *http.ServeMux
	// SessionAuth, when set, authenticates requests that carry no
	// signature (the console's session cookie).
	SessionAuth Authenticator
	// SessionWatch, when set, ends a stream opened with a session once the
	// session ends (see SessionWatch).
	SessionWatch SessionWatch
	// Version is the node software's version, reported by /v1/node and
	// /metrics; "" leaves it out.
	Version string
	// MetricsChannels adds to /metrics each channel's and party's link
	// test figures, labelled with their ids (serve --metrics-channels):
	// whoever reaches /metrics then learns the channels and their members.
	MetricsChannels bool

	// BodyTimeout bounds how long a request's body may take to arrive
	// (from the end of its headers), so that slow-body connections are not
	// held forever; 0 means DefaultBodyTimeout. Requests without a body
	// (WebSocket upgrades among them) have no such deadline.
	BodyTimeout time.Duration

	// MaxConns caps the open TCP connections (serve --max-conns): one over
	// it is answered 503 and closed. MaxStreams and MaxStreamsPerClient
	// cap the open streams in total and per key or console session (serve
	// --max-streams, --max-streams-per-client): a stream over either is
	// refused with 429 before its upgrade. 0 means the Default.
	MaxConns, MaxStreams, MaxStreamsPerClient int
	// StreamClient, when set, names the console session of a request
	// without a signature, which its streams count against; "" when it
	// has none (the stream then counts against its party).
	StreamClient func(r *http.Request) string
	// WatchLinger is how long a batched watch stream (batch=1) holds back
	// a write that would follow its previous write by less than that, so
	// that what is committed meanwhile goes out in the same message: on a
	// busy channel, one write to each watcher for several commits instead
	// of one per commit. A message after a quiet spell (WatchLinger or
	// more since the stream's last write) goes out at once; none waits
	// more than WatchLinger. 0 means DefaultWatchLinger; negative, none.
	WatchLinger time.Duration

	// clock is the linger's clock; tests inject one (zero: the real one).
	clock lingerClock

	lim   limits
	pic   atomic.Pointer[live.Picture] // the live picture, once SetLive
	ln    net.Listener
	srv   *http.Server
	views viewCache
	// streams are the open WebSocket streams, which Close ends.
	streams streams
	// blobSlots bounds the blob requests in flight (MaxBlobRequests).
	blobSlots chan struct{}
}

// NewServer returns a server for n with every API route registered.
func NewServer(n *node.Node) *Server {
	s := &Server{Node: n, Logger: n.Logger, Mux: http.NewServeMux()}
	s.routes()
	s.liveRoutes()
	s.blobRoutes()
	return s
}

// Listen opens addr ("127.0.0.1:0" picks a free port) and serves in the
// background until Close.
func (s *Server) Listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	ln = &limitListener{Listener: ln, lim: &s.lim, max: int64(orDefault(s.MaxConns, DefaultMaxConns))}
	s.ln = ln
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: ReadHeaderTimeout, IdleTimeout: IdleTimeout}
	go s.srv.Serve(ln)
	return nil
}

// Addr returns the listening address.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the base URL of the server.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops the server, ending live streams: each WebSocket stream is
// closed with status 1001 (going away, "node shutting down"), which
// clients take as the cue to reconnect, and Close waits (up to 5 s in
// all) for the streams' handlers to end.
func (s *Server) Close() error {
	// Shutdown does not end hijacked connections, so streams are ended
	// first and on their own.
	ended := s.streams.shut()
	if s.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		return s.srv.Close()
	}
	select {
	case <-ended:
	case <-ctx.Done():
		// A stream's handler is stuck (a write to a peer that reads
		// nothing ends at its own 30 s deadline); its connection is
		// closed anyway once its close handshake times out.
	}
	return err
}

// Connection timeouts. There is no overall read or write timeout: watch
// streams live for hours.
const (
	ReadHeaderTimeout  = 10 * time.Second // a request's headers must arrive within this
	IdleTimeout        = 2 * time.Minute  // a kept-alive connection with no request is closed after this
	DefaultBodyTimeout = time.Minute      // a request's body must arrive within this (Server.BodyTimeout)
)

// ServeHTTP bounds the time a request body may take and recovers from
// panics, so that no request can take the node down or hold a connection
// forever.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		d := s.BodyTimeout
		if d <= 0 {
			d = DefaultBodyTimeout
		}
		rc := http.NewResponseController(w)
		if rc.SetReadDeadline(time.Now().Add(d)) == nil {
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.Logger.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v)
			writeError(w, r, s.Logger, fmt.Errorf("panic: %v", v))
		}
	}()
	s.Mux.ServeHTTP(w, r)
}

// deadlineBody clears the connection's read deadline once the body has
// been read (or failed), so that a handler working longer than the body
// deadline is not cut off: net/http cancels a request whose connection's
// background read times out.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !b.done {
		b.done = true
		if ne, ok := errors.AsType[net.Error](err); !ok || !ne.Timeout() {
			b.rc.SetReadDeadline(time.Time{})
		}
	}
	return n, err
}

// MaxBodyBytes bounds every request body but batch submissions.
const MaxBodyBytes = 1 << 20

// statuses maps error codes to HTTP statuses; the client maps them back.
var statuses = map[string]int{
	deconflict.ECONFLICT:     http.StatusConflict,
	deconflict.EINVALID:      http.StatusBadRequest,
	deconflict.ENOTFOUND:     http.StatusNotFound,
	deconflict.EUNAUTHORIZED: http.StatusUnauthorized,
	deconflict.EFORBIDDEN:    http.StatusForbidden,
	deconflict.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	deconflict.EUNAVAILABLE:  http.StatusServiceUnavailable,
	deconflict.ETOOMANY:      http.StatusTooManyRequests,
	deconflict.EINTERNAL:     http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status for an error code.
func ErrorStatus(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorCodeOf returns the code for an HTTP status (the client's side).
func errorCodeOf(status int) string {
	for c, s := range statuses {
		if s == status {
			return c
		}
	}
	return deconflict.EINTERNAL
}

// ErrorResponse is the JSON body of every error.
type ErrorResponse struct {
	Code    string `json:"code"`
	Message string `json:"error"`
}

// RetryAfter is implemented by errors that tell the client when to try
// again (a refused console sign-in): WriteError sends it as Retry-After.
type RetryAfter interface {
	error
	RetryAfter() time.Duration
}

// WriteError writes err as an ErrorResponse with the status of its code
// (the one table above), logging internal errors with their detail: the
// one error path of every route, the console's included.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code, msg := deconflict.ErrorCode(err), deconflict.ErrorMessage(err)
	if code == deconflict.EINTERNAL {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if ra, ok := errors.AsType[RetryAfter](err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.RetryAfter().Seconds()))))
	}
	WriteJSON(w, ErrorStatus(code), &ErrorResponse{Code: code, Message: msg})
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	WriteError(w, r, log, err)
}

// WriteJSON writes v as a JSON response with the given status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.Encode(v)
}

// readBody reads a request body of at most MaxBodyBytes.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if len(b) > MaxBodyBytes {
		return nil, deconflict.Errorf(deconflict.ETOOLARGE, "request body over %d bytes", MaxBodyBytes)
	}
	return b, nil
}

// bodyError is the error for a body that could not be read.
func bodyError(err error) error {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return deconflict.Errorf(deconflict.EINVALID, "request body did not arrive within the node's body deadline")
	}
	return deconflict.Errorf(deconflict.EINVALID, "reading body: %v", err)
}

// DecodeJSON decodes one JSON value from body into v strictly
// (deconflict.DecodeStrict: exact field names, each once, no unknown
// fields, bounded depth, no trailing data), with an EINVALID error naming
// the fault. Every request body the node reads goes through it.
func DecodeJSON(body []byte, v any) error {
	if err := deconflict.DecodeStrict(body, v); err != nil {
		return deconflict.Errorf(deconflict.EINVALID, "malformed JSON body: %s", deconflict.ErrorMessage(err))
	}
	return nil
}

type ctxKey int

const callerKey ctxKey = 0

// Caller returns the authenticated party of a request's context.
func Caller(ctx context.Context) string {
	s, _ := ctx.Value(callerKey).(string)
	return s
}

// WithCaller returns ctx carrying an authenticated caller (used by the
// console's session layer, which authenticates by password).
func WithCaller(ctx context.Context, party string) context.Context {
	return context.WithValue(ctx, callerKey, party)
}

// Authenticator authenticates a request by other means than a signature
// (the console's session cookie). It returns "" when it does not apply.
type Authenticator func(r *http.Request) (party string, err error)

// handler is an API handler: it gets the authenticated caller and the
// body already read, and returns a value to write as JSON or an error.
type handler func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error)

// Handler is an API handler: it gets the authenticated caller ("" on an
// Unauthenticated route) and the body already read, and returns a value
// to write as JSON (WithStatus for another status than 200; nil when it
// wrote the response itself) or an error, which WriteError writes.
type Handler = handler

// Authed wraps h with body reading, authentication (a request signature
// or the SessionAuth session), JSON and error writing: what every route
// of the node uses, exported for the console's.
func (s *Server) Authed(h Handler) http.HandlerFunc { return s.authed(h) }

// Unauthenticated is Authed for a route anyone may call (the console's
// sign-in): h gets caller "".
func (s *Server) Unauthenticated(h Handler) http.HandlerFunc { return s.serve(false, h) }

// WithStatus makes a handler's value be written with status.
func WithStatus(status int, v any) any { return statusValue{status, v} }

// authed wraps h with body reading and request-signature authentication.
func (s *Server) authed(h handler) http.HandlerFunc { return s.serve(true, h) }

func (s *Server) serve(auth bool, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		caller := ""
		if auth {
			if caller, err = s.authenticate(r, body); err != nil {
				writeError(w, r, s.Logger, err)
				return
			}
		}
		r = r.WithContext(WithCaller(r.Context(), caller))
		v, err := h(w, r, caller, body)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		if v == nil {
			return // the handler wrote the response
		}
		status := http.StatusOK
		if st, ok := v.(statusValue); ok {
			status, v = st.status, st.v
		}
		WriteJSON(w, status, v)
	}
}

type statusValue struct {
	status int
	v      any
}

// Authenticate returns the party that signed the request (or that the
// session cookie belongs to). EUNAUTHORIZED otherwise.
func (s *Server) Authenticate(r *http.Request, body []byte) (string, error) {
	return s.authenticate(r, body)
}

func (s *Server) authenticate(r *http.Request, body []byte) (string, error) {
	keyText := r.Header.Get(HeaderKey)
	if keyText == "" {
		if s.SessionAuth != nil {
			if p, err := s.SessionAuth(r); err != nil || p != "" {
				return p, err
			}
		}
		return "", deconflict.Errorf(deconflict.EUNAUTHORIZED, "request is not signed: send %s, %s and %s headers", HeaderKey, HeaderTime, HeaderSig)
	}
	req, err := VerifyRequest(keyText, r.Header.Get(HeaderTime), r.Header.Get(HeaderSig), r.Header.Get(HeaderNonce), r.Method, r.URL.RequestURI(), body, s.Node.Now(), s.Node.TimeWindow)
	if err != nil {
		return "", err
	}
	caller, err := s.Node.Caller(r.Context(), req.Key)
	if err != nil {
		return "", err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		// A captured write replayed later (an old policy, a revoked
		// key's re-adding) must not take effect again: each signed
		// write is accepted once.
		if err := s.Node.UseRequestOnce(r.Context(), req.Sig, time.Unix(req.Unix, 0)); err != nil {
			return "", err
		}
	}
	return caller, nil
}

// SignedRequest is what VerifyRequest found in a request's
// authentication headers.
type SignedRequest struct {
	Key  ed25519.PublicKey
	Unix int64  // the request's time, Unix seconds
	Sig  []byte // its signature
}

// VerifyRequest checks a request's authentication header values (key,
// Unix time, signature and optional nonce, as sent) over its method,
// request URI and body, at now within ±window. It does not say whose key
// it is, nor whether the request was seen before. EUNAUTHORIZED names the
// fault.
func VerifyRequest(keyText, timeText, sigText, nonce, method, uri string, body []byte, now time.Time, window time.Duration) (*SignedRequest, error) {
	pub, err := deconflict.DecodeKey(keyText)
	if err != nil {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "%s: %s", HeaderKey, deconflict.ErrorMessage(err))
	}
	unix, err := strconv.ParseInt(timeText, 10, 64)
	if err != nil {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "%s %q: want Unix seconds", HeaderTime, timeText)
	}
	// Compare in seconds: time.Unix(unix).Sub(now) saturates for times
	// centuries away.
	if d := unix - now.Unix(); d > int64(window/time.Second) || d < -int64(window/time.Second) {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "request time is %ds from the node's clock; the window is ±%s (check the clock)", d, window)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "%s: want base64 of a %d-byte signature", HeaderSig, ed25519.SignatureSize)
	}
	if nonce != "" && !validNonce(nonce) {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "%s %q: want 16 to 64 letters, digits, '_' or '-'", HeaderNonce, nonce)
	}
	if !ed25519.Verify(pub, requestMessage(method, uri, unix, body, nonce), sig) {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "request signature does not verify")
	}
	return &SignedRequest{Key: pub, Unix: unix, Sig: sig}, nil
}
