package deconflict

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// Headers of a node's webhook call. The node signs every call with its own
// key, so that a receiver can tell a real escalation from a forged one:
// Deconflict-Signature is the base64 Ed25519 signature by the node key
// (Deconflict-Key, base64) of WebhookMessage(Deconflict-Time, URL, body).
const (
	WebhookHeaderKey  = "Deconflict-Key"
	WebhookHeaderTime = "Deconflict-Time" // Unix seconds when the node signed the call
	WebhookHeaderSig  = "Deconflict-Signature"
)

// webhookContext separates webhook signatures from every other use of the
// node key (checkpoints, envelopes, requests).
const webhookContext = "deconflict-webhook-v1\n"

// WebhookMessage returns the bytes a webhook signature covers:
//
//	"deconflict-webhook-v1\n" + unix + "\n" + url + "\n" + hex(SHA-256(body))
//
// The URL binds a call to its receiver (a call captured at one receiver
// cannot be replayed to another) and the time lets a receiver refuse old ones.
func WebhookMessage(unix int64, url string, body []byte) []byte {
	sum := sha256.Sum256(body)
	return []byte(webhookContext + strconv.FormatInt(unix, 10) + "\n" + url + "\n" + hex.EncodeToString(sum[:]))
}

// SignWebhook returns the three header values of a webhook call to url.
func SignWebhook(priv ed25519.PrivateKey, now time.Time, url string, body []byte) (key, unix, sig string) {
	t := now.Unix()
	s := ed25519.Sign(priv, WebhookMessage(t, url, body))
	return EncodeKey(priv.Public().(ed25519.PublicKey)), strconv.FormatInt(t, 10), base64.StdEncoding.EncodeToString(s)
}

// VerifyWebhook checks a webhook call received at url: that sig (the
// Deconflict-Signature header) is nodeKey's signature over the call, and
// that its time (Deconflict-Time) is within window of now. EUNAUTHORIZED
// names what is wrong.
func VerifyWebhook(nodeKey ed25519.PublicKey, unixText, sigText, url string, body []byte, now time.Time, window time.Duration) error {
	unix, err := strconv.ParseInt(unixText, 10, 64)
	if err != nil {
		return Errorf(EUNAUTHORIZED, "webhook %s %q: want Unix seconds", WebhookHeaderTime, unixText)
	}
	if d := time.Unix(unix, 0).Sub(now); d > window || d < -window {
		return Errorf(EUNAUTHORIZED, "webhook signed %s from now; the window is ±%s", d.Round(time.Second), window)
	}
	sig, err := base64.StdEncoding.DecodeString(sigText)
	if err != nil || len(sig) != ed25519.SignatureSize {
		return Errorf(EUNAUTHORIZED, "webhook %s: want base64 of a %d-byte signature", WebhookHeaderSig, ed25519.SignatureSize)
	}
	if !ed25519.Verify(nodeKey, WebhookMessage(unix, url, body), sig) {
		return Errorf(EUNAUTHORIZED, "webhook signature does not verify for node key %s", EncodeKey(nodeKey))
	}
	return nil
}
