// Package http serves the node's JSON API, its WebSocket streams, the
// tlog-tiles view of each channel log and the web console, and holds the
// Go client the command line uses.
package http

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// Request authentication headers. A request is signed by a party key (or
// the node key, for the operator) over requestMessage; the node accepts
// it within the time window. Reads are idempotent; a signed write (any
// method but GET and HEAD) is accepted once only: the node remembers its
// signature durably for as long as its time is inside the window, and
// refuses it again as a replay. A client makes two equal writes distinct
// with a nonce (HeaderNonce), which the signature covers.
const (
	HeaderKey   = "Deconflict-Key"       // base64 Ed25519 public key
	HeaderTime  = "Deconflict-Time"      // Unix seconds
	HeaderSig   = "Deconflict-Signature" // base64 signature of requestMessage
	HeaderNonce = "Deconflict-Nonce"     // optional: 16-64 characters [A-Za-z0-9_-], covered by the signature
)

const requestContext = "deconflict-request-v1\n"

// requestMessage is what a request signature covers: method, request URI
// (path and query as sent), time, and the SHA-256 of the body.
// With a nonce, the message ends with a newline and the nonce.
func requestMessage(method, uri string, unix int64, body []byte, nonce string) []byte {
	sum := sha256.Sum256(body)
	m := requestContext + method + "\n" + uri + "\n" + strconv.FormatInt(unix, 10) + "\n" + hex.EncodeToString(sum[:])
	if nonce != "" {
		m += "\n" + nonce
	}
	return []byte(m)
}

// SignRequest returns the three header values for a request without a nonce.
func SignRequest(priv ed25519.PrivateKey, method, uri string, now time.Time, body []byte) (key, unix, sig string) {
	return SignRequestNonce(priv, method, uri, now, body, "")
}

// SignRequestNonce is SignRequest for a request that also carries nonce in
// HeaderNonce ("" for none).
func SignRequestNonce(priv ed25519.PrivateKey, method, uri string, now time.Time, body []byte, nonce string) (key, unix, sig string) {
	t := now.Unix()
	s := ed25519.Sign(priv, requestMessage(method, uri, t, body, nonce))
	return base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), strconv.FormatInt(t, 10), base64.StdEncoding.EncodeToString(s)
}

// NewNonce returns a fresh random request nonce (32 hex digits).
func NewNonce() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validNonce reports whether s may be a nonce: 16 to 64 of [A-Za-z0-9_-].
func validNonce(s string) bool {
	if len(s) < 16 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
