package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
)

func init() {
	register("party", &command{
		Summary: "register parties (operator); add and revoke a party's keys; list them",
		Usage: `
usage: deconflict party add ID --pubkey PUB [--name N]                      (operator)
       deconflict party key-add ID --pubkey PUB --key PARTY.key             (the party)
       deconflict party key-revoke --pubkey PUB --key PARTY.key [--reason R] (the party)
       deconflict party key-add ID --pubkey PUB --data DIR --emergency --reason R   (operator)
       deconflict party key-revoke --pubkey PUB --data DIR --reason R               (operator)
       deconflict party list [--json]

A party's keys form a chain that members check: the operator registers a
party with its first key; every later key is added, and every key
revoked, by the party itself, signed with one of its current keys
(--key). All of these are envelopes of the node's key log, which
'verify' audits. The operator (the node key, DATA/node.key) may add or
revoke a party's key only as an emergency re-keying, with a reason: every
member's verify then reports it and fails until told to accept it
(verify --accept-rekey). A revoked key signs nothing after its
revocation, and what it signed before stays valid. 'list' prints one
party a line: ID, name and keys (comma-separated, revoked ones marked),
tab-separated; --json prints one JSON object per line.

example:
  deconflict party add US --pubkey "$(deconflict keygen --out us.key)" --name "United States"`,
		Run: runParty,
	})
}

func runParty(ctx context.Context, m *Main, args []string) error {
	return m.runSubcommand(ctx, "party", args, map[string]subcommand{
		"add":        runPartyAdd,
		"key-add":    runPartyKeyAdd,
		"key-revoke": runPartyKeyRevoke,
		"list":       runPartyList,
	})
}

// pubkeyFlag is --pubkey, checked when parsed.
func pubkeyFlag(fs *flag.FlagSet) *ed25519.PublicKey {
	var pub ed25519.PublicKey
	fs.Func("pubkey", "public key (base64, as keygen prints it)", func(s string) error {
		k, err := deconflict.DecodeKey(s)
		if err != nil {
			return errors.New(deconflict.ErrorMessage(err))
		}
		pub = k
		return nil
	})
	return &pub
}

func runPartyAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("party")
	cf := m.addClientFlags(fs, true)
	pub := pubkeyFlag(fs)
	name := fs.String("name", "", "display name")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("party add: want exactly one party ID")
	}
	if *pub == nil {
		return usagef("party add: --pubkey is required")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	if err := c.CreateParty(ctx, &dhttp.PartyRequest{ID: pos[0], Name: *name, Keys: []string{deconflict.EncodeKey(*pub)}}); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "party %s registered\n", pos[0])
	return nil
}

func runPartyKeyAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("party")
	cf := m.addPartyOrOperatorFlags(fs)
	pub := pubkeyFlag(fs)
	emergency := fs.Bool("emergency", false, "operator: an emergency re-keying of the party (members' verify reports it)")
	reason := fs.String("reason", "", "why (required for an emergency re-keying)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("party key-add: want exactly one party ID")
	}
	if *pub == nil {
		return usagef("party key-add: --pubkey is required")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	who, err := c.Whoami(ctx)
	if err != nil {
		return err
	}
	if who == deconflict.NodeAuthor {
		if !*emergency || *reason == "" {
			return usagef("party key-add: the operator cannot add a key for party %s except as an emergency re-keying (--emergency --reason R), which every member's verify reports; the party adds its own keys with --key PARTY.key", pos[0])
		}
		if err := c.AddKey(ctx, pos[0], *pub, *reason); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "key added to party %s by emergency re-keying; every member's verify will report it\n", pos[0])
		return nil
	}
	if who != pos[0] {
		return fmt.Errorf("party key-add: your key belongs to party %s, not %s: a party adds only its own keys", who, pos[0])
	}
	rec, err := c.AddOwnKey(ctx, who, *pub)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "key added to party %s (key log index %d)\n", who, rec.Index)
	return nil
}

func runPartyKeyRevoke(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("party")
	cf := m.addPartyOrOperatorFlags(fs)
	pub := pubkeyFlag(fs)
	reason := fs.String("reason", "", "why (required when the operator revokes: an emergency re-keying)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("party key-revoke: unexpected argument %q (the key is given with --pubkey)", pos[0])
	}
	if *pub == nil {
		return usagef("party key-revoke: --pubkey is required")
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	who, err := c.Whoami(ctx)
	if err != nil {
		return err
	}
	if who == deconflict.NodeAuthor {
		if *reason == "" {
			return usagef("party key-revoke: the operator revokes a party's key only as an emergency re-keying, with --reason R; every member's verify reports it")
		}
		if err := c.RevokeKey(ctx, *pub, *reason); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, "key revoked by emergency re-keying; every member's verify will report it")
		return nil
	}
	rec, err := c.RevokeOwnKey(ctx, who, *pub, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "key of party %s revoked (key log index %d)\n", who, rec.Index)
	return nil
}

func runPartyList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("party")
	cf := m.addClientFlags(fs, true)
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("party list: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	ps, err := c.Parties(ctx)
	if err != nil {
		return err
	}
	return writeList(m.Stdout, *asJSON, ps, func(p *deconflict.Party) []string {
		var keys []string
		for _, k := range p.Keys {
			s := deconflict.EncodeKey(k.Public)
			if k.Revoked != nil {
				s += " (revoked " + k.Revoked.UTC().Format(time.RFC3339) + ")"
			}
			keys = append(keys, s)
		}
		return []string{p.ID, p.Name, strings.Join(keys, ",")}
	})
}
