package deconflict

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"regexp"
	"time"
)

// NodeAuthor is the author of envelopes the node itself signs (missed
// acknowledgements, alerts, compliance findings). No party may use it.
const NodeAuthor = "node"

var (
	partyIDRe   = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]{0,31}$`)
	channelIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,63}$`)
	officerRe   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)
)

// ValidPartyID reports whether id may name a party: a letter, then up to 31
// letters, digits, '_', '.', '-'; "node" is reserved.
func ValidPartyID(id string) bool { return partyIDRe.MatchString(id) && id != NodeAuthor }

// ValidOfficer reports whether s may name an officer (a console user, the
// payload's officer): a letter or digit, then up to 63 letters, digits,
// '_', '.', '-' or '@'.
func ValidOfficer(s string) bool { return officerRe.MatchString(s) }

// ValidChannelID reports whether id may name a channel: lowercase letters,
// digits, '_', '.', '-', 1 to 64 characters, not starting with punctuation.
func ValidChannelID(id string) bool { return channelIDRe.MatchString(id) }

// Party is an actor (RU, NATO, US, FR...) identified by its keys.
type Party struct {
	ID      string     `json:"id"`
	Name    string     `json:"name,omitempty"`
	Created time.Time  `json:"created"`
	Keys    []PartyKey `json:"keys,omitempty"`
}

// PartyKey is one Ed25519 public key of a party. A revoked key signs
// nothing accepted after Revoked; what it signed before stays valid.
type PartyKey struct {
	Party   string            `json:"party"`
	Public  ed25519.PublicKey `json:"public"`
	Added   time.Time         `json:"added"`
	Revoked *time.Time        `json:"revoked,omitempty"`
}

// ValidAt reports whether the key could sign at time t.
func (k *PartyKey) ValidAt(t time.Time) bool {
	return !t.Before(k.Added) && (k.Revoked == nil || t.Before(*k.Revoked))
}

// EncodeKey returns the text form of a public key used on the command line
// and in the API: standard base64 of its 32 bytes.
func EncodeKey(pub ed25519.PublicKey) string { return base64.StdEncoding.EncodeToString(pub) }

// DecodeKey parses the text form of a public key. It returns EINVALID if
// s is not base64 of exactly 32 bytes.
func DecodeKey(s string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, Errorf(EINVALID, "public key %q: not base64: %v", short(s), err)
	} else if len(b) != ed25519.PublicKeySize {
		return nil, Errorf(EINVALID, "public key %q: %d bytes, want %d", short(s), len(b), ed25519.PublicKeySize)
	}
	return ed25519.PublicKey(b), nil
}

func short(s string) string {
	if len(s) > 20 {
		return s[:20] + "..."
	}
	return s
}

// PartyService registers parties and their keys.
type PartyService interface {
	// CreateParty registers a party. ECONFLICT if the id exists.
	CreateParty(ctx context.Context, p *Party) error
	// FindParty returns a party with its keys. ENOTFOUND if none.
	FindParty(ctx context.Context, id string) (*Party, error)
	// FindParties lists every party with its keys.
	FindParties(ctx context.Context) ([]*Party, error)
	// AddPartyKey adds a key to a party. ECONFLICT if the key is known.
	AddPartyKey(ctx context.Context, k *PartyKey) error
	// RevokePartyKey marks a key revoked from time at on. ENOTFOUND if unknown.
	RevokePartyKey(ctx context.Context, pub ed25519.PublicKey, at time.Time) error
	// FindKey returns the key record for pub. ENOTFOUND if unknown.
	FindKey(ctx context.Context, pub ed25519.PublicKey) (*PartyKey, error)
}
