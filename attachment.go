package deconflict

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
	"unicode/utf8"
)

// Attachment is a file a message or note carries by reference: the
// payload names the file's SHA-256, name, media type and size, which the
// signature covers, and the node keeps the bytes apart as a blob
// (content-addressed, never in the Merkle log), so the log stays small and
// the signed hash binds the file to the message.
type Attachment struct {
	SHA256 string `json:"sha256"` // SHA-256 of the file's bytes, 64 lowercase hex digits
	Name   string `json:"name"`   // the file's name as its sender gave it, without a directory
	Type   string `json:"type"`   // media type, "type/subtype" in lowercase, without parameters
	Size   int64  `json:"size"`   // bytes, at least 1
}

// MaxAttachments is the most attachments one payload carries.
const MaxAttachments = 8

// MaxAttachmentName is the longest attachment name, in bytes.
const MaxAttachmentName = 255

// Blob is the content of an attachment as the node stores it: addressed by
// its SHA-256, stored once whoever uploads it, readable on the channels it
// was uploaded to, with the media type it was uploaded as there.
type Blob struct {
	SHA256  [32]byte
	Type    string    // media type on the channel read ("type/subtype", lowercase)
	Size    int64     // bytes
	Data    []byte    // the bytes; nil from Store.StatBlob
	Created time.Time // when it was first uploaded to the channel
}

// Hex returns the blob's SHA-256 in hex, as attachments name it.
func (b *Blob) Hex() string { return hex.EncodeToString(b.SHA256[:]) }

// Check reports (EINVALID) whether b's bytes disagree with its hash or
// its size: what a store refuses before it keeps a blob.
func (b *Blob) Check() error {
	if sha256.Sum256(b.Data) != b.SHA256 {
		return Errorf(EINVALID, "blob %s: the bytes do not hash to it", b.Hex())
	}
	if b.Size != int64(len(b.Data)) {
		return Errorf(EINVALID, "blob %s: size %d, but %d bytes", b.Hex(), b.Size, len(b.Data))
	}
	return nil
}

// ParseSHA256 reads a SHA-256 in its one spelling: 64 lowercase hex
// digits. EINVALID otherwise.
func ParseSHA256(s string) ([32]byte, error) {
	var h [32]byte
	if len(s) != 64 || !isHex(s) {
		return h, Errorf(EINVALID, "sha256 %q: want 64 lowercase hex digits", short(s))
	}
	hex.Decode(h[:], []byte(s))
	return h, nil
}

// SumSHA256 returns the SHA-256 of b in hex, as attachments name it.
func SumSHA256(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// CheckMediaType checks that t is a media type in the one spelling the
// record keeps: "type/subtype", lowercase, each part of RFC 6838's
// restricted-name characters (letters, digits and !#$&-^_.+, starting
// with a letter or digit, at most 127 bytes), without parameters.
// EINVALID names the fault.
func CheckMediaType(t string) error {
	top, sub, ok := cut(t, '/')
	if !ok || !restrictedName(top) || !restrictedName(sub) {
		return Errorf(EINVALID, "media type %q: want type/subtype in lowercase without parameters (image/png)", short(t))
	}
	return nil
}

func cut(s string, sep byte) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == sep {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

// restrictedName reports whether s is an RFC 6838 restricted-name in
// lowercase.
func restrictedName(s string) bool {
	if len(s) == 0 || len(s) > 127 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case i > 0 && (c == '!' || c == '#' || c == '$' || c == '&' || c == '-' || c == '^' || c == '_' || c == '.' || c == '+'):
		default:
			return false
		}
	}
	return true
}

// CheckAttachmentName checks a file name an attachment may carry: 1 to
// MaxAttachmentName bytes of UTF-8, no directory (no '/' or '\'), no
// control character, not "." or "..". EINVALID names the fault.
func CheckAttachmentName(name string) error {
	switch {
	case name == "":
		return Errorf(EINVALID, "attachment name is empty")
	case len(name) > MaxAttachmentName:
		return Errorf(EINVALID, "attachment name is %d bytes; the limit is %d", len(name), MaxAttachmentName)
	case !utf8.ValidString(name):
		return Errorf(EINVALID, "attachment name is not valid UTF-8")
	case name == "." || name == "..":
		return Errorf(EINVALID, "attachment name %q is not a file name", name)
	}
	for _, r := range name {
		if r == '/' || r == '\\' {
			return Errorf(EINVALID, "attachment name %q: no directory, please (no '/' or '\\')", short(name))
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x2028 || r == 0x2029 || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			return Errorf(EINVALID, "attachment name %q holds a control character U+%04X", short(name), r)
		}
	}
	return nil
}

// checkAttachments checks the attachments of a payload of kind: only
// messages and notes carry them, at most MaxAttachments, each well formed
// and each file once.
func checkAttachments(kind string, as []Attachment) error {
	if len(as) == 0 {
		return nil
	}
	if kind != KindMessage && kind != KindNote {
		return Errorf(EINVALID, "payload: attachments on a %s: only messages and notes carry attachments", kind)
	}
	if len(as) > MaxAttachments {
		return Errorf(EINVALID, "payload: %d attachments; the limit is %d", len(as), MaxAttachments)
	}
	seen := make(map[string]bool, len(as))
	for i, a := range as {
		if _, err := ParseSHA256(a.SHA256); err != nil {
			return Errorf(EINVALID, "payload: attachments[%d]: %s", i, ErrorMessage(err))
		}
		if seen[a.SHA256] {
			return Errorf(EINVALID, "payload: attachments[%d]: sha256 %s is attached twice", i, a.SHA256)
		}
		seen[a.SHA256] = true
		if err := CheckAttachmentName(a.Name); err != nil {
			return Errorf(EINVALID, "payload: attachments[%d]: %s", i, ErrorMessage(err))
		}
		if err := CheckMediaType(a.Type); err != nil {
			return Errorf(EINVALID, "payload: attachments[%d]: %s", i, ErrorMessage(err))
		}
		if a.Size < 1 {
			return Errorf(EINVALID, "payload: attachments[%d]: size %d: want at least 1 byte", i, a.Size)
		}
	}
	return nil
}
