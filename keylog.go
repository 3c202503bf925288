package deconflict

import (
	"crypto/ed25519"
	"time"
)

// KeyLog is the id of the node-wide log of party key events: registrations
// by the operator, keys added and revoked by the parties themselves, and
// the operator's emergency re-keyings. Its checkpoint origin is
// "<node>/_keys". No channel can take the id (channel ids start with a
// letter or digit), and every authenticated caller may read the log:
// every member needs it to check every signature in its channels.
const KeyLog = "_keys"

// Key event kinds, the envelopes of the key log.
const (
	// KindParty (node-signed) registers a party with its first keys.
	// Body: KeyEvent with Party, Name and Keys.
	KindParty = "party"
	// KindKeyAdd adds Key to Party. Signed by a current key of the party;
	// signed by the node, it is an emergency re-keying by the operator,
	// which every member's verify reports and refuses unless accepted.
	KindKeyAdd = "key-add"
	// KindKeyRevoke revokes Key of Party from the event on. Signed by a
	// current key of the party, or by the node (emergency re-keying).
	KindKeyRevoke = "key-revoke"
)

// KeyEvent is the body of a key log envelope.
type KeyEvent struct {
	Party string   `json:"party"`
	Name  string   `json:"name,omitempty"` // KindParty: display name
	Keys  []string `json:"keys,omitempty"` // KindParty: the first keys, base64
	Key   string   `json:"key,omitempty"`  // KindKeyAdd, KindKeyRevoke: the key, base64
	// Reason says why (revocations and emergency re-keyings).
	Reason string `json:"reason,omitempty"`
	// Since, in a party event, is when its keys became valid, when that is
	// before the event (parties registered before the node kept a key
	// log); otherwise the event's own time.
	Since *time.Time `json:"since,omitempty"`
	// RevokedAt, in a key-revoke, is when the key was revoked, when that
	// is before the event (the same case).
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// ParseKeyEvent decodes and checks the body of a key log envelope of the
// given kind. EINVALID names the problem.
func ParseKeyEvent(kind string, body []byte) (*KeyEvent, error) {
	var ev KeyEvent
	if err := DecodeStrict(body, &ev); err != nil {
		return nil, Errorf(EINVALID, "%s body: %s", kind, ErrorMessage(err))
	}
	if !ValidPartyID(ev.Party) {
		return nil, Errorf(EINVALID, "%s body: party %q is not a valid party id", kind, short(ev.Party))
	}
	switch kind {
	case KindParty:
		if ev.Key != "" {
			return nil, Errorf(EINVALID, "party body: key is for key-add and key-revoke; the first keys go in keys")
		}
		for _, k := range ev.Keys {
			if _, err := DecodeKey(k); err != nil {
				return nil, Errorf(EINVALID, "party body: %s", ErrorMessage(err))
			}
		}
	case KindKeyAdd, KindKeyRevoke:
		if len(ev.Keys) > 0 || ev.Name != "" {
			return nil, Errorf(EINVALID, "%s body: names one key in key, nothing else", kind)
		}
		if _, err := DecodeKey(ev.Key); err != nil {
			return nil, Errorf(EINVALID, "%s body: %s", kind, ErrorMessage(err))
		}
	default:
		return nil, Errorf(EINVALID, "kind %q is not a key event", kind)
	}
	return &ev, nil
}

// IsKeyEvent reports whether kind is one of the key log's kinds.
func IsKeyEvent(kind string) bool {
	return kind == KindParty || kind == KindKeyAdd || kind == KindKeyRevoke
}

// KeyChanges are the party-key changes of a key log batch, applied to the
// store's key tables in the batch's transaction.
type KeyChanges struct {
	Parties []*Party        // registered, with their first keys
	Add     []PartyKey      // keys added
	Revoke  []KeyRevocation // keys revoked
}

// KeyRevocation revokes Key from At on.
type KeyRevocation struct {
	Key ed25519.PublicKey
	At  time.Time
}
