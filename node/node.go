// Package node is the orchestration layer: it verifies, authorises,
// orders, stores and logs envelopes, keeps acknowledgement deadlines,
// calls escalation webhooks and publishes to watchers. It is the only
// package that combines the store, the Merkle log and live fan-out.
package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/atomicfile"
	"github.com/deconflict/deconflict/internal/safe"
	dtlog "github.com/deconflict/deconflict/tlog"
)

// DefaultTimeWindow is how far an envelope's own time may be from the
// node's clock: the replay-protection window.
const DefaultTimeWindow = 5 * time.Minute

// Node is a running deconflict node.
type Node struct {
	Store  deconflict.Store
	Key    ed25519.PrivateKey // the node's own key: checkpoints, node envelopes, operator identity
	Name   string             // node name, the first part of every checkpoint origin
	Now    func() time.Time
	Logger *slog.Logger

	// TimeWindow bounds |payload time - Now| for submitted envelopes.
	TimeWindow time.Duration
	// TickInterval is how often deadlines and webhooks are checked.
	TickInterval time.Duration
	// HTTPClient calls webhooks.
	HTTPClient *http.Client
	// ServeAltered serves channels whose stored log fails its start-up
	// check instead of refusing them (read-only forensics: members can
	// then audit what the store holds). Never for normal operation.
	ServeAltered bool
	// FullCheck makes Open check every channel's whole stored log
	// (every envelope, every stored hash) instead of only what was added
	// since the checkpoint last checked (serve --full-check).
	FullCheck bool

	policyMu sync.Mutex // serialises policy changes
	mu       sync.Mutex
	logs     map[string]*channelLog          // guarded by mu
	chans    map[string]*deconflict.Channel  // cache of FindChannel; guarded by mu
	keys     map[string]*deconflict.PartyKey // cache of FindKey by key bytes; guarded by mu
	refused  map[string]string               // channels refused at start-up, with the reason; guarded by mu
	frozen   map[string]string               // channels nothing is appended to (refused or served altered), with the reason; guarded by mu
	metrics  Metrics
	live     *Live                   // the air and sea picture, when enabled
	regimes  map[string]*regimeState // notifications and measures per channel; guarded by mu
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	wakeHook chan struct{}
}

// Metrics are the node's counters, exported at /metrics.
type Metrics struct {
	Appended    atomic.Int64 // envelopes appended since start
	Batches     atomic.Int64 // append transactions committed
	Watchers    atomic.Int64 // live watchers
	MissedAcks  atomic.Int64 // missed-ack records written since start
	WebhookOK   atomic.Int64
	WebhookFail atomic.Int64
	Rejected    atomic.Int64 // envelopes refused
}

// New returns a node over store. Call Open before use and Close after.
func New(store deconflict.Store, key ed25519.PrivateKey, name string) *Node {
	return &Node{
		Store:        store,
		Key:          key,
		Name:         name,
		Now:          time.Now,
		Logger:       slog.Default(),
		TimeWindow:   DefaultTimeWindow,
		TickInterval: 500 * time.Millisecond,
		HTTPClient:   &http.Client{Timeout: 10 * time.Second},
		logs:         map[string]*channelLog{},
		chans:        map[string]*deconflict.Channel{},
		keys:         map[string]*deconflict.PartyKey{},
		refused:      map[string]string{},
		frozen:       map[string]string{},
		wakeHook:     make(chan struct{}, 1),
	}
}

// Metrics returns the node's live counters.
func (n *Node) Metrics() *Metrics { return &n.metrics }

// PublicKey returns the node's public key.
func (n *Node) PublicKey() ed25519.PublicKey { return n.Key.Public().(ed25519.PublicKey) }

// VerifierKey returns the note verifier key of a channel's checkpoints
// (C2SP signed-note form; its name is the checkpoint origin).
func (n *Node) VerifierKey(channel string) string {
	vk, _ := dtlog.VerifierKey(n.Origin(channel), n.PublicKey())
	return vk
}

// Open checks every channel's stored log against its last checkpoint,
// refusing to serve any channel whose store was altered, and starts the
// deadline and webhook workers.
func (n *Node) Open(ctx context.Context) error {
	if _, err := dtlog.Origin(n.Name, "c"); err != nil {
		return fmt.Errorf("node name %q: %w", n.Name, err)
	}
	chans, err := n.Store.FindChannels(ctx)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	for _, c := range chans {
		if err := n.checkAtStart(ctx, c.ID); err != nil {
			// A channel whose store fails its check is frozen either way:
			// nothing is appended to it and no checkpoint is signed over
			// what the store now holds.
			n.mu.Lock()
			n.frozen[c.ID] = err.Error()
			n.mu.Unlock()
			if n.ServeAltered {
				n.Logger.Error("channel log fails its check; served anyway (--serve-altered)", "channel", c.ID, "err", err)
				continue
			}
			n.Logger.Error("channel refused: its stored log does not match its checkpoint", "channel", c.ID, "err", err)
			n.mu.Lock()
			n.refused[c.ID] = err.Error()
			n.mu.Unlock()
		}
	}
	wctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.wg.Add(2)
	go func() { defer n.wg.Done(); safe.Loop(wctx, n.panicked("deadline loop"), n.deadlineLoop) }()
	go func() { defer n.wg.Done(); safe.Loop(wctx, n.panicked("webhook loop"), n.webhookLoop) }()
	return nil
}

// panicked returns a report of a worker's recovered panic: logged with
// its stack; safe.Loop then restarts the worker.
func (n *Node) panicked(worker string) func(*safe.PanicError) {
	return func(pe *safe.PanicError) {
		n.Logger.Error("panic in a node worker; restarting it", "worker", worker, "panic", pe.Value, "stack", string(pe.Stack))
	}
}

// Refused returns the channels the node refuses to serve, with the reason.
func (n *Node) Refused() map[string]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]string, len(n.refused))
	for k, v := range n.refused {
		out[k] = v
	}
	return out
}

// Frozen reports whether nothing may be appended to channel, and why: its
// stored log failed the start-up check (whether refused or, with
// ServeAltered, served read-only).
func (n *Node) Frozen(channel string) (string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	reason, ok := n.frozen[channel]
	return reason, ok
}

func (n *Node) frozenError(channel string) error {
	if reason, ok := n.Frozen(channel); ok {
		return deconflict.Errorf(deconflict.EUNAVAILABLE, "channel %s is frozen: its stored log fails verification, so nothing is appended to it: %s", channel, reason)
	}
	return nil
}

// Close stops the workers and every channel's appender. It does not close
// the store.
func (n *Node) Close() error {
	if n.cancel != nil {
		n.cancel()
	}
	n.mu.Lock()
	for _, l := range n.logs {
		l.stop()
	}
	n.mu.Unlock()
	n.wg.Wait()
	// What this node appended it checked and hashed itself: the next
	// start need not check it again.
	n.mu.Lock()
	logs := make([]*channelLog, 0, len(n.logs))
	for id, l := range n.logs {
		if _, frozen := n.frozen[id]; !frozen {
			logs = append(logs, l)
		}
	}
	n.mu.Unlock()
	for _, l := range logs {
		if cp, size := l.lastCheckpoint(); cp != nil {
			n.markCheckedText(context.Background(), l.id, cp, size)
		}
	}
	return nil
}

// LoadOrCreateKey reads the Ed25519 key at path, creating it (mode 0600,
// written atomically) when the file does not exist.
func LoadOrCreateKey(path string) (ed25519.PrivateKey, bool, error) {
	k, err := ReadKeyFile(path)
	if err == nil {
		return k, false, nil
	} else if !os.IsNotExist(err) {
		return nil, false, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	if err := WriteKeyFile(path, priv); err != nil {
		return nil, false, err
	}
	return priv, true, nil
}

// Key files hold one line: "deconflict-ed25519-seed:" and the base64 of the
// 32-byte seed.
const keyFilePrefix = "deconflict-ed25519-seed:"

// ReadKeyFile reads a key file written by WriteKeyFile (or keygen).
func ReadKeyFile(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, keyFilePrefix) {
		return nil, fmt.Errorf("key file %s: does not start with %q", path, keyFilePrefix)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, keyFilePrefix))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key file %s: want base64 of a %d-byte seed", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// WriteKeyFile writes priv to path atomically with mode 0600. It refuses
// to overwrite an existing file.
func WriteKeyFile(path string, priv ed25519.PrivateKey) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("key file %s already exists; refusing to overwrite it", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(keyFilePrefix+base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600)
}

// authorise returns the channel if caller may read it. A non-member gets
// the same ENOTFOUND as for a channel that does not exist. The node
// operator (NodeAuthor) reads every channel.
func (n *Node) authorise(ctx context.Context, caller, channel string) (*deconflict.Channel, error) {
	c, err := n.findChannel(ctx, channel)
	if err != nil {
		return nil, err
	}
	if caller != deconflict.NodeAuthor && !c.IsMember(caller) {
		return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s not found", channel)
	}
	n.mu.Lock()
	reason, refused := n.refused[channel]
	n.mu.Unlock()
	if refused {
		return nil, deconflict.Errorf(deconflict.EUNAVAILABLE, "channel %s is refused: its stored log fails verification: %s", channel, reason)
	}
	return c, nil
}

// requireOperator returns EFORBIDDEN unless caller is the node operator.
func requireOperator(caller, what string) error {
	if caller != deconflict.NodeAuthor {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "%s: only the node operator (the node key) may do this", what)
	}
	return nil
}

// Caller identifies the party that signed a request, from its key.
// EUNAUTHORIZED if the key is unknown or revoked.
func (n *Node) Caller(ctx context.Context, pub ed25519.PublicKey) (string, error) {
	if pub.Equal(n.PublicKey()) {
		return deconflict.NodeAuthor, nil
	}
	k, err := n.findKey(ctx, pub)
	if deconflict.ErrorCode(err) == deconflict.ENOTFOUND {
		return "", deconflict.Errorf(deconflict.EUNAUTHORIZED, "key %s is not registered with this node", deconflict.EncodeKey(pub))
	} else if err != nil {
		return "", err
	}
	if !k.ValidAt(n.Now()) {
		return "", deconflict.Errorf(deconflict.EUNAUTHORIZED, "key %s of party %s is revoked", deconflict.EncodeKey(pub), k.Party)
	}
	return k.Party, nil
}

// UseRequestOnce records the signature of a signed write request made at
// signedAt, so that the same request is never accepted twice. ECONFLICT
// for a replay. The record is durable (the store) and kept until signedAt
// is outside the time window, when the request would be refused anyway.
func (n *Node) UseRequestOnce(ctx context.Context, sig []byte, signedAt time.Time) error {
	digest := sha256.Sum256(append([]byte("deconflict-request-nonce\x00"), sig...))
	now := n.Now()
	return n.Store.UseNonce(ctx, digest, now, signedAt.Add(n.TimeWindow+time.Second))
}

// CreateParty registers a party (operator only).
func (n *Node) CreateParty(ctx context.Context, caller string, p *deconflict.Party) error {
	if err := requireOperator(caller, "party add"); err != nil {
		return err
	}
	p.Created = n.Now().UTC()
	for i := range p.Keys {
		p.Keys[i].Added = p.Created
	}
	return n.Store.CreateParty(ctx, p)
}

// AddPartyKey adds a key to a party (operator only).
func (n *Node) AddPartyKey(ctx context.Context, caller, party string, pub ed25519.PublicKey) error {
	if err := requireOperator(caller, "party key add"); err != nil {
		return err
	}
	defer n.forgetKeys()
	return n.Store.AddPartyKey(ctx, &deconflict.PartyKey{Party: party, Public: pub, Added: n.Now().UTC()})
}

// RevokePartyKey revokes a key from now on (operator only).
func (n *Node) RevokePartyKey(ctx context.Context, caller string, pub ed25519.PublicKey) error {
	if err := requireOperator(caller, "party key revoke"); err != nil {
		return err
	}
	defer n.forgetKeys()
	return n.Store.RevokePartyKey(ctx, pub, n.Now().UTC())
}

// Parties lists the registered parties and their keys: public information
// every authenticated caller may read, since verifying a log needs it.
func (n *Node) Parties(ctx context.Context) ([]*deconflict.Party, error) {
	return n.Store.FindParties(ctx)
}

// CreateChannel creates a channel (operator only).
func (n *Node) CreateChannel(ctx context.Context, caller string, c *deconflict.Channel) error {
	if err := requireOperator(caller, "channel create"); err != nil {
		return err
	}
	if c.Policy.AckDeadlines == nil {
		c.Policy.AckDeadlines = deconflict.DefaultPolicy().AckDeadlines
	}
	if _, err := ChannelThresholds(&c.Policy); err != nil {
		return err
	}
	c.Created = n.Now().UTC()
	if err := n.Store.CreateChannel(ctx, c); err != nil {
		return err
	}
	if n.live != nil {
		return n.live.pairsChanged(ctx)
	}
	return nil
}

// UpdatePolicy replaces a channel's policy (operator only), recording the
// change as a node-signed policy envelope in the channel's log.
func (n *Node) UpdatePolicy(ctx context.Context, caller, channel string, p deconflict.Policy) error {
	_, err := n.changePolicy(ctx, caller, channel, func(deconflict.Policy) deconflict.Policy { return p })
	return err
}

// PatchPolicy changes only what patch names of a channel's policy
// (operator only), recording the change as a node-signed policy envelope
// in the channel's log, and returns the channel as it is then. A patch
// that changes nothing logs nothing.
func (n *Node) PatchPolicy(ctx context.Context, caller, channel string, patch deconflict.PolicyPatch) (*deconflict.Channel, error) {
	return n.changePolicy(ctx, caller, channel, patch.Apply)
}

func (n *Node) changePolicy(ctx context.Context, caller, channel string, change func(deconflict.Policy) deconflict.Policy) (*deconflict.Channel, error) {
	if err := requireOperator(caller, "channel policy"); err != nil {
		return nil, err
	}
	// One change at a time, so that each envelope's "from" is the "to" of
	// the one before.
	n.policyMu.Lock()
	defer n.policyMu.Unlock()
	c, err := n.Store.FindChannel(ctx, channel)
	if err != nil {
		return nil, err
	}
	p := change(c.Policy)
	if len(p.Thresholds) > 0 {
		var buf bytes.Buffer
		if err := json.Compact(&buf, p.Thresholds); err != nil {
			return nil, deconflict.Errorf(deconflict.EINVALID, "thresholds: %v", err)
		}
		p.Thresholds = buf.Bytes()
	}
	next := *c
	next.Policy = p
	if err := next.Validate(); err != nil {
		return nil, err
	}
	if _, err := ChannelThresholds(&p); err != nil {
		return nil, err
	}
	changed := deconflict.PolicyDiff(c.Policy, p)
	if len(changed) == 0 {
		return c, nil
	}
	body, err := json.Marshal(&deconflict.PolicyChange{From: c.Policy, To: p, Changed: changed})
	if err != nil {
		return nil, err
	}
	pl := &deconflict.Payload{Channel: channel, Kind: deconflict.KindPolicy, Text: policyText(c.Policy, p, changed), Body: body}
	defer n.forgetChannel(channel)
	if _, err := n.submitPolicy(ctx, pl, &p); err != nil {
		return nil, err
	}
	n.forgetChannel(channel)
	if n.live != nil {
		if err := n.live.pairsChanged(ctx); err != nil {
			return nil, err
		}
	}
	return &next, nil
}

// policyText says what a policy change changed, for people reading the log.
func policyText(from, to deconflict.Policy, changed []string) string {
	var parts []string
	for _, c := range changed {
		switch {
		case strings.HasPrefix(c, "ack_deadlines."):
			prec := deconflict.Precedence(strings.TrimPrefix(c, "ack_deadlines."))
			parts = append(parts, fmt.Sprintf("%s acknowledgement deadline %s -> %s", prec, from.AckDeadline(prec), to.AckDeadline(prec)))
		case c == "webhooks":
			parts = append(parts, fmt.Sprintf("webhooks %d -> %d", len(from.Webhooks), len(to.Webhooks)))
		default:
			parts = append(parts, c+" changed")
		}
	}
	return "channel policy changed by the node operator: " + strings.Join(parts, "; ")
}

// Channels lists the channels caller belongs to (all for the operator).
func (n *Node) Channels(ctx context.Context, caller string) ([]*deconflict.Channel, error) {
	cs, err := n.Store.FindChannels(ctx)
	if err != nil {
		return nil, err
	}
	if caller == deconflict.NodeAuthor {
		return cs, nil
	}
	return slices.DeleteFunc(cs, func(c *deconflict.Channel) bool { return !c.IsMember(caller) }), nil
}

// Channel returns one channel caller belongs to.
func (n *Node) Channel(ctx context.Context, caller, id string) (*deconflict.Channel, error) {
	return n.authorise(ctx, caller, id)
}

// findChannel returns a channel from the cache or the store. Channels
// change only through this node (CreateChannel, UpdatePolicy), which
// forgets the cached copy. A deployment of several replicas over one
// PostgreSQL database will need the store to signal changes instead.
func (n *Node) findChannel(ctx context.Context, id string) (*deconflict.Channel, error) {
	n.mu.Lock()
	c := n.chans[id]
	n.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := n.Store.FindChannel(ctx, id)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.chans[id] = c
	n.mu.Unlock()
	return c, nil
}

func (n *Node) forgetChannel(id string) {
	n.mu.Lock()
	delete(n.chans, id)
	n.mu.Unlock()
}

// findKey returns a key record from the cache or the store.
func (n *Node) findKey(ctx context.Context, pub ed25519.PublicKey) (*deconflict.PartyKey, error) {
	n.mu.Lock()
	k := n.keys[string(pub)]
	n.mu.Unlock()
	if k != nil {
		return k, nil
	}
	k, err := n.Store.FindKey(ctx, pub)
	if err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.keys[string(pub)] = k
	n.mu.Unlock()
	return k, nil
}

func (n *Node) forgetKeys() {
	n.mu.Lock()
	clear(n.keys)
	n.mu.Unlock()
}
