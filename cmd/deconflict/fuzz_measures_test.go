package main

import (
	"bytes"
	"crypto/ed25519"
	"testing"

	"github.com/deconflict/deconflict"
)

// fuzzKey is the fixed key of FuzzReadMeasuresLog's member RU (its
// committed seeds are envelopes it signed).
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, 32))

// FuzzReadMeasuresLog: a saved channel log, however malformed, gives
// rules or an error naming the line, never a panic.
func FuzzReadMeasuresLog(f *testing.F) {
	f.Add([]byte("{}\n"))
	keys := map[string][]string{"RU": {deconflict.EncodeKey(fuzzKey.Public().(ed25519.PublicKey))}, "NATO": {}}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := readMeasuresLog(bytes.NewReader(b), "log", keys, -1)
		if err == nil && r == nil {
			t.Fatal("no rules and no error")
		}
	})
}
