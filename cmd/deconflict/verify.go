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
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/record"
	"github.com/deconflict/deconflict/witness"
)

func init() {
	register("verify", &command{
		Summary: "audit a channel's log, or check a saved receipt offline",
		Usage: `
usage: deconflict verify --channel C [--node-key PUB] [--state DIR] [--policy FILE [--wait D]]
       deconflict verify --receipt FILE [--node-key PUB] [--policy FILE]

--channel audits channel C as a member: it fetches the signed checkpoint
and every logged envelope (as C2SP tiles), checks each envelope's signature
against the keys its author held, recomputes the Merkle tree, checks the
checkpoint's signature by the node key, and demands a consistency proof
from the checkpoint it verified last time (kept in DIR, default the user's
config directory), so a rewritten entry, a rollback or a fork is caught.
The node key is pinned on first use unless --node-key gives it.

--receipt checks a receipt saved with 'send --receipt' offline: the
envelope's signature, its inclusion proof and the checkpoint's signature.
FILE may be the JSON receipt or a C2SP tlog-proof file (the envelope in its
extra data; the node key from --node-key or the policy's "log" line).

--policy FILE (C2SP tlog-policy) also demands the policy's quorum of
witness cosignatures on the checkpoint: verify --channel waits up to --wait
(default 10s) for the node to serve a checkpoint that carries it, then
fails naming the witnesses that did not cosign and what the node reports
of them; no state is saved then.

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
		return m.verifyReceipt(*receipt, pinned, pol)
	case *channel != "" && *receipt == "":
		return m.verifyChannel(ctx, cf, *channel, pinned, *state, pol, *wait)
	default:
		return usagef("verify: give either --channel C or --receipt FILE")
	}
}

// failed ends verify with exit status 1 after saying what is wrong.
func (m *Main) failed(format string, args ...any) error {
	fmt.Fprintf(m.Stdout, "verify: FAILED: "+format+"\n", args...)
	return &exitError{Code: 1}
}

func (m *Main) verifyReceipt(path string, pinned ed25519.PublicKey, pol *witness.Policy) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if bytes.HasPrefix(data, []byte(witness.TlogProofHeader+"\n")) {
		return m.verifyTlogProof(path, data, pinned, pol)
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
	if pol != nil {
		names, err := pol.Verify([]byte(r.Checkpoint))
		if err != nil {
			return m.failed("receipt %s: %v", path, err)
		}
		what += ", cosigned by " + strings.Join(names, ", ")
	}
	fmt.Fprintf(m.Stdout, "verify: receipt OK: %s is at index %d of %s, in the checkpoint of size %d signed by %s\n", what, r.Index, cp.Origin, cp.Size, r.NodeKey)
	if pinned == nil {
		fmt.Fprintln(m.Stdout, "verify: note: the node key was taken from the receipt itself; give --node-key to check it against the key you know")
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

func (m *Main) verifyChannel(ctx context.Context, cf *clientFlags, channel string, pinned ed25519.PublicKey, stateFlag string, pol *witness.Policy, wait time.Duration) error {
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
	parties, err := c.Parties(ctx)
	if err != nil {
		return err
	}
	keys := map[string]deconflict.PartyKey{}
	for _, p := range parties {
		for _, k := range p.Keys {
			keys[string(k.Public)] = k
		}
	}
	checkpoint, err := c.Checkpoint(ctx, channel)
	if err != nil {
		return err
	}
	var cosigners []string
	if pol != nil {
		// Audit the checkpoint that carries the quorum, or fail before
		// trusting (and saving) one that does not.
		cp, names, missing, err := m.awaitQuorum(ctx, c, channel, pol, wait)
		if err != nil {
			return err
		}
		if missing != "" {
			return m.failed("channel %s: %s", channel, missing)
		}
		checkpoint, cosigners = cp, names
	}
	logPath := "/v1/channels/" + channel + "/log/"
	a := &record.Auditor{
		Origin:  origin,
		NodeKey: trusted,
		FetchTile: func(ctx context.Context, path string) ([]byte, error) {
			return c.Get(ctx, logPath+path)
		},
		FetchConsistency: func(ctx context.Context, oldSize, newSize int64) ([]record.Hash, error) {
			p, err := c.ConsistencyProof(ctx, channel, oldSize, newSize)
			if err != nil {
				return nil, err
			}
			out := make([]record.Hash, len(p.Proof))
			for i, h := range p.Proof {
				if len(h) != record.HashSize {
					return nil, fmt.Errorf("consistency proof: hash %d has %d bytes", i, len(h))
				}
				copy(out[i][:], h)
			}
			return out, nil
		},
		CheckLeaf: func(index int64, leaf []byte) error {
			return checkLeaf(leaf, channel, trusted, keys)
		},
	}
	// Leaves come from the envelopes API, which returns what the node has
	// even when leaves are missing, so that the audit names the first
	// missing index; every leaf is checked against the tiles' hashes.
	policyChanges := map[int64]string{} // index -> what changed, to report
	a.FetchLeaves = func(ctx context.Context, start, end int64) ([]record.Leaf, error) {
		var out []record.Leaf
		for from := start; from < end; {
			envs, err := c.Envelopes(ctx, channel, from, int(min(end-from, 1000)))
			if err != nil {
				return nil, err
			}
			for _, v := range envs {
				if v.Index >= end {
					break
				}
				s, err := v.Signed()
				if err != nil {
					return nil, fmt.Errorf("envelope %d: %w", v.Index, err)
				}
				if v.Kind == deconflict.KindPolicy {
					if p, err := deconflict.ParsePayload(s.Payload); err == nil {
						policyChanges[v.Index] = p.Text
					}
				}
				out = append(out, record.Leaf{Index: v.Index, Data: s.Leaf()})
			}
			if len(envs) == 0 {
				break
			}
			from = envs[len(envs)-1].Index + 1
		}
		return out, nil
	}
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
	if pol != nil {
		since += "; cosigned by " + strings.Join(cosigners, ", ") + ", the policy's quorum"
	}
	fmt.Fprintf(m.Stdout, "verify: channel %s OK: %d envelopes, every signature valid, root %v (%s; %s)\n", channel, cp.Size, cp.Root, since, time.Since(began).Round(time.Millisecond))
	return nil
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
