package main

import (
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
)

// DefaultNodeURL is where client commands look for a node unless told.
const DefaultNodeURL = "http://127.0.0.1:8080"

// DefaultDataDir is the data directory of serve and of operator commands.
const DefaultDataDir = "deconflict-data"

// clientFlags are the flags every client command takes.
type clientFlags struct {
	node, key, data *string
	officer         *string // addOfficerFlag: the officer the envelopes name
	// operator: sign with the node key of --data unless --key is given.
	// With either, only when --data is given.
	operator, either bool
}

func (m *Main) addClientFlags(fs *flag.FlagSet, operator bool) *clientFlags {
	cf := &clientFlags{operator: operator}
	cf.node = fs.String("node", m.envOr("DECONFLICT_NODE", DefaultNodeURL), "node URL, or several replicas' URLs separated by commas, tried in turn (env DECONFLICT_NODE)")
	if operator {
		cf.key = fs.String("key", m.Getenv("DECONFLICT_KEY"), "key file; for operator commands the node key (default DATA/node.key; env DECONFLICT_KEY)")
		cf.data = fs.String("data", m.envOr("DECONFLICT_DATA", DefaultDataDir), "the node's data directory, whose node.key is used when --key is not given")
	} else {
		cf.key = fs.String("key", m.Getenv("DECONFLICT_KEY"), "your party's key file (env DECONFLICT_KEY)")
	}
	return cf
}

// addOfficerFlag adds --officer (env DECONFLICT_OFFICER) to a command
// that signs envelopes with a party key: the person of the party sending,
// named in each envelope's officer field and covered by its signature.
func (m *Main) addOfficerFlag(fs *flag.FlagSet, cf *clientFlags) {
	cf.officer = fs.String("officer", m.Getenv("DECONFLICT_OFFICER"), "your name as the envelopes record it (the party's officer who sends; env DECONFLICT_OFFICER)")
}

// addPartyOrOperatorFlags adds the client flags of a command that a party
// runs with its key (--key) and the operator with the node key (--data).
func (m *Main) addPartyOrOperatorFlags(fs *flag.FlagSet) *clientFlags {
	cf := &clientFlags{either: true}
	cf.node = fs.String("node", m.envOr("DECONFLICT_NODE", DefaultNodeURL), "node URL, or several replicas' URLs separated by commas, tried in turn (env DECONFLICT_NODE)")
	cf.key = fs.String("key", m.Getenv("DECONFLICT_KEY"), "your party's key file (env DECONFLICT_KEY)")
	cf.data = fs.String("data", "", "the node's data directory, to act as the operator with its node.key")
	return cf
}

func (cf *clientFlags) keyPath() (string, error) {
	if *cf.key != "" {
		return *cf.key, nil
	}
	if cf.operator || (cf.either && *cf.data != "") {
		return filepath.Join(*cf.data, "node.key"), nil
	}
	if cf.either {
		return "", usagef("no key: pass --key FILE (a party) or --data DIR (the operator, with the node key)")
	}
	return "", usagef("no key: pass --key FILE or set DECONFLICT_KEY (make one with 'deconflict keygen --out FILE')")
}

func (cf *clientFlags) client() (*dhttp.Client, ed25519.PrivateKey, error) {
	path, err := cf.keyPath()
	if err != nil {
		return nil, nil, err
	}
	k, err := custody.ReadKeyFile(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, nil, fmt.Errorf("key file %s does not exist", path)
		}
		return nil, nil, err
	}
	return dhttp.NewClient(*cf.node, k), k, nil
}

// partyClient returns a client and the party its key belongs to; with
// addOfficerFlag, the client names --officer in what it sends.
func (cf *clientFlags) partyClient(ctx context.Context) (*dhttp.Client, string, error) {
	if cf.officer != nil && *cf.officer != "" && !deconflict.ValidOfficer(*cf.officer) {
		return nil, "", usagef("--officer %q: want 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit", *cf.officer)
	}
	c, _, err := cf.client()
	if err != nil {
		return nil, "", err
	}
	if cf.officer != nil {
		c.Officer = *cf.officer
	}
	party, err := c.Whoami(ctx)
	if err != nil {
		return nil, "", err
	}
	return c, party, nil
}
