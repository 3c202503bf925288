package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/console"
	"github.com/deconflict/deconflict/custody"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/sim"
)

func init() {
	register("demo", &command{
		Summary: "a node with sample parties, channels and a live Baltic scenario",
		Usage: `
usage: deconflict demo [--addr HOST:PORT] [--data DIR] [--speed X] [--seed N]

Starts a node with the parties RU, NATO, US and FR, the channels ru-nato,
ru-us-syria and ru-fr, console sign-in credentials for each party (printed),
party keys for the command line, a witness per party (C2SP tlog-witness, in
the demo's process) that cosigns its channels' checkpoints, with each
channel's witness policy in DATA/policies, and a live Baltic scenario from the
scenario generator: Russian and NATO ships and aircraft, airliners and
merchant ships, an exercise area and a missile hazard area, and scripted
close encounters of every tier that develop within the first minutes, each
alerting both parties on their channel. The scenario repeats. Each channel
is link-tested every 5 minutes and the demo answers for every party, whose
keys it hosts ('deconflict availability'). Open the
printed address in a browser. The data directory is temporary unless
--data is given. --speed runs the scenario faster than real time.

example:
  deconflict demo
  deconflict demo --addr 127.0.0.1:9090 --speed 4`,
		Run: runDemo,
	})
}

// demoParties and demoChannels are the demo's sample set.
var (
	demoParties = []struct{ ID, Name string }{
		{"RU", "Russian Federation"}, {"NATO", "North Atlantic Treaty Organization"},
		{"US", "United States"}, {"FR", "France"},
	}
	demoChannels = []struct {
		ID      string
		Members []string
	}{
		{"ru-nato", []string{"RU", "NATO"}}, {"ru-us-syria", []string{"RU", "US"}}, {"ru-fr", []string{"RU", "FR"}},
	}
)

func runDemo(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("demo")
	var o nodeOptions
	m.addNodeFlags(fs, &o, "127.0.0.1:8080")
	speed := fs.Float64("speed", 1, "scenario time per wall-clock time")
	seed := fs.Uint64("seed", 1, "scenario seed")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("demo: unexpected argument %q", pos[0])
	}
	if *speed <= 0 || *speed > 10 {
		return usagef("demo: --speed %g: want a number in (0, 10]", *speed)
	}
	if !flagSet(fs, "data") {
		dir, err := os.MkdirTemp("", "deconflict-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		o.data = dir
	}
	// The demo hosts every party's key and answers each link test for them
	// at once (the officers' consoles would, once signed in): the console
	// then shows availability figures.
	o.onLinkTest = func(ctx context.Context, n *node.Node, channel string, index int64, parties []string) {
		demoAnswerLinkTest(ctx, m, n, o.data, channel, index, parties)
	}
	// No fixed default name: every demo node gets serve's unique default,
	// so that a member's verify state (pinned keys, kept receipts, keyed
	// by checkpoint origin) from an earlier demo never meets a later one.
	r, err := m.startNode(ctx, &o)
	if err != nil {
		return err
	}
	defer r.Close()
	n := r.node
	op := deconflict.NodeAuthor
	keysDir := filepath.Join(o.data, "party-keys")
	if err := os.MkdirAll(keysDir, 0o700); err != nil {
		return err
	}
	keys := map[string]ed25519.PrivateKey{}
	for _, p := range demoParties {
		path := filepath.Join(keysDir, p.ID+".key")
		if _, err := n.Store.FindParty(ctx, p.ID); err == nil {
			// A kept data directory already has the sample set.
			k, err := custody.ReadKeyFile(path)
			if err != nil {
				return fmt.Errorf("demo party %s: %w", p.ID, err)
			}
			keys[p.ID] = k
			continue
		}
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		if err := n.CreateParty(ctx, op, &deconflict.Party{ID: p.ID, Name: p.Name, Keys: []deconflict.PartyKey{{Public: priv.Public().(ed25519.PublicKey)}}}); err != nil {
			return err
		}
		if err := custody.WriteKeyFile(path, priv); err != nil {
			return err
		}
		keys[p.ID] = priv
	}
	// The node hosts every party's key, and each party gets an officer
	// with a fresh password, printed below.
	creds, err := console.DemoUsers(o.data, keys)
	if err != nil {
		return err
	}
	for _, c := range demoChannels {
		if _, err := n.Store.FindChannel(ctx, c.ID); err == nil {
			continue
		}
		every := deconflict.Duration(demoLinkTestInterval)
		if err := n.CreateChannel(ctx, op, &deconflict.Channel{ID: c.ID, Members: c.Members, Policy: deconflict.Policy{LinkTest: &every}}); err != nil {
			return err
		}
	}
	// A witness per party cosigns its channels' checkpoints (witness.go).
	witnessLines, stopWitnesses, err := m.demoWitnesses(ctx, n, o.data)
	if err != nil {
		return err
	}
	defer stopWitnesses()
	if err := demoRegimes(ctx, n, keys); err != nil {
		return err
	}
	scen := sim.Baltic(*seed)
	for _, z := range scen.Zones {
		// The scenario repeats on the demo's clock: its zones stay active.
		z.From, z.Until = time.Time{}, time.Time{}
		if err := r.live.AddZone(ctx, op, z); err != nil && deconflict.ErrorCode(err) != deconflict.ECONFLICT {
			return fmt.Errorf("demo zone %s: %w", z.ID, err)
		}
	}

	url := r.server.URL()
	fmt.Fprintf(m.Stdout, "deconflict demo: node %q at %s (data in %s)\n\n", n.Name, url, o.data)
	fmt.Fprintf(m.Stdout, "  Console:  %s/\n", url)
	for _, c := range creds {
		fmt.Fprintf(m.Stdout, "    sign in as %-5s user %-14s password %s\n", c.Party, c.Username, c.Password)
	}
	fmt.Fprintf(m.Stdout, "\n  Command line (party keys in %s):\n", keysDir)
	fmt.Fprintf(m.Stdout, "    export DECONFLICT_NODE=%s\n", url)
	fmt.Fprintf(m.Stdout, "    deconflict watch --channel ru-nato --follow --key %s\n", filepath.Join(keysDir, "NATO.key"))
	fmt.Fprintf(m.Stdout, "    deconflict send --channel ru-nato --precedence flash --key %s \"Your frigate is closing on our destroyer, alter course\"\n", filepath.Join(keysDir, "NATO.key"))
	fmt.Fprintf(m.Stdout, "    deconflict inbox --channel ru-nato --key %s\n", filepath.Join(keysDir, "RU.key"))
	fmt.Fprintf(m.Stdout, "    deconflict notifications --channel ru-nato --key %s\n", filepath.Join(keysDir, "NATO.key"))
	fmt.Fprintf(m.Stdout, "    deconflict findings --channel ru-nato --key %s\n", filepath.Join(keysDir, "NATO.key"))
	fmt.Fprintf(m.Stdout, "    deconflict measures --channel ru-nato --key %s\n", filepath.Join(keysDir, "RU.key"))
	fmt.Fprintf(m.Stdout, "    deconflict verify --channel ru-nato --key %s --policy %s\n\n", filepath.Join(keysDir, "NATO.key"), filepath.Join(o.data, "policies", "ru-nato.policy"))
	fmt.Fprintf(m.Stdout, "  Witnesses (each channel's members' witnesses must all cosign; policies in %s):\n", filepath.Join(o.data, "policies"))
	for _, l := range witnessLines {
		fmt.Fprintf(m.Stdout, "    %s\n", l)
	}
	fmt.Fprintln(m.Stdout)
	fmt.Fprintf(m.Stdout, "  Scenario: Baltic, %d movers, %d scripted encounters, speed x%g, repeating every %s. Ctrl-C stops.\n",
		len(scen.Movers), len(scen.Expected), *speed, time.Duration(float64(scen.Duration) / *speed).Round(time.Second))
	// The scenario repeats, with a new seed each round.
	pic := r.live
	player := &sim.Player{
		Speed: *speed, Now: pic.Now,
		Next: func(round uint64) *sim.Scenario { return sim.Baltic(*seed + round) },
		Sink: func(ctx context.Context, rs []deconflict.Report) error {
			return pic.Ingest(ctx, deconflict.NodeAuthor, rs)
		},
	}
	return player.Play(ctx, scen)
}

// demoLinkTestInterval is how often the demo tests its channels' links,
// so that the console shows availability within minutes.
const demoLinkTestInterval = 5 * time.Minute

// demoAnswerLinkTest answers a link test for each party whose key the
// demo hosts, signed with that key.
func demoAnswerLinkTest(ctx context.Context, m *Main, n *node.Node, dataDir, channel string, index int64, parties []string) {
	for _, party := range parties {
		i := index
		s, err := custody.SignAs(dataDir, &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: channel, Author: party, Time: n.Now().UTC(),
			Kind: deconflict.KindLinkAnswer, Ack: &i})
		if deconflict.ErrorCode(err) == deconflict.EFORBIDDEN {
			continue // not hosted
		}
		if err == nil {
			_, err = n.Submit(ctx, s)
		}
		if err != nil && deconflict.ErrorCode(err) != deconflict.ECONFLICT {
			fmt.Fprintf(m.Stderr, "demo: %s's answer to link test %d on %s: %v\n", party, index, channel, err)
		}
	}
}

func flagSet(fs *flag.FlagSet, name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			found = true
		}
	})
	return found
}
