package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
)

func init() {
	register("keygen", &command{
		Summary: "make a new Ed25519 key; prints the public key",
		Usage: `
usage: deconflict keygen --out FILE

Writes a new Ed25519 private key to FILE (mode 0600; an existing file is
never overwritten) and prints its public key on one line, for the node
operator to register with 'deconflict party add ID --pubkey PUB'.

example:
  deconflict keygen --out us.key`,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := m.newFlagSet("keygen")
			out := fs.String("out", "", "file to write the private key to")
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			if *out == "" {
				return usagef("keygen: --out FILE is required")
			}
			if len(pos) != 0 {
				return usagef("keygen: unexpected argument %q", pos[0])
			}
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				return err
			}
			if err := custody.WriteKeyFile(*out, priv); err != nil {
				return err
			}
			fmt.Fprintln(m.Stdout, deconflict.EncodeKey(pub))
			return nil
		},
	})
}
