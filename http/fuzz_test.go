package http_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

// fuzzKey is a fixed key, so that seeds carry valid signatures.
var fuzzKey = ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))

// fuzzNow is the node's clock in FuzzVerifyRequest.
var fuzzNow = time.Unix(1_800_000_000, 0)

// FuzzVerifyRequest: no header values panic the check, and an accepted
// request is one whose signature verifies, by the test's own rebuilding
// of the signed message from docs/api.md, within the window.
func FuzzVerifyRequest(f *testing.F) {
	key, ts, sig := dhttp.SignRequest(fuzzKey, "GET", "/v1/channels/c/envelopes?from=0", fuzzNow, nil)
	f.Add(key, ts, sig, "GET", "/v1/channels/c/envelopes?from=0", []byte(nil), "")
	key, ts, sig = dhttp.SignRequest(fuzzKey, "PUT", "/v1/channels/c/policy", fuzzNow.Add(-4*time.Minute), []byte(`{"ack_deadlines":{"flash":"1m"}}`))
	f.Add(key, ts, sig, "PUT", "/v1/channels/c/policy", []byte(`{"ack_deadlines":{"flash":"1m"}}`), "")
	f.Add(key, "-9223372036854775808", sig, "PUT", "/v1/channels/c/policy", []byte(`{}`), "0123456789abcdef")
	f.Add("", "", "", "GET", "/", []byte(nil), "")
	key, ts, sig = dhttp.SignRequestNonce(fuzzKey, "POST", "/v1/keys/revoke", fuzzNow, []byte(`{}`), "0123456789abcdef")
	f.Add(key, ts, sig, "POST", "/v1/keys/revoke", []byte(`{}`), "0123456789abcdef")
	f.Fuzz(func(t *testing.T, key, ts, sig, method, uri string, body []byte, nonce string) {
		req, err := dhttp.VerifyRequest(key, ts, sig, nonce, method, uri, body, fuzzNow, 5*time.Minute)
		if err != nil {
			if deconflict.ErrorCode(err) != deconflict.EUNAUTHORIZED {
				t.Fatalf("error code %q: %v", deconflict.ErrorCode(err), err)
			}
			return
		}
		unix, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || unix < fuzzNow.Unix()-300 || unix > fuzzNow.Unix()+300 {
			t.Fatalf("accepted time %q", ts)
		}
		s, _ := base64.StdEncoding.DecodeString(sig)
		sum := sha256.Sum256(body)
		msg := "deconflict-request-v1\n" + method + "\n" + uri + "\n" + strconv.FormatInt(unix, 10) + "\n" + hex.EncodeToString(sum[:])
		if nonce != "" {
			msg += "\n" + nonce
		}
		if !ed25519.Verify(req.Key, []byte(msg), s) || req.Unix != unix {
			t.Fatalf("accepted a request whose signature does not verify")
		}
	})
}

// FuzzDecodeBatch: no batch body panics the decoder, and an accepted one
// holds no null envelope.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte(`[{"payload":"e30=","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","sig":""}]`))
	f.Add([]byte(`[null]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"payload":"","Payload":"e30="}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		envs, err := dhttp.DecodeBatch(b)
		if err != nil {
			if deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Fatalf("error code %q: %v", deconflict.ErrorCode(err), err)
			}
			return
		}
		for i, e := range envs {
			if e == nil {
				t.Fatalf("element %d is null", i)
			}
		}
	})
}

// uploadTypeRef is the one spelling of a media type an upload is stored
// as, stated independently (RFC 6838 restricted names, lowercase).
var uploadTypeRef = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$`)

// FuzzUploadType: no Content-Type of an attachment upload panics its
// reading; an accepted one gives a type in the one spelling, which is the
// header's media type (before any parameter) in lowercase.
func FuzzUploadType(f *testing.F) {
	for _, s := range []string{"image/png", "text/plain; charset=utf-8", "Image/PNG", "image/svg+xml", "text/html;", "a/b/c", "", `text/plain; name="x;y"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		typ, err := dhttp.UploadType(ct)
		if err != nil {
			if deconflict.ErrorCode(err) != deconflict.EINVALID {
				t.Fatalf("error code %q: %v", deconflict.ErrorCode(err), err)
			}
			return
		}
		head, _, _ := strings.Cut(ct, ";")
		if !uploadTypeRef.MatchString(typ) || typ != strings.ToLower(strings.TrimSpace(head)) {
			t.Fatalf("Content-Type %q read as %q", ct, typ)
		}
	})
}
