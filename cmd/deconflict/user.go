package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/custody"
	dhttp "github.com/deconflict/deconflict/http"
)

func init() {
	register("user", &command{
		Summary: "(operator) console sign-in: host a party's key, add, list and remove officers",
		Usage: `
usage: deconflict user host PARTY --party-key FILE [--data DIR] [--node URL]
       deconflict user add NAME --party PARTY [--password-file FILE] [--data DIR] [--node URL]
       deconflict user list [--json] [--data DIR]
       deconflict user remove NAME [--data DIR]

The web console signs for the parties a node hosts: 'host' copies a
party's key into the data directory (DIR/parties/PARTY.key, mode 0600),
after asking the node (signing with DIR/node.key) that the key is one of
the party's active keys. 'add' creates or replaces an officer's sign-in
for a party the node knows; the password is read from --password-file,
else from standard input (one line), and stored as a PBKDF2-SHA256 hash.
'list' prints one officer a line, username and party, tab-separated
(--json: one JSON object per line); 'remove' ends an officer's sign-in
and signs out the sessions it has open at their next request (its open
streams within seconds); 'add' for an existing officer sets a new
password and signs out the sessions made with the old one. They
act on the data directory of a node on this machine and take effect
without a restart.

example:
  deconflict user host US --party-key us.key --data /var/lib/deconflict
  deconflict user add us-duty-1 --party US --data /var/lib/deconflict < password.txt
  deconflict user list --data /var/lib/deconflict`,
		Run: func(ctx context.Context, m *Main, args []string) error {
			return m.runSubcommand(ctx, "user", args, map[string]subcommand{
				"host":   runUserHost,
				"add":    runUserAdd,
				"list":   runUserList,
				"remove": runUserRemove,
			})
		},
	})
}

// userFlags are the flags of the user subcommands.
type userFlags struct {
	data, node *string
}

func (m *Main) addUserFlags(fs *flag.FlagSet, asksNode bool) *userFlags {
	uf := &userFlags{data: fs.String("data", m.envOr("DECONFLICT_DATA", DefaultDataDir), "the node's data directory (env DECONFLICT_DATA)")}
	if asksNode {
		uf.node = fs.String("node", m.envOr("DECONFLICT_NODE", DefaultNodeURL), "URL of the node of --data, asked about its parties (env DECONFLICT_NODE)")
	}
	return uf
}

// party asks the node of uf, as its operator, for party id: ENOTFOUND if
// the node does not know it.
func (uf *userFlags) party(ctx context.Context, id string) (*deconflict.Party, error) {
	k, err := custody.ReadKeyFile(filepath.Join(*uf.data, "node.key"))
	if err != nil {
		return nil, fmt.Errorf("the node key of %s: %w", *uf.data, err)
	}
	ps, err := dhttp.NewClient(*uf.node, k).Parties(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking the node at %s about party %s: %w", *uf.node, id, err)
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, deconflict.Errorf(deconflict.ENOTFOUND, "party %s is not registered with the node at %s (see 'deconflict party list')", id, *uf.node)
}

func runUserHost(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("user")
	uf := m.addUserFlags(fs, true)
	partyKey := fs.String("party-key", "", "the party's key file to host")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user host: want exactly one PARTY")
	}
	if *partyKey == "" {
		return usagef("user host: --party-key FILE is required")
	}
	k, err := custody.ReadKeyFile(*partyKey)
	if err != nil {
		return err
	}
	p, err := uf.party(ctx, pos[0])
	if err != nil {
		return err
	}
	pub := k.Public().(ed25519.PublicKey)
	i := slices.IndexFunc(p.Keys, func(pk deconflict.PartyKey) bool { return pk.Public.Equal(pub) })
	switch {
	case i < 0:
		return deconflict.Errorf(deconflict.EFORBIDDEN, "the key in %s (%s) is not a key of party %s", *partyKey, deconflict.EncodeKey(pub), p.ID)
	case p.Keys[i].Revoked != nil:
		return deconflict.Errorf(deconflict.EFORBIDDEN, "the key in %s (%s) of party %s was revoked at %s", *partyKey, deconflict.EncodeKey(pub), p.ID, p.Keys[i].Revoked.UTC().Format(time.RFC3339))
	}
	if err := custody.Host(*uf.data, p.ID, k); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "party %s is hosted: its officers can sign in to the console\n", p.ID)
	return nil
}

func runUserAdd(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("user")
	uf := m.addUserFlags(fs, true)
	party := fs.String("party", "", "the officer's party")
	pwFile := fs.String("password-file", "", "file holding the password (default: standard input)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user add: want exactly one NAME")
	}
	if *party == "" {
		return usagef("user add: --party is required")
	}
	if _, err := uf.party(ctx, *party); err != nil {
		return err
	}
	var pw string
	if *pwFile != "" {
		b, err := os.ReadFile(*pwFile)
		if err != nil {
			return err
		}
		pw = strings.TrimRight(string(b), "\r\n")
	} else {
		line, err := bufio.NewReader(m.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("user add: no password on standard input")
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := console.AddUser(*uf.data, pos[0], *party, pw); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "user %s of party %s can sign in\n", pos[0], *party)
	return nil
}

// userLine is one line of 'user list': never the password hash.
type userLine struct {
	Username string `json:"username"`
	Party    string `json:"party"`
}

func runUserList(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("user")
	uf := m.addUserFlags(fs, false)
	asJSON := addJSONFlag(fs)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("user list: unexpected argument %q", pos[0])
	}
	users, err := console.Users(*uf.data)
	if err != nil {
		return err
	}
	lines := make([]userLine, len(users))
	for i, u := range users {
		lines[i] = userLine{Username: u.Username, Party: u.Party}
	}
	return writeList(m.Stdout, *asJSON, lines, func(l userLine) []string { return []string{l.Username, l.Party} })
}

func runUserRemove(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("user")
	uf := m.addUserFlags(fs, false)
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("user remove: want exactly one NAME")
	}
	if err := console.RemoveUser(*uf.data, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "user %s removed: it can no longer sign in\n", pos[0])
	return nil
}
