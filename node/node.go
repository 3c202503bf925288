// Package node is the channel log's orchestration: it verifies,
// authorises, orders, stores and logs envelopes (store and Merkle log in
// one transaction), keeps acknowledgement deadlines, calls escalation
// webhooks and publishes to watchers. The live picture (package live)
// talks to it as an author: it posts node-signed alerts through
// SubmitNode.
package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/internal/safe"
	"github.com/deconflict/deconflict/record"
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
	// WitnessRetry is how long the node waits before asking again a
	// witness that failed (DefaultWitnessRetry when 0).
	WitnessRetry time.Duration
	// WitnessInterval is the least time between two requests to one
	// witness (DefaultWitnessInterval when 0).
	WitnessInterval time.Duration
	// WitnessHTTPClient calls witnesses (a client with
	// DefaultWitnessTimeout when nil).
	WitnessHTTPClient *http.Client
	// Replicas, when set, coordinates this node with the other replicas
	// that share its store (the PostgreSQL store): deadlines and webhooks
	// run on the replica holding the timers lease, and this replica
	// follows the logs the others append to.
	Replicas deconflict.Replicas
	// OnLinkTest, when set, is called after the node logged a link test
	// (its index) on channel asking parties to answer: the demo answers
	// at once for the parties whose keys it hosts. It runs on the deadline
	// loop and must not block for long.
	OnLinkTest func(ctx context.Context, n *Node, channel string, index int64, parties []string)
	// PollInterval is how often a replica re-reads what the others wrote
	// even without a notification (DefaultPollInterval when zero).
	PollInterval time.Duration
	// Attach is what the operator allows as attachments (sizes, media
	// types); its zero value means the defaults.
	Attach AttachLimits

	policyMu    sync.Mutex // serialises policy changes
	mu          sync.Mutex
	logs        map[string]*channelLog          // guarded by mu
	closing     bool                            // Close has begun: no new appender; guarded by mu
	chans       map[string]*deconflict.Channel  // cache of FindChannel; guarded by mu
	keys        map[string]*deconflict.PartyKey // cache of FindKey by key bytes; guarded by mu
	refused     map[string]string               // channels refused at start-up, with the reason; guarded by mu
	leases      map[string]bool                 // leases this replica holds; guarded by mu
	leaseTaken  map[string][]func()             // called when this replica takes a lease (OnLease); guarded by mu
	keysChanged chan struct{}                   // closed and replaced at every key change; guarded by mu
	frozen      map[string]string               // channels nothing is appended to (refused or served altered), with the reason; guarded by mu
	metrics     Metrics
	changed     []func(context.Context) error // told when channels change; guarded by mu
	regimes     map[string]*regimeState       // notifications and measures per channel; guarded by mu
	cancel      context.CancelFunc
	seenQ       chan seenReq       // fetches for the seen writer (seen.go)
	seenCancel  context.CancelFunc // stops the seen writer, nil until it starts; guarded by mu
	seenDone    chan struct{}      // closed when the seen writer has returned
	wg          sync.WaitGroup
	wakeHook    chan struct{}

	witnesses witnessing // the channels' witness clients (witness.go)
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
	SeenLogged  atomic.Int64 // seen envelopes appended since start
	SeenDropped atomic.Int64 // first fetches left to a later fetch: the seen writer's queue was full
	LinkTests   atomic.Int64 // link-test envelopes logged since start
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
		keysChanged:  make(chan struct{}),
		wakeHook:     make(chan struct{}, 1),
		seenQ:        make(chan seenReq, seenQueueSize),
		seenDone:     make(chan struct{}),
	}
}

// Metrics returns the node's live counters.
func (n *Node) Metrics() *Metrics { return &n.metrics }

// PublicKey returns the node's public key.
func (n *Node) PublicKey() ed25519.PublicKey { return n.Key.Public().(ed25519.PublicKey) }

// VerifierKey returns the note verifier key of a channel's checkpoints
// (C2SP signed-note form; its name is the checkpoint origin).
func (n *Node) VerifierKey(channel string) string {
	vk, _ := record.VerifierKey(n.Origin(channel), n.PublicKey())
	return vk
}

// Open checks every channel's stored log against its last checkpoint,
// refusing to serve any channel whose store was altered, and starts the
// deadline and webhook workers.
func (n *Node) Open(ctx context.Context) error {
	if _, err := record.Origin(n.Name, "c"); err != nil {
		return fmt.Errorf("node name %q: %w", n.Name, err)
	}
	chans, err := n.Store.FindChannels(ctx)
	if err != nil {
		return fmt.Errorf("list channels: %w", err)
	}
	ids := []string{deconflict.KeyLog}
	for _, c := range chans {
		ids = append(ids, c.ID)
	}
	for _, id := range ids {
		c := &deconflict.Channel{ID: id}
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
	if err := n.backfillKeyLog(ctx); err != nil {
		return fmt.Errorf("key log: %w", err)
	}
	wctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	n.witnesses.mu.Lock()
	n.witnesses.base = wctx
	n.witnesses.mu.Unlock()
	for _, c := range chans {
		if err := n.startWitnessing(c); err != nil {
			n.Logger.Error("channel not witnessed: its witness policy does not parse", "channel", c.ID, "err", err)
		}
	}
	n.startWorkers(wctx)
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

// FrozenChannels returns every channel nothing may be appended to, with
// the reason: those refused and those served altered (ServeAltered).
func (n *Node) FrozenChannels() map[string]string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make(map[string]string, len(n.frozen))
	for k, v := range n.frozen {
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
	n.closing = true
	stopSeen := n.seenCancel
	n.mu.Unlock()
	if stopSeen != nil {
		// The seen writer logs what is queued while the appenders still run.
		stopSeen()
		<-n.seenDone
	}
	n.stopWitnessing()
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

// authorise returns the channel if caller may read it. A non-member gets
// the same ENOTFOUND as for a channel that does not exist. The node
// operator (NodeAuthor) reads every channel.
func (n *Node) authorise(ctx context.Context, caller, channel string) (*deconflict.Channel, error) {
	c, err := n.findChannel(ctx, channel)
	if err != nil {
		return nil, err
	}
	// The key log is read by every authenticated caller: every member
	// needs it to check the signatures of its channels.
	if caller != deconflict.NodeAuthor && !c.IsMember(caller) && channel != deconflict.KeyLog {
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
	if _, err := detect.PolicyThresholds(&c.Policy); err != nil {
		return err
	}
	if err := checkWitnessPolicy(c.ID, c.Policy.Witnesses); err != nil {
		return err
	}
	c.Created = n.Now().UTC()
	if err := n.Store.CreateChannel(ctx, c); err != nil {
		return err
	}
	if err := n.startWitnessing(c); err != nil {
		return err
	}
	return n.channelsChanged(ctx)
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
	if _, err := detect.PolicyThresholds(&p); err != nil {
		return nil, err
	}
	if err := checkWitnessPolicy(channel, p.Witnesses); err != nil {
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
	if err := n.startWitnessing(&next); err != nil {
		return nil, err
	}
	if err := n.channelsChanged(ctx); err != nil {
		return nil, err
	}
	return &next, nil
}

// OnChannelsChanged registers f, called after a channel is created or its
// policy changes (the live picture recomputes which parties it watches).
func (n *Node) OnChannelsChanged(f func(ctx context.Context) error) {
	n.mu.Lock()
	n.changed = append(n.changed, f)
	n.mu.Unlock()
}

func (n *Node) channelsChanged(ctx context.Context) error {
	n.mu.Lock()
	fs := slices.Clone(n.changed)
	n.mu.Unlock()
	for _, f := range fs {
		if err := f(ctx); err != nil {
			return err
		}
	}
	return nil
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
		case strings.HasPrefix(c, "renotify."):
			prec := deconflict.Precedence(strings.TrimPrefix(c, "renotify."))
			parts = append(parts, fmt.Sprintf("%s re-notification interval %s -> %s", prec, from.RenotifyInterval(prec), to.RenotifyInterval(prec)))
		case c == "witnesses":
			parts = append(parts, witnessPolicyText(to.Witnesses))
		case c == "link_test":
			parts = append(parts, fmt.Sprintf("link test interval %s -> %s", from.LinkTestInterval(), to.LinkTestInterval()))
		case c == "link_test_within":
			parts = append(parts, fmt.Sprintf("link test answer time %s -> %s", from.LinkTestAnswerWithin(), to.LinkTestAnswerWithin()))
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

// forgetKeys drops the key cache and wakes every watcher of a key
// (WatchKey), after a key change here or on another replica.
func (n *Node) forgetKeys() {
	n.mu.Lock()
	clear(n.keys)
	close(n.keysChanged)
	n.keysChanged = make(chan struct{})
	n.mu.Unlock()
}
