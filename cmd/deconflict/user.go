package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/node"
)

func init() {
	register("user", &command{
		Summary: "(operator) console sign-in: host a party's key, add officers",
		Usage: `
usage: deconflict user host PARTY --party-key FILE [--data DIR]
       deconflict user add NAME --party PARTY [--password-file FILE] [--data DIR]

The web console signs for the parties a node hosts: 'host' copies a
party's key into the data directory (DIR/parties/PARTY.key, mode 0600).
'add' creates or replaces an officer's sign-in for a hosted party; the
password is read from --password-file, else from standard input (one
line), and stored as a PBKDF2-SHA256 hash. Both act on the data directory
of a node on this machine and take effect without a restart.

example:
  deconflict user host US --party-key us.key --data /var/lib/deconflict
  deconflict user add us-duty-1 --party US --data /var/lib/deconflict < password.txt`,
		Run: runUser,
	})
}

func runUser(ctx context.Context, m *Main, args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("user: want a subcommand: host or add")
	}
	sub := args[0]
	fs := m.newFlagSet("user")
	data := fs.String("data", m.envOr("DECONFLICT_DATA", DefaultDataDir), "the node's data directory")
	party := fs.String("party", "", "the officer's party")
	partyKey := fs.String("party-key", "", "the party's key file to host")
	pwFile := fs.String("password-file", "", "file holding the password (default: standard input)")
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("user %s: want exactly one name", sub)
	}
	switch sub {
	case "host":
		if *partyKey == "" {
			return fmt.Errorf("user host: --party-key FILE is required")
		}
		k, err := node.ReadKeyFile(*partyKey)
		if err != nil {
			return err
		}
		if err := console.HostParty(*data, pos[0], k); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "party %s is hosted: its officers can sign in to the console\n", pos[0])
	case "add":
		if *party == "" {
			return fmt.Errorf("user add: --party is required")
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
		if err := console.AddUser(*data, pos[0], *party, pw); err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "user %s of party %s can sign in\n", pos[0], *party)
	default:
		return fmt.Errorf("user: unknown subcommand %q: want host or add", sub)
	}
	return nil
}
