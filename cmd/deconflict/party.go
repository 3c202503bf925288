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
		Summary: "(operator) register parties, add and revoke their keys, list them",
		Usage: `
usage: deconflict party add ID --pubkey PUB [--name N]
       deconflict party key-add ID --pubkey PUB
       deconflict party key-revoke --pubkey PUB
       deconflict party list [--json]

Operator commands are signed with the node key (DATA/node.key, or --key).
A party may hold several keys; a revoked key signs nothing after its
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
	cf := m.addClientFlags(fs, true)
	pub := pubkeyFlag(fs)
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
	if err := c.AddKey(ctx, pos[0], *pub); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "key added to party %s\n", pos[0])
	return nil
}

func runPartyKeyRevoke(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("party")
	cf := m.addClientFlags(fs, true)
	pub := pubkeyFlag(fs)
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
	if err := c.RevokeKey(ctx, *pub); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "key revoked")
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
