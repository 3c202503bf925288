package http_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
	"github.com/deconflict/deconflict/node"
)

// radarPNG is the start of a PNG file and some pixels: what a duty
// officer attaches from a radar screen.
var radarPNG = append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), bytes.Repeat([]byte{0x10, 0x80, 0xff, 0x00}, 300)...)

func setupAttach(t *testing.T, lim node.AttachLimits) *nodetest.Node {
	t.Helper()
	tn := nodetest.Start(t, nodetest.Options{Attach: lim})
	tn.AddParties(t, "RU", "US", "FR")
	tn.AddChannel(t, "ru-us-syria", []string{"RU", "US"}, nil)
	tn.AddChannel(t, "us-fr", []string{"US", "FR"}, nil)
	return tn
}

// sum is an independent hex SHA-256 (not the package's SumSHA256).
func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func attachMessage(att ...deconflict.Attachment) *deconflict.Payload {
	return &deconflict.Payload{Channel: "ru-us-syria", Kind: deconflict.KindMessage, Precedence: deconflict.Immediate, Text: "radar picture at 1410Z", Attachments: att}
}

func TestAttachment(t *testing.T) {
	tn := setupAttach(t, node.AttachLimits{})
	ctx := context.Background()
	us, ru := tn.Client("US"), tn.Client("RU")
	v, err := us.PutBlob(ctx, "ru-us-syria", "image/png", radarPNG)
	if err != nil {
		t.Fatal(err)
	}
	if v.SHA256 != sum(radarPNG) || v.Size != int64(len(radarPNG)) || v.Type != "image/png" {
		t.Fatalf("PutBlob: %+v", v)
	}
	att := deconflict.Attachment{SHA256: sum(radarPNG), Name: "radar-1410Z.png", Type: "image/png", Size: int64(len(radarPNG))}
	rec, err := us.Send(ctx, "US", attachMessage(att))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("FetchedAndChecked", func(t *testing.T) {
		envs, err := ru.Envelopes(ctx, "ru-us-syria", rec.Index, 1)
		if err != nil {
			t.Fatal(err)
		}
		var p struct {
			Attachments []deconflict.Attachment `json:"attachments"`
		}
		if err := json.Unmarshal(envs[0].Payload, &p); err != nil {
			t.Fatal(err)
		}
		if len(p.Attachments) != 1 || p.Attachments[0] != att {
			t.Fatalf("signed attachments %+v, want [%+v]", p.Attachments, att)
		}
		data, typ, err := ru.GetBlob(ctx, "ru-us-syria", p.Attachments[0].SHA256)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data, radarPNG) || typ != "image/png" {
			t.Fatalf("GetBlob: %d bytes as %q", len(data), typ)
		}
	})
	t.Run("ServedSafely", func(t *testing.T) {
		path := "/v1/channels/ru-us-syria/blobs/" + sum(radarPNG)
		resp := signedGet(t, tn, "RU", path)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		h := resp.Header
		if resp.StatusCode != 200 || !bytes.Equal(body, radarPNG) {
			t.Fatalf("GET %s: %s, %d bytes", path, resp.Status, len(body))
		}
		for name, want := range map[string]string{
			"Content-Type":           "image/png",
			"X-Content-Type-Options": "nosniff",
			"Content-Disposition":    `attachment; filename="` + sum(radarPNG) + `"`,
			"Repr-Digest":            "sha-256=:" + base64.StdEncoding.EncodeToString(func() []byte { h := sha256.Sum256(radarPNG); return h[:] }()) + ":",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s: %q, want %q", name, got, want)
			}
		}
		if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("Content-Security-Policy %q: want a sandbox with nothing allowed", csp)
		}
	})
	t.Run("Deduplicated", func(t *testing.T) {
		before, err := tn.DB.BlobBytes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ru.PutBlob(ctx, "ru-us-syria", "image/png", radarPNG); err != nil {
			t.Fatal(err)
		}
		if _, err := us.PutBlob(ctx, "us-fr", "image/png", radarPNG); err != nil {
			t.Fatal(err)
		}
		after, err := tn.DB.BlobBytes(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if before != after || after != int64(len(radarPNG)) {
			t.Fatalf("blob bytes %d before, %d after uploading the same file twice more; want %d", before, after, len(radarPNG))
		}
	})
	t.Run("LogStaysSmall", func(t *testing.T) {
		e, err := tn.DB.FindEnvelope(ctx, "ru-us-syria", rec.Index)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(e.Payload, radarPNG[:16]) || len(e.Leaf()) > 1024 {
			t.Fatalf("the logged leaf is %d bytes: it holds the file, not its hash", len(e.Leaf()))
		}
	})
	t.Run("ErrNonMember", func(t *testing.T) {
		fr := tn.Client("FR")
		_, _, err := fr.GetBlob(ctx, "ru-us-syria", sum(radarPNG))
		if code(err) != deconflict.ENOTFOUND {
			t.Fatalf("FR fetching a blob of ru-us-syria: %v, want not_found", err)
		}
		_, err = fr.PutBlob(ctx, "ru-us-syria", "text/plain", []byte("not a member"))
		if code(err) != deconflict.ENOTFOUND {
			t.Fatalf("FR uploading to ru-us-syria: %v, want not_found", err)
		}
		// FR holds the same bytes on its own channel: that gives it no
		// read on ru-us-syria.
		if _, err := fr.PutBlob(ctx, "us-fr", "image/png", radarPNG); err != nil {
			t.Fatal(err)
		}
		if _, _, err := fr.GetBlob(ctx, "ru-us-syria", sum(radarPNG)); code(err) != deconflict.ENOTFOUND {
			t.Fatalf("FR fetching via ru-us-syria: %v, want not_found", err)
		}
		resp := unsignedGet(t, tn, "/v1/channels/ru-us-syria/blobs/"+sum(radarPNG))
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("unsigned GET: %s, want 401", resp.Status)
		}
	})
	t.Run("ErrUnknownBlob", func(t *testing.T) {
		if _, _, err := ru.GetBlob(ctx, "ru-us-syria", sum([]byte("never uploaded"))); code(err) != deconflict.ENOTFOUND {
			t.Fatalf("unknown blob: %v, want not_found", err)
		}
		if _, _, err := ru.GetBlob(ctx, "ru-us-syria", strings.ToUpper(sum(radarPNG))); code(err) != deconflict.EINVALID {
			t.Fatalf("uppercase hash: %v, want invalid", err)
		}
		resp := signedGet(t, tn, "RU", "/v1/channels/ru-us-syria/blobs/xyz")
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("GET of a malformed hash: %s, want 400", resp.Status)
		}
	})
}

// TestAttachmentRefused: the node takes no envelope whose attachment it
// does not hold as signed, and no blob beyond the operator's limits.
func TestAttachmentRefused(t *testing.T) {
	tn := setupAttach(t, node.AttachLimits{MaxBytes: 2048, QuotaBytes: 6000})
	ctx := context.Background()
	us := tn.Client("US")
	if _, err := us.PutBlob(ctx, "ru-us-syria", "image/png", radarPNG); err != nil {
		t.Fatal(err)
	}
	good := deconflict.Attachment{SHA256: sum(radarPNG), Name: "radar.png", Type: "image/png", Size: int64(len(radarPNG))}
	for _, tc := range []struct {
		name string
		att  deconflict.Attachment
		code string
		says string
	}{
		{"ErrNotUploaded", deconflict.Attachment{SHA256: sum([]byte("other")), Name: "x.png", Type: "image/png", Size: 5}, deconflict.EINVALID, "upload it first"},
		{"ErrWrongHash", deconflict.Attachment{SHA256: sum(radarPNG[1:]), Name: "radar.png", Type: "image/png", Size: int64(len(radarPNG))}, deconflict.EINVALID, "holds no blob"},
		{"ErrSize", deconflict.Attachment{SHA256: good.SHA256, Name: good.Name, Type: good.Type, Size: good.Size - 1}, deconflict.EINVALID, "bytes"},
		{"ErrType", deconflict.Attachment{SHA256: good.SHA256, Name: good.Name, Type: "image/jpeg", Size: good.Size}, deconflict.EINVALID, "uploaded as image/png"},
		{"ErrTypeNotAllowed", deconflict.Attachment{SHA256: good.SHA256, Name: good.Name, Type: "text/html", Size: good.Size}, deconflict.EINVALID, "not among"},
		{"ErrOversize", deconflict.Attachment{SHA256: good.SHA256, Name: good.Name, Type: good.Type, Size: 4096}, deconflict.ETOOLARGE, "at most 2048"},
		{"ErrName", deconflict.Attachment{SHA256: good.SHA256, Name: "../../etc/passwd", Type: good.Type, Size: good.Size}, deconflict.EINVALID, "directory"},
		{"ErrUppercaseType", deconflict.Attachment{SHA256: good.SHA256, Name: good.Name, Type: "image/PNG", Size: good.Size}, deconflict.EINVALID, "lowercase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := logSize(t, tn)
			_, err := us.Send(ctx, "US", attachMessage(tc.att))
			if code(err) != tc.code || !strings.Contains(deconflict.ErrorMessage(err), tc.says) {
				t.Fatalf("send: %v, want %s saying %q", err, tc.code, tc.says)
			}
			if got := logSize(t, tn); got != before {
				t.Fatalf("log size %d after a refused envelope, want %d", got, before)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		if _, err := us.Send(ctx, "US", attachMessage(good)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ErrUploadOversize", func(t *testing.T) {
		_, err := us.PutBlob(ctx, "ru-us-syria", "text/plain", bytes.Repeat([]byte("a"), 2049))
		if code(err) != deconflict.ETOOLARGE {
			t.Fatalf("upload of 2049 bytes: %v, want too_large", err)
		}
		// A body sent without a declared length is cut off one byte
		// beyond the limit, not read to its end.
		status, read := chunkedUpload(t, tn, "US", "/v1/channels/ru-us-syria/blobs", 64<<20)
		if status != http.StatusRequestEntityTooLarge {
			t.Fatalf("chunked upload of 64 MiB: %d, want 413", status)
		}
		if read >= 64<<20 {
			t.Fatalf("the node read all %d bytes of an oversize upload", read)
		}
	})
	t.Run("ErrUploadType", func(t *testing.T) {
		for _, typ := range []string{"text/html", "image/svg+xml", "application/octet-stream", ""} {
			_, err := us.PutBlob(ctx, "ru-us-syria", typ, []byte("<script>alert(1)</script>"))
			if code(err) != deconflict.EINVALID {
				t.Fatalf("upload as %q: %v, want invalid", typ, err)
			}
		}
		if _, err := us.PutBlob(ctx, "ru-us-syria", "text/plain", nil); code(err) != deconflict.EINVALID {
			t.Fatalf("empty upload: %v, want invalid", err)
		}
	})
	t.Run("ErrQuota", func(t *testing.T) {
		// radarPNG (1,221 bytes) is stored; the quota is 6,000.
		for i := range 3 {
			if _, err := us.PutBlob(ctx, "ru-us-syria", "text/plain", bytes.Repeat([]byte{'0' + byte(i)}, 1500)); err != nil {
				t.Fatalf("upload %d within the quota: %v", i, err)
			}
		}
		_, err := us.PutBlob(ctx, "ru-us-syria", "text/plain", bytes.Repeat([]byte("z"), 1500))
		if code(err) != deconflict.ETOOLARGE || !strings.Contains(deconflict.ErrorMessage(err), "full") {
			t.Fatalf("upload beyond the quota: %v, want too_large (full)", err)
		}
		// What is held already costs nothing.
		if _, err := us.PutBlob(ctx, "ru-us-syria", "text/plain", bytes.Repeat([]byte{'0'}, 1500)); err != nil {
			t.Fatalf("re-upload of a held blob at the quota: %v", err)
		}
	})
	t.Run("ErrReplay", func(t *testing.T) {
		body := []byte("chart notes")
		path := "/v1/channels/ru-us-syria/blobs"
		k, ts, sig := dhttp.SignRequest(tn.Keys["US"], "POST", path, time.Now(), body)
		for i, want := range []int{http.StatusCreated, http.StatusConflict} {
			req, _ := http.NewRequest("POST", tn.Server.URL()+path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "text/plain")
			req.Header.Set(dhttp.HeaderKey, k)
			req.Header.Set(dhttp.HeaderTime, ts)
			req.Header.Set(dhttp.HeaderSig, sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("upload %d of one signed request: %s, want %d", i, resp.Status, want)
			}
		}
	})
}

// TestGetBlobChecksHash: a node (here a fake one) serving other bytes
// than the hash asked for is caught by the client.
func TestGetBlobChecksHash(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write(append([]byte{}, radarPNG[:len(radarPNG)-1]...)) // one byte short
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	c := dhttp.NewClient("http://"+ln.Addr().String(), priv)
	_, _, err = c.GetBlob(context.Background(), "ru-us-syria", sum(radarPNG))
	if !errors.Is(err, dhttp.ErrBlobHash) {
		t.Fatalf("GetBlob of tampered bytes: %v, want ErrBlobHash", err)
	}
}

func signedGet(t *testing.T, tn *nodetest.Node, party, path string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("GET", tn.Server.URL()+path, nil)
	k, ts, sig := dhttp.SignRequest(tn.Keys[party], "GET", path, time.Now(), nil)
	req.Header.Set(dhttp.HeaderKey, k)
	req.Header.Set(dhttp.HeaderTime, ts)
	req.Header.Set(dhttp.HeaderSig, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func unsignedGet(t *testing.T, tn *nodetest.Node, path string) *http.Response {
	t.Helper()
	resp, err := http.Get(tn.Server.URL() + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// countingReader counts what the client sent of an upload (the
// transport may still be reading it when the answer arrives).
type countingReader struct {
	n     atomic.Int64
	limit int64
}

func (r *countingReader) Read(p []byte) (int, error) {
	n := r.n.Load()
	if n >= r.limit {
		return 0, io.EOF
	}
	k := min(int64(len(p)), r.limit-n)
	for i := range p[:k] {
		p[i] = 'a'
	}
	r.n.Add(k)
	return int(k), nil
}

// chunkedUpload sends size bytes with no Content-Length, signed over a
// body the node never gets to check (it must stop reading first), and
// returns the status and how much of the body was sent.
func chunkedUpload(t *testing.T, tn *nodetest.Node, party, path string, size int) (int, int) {
	t.Helper()
	body := &countingReader{limit: int64(size)}
	req, _ := http.NewRequest("POST", tn.Server.URL()+path, io.NopCloser(body))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "text/plain")
	k, ts, sig := dhttp.SignRequest(tn.Keys[party], "POST", path, time.Now(), nil)
	req.Header.Set(dhttp.HeaderKey, k)
	req.Header.Set(dhttp.HeaderTime, ts)
	req.Header.Set(dhttp.HeaderSig, sig)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		// The node may close the connection while the body is still
		// being sent; what it answered is then lost with it.
		t.Fatalf("chunked upload: %v (after %d bytes)", err, body.n.Load())
	}
	resp.Body.Close()
	return resp.StatusCode, int(body.n.Load())
}

type attachClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *attachClock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *attachClock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// TestAttachmentUnattachedForgotten: an upload no message attaches within
// an hour is forgotten (its quota freed, a message naming it refused);
// an attached file is kept however old. Time is the test's clock.
func TestAttachmentUnattachedForgotten(t *testing.T) {
	clk := &attachClock{t: time.Now().UTC()}
	tn := nodetest.Start(t, nodetest.Options{Now: clk.Now})
	tn.AddParties(t, "RU", "US")
	tn.AddChannel(t, "ru-us-syria", []string{"RU", "US"}, nil)
	ctx := context.Background()
	us, ru := tn.Client("US"), tn.Client("RU")
	us.Now, ru.Now = clk.Now, clk.Now
	kept, left := []byte("attached at once"), []byte("uploaded, never sent")
	for _, b := range [][]byte{kept, left} {
		if _, err := us.PutBlob(ctx, "ru-us-syria", "text/plain", b); err != nil {
			t.Fatal(err)
		}
	}
	att := func(b []byte) deconflict.Attachment {
		return deconflict.Attachment{SHA256: sum(b), Name: "f.txt", Type: "text/plain", Size: int64(len(b))}
	}
	if _, err := us.Send(ctx, "US", attachMessage(att(kept))); err != nil {
		t.Fatal(err)
	}
	clk.Add(59 * time.Minute)
	if _, err := tn.ForgetUnattachedBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ru.GetBlob(ctx, "ru-us-syria", sum(left)); err != nil {
		t.Fatalf("an upload of 59 min ago: %v", err)
	}
	clk.Add(2 * time.Minute)
	if _, err := tn.ForgetUnattachedBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ru.GetBlob(ctx, "ru-us-syria", sum(left)); code(err) != deconflict.ENOTFOUND {
		t.Fatalf("an upload of 61 min ago never attached: %v, want not_found", err)
	}
	if _, err := us.Send(ctx, "US", attachMessage(att(left))); code(err) != deconflict.EINVALID || !strings.Contains(err.Error(), "upload it first") {
		t.Fatalf("attaching the forgotten upload: %v, want invalid (upload it first)", err)
	}
	if n, err := tn.DB.BlobBytes(ctx); err != nil || n != int64(len(kept)) {
		t.Fatalf("BlobBytes=%d (%v), want %d: the forgotten upload's quota freed", n, err, len(kept))
	}
	clk.Add(30 * 24 * time.Hour)
	if _, err := tn.ForgetUnattachedBlobs(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _, err := ru.GetBlob(ctx, "ru-us-syria", sum(kept)); err != nil || !bytes.Equal(got, kept) {
		t.Fatalf("the attached file a month later: %v", err)
	}
	// Uploaded again, it can be attached again.
	if _, err := us.PutBlob(ctx, "ru-us-syria", "text/plain", left); err != nil {
		t.Fatal(err)
	}
	if _, err := us.Send(ctx, "US", attachMessage(att(left))); err != nil {
		t.Fatalf("attaching the file uploaded again: %v", err)
	}
}
