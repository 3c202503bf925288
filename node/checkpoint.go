package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"net/http"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/record"
	"golang.org/x/mod/sumdb/tlog"
)

// DefaultName returns the name of a node whose operator chose none:
// "deconflict-" and the first 12 hex digits of the SHA-256 of its public
// key, so that two nodes' checkpoint origins differ without anyone
// thinking about it.
func DefaultName(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "deconflict-" + hex.EncodeToString(sum[:6])
}

// Origin returns the checkpoint origin line of a channel: "<node>/<channel>".
func (n *Node) Origin(channel string) string { return n.Name + "/" + channel }

// signCheckpoint returns a C2SP signed-note checkpoint of the tree, signed
// by the node key under the origin's name.
func (n *Node) signCheckpoint(channel string, size int64, root tlog.Hash) ([]byte, error) {
	return record.SignCheckpoint(record.Checkpoint{Origin: n.Origin(channel), Size: size, Root: root}, n.Key)
}

// parseCheckpoint verifies a stored checkpoint's signature and origin.
// A nil checkpoint is the empty tree.
func (n *Node) parseCheckpoint(channel string, cp []byte) (record.Checkpoint, error) {
	if cp == nil {
		return record.Checkpoint{Origin: n.Origin(channel), Root: record.EmptyRoot}, nil
	}
	return record.OpenCheckpoint(cp, n.Origin(channel), n.PublicKey())
}

// newWebhookRequest returns a webhook call to url, signed by the node key
// (deconflict.WebhookMessage), so that its receiver can tell it from a forgery.
func (n *Node) newWebhookRequest(ctx context.Context, url string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "deconflict-node")
	k, t, sig := deconflict.SignWebhook(n.Key, n.Now(), url, body)
	req.Header.Set(deconflict.WebhookHeaderKey, k)
	req.Header.Set(deconflict.WebhookHeaderTime, t)
	req.Header.Set(deconflict.WebhookHeaderSig, sig)
	return req, nil
}
