package node

import (
	"context"
	"crypto/sha256"
	"fmt"
	"slices"
	"time"

	"github.com/deconflict/deconflict"
)

// Attachment limits: what `serve` sets from --attach-max-bytes,
// --attach-types and --attach-quota-bytes.
const (
	// DefaultAttachMaxBytes is the largest attachment a node takes unless
	// its operator says otherwise: 8 MiB, room for a radar screenshot or a
	// chart as PNG, JPEG or PDF.
	DefaultAttachMaxBytes = 8 << 20
	// DefaultAttachQuotaBytes bounds all blobs a node stores (each
	// counted once): 1 GiB.
	DefaultAttachQuotaBytes = 1 << 30
	// DefaultAttachUnattachedTTL is how long an uploaded file waits to be
	// attached to a message before the node forgets it: uploads come
	// seconds before their message (send --attach, the console), and a
	// member cannot fill the quota with files it never sends.
	DefaultAttachUnattachedTTL = time.Hour
	// blobSweepInterval is how often the deadline loop forgets unattached
	// uploads.
	blobSweepInterval = 10 * time.Minute
)

// DefaultAttachTypes are the media types a node takes as attachments
// unless its operator says otherwise: images of a screen, charts and
// documents, and plain text; none a browser would run.
var DefaultAttachTypes = []string{"image/png", "image/jpeg", "application/pdf", "text/plain"}

// AttachLimits is what the operator allows as attachments.
type AttachLimits struct {
	MaxBytes   int64    // the largest blob, bytes; 0 means DefaultAttachMaxBytes
	Types      []string // the media types allowed; nil means DefaultAttachTypes
	QuotaBytes int64    // all blobs together, bytes; 0 means DefaultAttachQuotaBytes
	// UnattachedTTL is how long an upload no envelope attaches is kept;
	// 0 means DefaultAttachUnattachedTTL.
	UnattachedTTL time.Duration
}

// Limits returns l with its defaults filled in.
func (l AttachLimits) Limits() AttachLimits {
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultAttachMaxBytes
	}
	if l.Types == nil {
		l.Types = DefaultAttachTypes
	}
	if l.QuotaBytes <= 0 {
		l.QuotaBytes = DefaultAttachQuotaBytes
	}
	if l.UnattachedTTL <= 0 {
		l.UnattachedTTL = DefaultAttachUnattachedTTL
	}
	return l
}

// checkType refuses a media type that is malformed or not allowed.
func (l AttachLimits) checkType(t string) error {
	if err := deconflict.CheckMediaType(t); err != nil {
		return err
	}
	if !slices.Contains(l.Types, t) {
		return deconflict.Errorf(deconflict.EINVALID, "media type %s is not among the attachment types this node takes (%v)", t, l.Types)
	}
	return nil
}

// PutBlob stores data as a blob readable on channel, uploaded by caller
// as media type typ, and returns it (without its bytes). The caller must
// be a member of the channel (the operator authors no messages, so it
// uploads none). EINVALID for a type not allowed (Attach.Types) or an
// empty blob, ETOOLARGE beyond Attach.MaxBytes or the node's quota,
// ENOTFOUND for a channel the caller is not a member of.
func (n *Node) PutBlob(ctx context.Context, caller, channel, typ string, data []byte) (*deconflict.Blob, error) {
	if caller == deconflict.NodeAuthor {
		return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "the node key uploads no attachments; use a party key")
	}
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	lim := n.Attach.Limits()
	if err := lim.checkType(typ); err != nil {
		return nil, err
	}
	switch {
	case len(data) == 0:
		return nil, deconflict.Errorf(deconflict.EINVALID, "attachment is empty")
	case int64(len(data)) > lim.MaxBytes:
		return nil, deconflict.Errorf(deconflict.ETOOLARGE, "attachment is %d bytes; this node takes at most %d", len(data), lim.MaxBytes)
	}
	b := &deconflict.Blob{SHA256: sha256.Sum256(data), Type: typ, Size: int64(len(data)), Data: data, Created: n.Now()}
	if _, err := n.Store.StatBlob(ctx, channel, b.SHA256); err == nil {
		// Held already: no quota to spend.
	} else if deconflict.ErrorCode(err) != deconflict.ENOTFOUND {
		return nil, err
	} else {
		used, err := n.Store.BlobBytes(ctx)
		if err != nil {
			return nil, err
		}
		if used+b.Size > lim.QuotaBytes {
			return nil, deconflict.Errorf(deconflict.ETOOLARGE, "the node's attachment store is full (%d of %d bytes used); ask its operator", used, lim.QuotaBytes)
		}
	}
	if err := n.Store.PutBlob(ctx, channel, b); err != nil {
		return nil, err
	}
	b.Data = nil
	return b, nil
}

// ForgetUnattachedBlobs forgets the uploads no envelope attached within
// Attach.UnattachedTTL of their upload, and returns the bytes freed. The
// deadline loop calls it every 10 minutes (on the replica holding the
// timers lease); a file once attached is kept for good.
func (n *Node) ForgetUnattachedBlobs(ctx context.Context) (int64, error) {
	freed, err := n.Store.ForgetBlobs(ctx, n.Now().Add(-n.Attach.Limits().UnattachedTTL))
	if err != nil {
		return 0, fmt.Errorf("forget unattached blobs: %w", err)
	}
	if freed > 0 {
		n.Logger.Info("forgot attachments uploaded and never attached", "bytes", freed)
	}
	return freed, nil
}

// ReadBlob returns the blob with that SHA-256 readable on channel, bytes
// included, to a member of the channel or the operator (who reads the
// channel's envelopes too). ENOTFOUND for a channel the caller is not a
// member of, or a blob the channel does not hold.
func (n *Node) ReadBlob(ctx context.Context, caller, channel string, sum [32]byte) (*deconflict.Blob, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	return n.Store.ReadBlob(ctx, channel, sum)
}

// checkAttachments refuses an envelope whose attachments the node does
// not hold on its channel, or holds with another size or type, or that
// the operator's limits no longer allow: the signed hash must name bytes
// every member can fetch.
func (n *Node) checkAttachments(ctx context.Context, p *deconflict.Payload) error {
	if len(p.Attachments) == 0 {
		return nil
	}
	lim := n.Attach.Limits()
	for i, a := range p.Attachments {
		sum, err := deconflict.ParseSHA256(a.SHA256)
		if err != nil {
			return err
		}
		if err := lim.checkType(a.Type); err != nil {
			return deconflict.Errorf(deconflict.EINVALID, "attachment %d (%s): %s", i, a.Name, deconflict.ErrorMessage(err))
		}
		if a.Size > lim.MaxBytes {
			return deconflict.Errorf(deconflict.ETOOLARGE, "attachment %d (%s) is %d bytes; this node takes at most %d", i, a.Name, a.Size, lim.MaxBytes)
		}
		b, err := n.Store.StatBlob(ctx, p.Channel, sum)
		if deconflict.ErrorCode(err) == deconflict.ENOTFOUND {
			return deconflict.Errorf(deconflict.EINVALID, "attachment %d (%s): the node holds no blob %s on channel %s; upload it first (POST /v1/channels/%s/blobs)", i, a.Name, a.SHA256, p.Channel, p.Channel)
		} else if err != nil {
			return err
		}
		if b.Size != a.Size {
			return deconflict.Errorf(deconflict.EINVALID, "attachment %d (%s): size %d, but blob %s is %d bytes", i, a.Name, a.Size, a.SHA256, b.Size)
		}
		if b.Type != a.Type {
			return deconflict.Errorf(deconflict.EINVALID, "attachment %d (%s): type %s, but blob %s was uploaded as %s", i, a.Name, a.Type, a.SHA256, b.Type)
		}
	}
	return nil
}
