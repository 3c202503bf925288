package node

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/phrase"
	"github.com/deconflict/deconflict/record"
	"golang.org/x/mod/sumdb/tlog"
)

// Submit verifies a signed envelope, checks that its author holds the key
// and belongs to the channel, appends it durably and returns the receipt
// with the checkpoint that includes it and an inclusion proof.
func (n *Node) Submit(ctx context.Context, s *deconflict.Signed) (*deconflict.Receipt, error) {
	return n.SubmitTo(ctx, "", s)
}

// SubmitTo is Submit for an envelope posted to channel (EINVALID if the
// payload is addressed to another); "" accepts the payload's own.
func (n *Node) SubmitTo(ctx context.Context, channel string, s *deconflict.Signed) (*deconflict.Receipt, error) {
	r, err := n.check(ctx, channel, s)
	if err != nil {
		return nil, err
	}
	return n.submitChecked(ctx, r)
}

// SubmitOfficer is Submit for an envelope signed for officer, the user a
// front end such as the console authenticated (its signed-in officer):
// EFORBIDDEN unless the payload names exactly that officer, so that no
// officer sends or acknowledges in another's name through it. Through the
// API (Submit), the officer a party's key signs for is the party's word.
func (n *Node) SubmitOfficer(ctx context.Context, officer string, s *deconflict.Signed) (*deconflict.Receipt, error) {
	if !deconflict.ValidOfficer(officer) {
		return nil, deconflict.Errorf(deconflict.EINVALID, "officer %q: not a valid officer name", officer)
	}
	r, err := n.check(ctx, "", s)
	if err != nil {
		return nil, err
	}
	if r.payload.Officer != officer {
		return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "envelope names officer %q, but it is submitted by officer %s", r.payload.Officer, officer)
	}
	return n.submitChecked(ctx, r)
}

// submitChecked appends a checked envelope and does what its kind asks
// after (findings, the live picture's areas).
func (n *Node) submitChecked(ctx context.Context, r *appendReq) (*deconflict.Receipt, error) {
	rec, err := n.append(ctx, r)
	if err != nil {
		return nil, err
	}
	switch r.payload.Kind {
	case deconflict.KindNotification, deconflict.KindResponse:
		// Findings true at receipt are in the log before the receipt is
		// returned, so the submitter sees them, whichever replica took
		// it: the appender logs each finding once (checkFindingOnce).
		if err := n.RaiseFindings(ctx, r.payload.Channel); err != nil {
			n.Logger.Error("findings", "channel", r.payload.Channel, "err", err)
		}
	}
	switch r.payload.Kind {
	case deconflict.KindNotification, deconflict.KindSign, deconflict.KindWithdraw:
		// Notified areas and binding measures change what the live
		// picture watches.
		if err := n.channelsChanged(ctx); err != nil {
			n.Logger.Error("channels changed", "channel", r.payload.Channel, "err", err)
		}
	}
	return rec, nil
}

// BatchResult is the outcome of one envelope of SubmitBatch: a receipt or
// an error.
type BatchResult struct {
	Receipt *deconflict.Receipt
	Err     error
}

// MaxBatch is the most envelopes one SubmitBatch takes.
const MaxBatch = 1000

// SubmitBatch submits envelopes addressed to one channel at once: each is
// checked as by Submit (signatures in parallel on every core), the
// accepted ones are appended together, and each gets its own receipt or
// error, in order. One bad envelope does not stop the others.
func (n *Node) SubmitBatch(ctx context.Context, channel string, envs []*deconflict.Signed) ([]BatchResult, error) {
	if len(envs) > MaxBatch {
		return nil, deconflict.Errorf(deconflict.ETOOLARGE, "batch of %d envelopes; the limit is %d", len(envs), MaxBatch)
	}
	out := make([]BatchResult, len(envs))
	reqs := make([]*appendReq, len(envs))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				reqs[i], out[i].Err = n.checkRecovered(ctx, channel, envs[i])
			}
		}()
	}
	for i := range envs {
		next <- i
	}
	close(next)
	wg.Wait()
	accepted := 0
	for i := range out {
		if out[i].Err == nil {
			accepted++
		}
	}
	if accepted == 0 {
		// Nothing to append: start no appender (a batch about a channel
		// that does not exist creates nothing).
		return out, nil
	}
	l, err := n.channelLog(ctx, channel)
	if err != nil {
		return nil, err
	}
	for i, r := range reqs {
		if out[i].Err != nil {
			continue
		}
		r.resp = make(chan appendResp, 1)
		select {
		case l.reqs <- r:
		case <-l.done:
			out[i].Err = deconflict.Errorf(deconflict.EUNAVAILABLE, "node is shutting down")
			reqs[i] = nil
		}
	}
	for i, r := range reqs {
		if out[i].Err != nil || r == nil {
			continue
		}
		// Once queued, each request is committed or refused whatever the
		// caller does: wait for every answer.
		res := l.wait(r)
		if res.err != nil {
			out[i].Err = res.err
			continue
		}
		out[i].Receipt, out[i].Err = n.receiptWith(ctx, res.env, res.treeSize, res.checkpoint, res.proofs)
	}
	return out, nil
}

// checkRecovered is check turning a panic into a logged internal error,
// for the batch workers, which run outside any request's recover.
func (n *Node) checkRecovered(ctx context.Context, channel string, s *deconflict.Signed) (r *appendReq, err error) {
	defer func() {
		if v := recover(); v != nil {
			n.Logger.Error("panic checking an envelope", "channel", channel, "panic", v, "stack", string(debug.Stack()))
			r, err = nil, fmt.Errorf("panic checking an envelope: %v", v)
		}
	}()
	return n.check(ctx, channel, s)
}

// check verifies and authorises an envelope submitted to channel ("" for
// the one its payload names).
func (n *Node) check(ctx context.Context, channel string, s *deconflict.Signed) (*appendReq, error) {
	if s == nil {
		return nil, deconflict.Errorf(deconflict.EINVALID, "envelope is null")
	}
	if len(s.Payload) > deconflict.MaxEnvelopeBytes {
		return nil, deconflict.Errorf(deconflict.ETOOLARGE, "payload is %d bytes; the limit is %d", len(s.Payload), deconflict.MaxEnvelopeBytes)
	}
	if err := s.VerifySignature(); err != nil {
		return nil, err
	}
	p, err := deconflict.ParsePayload(s.Payload)
	if err != nil {
		return nil, err
	}
	if channel != "" && p.Channel != channel {
		return nil, deconflict.Errorf(deconflict.EINVALID, "payload is addressed to channel %s, posted to %s", p.Channel, channel)
	}
	switch p.Kind {
	case deconflict.KindMissedAck, deconflict.KindAlert, deconflict.KindPolicy, deconflict.KindFinding, deconflict.KindSeen, deconflict.KindRenotify,
		deconflict.KindLinkTest, deconflict.KindLinkResult:
		return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "kind %s: only the node writes these", p.Kind)
	}
	if p.Phrase != "" {
		if err := phrase.Check(p.Phrase, p.Params); err != nil {
			return nil, deconflict.Errorf(deconflict.EINVALID, "payload: %v", err)
		}
	}
	party, err := n.Caller(ctx, s.Key)
	if err != nil {
		return nil, err
	}
	if party == deconflict.NodeAuthor {
		return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "the node key does not author hotline envelopes; use a party key")
	}
	if p.Author != party {
		return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "payload author %s, but the key belongs to party %s", p.Author, party)
	}
	ch, err := n.authorise(ctx, party, p.Channel)
	if err != nil {
		return nil, err
	}
	if err := n.checkRegime(ctx, ch, p); err != nil {
		return nil, err
	}
	if err := n.checkAttachments(ctx, p); err != nil {
		return nil, err
	}
	return &appendReq{signed: s, payload: p}, nil
}

// SubmitNode signs p with the node key and appends it: missed-ack records,
// alerts and other node-generated envelopes.
func (n *Node) SubmitNode(ctx context.Context, p *deconflict.Payload) (*deconflict.Receipt, error) {
	return n.submitNode(ctx, p, nil, nil)
}

func (n *Node) submitNode(ctx context.Context, p *deconflict.Payload, missed []deconflict.PendingAck, hooks []deconflict.WebhookJob) (*deconflict.Receipt, error) {
	return n.submitNodeReq(ctx, p, &appendReq{missed: missed, hooks: hooks})
}

// submitPolicy appends a policy envelope that sets the channel's policy to
// pol in the same transaction.
func (n *Node) submitPolicy(ctx context.Context, p *deconflict.Payload, pol *deconflict.Policy) (*deconflict.Receipt, error) {
	return n.submitNodeReq(ctx, p, &appendReq{policy: pol})
}

func (n *Node) submitNodeReq(ctx context.Context, p *deconflict.Payload, r *appendReq) (*deconflict.Receipt, error) {
	if err := n.frozenError(p.Channel); err != nil {
		return nil, err
	}
	if _, err := n.nodeReq(p, r); err != nil {
		return nil, err
	}
	return n.append(ctx, r)
}

// nodeReq completes p as a node-signed payload and r as the request to
// append it.
func (n *Node) nodeReq(p *deconflict.Payload, r *appendReq) (*appendReq, error) {
	p.V, p.Author = 1, deconflict.NodeAuthor
	if p.ID == "" {
		p.ID = deconflict.NewEnvelopeID()
	}
	if p.Time.IsZero() {
		p.Time = n.Now().UTC()
	}
	s, err := deconflict.SignPayload(n.Key, p)
	if err != nil {
		return nil, err
	}
	if _, err := deconflict.ParsePayload(s.Payload); err != nil {
		return nil, fmt.Errorf("node payload: %w", err)
	}
	r.signed, r.payload = s, p
	return r, nil
}

func (n *Node) append(ctx context.Context, r *appendReq) (*deconflict.Receipt, error) {
	l, err := n.channelLog(ctx, r.payload.Channel)
	if err != nil {
		return nil, err
	}
	r.resp = make(chan appendResp, 1)
	select {
	case l.reqs <- r:
	case <-l.done:
		return nil, deconflict.Errorf(deconflict.EUNAVAILABLE, "node is shutting down")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// Once queued, the request is committed or refused whatever the caller
	// does; wait for the answer so the result is never in doubt.
	res := l.wait(r)
	if res.err != nil {
		return nil, res.err
	}
	return n.receiptWith(ctx, res.env, res.treeSize, res.checkpoint, res.proofs)
}

// wait returns the answer to r, queued on l: EUNAVAILABLE if the
// appender stopped before taking it (the node is closing).
func (l *channelLog) wait(r *appendReq) appendResp {
	select {
	case res := <-r.resp:
		return res
	case <-l.exited:
		// Everything queued before run returned was answered before exited
		// closed.
		select {
		case res := <-r.resp:
			return res
		default:
			return appendResp{err: deconflict.Errorf(deconflict.EUNAVAILABLE, "node is shutting down")}
		}
	}
}

// receipt builds the receipt of e against the checkpoint of treeSize.
func (n *Node) receipt(ctx context.Context, e *deconflict.Envelope, treeSize int64, checkpoint []byte) (*deconflict.Receipt, error) {
	return n.receiptWith(ctx, e, treeSize, checkpoint, nil)
}

func (n *Node) receiptWith(ctx context.Context, e *deconflict.Envelope, treeSize int64, checkpoint []byte, hr tlog.HashReader) (*deconflict.Receipt, error) {
	if hr == nil || checkpoint == nil {
		hr = n.storeHashReader(ctx, e.Channel)
	}
	r := &deconflict.Receipt{Channel: e.Channel, Index: e.Index, ID: e.ID, Received: e.Received, LeafHash: e.LeafHash[:], Leaf: e.Leaf(), NodeKey: n.VerifierKey(e.Channel)}
	if checkpoint == nil {
		var err error
		checkpoint, treeSize, err = n.Store.Checkpoint(ctx, e.Channel)
		if err != nil {
			return nil, err
		}
	}
	proof, err := tlog.ProveRecord(treeSize, e.Index, hr)
	if err != nil {
		return nil, fmt.Errorf("inclusion proof of %d in %d: %w", e.Index, treeSize, err)
	}
	r.Checkpoint = string(checkpoint)
	for _, h := range proof {
		r.Proof = append(r.Proof, append([]byte(nil), h[:]...))
	}
	return r, nil
}

// Receipt returns the receipt of the envelope at index against the latest
// checkpoint, for a member.
func (n *Node) Receipt(ctx context.Context, caller, channel string, index int64) (*deconflict.Receipt, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	e, err := n.Store.FindEnvelope(ctx, channel, index)
	if err != nil {
		return nil, err
	}
	r, err := n.receipt(ctx, e, 0, nil)
	if err != nil {
		return nil, err
	}
	// Fetched after the fact, a receipt carries the cosignatures the
	// witnesses have given its checkpoint by now.
	cp, _ := n.addCosignatures(channel, []byte(r.Checkpoint))
	r.Checkpoint = string(cp)
	return r, nil
}

// deadlineLoop writes a missed-ack envelope for every message whose
// deadline passed without an acknowledgement from every party that owed one.
func (n *Node) deadlineLoop(ctx context.Context) {
	t := time.NewTicker(n.TickInterval)
	defer t.Stop()
	var lastSweep time.Time // of unattached uploads
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := n.CheckDeadlines(ctx); err != nil && ctx.Err() == nil {
			n.Logger.Error("deadline check", "err", err)
		}
		if err := n.CheckFindings(ctx); err != nil && ctx.Err() == nil {
			n.Logger.Error("findings check", "err", err)
		}
		if err := n.CheckRenotify(ctx); err != nil && ctx.Err() == nil {
			n.Logger.Error("renotify check", "err", err)
		}
		if err := n.CheckLinkTests(ctx); err != nil && ctx.Err() == nil {
			n.Logger.Error("link test check", "err", err)
		}
		if now := n.Now(); now.Sub(lastSweep) >= blobSweepInterval {
			lastSweep = now
			if _, err := n.ForgetUnattachedBlobs(ctx); err != nil && ctx.Err() == nil {
				n.Logger.Error("attachment sweep", "err", err)
			}
		}
	}
}

// MissedAckBody is the body of a missed-ack envelope and of the JSON
// posted to escalation webhooks.
type MissedAckBody struct {
	Event      string    `json:"event"` // "missed-ack"
	Node       string    `json:"node"`
	Channel    string    `json:"channel"`
	Message    int64     `json:"message"` // the message's index
	Precedence string    `json:"precedence,omitempty"`
	Deadline   time.Time `json:"deadline"`
	Missing    []string  `json:"missing"` // parties that did not acknowledge in time
	// Seen are the parties of Missing the node logged fetching the
	// message (seen and not answered); Unseen those it never delivered
	// it to (never fetched).
	Seen   []string `json:"seen,omitempty"`
	Unseen []string `json:"unseen,omitempty"`
	Index  int64    `json:"index"` // the missed-ack envelope's index (webhook only)
}

// CheckDeadlines records every acknowledgement deadline that has passed.
func (n *Node) CheckDeadlines(ctx context.Context) error {
	due, err := n.Store.DueAcks(ctx, n.Now())
	if err != nil {
		return err
	}
	type key struct {
		ch  string
		idx int64
	}
	groups := map[key][]deconflict.PendingAck{}
	var order []key
	for _, d := range due {
		k := key{d.Channel, d.Index}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], d)
	}
	for _, k := range order {
		duties := groups[k]
		if _, frozen := n.Frozen(k.ch); frozen {
			continue // a frozen channel takes no missed-ack: its duties wait
		}
		ch, err := n.findChannel(ctx, k.ch)
		if err != nil {
			return err
		}
		msg, err := n.Store.FindEnvelope(ctx, k.ch, k.idx)
		if err != nil {
			return err
		}
		mp, _ := deconflict.ParsePayload(msg.Payload)
		var missing []string
		for _, d := range duties {
			missing = append(missing, d.Party)
		}
		body := MissedAckBody{Event: "missed-ack", Node: n.Name, Channel: k.ch, Message: k.idx, Deadline: duties[0].Deadline, Missing: missing}
		if mp != nil {
			body.Precedence = string(mp.Precedence)
		}
		text := fmt.Sprintf("no acknowledgement of message %d from %v by its deadline %s", k.idx, missing, body.Deadline.Format(time.RFC3339))
		for _, m := range missing {
			if t := n.seenAt(ctx, k.ch, k.idx, m); t != nil {
				body.Seen = append(body.Seen, m)
				text += fmt.Sprintf("; %s: seen at %s and not answered", m, t.Format(time.RFC3339))
			} else {
				body.Unseen = append(body.Unseen, m)
				text += fmt.Sprintf("; %s: never delivered (not fetched)", m)
			}
		}
		bj, _ := json.Marshal(body)
		idx := k.idx
		p := &deconflict.Payload{Channel: k.ch, Kind: deconflict.KindMissedAck, Ack: &idx, AckFrom: missing, Precedence: mp.Precedence,
			Text: text, Body: bj}
		var hooks []deconflict.WebhookJob
		for _, u := range ch.Policy.Webhooks {
			hooks = append(hooks, deconflict.WebhookJob{Channel: k.ch, URL: u, NextTry: n.Now()})
		}
		// The webhook body carries the missed-ack's own index, known only
		// once appended: the appender fills it in.
		if _, err := n.submitNode(ctx, p, duties, hooks); err != nil {
			return fmt.Errorf("missed-ack for %s/%d: %w", k.ch, k.idx, err)
		}
	}
	return nil
}

// webhookLoop delivers queued webhook calls, retrying with exponential
// backoff; it never blocks appends, which only queue the jobs.
func (n *Node) webhookLoop(ctx context.Context) {
	t := time.NewTicker(n.TickInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-n.wakeHook:
		}
		if err := n.DeliverWebhooks(ctx); err != nil && ctx.Err() == nil {
			n.Logger.Error("webhook queue", "err", err)
		}
	}
}

// DeliverWebhooks makes one attempt at every webhook call due now (up to
// 64), recording each outcome: done, or due again after a backoff that
// doubles per attempt (1 s, 2 s, ... up to 256 s, plus up to a quarter
// more at random), given up after MaxWebhookAttempts. The webhook loop
// calls it every TickInterval and after an append that queued a call.
func (n *Node) DeliverWebhooks(ctx context.Context) error {
	jobs, err := n.Store.DueWebhooks(ctx, n.Now(), 64)
	if err != nil {
		return err
	}
	for i := range jobs {
		n.deliver(ctx, &jobs[i])
	}
	return nil
}

// MaxWebhookAttempts is how often a webhook call is tried before it is
// given up (and logged).
const MaxWebhookAttempts = 12

func (n *Node) deliver(ctx context.Context, j *deconflict.WebhookJob) {
	j.Attempts++
	err := n.post(ctx, j.URL, j.Body)
	if err == nil {
		j.Done, j.LastErr = true, ""
		n.metrics.WebhookOK.Add(1)
	} else {
		n.metrics.WebhookFail.Add(1)
		j.LastErr = err.Error()
		backoff := time.Duration(1<<min(j.Attempts-1, 8)) * time.Second
		backoff += time.Duration(rand.Int64N(int64(backoff / 4)))
		j.NextTry = n.Now().Add(backoff)
		if j.Attempts >= MaxWebhookAttempts {
			j.Done = true
			n.Logger.Error("webhook given up", "url", j.URL, "channel", j.Channel, "attempts", j.Attempts, "err", err)
		} else {
			n.Logger.Warn("webhook failed; will retry", "url", j.URL, "attempt", j.Attempts, "next", j.NextTry, "err", err)
		}
	}
	if err := n.Store.UpdateWebhook(ctx, j); err != nil && ctx.Err() == nil {
		n.Logger.Error("webhook update", "err", err)
	}
}

func (n *Node) post(ctx context.Context, url string, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := n.newWebhookRequest(ctx, url, body)
	if err != nil {
		return err
	}
	resp, err := n.HTTPClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("status %s", resp.Status)
	}
	return nil
}

// checkStoredLog checks a channel's stored log against its latest signed
// checkpoint: the checkpoint's signature, every stored leaf's bytes
// against its leaf hash, every stored hash recomputed from the leaves, and
// the root; and each envelope from index signedFrom on in full (signature,
// key of its author, stored columns, checkEnvelope), those below only
// their stored columns against their payload: their bytes were checked
// before and the tree proves them unchanged. It names the first index that
// does not match.
func (n *Node) checkStoredLog(ctx context.Context, channel string, signedFrom int64) error {
	text, size, err := n.Store.Checkpoint(ctx, channel)
	if err != nil {
		return err
	}
	cp, err := n.parseCheckpoint(channel, text)
	if err != nil {
		return err
	}
	if cp.Size != size {
		return fmt.Errorf("the signed checkpoint says size %d, its stored size column %d", cp.Size, size)
	}
	stored, err := n.Store.LogSize(ctx, channel)
	if err != nil {
		return err
	}
	if stored > cp.Size {
		return fmt.Errorf("index %d: not covered by the signed checkpoint of size %d", cp.Size, cp.Size)
	}
	if stored < cp.Size {
		return fmt.Errorf("index %d: missing (the store ends there, the signed checkpoint has %d envelopes)", stored, cp.Size)
	}
	leaves := func(ctx context.Context, start, end int64) ([]record.Leaf, error) {
		envs, err := n.Store.FindEnvelopes(ctx, channel, start, int(end-start))
		if err != nil {
			return nil, err
		}
		out := make([]record.Leaf, 0, len(envs))
		var full []*deconflict.Envelope
		for _, e := range envs {
			if e.Index >= end {
				break
			}
			leaf := e.Leaf()
			if deconflict.LeafHash(leaf) != e.LeafHash {
				return nil, &record.AuditError{Index: e.Index, Kind: record.KindLeaf, Reason: "the stored leaf hash does not match the envelope's bytes"}
			}
			if e.Index >= signedFrom {
				full = append(full, e)
			} else if err := checkColumns(e); err != nil {
				return nil, &record.AuditError{Index: e.Index, Kind: record.KindLeaf, Reason: err.Error(), Err: err}
			}
			out = append(out, record.Leaf{Index: e.Index, Data: leaf})
		}
		if err := n.checkEnvelopes(ctx, full); err != nil {
			return nil, err
		}
		return out, nil
	}
	err = record.VerifyStore(ctx, cp, n.storeHashReader(ctx, channel), leaves, nil)
	var ae *record.AuditError
	if errors.As(err, &ae) {
		return ae
	}
	return err
}

// checkColumns checks that an envelope's stored columns are what its
// payload says. The payload was decoded strictly when it was accepted and
// its bytes are proven unchanged by the log, so a plain decode of the four
// fields suffices here.
func checkColumns(e *deconflict.Envelope) error {
	var p struct{ ID, Author, Kind, Channel string }
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		return fmt.Errorf("payload: %w", err)
	}
	if p.ID != e.ID || p.Author != e.Author || p.Kind != e.Kind || p.Channel != e.Channel {
		return fmt.Errorf("stored columns do not match the signed payload")
	}
	return nil
}

func payloadOfColumns(e *deconflict.Envelope) (*deconflict.Payload, error) {
	p, err := deconflict.ParsePayload(e.Payload)
	if err != nil {
		return nil, err
	}
	if p.ID != e.ID || p.Author != e.Author || p.Kind != e.Kind || p.Channel != e.Channel {
		return nil, fmt.Errorf("stored columns do not match the signed payload")
	}
	return p, nil
}

// checkEnvelope checks an envelope's signature, that its key belonged to
// its author when the node received it, and that its fields match.
func (n *Node) checkEnvelope(ctx context.Context, e *deconflict.Envelope) error {
	if err := e.VerifySignature(); err != nil {
		return err
	}
	p, err := payloadOfColumns(e)
	if err != nil {
		return err
	}
	if p.Author == deconflict.NodeAuthor {
		if !bytes.Equal(e.Key, n.PublicKey()) {
			return fmt.Errorf("node envelope not signed by the node key")
		}
		return nil
	}
	k, err := n.findKey(ctx, e.Key) // cached: a check reads each key once, not once per envelope
	if err != nil {
		return fmt.Errorf("key of %s: %w", p.Author, err)
	}
	if k.Party != p.Author {
		return fmt.Errorf("signed by a key of %s, author says %s", k.Party, p.Author)
	}
	// A key that revokes itself is revoked at the very time its
	// revocation was received: valid for that one envelope.
	selfRevoked := p.Kind == deconflict.KindKeyRevoke && k.Revoked != nil && k.Revoked.Equal(e.Received)
	if !k.ValidAt(e.Received) && !selfRevoked {
		return fmt.Errorf("signed by key %s, not valid when received at %s", deconflict.EncodeKey(e.Key), e.Received.Format(time.RFC3339))
	}
	return nil
}
