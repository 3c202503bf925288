// Package http serves the node's JSON API, its WebSocket streams, the
// tlog-tiles view of each channel log and the web console, and holds the
// Go client the command line uses.
package http

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// Request authentication headers. A request is signed by a party key (or
// the node key, for the operator) over requestMessage; the node accepts
// it within the time window. Reads are idempotent, and writes carry
// envelopes whose ids and times give their own replay protection.
const (
	HeaderKey  = "Deconflict-Key"       // base64 Ed25519 public key
	HeaderTime = "Deconflict-Time"      // Unix seconds
	HeaderSig  = "Deconflict-Signature" // base64 signature of requestMessage
)

const requestContext = "deconflict-request-v1\n"

// requestMessage is what a request signature covers: method, request URI
// (path and query as sent), time, and the SHA-256 of the body.
func requestMessage(method, uri string, unix int64, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(requestContext + method + "\n" + uri + "\n" + strconv.FormatInt(unix, 10) + "\n" + hex.EncodeToString(sum[:]))
}

// SignRequest returns the three header values for a request.
func SignRequest(priv ed25519.PrivateKey, method, uri string, now time.Time, body []byte) (key, unix, sig string) {
	t := now.Unix()
	s := ed25519.Sign(priv, requestMessage(method, uri, t, body))
	return base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), strconv.FormatInt(t, 10), base64.StdEncoding.EncodeToString(s)
}
