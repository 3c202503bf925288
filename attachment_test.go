package deconflict_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/deconflict/deconflict"
)

const payloadHead = `{"v":1,"id":"00112233445566778899aabbccddeeff","channel":"ru-us","author":"US","time":"2026-12-01T10:00:00Z",`

const radarSum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

func attachmentPayload(kind, atts string) []byte {
	extra := ""
	switch kind {
	case "message":
		extra = `"precedence":"immediate",`
	case "ack":
		extra = `"ack":0,`
	}
	return []byte(payloadHead + `"kind":"` + kind + `",` + extra + `"text":"radar picture","attachments":` + atts + `}`)
}

func TestParsePayloadAttachments(t *testing.T) {
	one := `[{"sha256":"` + radarSum + `","name":"radar.png","type":"image/png","size":1221}]`
	t.Run("OK", func(t *testing.T) {
		p, err := deconflict.ParsePayload(attachmentPayload("message", one))
		if err != nil {
			t.Fatal(err)
		}
		want := deconflict.Attachment{SHA256: radarSum, Name: "radar.png", Type: "image/png", Size: 1221}
		if len(p.Attachments) != 1 || p.Attachments[0] != want {
			t.Fatalf("Attachments=%+v, want [%+v]", p.Attachments, want)
		}
	})
	t.Run("OnlyAttachment", func(t *testing.T) {
		b := []byte(payloadHead + `"kind":"message","precedence":"flash","attachments":` + one + `}`)
		if _, err := deconflict.ParsePayload(b); err != nil {
			t.Fatalf("a message with an attachment and no text: %v", err)
		}
	})
	t.Run("Note", func(t *testing.T) {
		if _, err := deconflict.ParsePayload(attachmentPayload("note", one)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("OmittedWhenEmpty", func(t *testing.T) {
		// Payloads without attachments marshal to the bytes they always
		// did, so logs written before attachments existed verify.
		b, err := json.Marshal(&deconflict.Payload{V: 1, Kind: "message", Text: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "attachments") {
			t.Fatalf("payload without attachments marshals as %s", b)
		}
	})
	many := make([]string, deconflict.MaxAttachments+1)
	for i := range many {
		many[i] = fmt.Sprintf(`{"sha256":"%064x","name":"f%d.png","type":"image/png","size":1}`, i, i)
	}
	for _, tc := range []struct{ name, kind, atts, says string }{
		{"ErrOnAck", "ack", one, "only messages and notes"},
		{"ErrUnknownField", "message", `[{"sha256":"` + radarSum + `","name":"a","type":"image/png","size":1,"url":"http://x"}]`, "url"},
		{"ErrFieldCase", "message", `[{"SHA256":"` + radarSum + `","name":"a","type":"image/png","size":1}]`, "SHA256"},
		{"ErrDuplicateKey", "message", `[{"sha256":"` + radarSum + `","sha256":"` + radarSum + `","name":"a","type":"image/png","size":1}]`, "sha256"},
		{"ErrUppercaseHash", "message", `[{"sha256":"` + strings.ToUpper(radarSum) + `","name":"a","type":"image/png","size":1}]`, "lowercase hex"},
		{"ErrShortHash", "message", `[{"sha256":"abcd","name":"a","type":"image/png","size":1}]`, "64"},
		{"ErrTwice", "message", `[{"sha256":"` + radarSum + `","name":"a","type":"image/png","size":1},{"sha256":"` + radarSum + `","name":"b","type":"image/png","size":1}]`, "twice"},
		{"ErrNoName", "message", `[{"sha256":"` + radarSum + `","name":"","type":"image/png","size":1}]`, "name is empty"},
		{"ErrPath", "message", `[{"sha256":"` + radarSum + `","name":"..\\boot.ini","type":"image/png","size":1}]`, "directory"},
		{"ErrDotDot", "message", `[{"sha256":"` + radarSum + `","name":"..","type":"image/png","size":1}]`, "not a file name"},
		{"ErrControl", "message", `[{"sha256":"` + radarSum + `","name":"a\u202egnp.exe","type":"image/png","size":1}]`, "control character"},
		{"ErrTypeParams", "message", `[{"sha256":"` + radarSum + `","name":"a","type":"text/plain; charset=utf-8","size":1}]`, "without parameters"},
		{"ErrTypeCase", "message", `[{"sha256":"` + radarSum + `","name":"a","type":"Image/PNG","size":1}]`, "lowercase"},
		{"ErrZeroSize", "message", `[{"sha256":"` + radarSum + `","name":"a","type":"image/png","size":0}]`, "at least 1"},
		{"ErrTooMany", "message", "[" + strings.Join(many, ",") + "]", "limit is 8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := deconflict.ParsePayload(attachmentPayload(tc.kind, tc.atts))
			if deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), tc.says) {
				t.Fatalf("err=%v, want invalid saying %q", err, tc.says)
			}
		})
	}
}

// mediaTypeRef is an independent statement of the one spelling of a
// media type the record keeps (RFC 6838 restricted names, lowercase).
var mediaTypeRef = regexp.MustCompile(`^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$`)

var sha256Ref = regexp.MustCompile(`^[0-9a-f]{64}$`)

// FuzzAttachmentFields: no hash, media type or file name panics the
// checks; an accepted hash is 64 lowercase hex digits and decodes to
// those bytes; an
// accepted type matches the reference spelling, an accepted name holds no
// directory, no control or bidirectional-override character, and is
// valid UTF-8 of at most 255 bytes.
func FuzzAttachmentFields(f *testing.F) {
	for _, s := range []string{"image/png", "text/plain; charset=utf-8", "Image/PNG", "a/b/c", "/", "x/", "radar-1410Z.png", "../etc/passwd", "a\u202egnp.exe", "карта.pdf"} {
		f.Add(s)
	}
	f.Add(radarSum)
	f.Add(strings.ToUpper(radarSum))
	f.Fuzz(func(t *testing.T, s string) {
		if h, err := deconflict.ParseSHA256(s); err == nil {
			if !sha256Ref.MatchString(s) || hex.EncodeToString(h[:]) != s {
				t.Fatalf("accepted sha256 %q as %x", s, h)
			}
		} else if deconflict.ErrorCode(err) != deconflict.EINVALID || sha256Ref.MatchString(s) {
			t.Fatalf("sha256 %q: %v", s, err)
		}
		if err := deconflict.CheckMediaType(s); err == nil {
			if !mediaTypeRef.MatchString(s) {
				t.Fatalf("accepted media type %q", s)
			}
		} else if deconflict.ErrorCode(err) != deconflict.EINVALID {
			t.Fatalf("media type %q: code %q", s, deconflict.ErrorCode(err))
		} else if mediaTypeRef.MatchString(s) {
			t.Fatalf("refused media type %q: %v", s, err)
		}
		if err := deconflict.CheckAttachmentName(s); err == nil {
			if s == "" || len(s) > 255 || !utf8.ValidString(s) || strings.ContainsAny(s, `/\`) || s == "." || s == ".." || strings.ContainsFunc(s, func(r rune) bool {
				return unicode.IsControl(r) || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069
			}) {
				t.Fatalf("accepted name %q", s)
			}
		} else if deconflict.ErrorCode(err) != deconflict.EINVALID {
			t.Fatalf("name %q: code %q", s, deconflict.ErrorCode(err))
		}
	})
}
