package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

// BlobView is a stored attachment blob as the API shows it.
type BlobView struct {
	SHA256  string    `json:"sha256"` // 64 lowercase hex digits, as attachments name it
	Type    string    `json:"type"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"` // when it was first uploaded to the channel
}

// MaxBlobRequests is how many blob uploads and downloads the server
// handles at once, each holding at most the node's attachment limit in
// memory; the others wait their turn (bounded by their own deadlines).
const MaxBlobRequests = 8

// blobRoutes registers the attachment routes.
func (s *Server) blobRoutes() {
	s.blobSlots = make(chan struct{}, MaxBlobRequests)
	s.Mux.HandleFunc("POST /v1/channels/{id}/blobs", s.putBlob)
	s.Mux.HandleFunc("GET /v1/channels/{id}/blobs/{sha256}", s.getBlob)
}

// blobSlot waits for one of the MaxBlobRequests slots, returning the
// function that frees it.
func (s *Server) blobSlot(ctx context.Context) (func(), error) {
	select {
	case s.blobSlots <- struct{}{}:
		return func() { <-s.blobSlots }, nil
	case <-ctx.Done():
		return nil, deconflict.Errorf(deconflict.ETOOMANY, "the node is busy with other attachments; try again")
	}
}

// putBlob stores the request body as a blob of the channel. The body is
// the file's bytes; Content-Type is its media type (parameters dropped).
// The request is authenticated like any write (a signature over the
// body's hash, or a console session), after the body has been read
// within the node's attachment limit: a larger declared length is refused
// before reading, a larger body after reading one byte beyond the limit.
func (s *Server) putBlob(w http.ResponseWriter, r *http.Request) {
	b, err := s.readBlobRequest(w, r)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	WriteJSON(w, http.StatusCreated, newBlobView(b))
}

func (s *Server) readBlobRequest(w http.ResponseWriter, r *http.Request) (*deconflict.Blob, error) {
	if r.Header.Get(HeaderKey) == "" && len(r.Cookies()) == 0 {
		return nil, deconflict.Errorf(deconflict.EUNAUTHORIZED, "request is not signed: send %s, %s and %s headers", HeaderKey, HeaderTime, HeaderSig)
	}
	typ, err := UploadType(r.Header.Get("Content-Type"))
	if err != nil {
		return nil, err
	}
	max := s.Node.Attach.Limits().MaxBytes
	if r.ContentLength > max {
		return nil, deconflict.Errorf(deconflict.ETOOLARGE, "attachment is %d bytes; this node takes at most %d", r.ContentLength, max)
	}
	free, err := s.blobSlot(r.Context())
	if err != nil {
		return nil, err
	}
	defer free()
	// One buffer of the declared length (io.ReadAll would grow one to
	// twice the file's size on the way).
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength) + bytes.MinRead) // ReadFrom grows a buffer with less free room
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, max+1)); err != nil {
		return nil, bodyError(err)
	}
	body := buf.Bytes()
	if int64(len(body)) > max {
		return nil, deconflict.Errorf(deconflict.ETOOLARGE, "attachment is over %d bytes; this node takes at most %d", max, max)
	}
	caller, err := s.authenticate(r, body)
	if err != nil {
		return nil, err
	}
	return s.Node.PutBlob(r.Context(), caller, r.PathValue("id"), typ, body)
}

// UploadType returns the media type of an upload's Content-Type, lowercase
// and without parameters. EINVALID if it is missing or malformed.
func UploadType(ct string) (string, error) {
	if ct == "" {
		return "", deconflict.Errorf(deconflict.EINVALID, "attachment upload without a Content-Type: send the file's media type (image/png)")
	}
	t, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return "", deconflict.Errorf(deconflict.EINVALID, "Content-Type %q: %v", ct, err)
	}
	t = strings.ToLower(t)
	if err := deconflict.CheckMediaType(t); err != nil {
		return "", err
	}
	return t, nil
}

// getBlob serves a blob to a member of the channel. Whatever its type, it
// is served so that no browser runs it: nosniff, as a download
// (Content-Disposition: attachment), under a sandboxing
// Content-Security-Policy; the Repr-Digest header carries its SHA-256.
func (s *Server) getBlob(w http.ResponseWriter, r *http.Request) {
	err := func() error {
		sum, err := deconflict.ParseSHA256(r.PathValue("sha256"))
		if err != nil {
			return err
		}
		caller, err := s.authenticate(r, nil)
		if err != nil {
			return err
		}
		free, err := s.blobSlot(r.Context())
		if err != nil {
			return err
		}
		defer free()
		b, err := s.Node.ReadBlob(r.Context(), caller, r.PathValue("id"), sum)
		if err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", b.Type)
		h.Set("Content-Length", strconv.FormatInt(int64(len(b.Data)), 10))
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Disposition", `attachment; filename="`+b.Hex()+`"`)
		h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
		h.Set("ETag", `"`+b.Hex()+`"`)
		h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(b.SHA256[:])+":")
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(b.Data)
		}
		return nil
	}()
	if err != nil {
		writeError(w, r, s.Logger, err)
	}
}

func newBlobView(b *deconflict.Blob) *BlobView {
	return &BlobView{SHA256: b.Hex(), Type: b.Type, Size: b.Size, Created: b.Created}
}

// PutBlob uploads data as an attachment blob of channel with media type
// typ and returns what the node stored. Uploading a blob the channel
// holds already, as the same type, succeeds again.
func (c *Client) PutBlob(ctx context.Context, channel, typ string, data []byte) (*BlobView, error) {
	_, answer, err := c.roundTrip(ctx, "POST", "/v1/channels/"+url.PathEscape(channel)+"/blobs", typ, data, true)
	if err != nil {
		return nil, err
	}
	var v BlobView
	if err := DecodeJSON(answer, &v); err != nil {
		return nil, fmt.Errorf("POST blob: decoding answer: %w", err)
	}
	if want := deconflict.SumSHA256(data); v.SHA256 != want || v.Size != int64(len(data)) {
		return nil, fmt.Errorf("POST blob: the node stored %s (%d bytes), not %s (%d bytes)", v.SHA256, v.Size, want, len(data))
	}
	return &v, nil
}

// ErrBlobHash is returned by GetBlob when the bytes served do not hash to
// the SHA-256 asked for.
var ErrBlobHash = errors.New("the bytes served do not match the attachment's sha256")

// GetBlob fetches the blob with SHA-256 sum (hex) of channel and checks
// its bytes against it: ErrBlobHash (wrapped) if they differ, so a caller
// never gets bytes other than those the signed attachment names. It also
// returns the media type the node serves it as.
func (c *Client) GetBlob(ctx context.Context, channel, sum string) ([]byte, string, error) {
	want, err := deconflict.ParseSHA256(sum)
	if err != nil {
		return nil, "", err
	}
	resp, data, err := c.roundTrip(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/blobs/"+sum, "", nil, true)
	if err != nil {
		return nil, "", err
	}
	if got := sha256.Sum256(data); got != want {
		return nil, "", fmt.Errorf("blob %s of channel %s: %w (they hash to %x)", sum, channel, ErrBlobHash, got)
	}
	return data, resp.Header.Get("Content-Type"), nil
}
