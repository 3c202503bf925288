package deconflict

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// Envelope kinds.
const (
	KindMessage   = "message"    // a hotline message (precedence, text, optional reply_to)
	KindAck       = "ack"        // acknowledges receipt of the message at Ack
	KindMissedAck = "missed-ack" // node-signed: members missed the deadline of message Ack
	KindAlert     = "alert"      // node-signed: an encounter opened, escalated or closed
	KindNote      = "note"       // an annotation of an incident or message (reply_to)
	KindPolicy    = "policy"     // node-signed: the channel's policy changed; Body is a PolicyChange
	KindSeen      = "seen"       // node-signed: party AckFrom[0] fetched the envelope at Ack (once per party and envelope)
	KindRenotify  = "renotify"   // node-signed: message Ack is still not acknowledged by AckFrom; notified again

	// Link tests (linktest.go).
	KindLinkTest   = "link-test"   // node-signed: a test of the channel; AckFrom are the members asked to answer; Body is a LinkTestBody
	KindLinkAnswer = "link-answer" // a member's answer to the link test at Ack, signed by the member
	KindLinkResult = "link-result" // node-signed: who answered the link test at Ack in time; Body is a LinkResultBody

	// Notifications and measures (package regime reads their bodies).
	KindNotification = "notification" // a form under a regime: body is the form
	KindResponse     = "response"     // accept, question, object or answer a notification, or record a meeting (reply_to; body {"response": ...})
	KindFinding      = "finding"      // node-signed: a compliance fact (body: the finding)
	KindMeasure      = "measure"      // a proposed measure: body is its terms
	KindSign         = "sign"         // a member signs a proposal: body {"index", "leaf_hash"}
	KindWithdraw     = "withdraw"     // a member withdraws from a binding measure: body {"index", "leaf_hash"}
)

// envelopeContext separates envelope signatures from every other use of a
// party's key (request signatures use another prefix).
const envelopeContext = "deconflict-envelope-v1\x00"

// MaxLeafBytes is the largest entry of a C2SP tlog-tiles entry bundle
// (a 16-bit length prefix), so the largest leaf the node may log.
const MaxLeafBytes = 65535

// leafOverhead is the bytes of a leaf (Leaf) besides the payload's base64:
// the JSON punctuation, the key's 44 and the signature's 88 base64 bytes.
const leafOverhead = len(`{"payload":"","key":"","sig":""}`) + 44 + 88

// MaxEnvelopeBytes is the largest signed payload the node accepts, 49,026
// bytes: the most whose leaf (base64 payload, key and signature) is within
// MaxLeafBytes (a 49,026-byte payload makes a 65,532-byte leaf).
const MaxEnvelopeBytes = (MaxLeafBytes - leafOverhead) / 4 * 3

// Payload is the content an author signs. Its JSON bytes are signed,
// stored and logged verbatim; these fields are what the node reads of them.
type Payload struct {
	V       int    `json:"v"`       // format version, 1
	ID      string `json:"id"`      // unique per channel, chosen by the author (hex, 16-64 chars)
	Channel string `json:"channel"` // the channel it is addressed to
	Author  string `json:"author"`  // the party that signs it
	// Officer is the person of the author's party who sent it: the
	// console user signed in (the node checks it is the session's user),
	// or what a party's own client says (--officer): the party's word,
	// signed with its key. Optional, omitted when empty, so envelopes
	// from before it existed keep their bytes. ValidOfficer is its form.
	Officer    string     `json:"officer,omitempty"`
	Time       time.Time  `json:"time"` // when the author signed it
	Kind       string     `json:"kind"`
	Precedence Precedence `json:"precedence,omitempty"` // messages and alerts
	Text       string     `json:"text,omitempty"`
	// Phrase and Params: a message may carry a standard phrase (package
	// phrase) by its code and parameters, which the signature covers; each
	// reader renders it in its own language. Text is then optional free
	// text in the sender's language.
	Phrase  string            `json:"phrase,omitempty"`
	Params  map[string]string `json:"params,omitempty"`
	ReplyTo *int64            `json:"reply_to,omitempty"` // the index this answers
	Ack     *int64            `json:"ack,omitempty"`      // ack and missed-ack: the message's index
	AckFrom []string          `json:"ack_from,omitempty"` // node alerts: who must acknowledge; missed-ack: who did not
	Body    json.RawMessage   `json:"body,omitempty"`     // kind-specific structured content
	// Attachments: files a message or note carries by reference (hash,
	// name, type, size); the node holds their bytes as blobs apart from
	// the log. Omitted when empty, so payloads without attachments are
	// the bytes they always were.
	Attachments []Attachment `json:"attachments,omitempty"`
}

// NewEnvelopeID returns a fresh random envelope id (32 hex digits).
func NewEnvelopeID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Signed is an envelope as submitted and as logged: the exact payload
// bytes, the author's public key and its signature over the payload.
type Signed struct {
	Payload []byte            `json:"payload"` // base64 in JSON
	Key     ed25519.PublicKey `json:"key"`
	Sig     []byte            `json:"sig"`
}

// Sign returns the envelope signed by priv over payload's exact bytes.
func Sign(priv ed25519.PrivateKey, payload []byte) *Signed {
	msg := append([]byte(envelopeContext), payload...)
	return &Signed{Payload: payload, Key: priv.Public().(ed25519.PublicKey), Sig: ed25519.Sign(priv, msg)}
}

// SignPayload marshals p and signs it.
func SignPayload(priv ed25519.PrivateKey, p *Payload) (*Signed, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("marshal payload: %w", err)
	}
	return Sign(priv, b), nil
}

// VerifySignature checks the signature over the payload bytes. EINVALID if
// the key or signature is malformed or the signature does not verify.
func (s *Signed) VerifySignature() error {
	if len(s.Key) != ed25519.PublicKeySize {
		return Errorf(EINVALID, "envelope key: %d bytes, want %d", len(s.Key), ed25519.PublicKeySize)
	}
	if len(s.Sig) != ed25519.SignatureSize {
		return Errorf(EINVALID, "envelope signature: %d bytes, want %d", len(s.Sig), ed25519.SignatureSize)
	}
	msg := append([]byte(envelopeContext), s.Payload...)
	if !ed25519.Verify(s.Key, msg, s.Sig) {
		return Errorf(EINVALID, "envelope signature does not verify for key %s", EncodeKey(s.Key))
	}
	return nil
}

// Leaf returns the bytes logged for the envelope: canonical JSON of the
// three parts, {"payload":B64,"key":B64,"sig":B64}, so that a leaf can be
// checked offline with nothing but itself and the author's key.
func (s *Signed) Leaf() []byte {
	var b bytes.Buffer
	b.Grow(len(s.Payload)*4/3 + 160)
	b.WriteString(`{"payload":"`)
	b.WriteString(base64.StdEncoding.EncodeToString(s.Payload))
	b.WriteString(`","key":"`)
	b.WriteString(base64.StdEncoding.EncodeToString(s.Key))
	b.WriteString(`","sig":"`)
	b.WriteString(base64.StdEncoding.EncodeToString(s.Sig))
	b.WriteString(`"}`)
	return b.Bytes()
}

// ParseLeaf parses logged leaf bytes back into a signed envelope, checking
// that they are in the canonical form Leaf produces.
func ParseLeaf(leaf []byte) (*Signed, error) {
	var s Signed
	if err := json.Unmarshal(leaf, &s); err != nil {
		return nil, Errorf(EINVALID, "leaf: %v", err)
	}
	if !bytes.Equal(s.Leaf(), leaf) {
		return nil, Errorf(EINVALID, "leaf: not in canonical form")
	}
	return &s, nil
}

// ParsePayload decodes and checks the fields every payload must have,
// strictly (DecodeStrict: every field name exactly as documented and
// once, nesting within MaxJSONDepth, body included), and enum values in
// their one spelling (precedence in lowercase). EINVALID names the first
// problem.
func ParsePayload(b []byte) (*Payload, error) {
	var p Payload
	if err := DecodeStrict(b, &p); err != nil {
		return nil, Errorf(EINVALID, "payload: %s", ErrorMessage(err))
	}
	switch {
	case p.V != 1:
		return nil, Errorf(EINVALID, "payload: version %d, want 1", p.V)
	case len(p.ID) < 16 || len(p.ID) > 64 || !isHex(p.ID):
		return nil, Errorf(EINVALID, "payload: id %q: want 16 to 64 hex digits", short(p.ID))
	case p.Time.IsZero():
		return nil, Errorf(EINVALID, "payload: time is missing")
	case p.Channel == "":
		return nil, Errorf(EINVALID, "payload: channel is missing")
	case p.Author == "":
		return nil, Errorf(EINVALID, "payload: author is missing")
	}
	if p.Officer != "" {
		if !ValidOfficer(p.Officer) {
			return nil, Errorf(EINVALID, "payload: officer %q: want 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit", short(p.Officer))
		}
		switch p.Kind {
		case KindMissedAck, KindAlert, KindPolicy, KindFinding, KindRenotify, KindLinkTest, KindLinkResult, KindParty, KindKeyAdd, KindKeyRevoke:
			return nil, Errorf(EINVALID, "payload: officer %q on kind %s: only a party's envelopes (and seen records) name an officer", p.Officer, p.Kind)
		}
	}
	if p.Precedence != "" && !slices.Contains(Precedences, p.Precedence) {
		return nil, Errorf(EINVALID, "payload: precedence %q: want flash, immediate, priority or routine (lowercase)", short(string(p.Precedence)))
	}
	switch p.Kind {
	case KindMessage:
		if p.Precedence == "" {
			return nil, Errorf(EINVALID, "payload: message has no precedence")
		}
		if p.Text == "" && p.Phrase == "" && len(p.Attachments) == 0 {
			return nil, Errorf(EINVALID, "payload: message has neither text, phrase nor attachment")
		}
	case KindAck:
		if p.Ack == nil {
			return nil, Errorf(EINVALID, "payload: ack names no message index")
		}
	case KindNote:
		if p.Text == "" && len(p.Body) == 0 && len(p.Attachments) == 0 {
			return nil, Errorf(EINVALID, "payload: note has neither text, body nor attachment")
		}
	case KindNotification, KindMeasure, KindSign, KindWithdraw:
		if len(p.Body) == 0 {
			return nil, Errorf(EINVALID, "payload: %s has no body", p.Kind)
		}
	case KindResponse:
		if p.ReplyTo == nil || len(p.Body) == 0 {
			return nil, Errorf(EINVALID, "payload: response needs reply_to (the notification) and a body")
		}
	case KindSeen:
		if p.Ack == nil || len(p.AckFrom) != 1 || p.AckFrom[0] == "" {
			return nil, Errorf(EINVALID, "payload: seen names no message index (ack) or not exactly one party (ack_from)")
		}
	case KindRenotify:
		if p.Ack == nil || len(p.AckFrom) == 0 {
			return nil, Errorf(EINVALID, "payload: renotify names no message index (ack) or no party (ack_from)")
		}
	case KindLinkTest:
		if len(p.AckFrom) == 0 || len(p.Body) == 0 {
			return nil, Errorf(EINVALID, "payload: link-test names no party to answer (ack_from) or has no body")
		}
		var b LinkTestBody
		if err := DecodeStrict(p.Body, &b); err != nil {
			return nil, Errorf(EINVALID, "payload: link-test body: %s", ErrorMessage(err))
		}
	case KindLinkAnswer:
		if p.Ack == nil {
			return nil, Errorf(EINVALID, "payload: link-answer names no link test index (ack)")
		}
	case KindLinkResult:
		if p.Ack == nil || len(p.Body) == 0 {
			return nil, Errorf(EINVALID, "payload: link-result names no link test index (ack) or has no body")
		}
		var b LinkResultBody
		if err := DecodeStrict(p.Body, &b); err != nil {
			return nil, Errorf(EINVALID, "payload: link-result body: %s", ErrorMessage(err))
		}
	case KindMissedAck, KindAlert, KindPolicy, KindFinding:
		// node-signed kinds: authorisation is the node's check
	case KindParty, KindKeyAdd, KindKeyRevoke:
		if p.Channel != KeyLog {
			return nil, Errorf(EINVALID, "payload: kind %s belongs in the key log %s, not channel %s", p.Kind, KeyLog, p.Channel)
		}
		if _, err := ParseKeyEvent(p.Kind, p.Body); err != nil {
			return nil, Errorf(EINVALID, "payload: %s", ErrorMessage(err))
		}
	case "":
		return nil, Errorf(EINVALID, "payload: kind is missing")
	default:
		return nil, Errorf(EINVALID, "payload: unknown kind %q", p.Kind)
	}
	if p.Channel == KeyLog && !IsKeyEvent(p.Kind) {
		return nil, Errorf(EINVALID, "payload: the key log %s takes only party, key-add and key-revoke envelopes, not %s", KeyLog, p.Kind)
	}
	if (p.Kind == KindMessage || p.Kind == KindNote) && len(p.Body) > 0 {
		// What readers take from a party's message or note body (the
		// incident it is about) must be the same for every reader.
		var nb NoteBody
		if err := DecodeStrict(p.Body, &nb); err != nil {
			return nil, Errorf(EINVALID, "payload: %s body: %s (want {\"incident\": ID})", p.Kind, ErrorMessage(err))
		}
	}
	if err := checkAttachments(p.Kind, p.Attachments); err != nil {
		return nil, err
	}
	if p.Phrase != "" && p.Kind != KindMessage {
		return nil, Errorf(EINVALID, "payload: phrase on a %s: only messages carry phrases", p.Kind)
	}
	if len(p.Params) > 0 && p.Phrase == "" {
		return nil, Errorf(EINVALID, "payload: params without a phrase")
	}
	if p.ReplyTo != nil && *p.ReplyTo < 0 {
		return nil, Errorf(EINVALID, "payload: reply_to %d is negative", *p.ReplyTo)
	}
	if p.Ack != nil && *p.Ack < 0 {
		return nil, Errorf(EINVALID, "payload: ack %d is negative", *p.Ack)
	}
	return &p, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// Envelope is an accepted envelope as stored: the signed bytes, the
// fields read from them and where the node put it.
type Envelope struct {
	Signed
	Channel  string    // channel id
	Index    int64     // position in the channel log, from 0
	ID       string    // the payload's id
	Author   string    // the payload's author
	Kind     string    // the payload's kind
	Received time.Time // when the node accepted it
	LeafHash [32]byte  // RFC 6962 leaf hash of Leaf()
}

// LeafHash returns the RFC 6962 hash of a leaf: SHA-256(0x00 || leaf).
func LeafHash(leaf []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// Receipt is what the node returns for an accepted envelope. It proves
// delivery, not agreement: acknowledgement is an envelope of its own.
type Receipt struct {
	Channel    string    `json:"channel"`
	Index      int64     `json:"index"`
	ID         string    `json:"id"`
	Received   time.Time `json:"received"`
	LeafHash   []byte    `json:"leaf_hash"`            // base64
	Leaf       []byte    `json:"leaf,omitempty"`       // base64 of the logged bytes
	Checkpoint string    `json:"checkpoint,omitempty"` // signed checkpoint that includes Index
	Proof      [][]byte  `json:"proof,omitempty"`      // inclusion proof, base64 hashes
	NodeKey    string    `json:"node_key,omitempty"`   // the node's note verifier key
}
