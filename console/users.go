package console

import (
	"bytes"
	"crypto/ed25519"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/custody"
	"github.com/deconflict/deconflict/internal/atomicfile"
)

// UsersFile is the name, inside the data directory, of the file holding
// the console's users and their password hashes.
const UsersFile = "console-users.json"

// PasswordIterations is the PBKDF2-HMAC-SHA256 iteration count for new
// password hashes: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256.
const PasswordIterations = 600_000

// passwordIterations is the count AddUser uses: PasswordIterations, lowered
// only by tests that need signed-in officers, not strong hashes
// (export_test.go).
var passwordIterations = PasswordIterations

// MinPasswordLen is the shortest password AddUser accepts (bytes).
const MinPasswordLen = 8

const (
	saltBytes = 16
	hashBytes = 32
	algorithm = "pbkdf2-sha256"
)

// User is one console user as stored in UsersFile: the party its officer
// acts for and a salted PBKDF2 hash of the password, never the password.
type User struct {
	Username   string `json:"username"`
	Party      string `json:"party"`
	Algorithm  string `json:"algorithm"` // "pbkdf2-sha256"
	Iterations int    `json:"iterations"`
	Salt       []byte `json:"salt"` // base64 in JSON
	Hash       []byte `json:"hash"` // base64 in JSON
}

type usersFile struct {
	Users []User `json:"users"`
}

// usersMu serialises read-modify-write cycles of users files in this
// process (AddUser called from several goroutines).
var usersMu sync.Mutex

// AddUser creates console user username acting for party, or replaces the
// party and password of an existing one, in dataDir/console-users.json
// (written atomically, mode 0600). The password is stored as a salted
// PBKDF2-HMAC-SHA256 hash. It returns EINVALID naming the input if the
// username, party or password is unacceptable. The party need not exist
// yet; sending also needs its key hosted (custody.Host).
func AddUser(dataDir, username, party, password string) error {
	// A username is what envelopes its officer sends name as their
	// officer, so it has the officer's form.
	if !deconflict.ValidOfficer(username) {
		return deconflict.Errorf(deconflict.EINVALID, "username %q: want 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit", username)
	}
	if !deconflict.ValidPartyID(party) {
		return deconflict.Errorf(deconflict.EINVALID, "party %q: not a valid party id", party)
	}
	if len(password) < MinPasswordLen {
		return deconflict.Errorf(deconflict.EINVALID, "password of %s: %d characters, want at least %d", username, len(password), MinPasswordLen)
	}
	u, err := newUser(username, party, password, passwordIterations)
	if err != nil {
		return err
	}
	usersMu.Lock()
	defer usersMu.Unlock()
	users, err := readUsers(dataDir)
	if err != nil {
		return err
	}
	replaced := false
	for i := range users {
		if users[i].Username == username {
			users[i], replaced = *u, true
		}
	}
	if !replaced {
		users = append(users, *u)
	}
	return writeUsers(dataDir, users)
}

// Users returns the console users of dataDir, ordered by username (none
// when the users file does not exist yet).
func Users(dataDir string) ([]User, error) {
	usersMu.Lock()
	defer usersMu.Unlock()
	return readUsers(dataDir)
}

// RemoveUser removes console user username from dataDir's users file, so
// that it can no longer sign in; a session it has open ends at its next
// request. ENOTFOUND if there is no such user.
func RemoveUser(dataDir, username string) error {
	usersMu.Lock()
	defer usersMu.Unlock()
	users, err := readUsers(dataDir)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(users, func(u User) bool { return u.Username == username })
	if i < 0 {
		return deconflict.Errorf(deconflict.ENOTFOUND, "console user %q not found in %s", username, filepath.Join(dataDir, UsersFile))
	}
	return writeUsers(dataDir, slices.Delete(users, i, i+1))
}

// writeUsers writes users to dataDir's users file (atomically, mode 0600).
// The caller holds usersMu.
func writeUsers(dataDir string, users []User) error {
	sort.Slice(users, func(i, j int) bool { return users[i].Username < users[j].Username })
	b, err := json.MarshalIndent(usersFile{Users: users}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("console users: %w", err)
	}
	return atomicfile.Write(filepath.Join(dataDir, UsersFile), append(b, '\n'), 0o600)
}

func newUser(username, party, password string, iterations int) (*User, error) {
	salt := make([]byte, saltBytes)
	rand.Read(salt)
	h, err := pbkdf2.Key(sha256.New, password, salt, iterations, hashBytes)
	if err != nil {
		return nil, fmt.Errorf("password hash of %s: %w", username, err)
	}
	return &User{Username: username, Party: party, Algorithm: algorithm, Iterations: iterations, Salt: salt, Hash: h}, nil
}

// credential identifies the password u was given: the hex SHA-256 of its
// salt, fresh for every password AddUser sets. A session records it, so
// that a new password ends the sessions made with the old one.
func (u *User) credential() string {
	h := sha256.Sum256(append([]byte("deconflict-console-credential\x00"), u.Salt...))
	return hex.EncodeToString(h[:16])
}

// checkPassword reports whether password matches u's hash, comparing in
// constant time.
func (u *User) checkPassword(password string) bool {
	if u.Algorithm != algorithm || u.Iterations < 1 || len(u.Hash) == 0 {
		return false
	}
	h, err := pbkdf2.Key(sha256.New, password, u.Salt, u.Iterations, len(u.Hash))
	if err != nil {
		return false
	}
	return subtle.ConstantTimeCompare(h, u.Hash) == 1
}

// readUsers reads dataDir's users file; none when the file does not exist.
func readUsers(dataDir string) ([]User, error) {
	path := filepath.Join(dataDir, UsersFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("console users: %w", err)
	}
	var f usersFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("console users file %s: %w", path, err)
	}
	return f.Users, nil
}

// Credential is a console sign-in made for a party by DemoUsers.
type Credential struct {
	Party, Username, Password string
}

// DemoUsers hosts every party's key in dataDir and gives each party one
// officer, "<party>-officer" in lower case, with a fresh random password,
// replacing the password such a user had. It returns the credentials in
// party order, for the demo to print. Use AddUser for real deployments,
// where the operator chooses how passwords reach the officers.
func DemoUsers(dataDir string, keys map[string]ed25519.PrivateKey) ([]Credential, error) {
	parties := make([]string, 0, len(keys))
	for p := range keys {
		parties = append(parties, p)
	}
	sort.Strings(parties)
	var out []Credential
	for _, p := range parties {
		if err := custody.Host(dataDir, p, keys[p]); err != nil {
			return nil, err
		}
		c := Credential{Party: p, Username: strings.ToLower(p) + "-officer", Password: randomPassword()}
		if err := AddUser(dataDir, c.Username, p, c.Password); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// randomPassword returns a random password of 26 base32 characters
// (128 bits).
func randomPassword() string { return rand.Text() }
