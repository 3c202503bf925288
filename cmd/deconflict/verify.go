package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/record"
	"github.com/deconflict/deconflict/witness"
)

func init() {
	register("verify", &command{
		Summary: "audit a channel's log, or check a saved receipt offline",
		Usage: `
usage: deconflict verify --channel C [--node-key PUB] [--state DIR] [--accept-rekey] [--party-key ID=PUB]... [--policy FILE [--wait D]] [--attachments]
       deconflict verify --receipt FILE [--node-key PUB] [--key FILE] [--policy FILE]

--channel audits channel C as a member: it fetches the signed checkpoint
and every logged envelope (as C2SP tiles), checks each envelope's signature
against the keys its author held, recomputes the Merkle tree, checks the
checkpoint's signature by the node key, and demands a consistency proof
from the checkpoint it verified last time (kept in DIR, default the user's
config directory), so a rewritten entry, a rollback or a fork is caught.
The node key is pinned on first use unless --node-key gives it.

The party keys are taken from the node's key log, audited the same way:
each party's first keys registered by the operator, every later key added
and every revocation signed by a current key of that party. An emergency
re-keying by the operator (a key added or revoked with the node key) is
reported and fails verify until you accept it with --accept-rekey, after
confirming it with the party; accepted ones are remembered in DIR.
--party-key ID=PUB pins a party's first key as you were given it.

Every receipt kept in DIR (send and ack keep theirs there) must still be
in the log: the same envelope at the same index, in a log consistent with
the receipt's checkpoint.

Files attached to messages are not in the log, only their signed hashes:
verify counts them; with --attachments it also fetches each one and checks
it against the hash and size its envelope signs (a file the node no longer
serves, or serves altered, fails verify).

--receipt checks a receipt saved with 'send --receipt' offline: the
envelope's signature, its inclusion proof and the checkpoint's signature;
with --key (or DECONFLICT_KEY) it also checks the node's current log still
holds it (inclusion, and consistency from the receipt's checkpoint). FILE
may also be a C2SP tlog-proof file (the envelope in its extra data; the
node key from --node-key or the policy's "log" line), checked offline.

--policy FILE (C2SP tlog-policy) also demands the policy's quorum of
witness cosignatures on the checkpoint: verify --channel waits up to --wait
(default 10s) for the node to serve a checkpoint that carries it, then
fails naming the witnesses that did not cosign and what the node reports
of them (no state is saved then); verify --receipt checks the receipt's
checkpoint.

Exit status 0 when everything holds; 1, naming the first bad index and
what is wrong with it, otherwise.

example:
  deconflict verify --channel ru-us-syria --key ru.key
  deconflict verify --receipt msg0.json`,
		Run: runVerify,
	})
}

func runVerify(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("verify")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel to audit")
	receipt := fs.String("receipt", "", "receipt file to check offline")
	nodeKey := fs.String("node-key", m.Getenv("DECONFLICT_NODE_KEY"), "the node's public key (base64), if known from elsewhere (env DECONFLICT_NODE_KEY)")
	state := fs.String("state", m.Getenv("DECONFLICT_STATE"), "directory of verified checkpoints (default: the user's config directory/deconflict; env DECONFLICT_STATE)")
	policyFile := fs.String("policy", "", "C2SP tlog-policy file: demand its quorum of witness cosignatures")
	wait := fs.Duration("wait", 10*time.Second, "with --policy and --channel: how long to wait for a checkpoint with the quorum")
	attachments := fs.Bool("attachments", false, "with --channel: also fetch every attached file and check it against the hash and size its envelope signs")
	acceptRekey := fs.Bool("accept-rekey", false, "accept the operator's emergency re-keyings found in the key log (confirm them with the party first)")
	pins := map[string]string{}
	fs.Func("party-key", "ID=PUB: a party's first key as you were given it (repeatable)", func(v string) error {
		id, pub, ok := strings.Cut(v, "=")
		if !ok {
			return fmt.Errorf("want ID=PUB")
		}
		if _, err := deconflict.DecodeKey(pub); err != nil {
			return errors.New(deconflict.ErrorMessage(err))
		}
		pins[id] = pub
		return nil
	})
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("verify: unexpected argument %q", pos[0])
	}
	var pinned ed25519.PublicKey
	if *nodeKey != "" {
		k, err := deconflict.DecodeKey(*nodeKey)
		if err != nil {
			return usagef("verify: --node-key: %s", deconflict.ErrorMessage(err))
		}
		pinned = k
	}
	var pol *witness.Policy
	if *policyFile != "" {
		if pol, err = readPolicy(*policyFile); err != nil {
			return err
		}
	}
	switch {
	case *receipt != "" && *channel == "":
		return m.verifyReceipt(ctx, cf, *receipt, pinned, pol)
	case *channel != "" && *receipt == "":
		return m.verifyChannel(ctx, cf, *channel, pinned, *state, *acceptRekey, pins, pol, *wait, *attachments)
	default:
		return usagef("verify: give either --channel C or --receipt FILE")
	}
}

// failed ends verify with exit status 1 after saying what is wrong.
func (m *Main) failed(format string, args ...any) error {
	fmt.Fprintf(m.Stdout, "verify: FAILED: "+format+"\n", args...)
	return &exitError{Code: 1}
}

func (m *Main) verifyReceipt(ctx context.Context, cf *clientFlags, path string, pinned ed25519.PublicKey, pol *witness.Policy) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if bytes.HasPrefix(data, []byte(witness.TlogProofHeader+"\n")) {
		return m.verifyTlogProof(path, data, pinned, pol) // witness.go
	}
	r, err := record.ParseReceipt(data)
	if err != nil {
		return m.failed("receipt %s: %v", path, err)
	}
	cp, err := record.VerifyReceipt(r, pinned)
	if err != nil {
		return m.failed("receipt %s: %v", path, err)
	}
	what := "leaf hash"
	if len(r.Leaf) > 0 {
		s, err := deconflict.ParseLeaf(r.Leaf)
		if err != nil {
			return m.failed("receipt %s: index %d: %s", path, r.Index, deconflict.ErrorMessage(err))
		}
		if err := s.VerifySignature(); err != nil {
			return m.failed("receipt %s: index %d: %s", path, r.Index, deconflict.ErrorMessage(err))
		}
		p, err := deconflict.ParsePayload(s.Payload)
		if err != nil {
			return m.failed("receipt %s: index %d: %s", path, r.Index, deconflict.ErrorMessage(err))
		}
		what = fmt.Sprintf("envelope %s by %s (%s, signed %s)", p.ID, p.Author, p.Kind, p.Time.Format(time.RFC3339))
	}
	online := ""
	if *cf.key != "" {
		// Still in the log? The node's current checkpoint, signed by the
		// same key, must hold the leaf at its index and extend the
		// receipt's checkpoint.
		_, channel, err := record.SplitOrigin(cp.Origin)
		if err != nil {
			return m.failed("receipt %s: %v", path, err)
		}
		_, key, _ := record.ParseVerifierKey(r.NodeKey)
		c, _, err := cf.client()
		if err != nil {
			return err
		}
		text, err := c.Checkpoint(ctx, channel)
		if err != nil {
			return err
		}
		cur, err := record.OpenCheckpoint(text, cp.Origin, key)
		if err != nil {
			return m.failed("receipt %s: the node's current checkpoint of %s: %v", path, channel, err)
		}
		if err := checkReceiptAgainst(ctx, c, channel, r, key, cur, nil); err != nil {
			return m.failed("receipt %s: %v", path, err)
		}
		online = fmt.Sprintf("; still in the node's log of %d envelopes, which extends the receipt's checkpoint", cur.Size)
	}
	if pol != nil {
		names, err := pol.Verify([]byte(r.Checkpoint))
		if err != nil {
			return m.failed("receipt %s: %v", path, err)
		}
		what += ", cosigned by " + strings.Join(names, ", ")
	}
	fmt.Fprintf(m.Stdout, "verify: receipt OK: %s is at index %d of %s, in the checkpoint of size %d signed by %s%s\n", what, r.Index, cp.Origin, cp.Size, r.NodeKey, online)
	if pinned == nil {
		fmt.Fprintln(m.Stdout, "verify: note: the node key was taken from the receipt itself; give --node-key to check it against the key you know")
	}
	if online == "" {
		fmt.Fprintln(m.Stdout, "verify: note: checked offline: it proves the node accepted the envelope; give --key to check that the node's log still holds it")
	}
	return nil
}

func stateDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("no config directory for verify state (%v); pass --state DIR", err)
	}
	return filepath.Join(dir, "deconflict"), nil
}

func (m *Main) verifyChannel(ctx context.Context, cf *clientFlags, channel string, pinned ed25519.PublicKey, stateFlag string, acceptRekey bool, pins map[string]string, pol *witness.Policy, wait time.Duration, fetchAttachments bool) error {
	dir, err := stateDir(stateFlag)
	if err != nil {
		return err
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	info, err := c.Node(ctx)
	if err != nil {
		return err
	}
	origin, err := record.Origin(info.Name, channel)
	if err != nil {
		return err
	}
	served, err := deconflict.DecodeKey(info.Key)
	if err != nil {
		return fmt.Errorf("node key: %w", err)
	}
	prev, err := record.LoadVerified(dir, origin)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	trusted := pinned
	if trusted == nil && prev != nil {
		_, k, err := record.ParseVerifierKey(prev.NodeKey)
		if err != nil {
			return fmt.Errorf("state %s: %w", dir, err)
		}
		trusted = k
	}
	if trusted == nil {
		trusted = served
		fmt.Fprintf(m.Stdout, "verify: trusting node key %s on first use (pin it with --node-key)\n", info.Key)
	}
	if !trusted.Equal(served) {
		return m.failed("the node now presents key %s, not the key %s trusted for %s", info.Key, deconflict.EncodeKey(trusted), origin)
	}
	// The party keys come from the node's key log, audited like a channel
	// log, never from the node's say-so.
	chain, err := m.auditKeyLog(ctx, c, info.Name, trusted, dir, acceptRekey, pins)
	if err != nil {
		return err
	}
	checkpoint, err := c.Checkpoint(ctx, channel)
	if err != nil {
		return err
	}
	var cosigners []string
	if pol != nil {
		// Audit the checkpoint that carries the quorum, or fail before
		// trusting (and saving) one that does not (witness.go).
		cp, names, missing, err := m.awaitQuorum(ctx, c, channel, pol, wait)
		if err != nil {
			return err
		}
		if missing != "" {
			return m.failed("channel %s: %s", channel, missing)
		}
		checkpoint, cosigners = cp, names
	}
	policyChanges := map[int64]string{} // index -> what changed, to report
	officers := map[[2]string]int{}     // {party, officer} -> envelopes it signed for the party
	var attached []attachedAt           // the files the verified envelopes attach, in log order
	var leafHashes []record.Hash        // by index, for the kept receipts
	seen := func(i int64, v *dhttp.EnvelopeView, s *deconflict.Signed) {
		if i == int64(len(leafHashes)) {
			leafHashes = append(leafHashes, record.LeafHash(s.Leaf()))
		}
		if v.Kind == deconflict.KindPolicy {
			if p, err := deconflict.ParsePayload(s.Payload); err == nil {
				policyChanges[v.Index] = p.Text
			}
		}
		if bytes.Contains(s.Payload, []byte(`"attachments":`)) {
			if p, err := deconflict.ParsePayload(s.Payload); err == nil {
				for _, at := range p.Attachments {
					attached = append(attached, attachedAt{v.Index, at})
				}
			}
		}
		if bytes.Contains(s.Payload, []byte(`"officer":`)) {
			if p, err := deconflict.ParsePayload(s.Payload); err == nil && p.Officer != "" {
				officers[[2]string{p.Author, p.Officer}]++
			}
		}
	}
	a := newAuditor(c, channel, origin, trusted, func(index int64, leaf []byte) error {
		return checkLeaf(leaf, channel, trusted, chain.keys)
	}, seen)
	var prevCP *record.Checkpoint
	if prev != nil {
		t := prev.Tree()
		prevCP = &t
	}
	began := time.Now()
	cp, err := a.Audit(ctx, checkpoint, prevCP)
	var ae *record.AuditError
	if errors.As(err, &ae) {
		return m.failed("channel %s: %v", channel, ae)
	} else if errors.Is(err, record.ErrFetch) {
		// The node cannot serve the tiles of its own checkpoint: name the
		// first envelope it lacks, if that is why.
		if cp, cerr := record.OpenCheckpoint(checkpoint, origin, trusted); cerr == nil {
			if leaves, lerr := a.FetchLeaves(ctx, 0, cp.Size); lerr == nil {
				for i := int64(0); i < cp.Size; i++ {
					if i >= int64(len(leaves)) || leaves[i].Index != i {
						return m.failed("channel %s: index %d: missing (the signed checkpoint has %d envelopes; the node cannot serve its tiles: %v)", channel, i, cp.Size, err)
					}
				}
			}
		}
		return m.failed("channel %s: the node does not serve the log of its own checkpoint: %v", channel, err)
	} else if err != nil {
		return err
	}
	// Every receipt the member holds must still be in the log: the same
	// leaf at the same index, in a log consistent with its checkpoint.
	kept, err := loadReceipts(dir, origin)
	if err != nil {
		return err
	}
	leafAt := func(i int64) (record.Hash, bool) {
		if i < 0 || i >= int64(len(leafHashes)) {
			return record.Hash{}, false
		}
		return leafHashes[i], true
	}
	for _, k := range kept {
		if err := checkReceiptAgainst(ctx, c, channel, k.r, trusted, cp, leafAt); err != nil {
			return m.failed("channel %s: receipt %s: %v", channel, k.path, err)
		}
	}
	vkey, err := record.VerifierKey(origin, trusted)
	if err != nil {
		return err
	}
	if err := record.SaveVerified(dir, &record.Verified{Origin: origin, Size: cp.Size, Root: cp.Root, Checkpoint: string(checkpoint), NodeKey: vkey}); err != nil {
		return fmt.Errorf("saving the verified checkpoint: %w", err)
	}
	since := "first audit of this channel"
	if prevCP != nil {
		since = fmt.Sprintf("consistent with the checkpoint of size %d verified before", prevCP.Size)
	}
	for i := int64(0); i < cp.Size; i++ {
		if text, ok := policyChanges[i]; ok {
			fmt.Fprintf(m.Stdout, "verify: note: index %d: %s\n", i, text)
		}
	}
	if len(officers) > 0 {
		// Who signed for each party, as the verified signatures say: the
		// officer is covered by the party's signature.
		keys := make([][2]string, 0, len(officers))
		for k := range officers {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b [2]string) int { return strings.Compare(a[0]+"\x00"+a[1], b[0]+"\x00"+b[1]) })
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %s %d", k[0], k[1], officers[k]))
		}
		fmt.Fprintf(m.Stdout, "verify: officers (party, officer, envelopes signed): %s\n", strings.Join(parts, ", "))
	}
	if len(attached) > 0 {
		if !fetchAttachments {
			fmt.Fprintf(m.Stdout, "verify: attachments: %d files named by their signed hashes (not fetched; --attachments checks them)\n", len(attached))
		} else {
			var total int64
			for _, at := range attached {
				data, _, err := c.GetBlob(ctx, channel, at.SHA256)
				if de := (*deconflict.Error)(nil); errors.As(err, &de) {
					return m.failed("channel %s: index %d: attachment %s (sha256 %s): %s (%s)", channel, at.index, at.Name, at.SHA256, de.Message, de.Code)
				} else if err != nil {
					return m.failed("channel %s: index %d: attachment %s (sha256 %s): %v", channel, at.index, at.Name, at.SHA256, err)
				}
				if int64(len(data)) != at.Size {
					return m.failed("channel %s: index %d: attachment %s: %d bytes, the envelope signs %d", channel, at.index, at.Name, len(data), at.Size)
				}
				total += at.Size
			}
			fmt.Fprintf(m.Stdout, "verify: attachments: %d files (%d bytes) fetched, each matching the hash and size its envelope signs\n", len(attached), total)
		}
	}
	if pol != nil {
		since += "; cosigned by " + strings.Join(cosigners, ", ") + ", the policy's quorum"
	}
	receipts := ""
	if len(kept) > 0 {
		receipts = fmt.Sprintf(", %d kept receipts still in the log", len(kept))
	}
	fmt.Fprintf(m.Stdout, "verify: channel %s OK: %d envelopes, every signature valid, root %v%s (%s; %s)\n", channel, cp.Size, cp.Root, receipts, since, time.Since(began).Round(time.Millisecond))
	return nil
}

// attachedAt is a file an envelope of the audited log attaches.
type attachedAt struct {
	index int64
	deconflict.Attachment
}

// checkLeaf checks one logged envelope as a member can: canonical form,
// signature, channel, and that its key belonged to its author when it
// signed (by the payload's own time, the only time the leaf carries).
func checkLeaf(leaf []byte, channel string, nodeKey ed25519.PublicKey, keys map[string]deconflict.PartyKey) error {
	s, err := deconflict.ParseLeaf(leaf)
	if err != nil {
		return errors.New(deconflict.ErrorMessage(err))
	}
	if err := s.VerifySignature(); err != nil {
		return errors.New(deconflict.ErrorMessage(err))
	}
	p, err := deconflict.ParsePayload(s.Payload)
	if err != nil {
		return errors.New(deconflict.ErrorMessage(err))
	}
	if p.Channel != channel {
		return fmt.Errorf("envelope addressed to channel %s", p.Channel)
	}
	if p.Author == deconflict.NodeAuthor {
		if !s.Key.Equal(nodeKey) {
			return fmt.Errorf("node envelope signed by %s, not the node key", deconflict.EncodeKey(s.Key))
		}
		return nil
	}
	k, ok := keys[string(s.Key)]
	if !ok {
		return fmt.Errorf("signed by key %s, which no party holds", deconflict.EncodeKey(s.Key))
	}
	if k.Party != p.Author {
		return fmt.Errorf("author %s, but the key belongs to %s", p.Author, k.Party)
	}
	// The node accepts envelopes within its time window of their own time.
	const window = 10 * time.Minute
	if p.Time.Before(k.Added.Add(-window)) || (k.Revoked != nil && p.Time.After(k.Revoked.Add(window))) {
		return fmt.Errorf("signed at %s by key %s of %s, not valid then", p.Time.Format(time.RFC3339), deconflict.EncodeKey(s.Key), k.Party)
	}
	return nil
}
