// Package custody is where the node keeps private keys: the key file
// format (the node's own key, a witness's key, a party's key made by
// keygen) and the keys of the parties the node hosts, with which their
// console officers sign. A node holds a party's private key only when it
// hosts that party (DESIGN.md, "Trust model"); everything that reads or
// writes such a key goes through this package.
package custody

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/atomicfile"
)

// Key files hold one line: "deconflict-ed25519-seed:" and the base64 of the
// 32-byte seed.
const keyFilePrefix = "deconflict-ed25519-seed:"

// ReadKeyFile reads a key file written by WriteKeyFile (or keygen).
func ReadKeyFile(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(b))
	if !strings.HasPrefix(s, keyFilePrefix) {
		return nil, fmt.Errorf("key file %s: does not start with %q", path, keyFilePrefix)
	}
	seed, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, keyFilePrefix))
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key file %s: want base64 of a %d-byte seed", path, ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// WriteKeyFile writes priv to path atomically with mode 0600. It refuses
// to overwrite an existing file.
func WriteKeyFile(path string, priv ed25519.PrivateKey) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("key file %s already exists; refusing to overwrite it", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(path, []byte(keyFilePrefix+base64.StdEncoding.EncodeToString(priv.Seed())+"\n"), 0o600)
}

// LoadOrCreateKey reads the Ed25519 key at path, creating it (mode 0600,
// written atomically) when the file does not exist; created says which.
func LoadOrCreateKey(path string) (key ed25519.PrivateKey, created bool, err error) {
	k, err := ReadKeyFile(path)
	if err == nil {
		return k, false, nil
	} else if !os.IsNotExist(err) {
		return nil, false, err
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, false, err
	}
	if err := WriteKeyFile(path, priv); err != nil {
		return nil, false, err
	}
	return priv, true, nil
}

// PartiesDir is the folder, inside the data directory, holding the keys of
// the parties this node hosts: one key file per party, <PARTY>.key.
const PartiesDir = "parties"

// Host stores key as the hosted key of party in dataDir/parties/<party>.key
// (mode 0600), so that the party's console officers can sign with it.
// Storing the same key again is a no-op; a different key for a party
// already hosted is ECONFLICT (remove the file first to replace it). The
// key must also be registered for the party with the node (party add,
// AddPartyKey) for its envelopes to be accepted.
func Host(dataDir, party string, key ed25519.PrivateKey) error {
	if !deconflict.ValidPartyID(party) {
		return deconflict.Errorf(deconflict.EINVALID, "party %q: not a valid party id", party)
	}
	if len(key) != ed25519.PrivateKeySize {
		return deconflict.Errorf(deconflict.EINVALID, "key of party %s: %d bytes, want an Ed25519 private key of %d", party, len(key), ed25519.PrivateKeySize)
	}
	path := hostedKeyPath(dataDir, party)
	if old, err := ReadKeyFile(path); err == nil {
		if old.Equal(key) {
			return nil
		}
		return deconflict.Errorf(deconflict.ECONFLICT, "party %s is already hosted with another key in %s; remove that file to replace it", party, path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("hosted key of %s: %w", party, err)
	}
	return WriteKeyFile(path, key)
}

func hostedKeyPath(dataDir, party string) string {
	return filepath.Join(dataDir, PartiesDir, party+".key")
}

// HostedKey returns the hosted key of party. EFORBIDDEN if the node does
// not host it.
func HostedKey(dataDir, party string) (ed25519.PrivateKey, error) {
	if !deconflict.ValidPartyID(party) {
		return nil, deconflict.Errorf(deconflict.EINVALID, "party %q: not a valid party id", party)
	}
	k, err := ReadKeyFile(hostedKeyPath(dataDir, party))
	if errors.Is(err, os.ErrNotExist) {
		return nil, deconflict.Errorf(deconflict.EFORBIDDEN, "this node does not host the key of party %s, so its console cannot sign for it", party)
	} else if err != nil {
		return nil, fmt.Errorf("hosted key of %s: %w", party, err)
	}
	return k, nil
}

// SignAs signs p with the hosted key of its author, p.Author. EFORBIDDEN
// if the node does not host that party.
func SignAs(dataDir string, p *deconflict.Payload) (*deconflict.Signed, error) {
	key, err := HostedKey(dataDir, p.Author)
	if err != nil {
		return nil, err
	}
	return deconflict.SignPayload(key, p)
}
