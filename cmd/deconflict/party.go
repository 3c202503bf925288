package main

import (
	"context"
	"fmt"

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
       deconflict party list

Operator commands are signed with the node key (DATA/node.key, or --key).
A party may hold several keys; a revoked key signs nothing after its
revocation, and what it signed before stays valid.

example:
  deconflict party add US --pubkey "$(deconflict keygen --out us.key)" --name "United States"`,
		Run: runParty,
	})
}

func runParty(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("party: want a subcommand: add, key-add, key-revoke or list")
	}
	sub := args[0]
	fs := m.newFlagSet("party")
	cf := m.addClientFlags(fs, true)
	pubText := fs.String("pubkey", "", "public key (base64, as keygen prints it)")
	name := fs.String("name", "", "display name")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	needID := func() (string, error) {
		if len(pos) != 1 {
			return "", fmt.Errorf("party %s: want exactly one party ID", sub)
		}
		return pos[0], nil
	}
	needKey := func() (string, error) {
		if *pubText == "" {
			return "", fmt.Errorf("party %s: --pubkey is required", sub)
		}
		_, err := deconflict.DecodeKey(*pubText)
		return *pubText, err
	}
	switch sub {
	case "add":
		id, err := needID()
		if err != nil {
			return err
		}
		k, err := needKey()
		if err != nil {
			return err
		}
		if err := c.CreateParty(ctx, &dhttp.PartyRequest{ID: id, Name: *name, Keys: []string{k}}); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "party %s registered\n", id)
	case "key-add":
		id, err := needID()
		if err != nil {
			return err
		}
		k, err := needKey()
		if err != nil {
			return err
		}
		pub, _ := deconflict.DecodeKey(k)
		if err := c.AddKey(ctx, id, pub); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "key added to party %s\n", id)
	case "key-revoke":
		k, err := needKey()
		if err != nil {
			return err
		}
		pub, _ := deconflict.DecodeKey(k)
		if err := c.RevokeKey(ctx, pub); err != nil {
			return err
		}
		fmt.Fprintln(m.Stdout, "key revoked")
	case "list":
		ps, err := c.Parties(ctx)
		if err != nil {
			return err
		}
		return writeJSONLines(m.Stdout, ps)
	default:
		return fmt.Errorf("party: unknown subcommand %q: want add, key-add, key-revoke or list", sub)
	}
	return nil
}
