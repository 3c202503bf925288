package custody_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
)

func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "node.key")
	k, created, err := custody.LoadOrCreateKey(path)
	if err != nil || !created {
		t.Fatalf("LoadOrCreateKey: created=%v err=%v, want a new key", created, err)
	}
	k2, created, err := custody.LoadOrCreateKey(path)
	if err != nil || created || !k2.Equal(k) {
		t.Fatalf("LoadOrCreateKey again: created=%v err=%v same=%v, want the same key read back", created, err, k2.Equal(k))
	}
	if err := custody.WriteKeyFile(path, k); err == nil {
		t.Fatal("WriteKeyFile over an existing file: nil error, want a refusal")
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Fatalf("mode=%v, want %v", got, want)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("not a key\n"), 0o600)
	if _, err := custody.ReadKeyFile(bad); err == nil {
		t.Fatal("ReadKeyFile of a malformed file: nil error")
	}
}

func TestHost(t *testing.T) {
	dir := t.TempDir()
	_, k1, _ := ed25519.GenerateKey(rand.Reader)
	_, k2, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := custody.HostedKey(dir, "RU"); deconflict.ErrorCode(err) != deconflict.EFORBIDDEN {
		t.Fatalf("HostedKey before hosting: %v, want forbidden", err)
	}
	if err := custody.Host(dir, "RU", k1); err != nil {
		t.Fatal(err)
	}
	if err := custody.Host(dir, "RU", k1); err != nil {
		t.Fatalf("same key again: %v, want nil", err)
	}
	if err := custody.Host(dir, "RU", k2); deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		t.Fatalf("another key: %v, want conflict", err)
	}
	if err := custody.Host(dir, "../x", k1); deconflict.ErrorCode(err) != deconflict.EINVALID {
		t.Fatalf("bad party id: %v, want invalid", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "parties", "RU.key"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fi.Mode().Perm(), os.FileMode(0o600); got != want {
		t.Fatalf("mode=%v, want %v", got, want)
	}
	s, err := custody.SignAs(dir, &deconflict.Payload{Author: "RU", Kind: deconflict.KindMessage})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.VerifySignature(); err != nil {
		t.Fatal(err)
	}
	if !s.Key.Equal(k1.Public()) {
		t.Fatal("SignAs signed with another key than the hosted one")
	}
	if _, err := custody.SignAs(dir, &deconflict.Payload{Author: "US"}); deconflict.ErrorCode(err) != deconflict.EFORBIDDEN {
		t.Fatalf("SignAs for a party not hosted: %v, want forbidden", err)
	}
}
