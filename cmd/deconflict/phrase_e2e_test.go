package main_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
)

// phraseLine is what the phrase test reads of a watch line.
type phraseLine struct {
	Index      int64           `json:"index"`
	Kind       string          `json:"kind"`
	Payload    json.RawMessage `json:"payload"`
	PayloadB64 string          `json:"payload_b64"`
	Key        string          `json:"key"`
	Sig        string          `json:"sig"`
	PhraseText string          `json:"phrase_text"`
}

func phraseLines(t *testing.T, out string) []phraseLine {
	t.Helper()
	var ls []phraseLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var pl phraseLine
		if err := json.Unmarshal([]byte(l), &pl); err != nil {
			t.Fatalf("watch line %q: %v", l, err)
		}
		if pl.Kind == deconflict.KindMessage {
			ls = append(ls, pl)
		}
	}
	return ls
}

// TestPhraseEnglishToRussian drives the real binary: US sends a standard
// phrase with its parameters; RU reads it in Russian, US in English, FR's
// officer would in French; both watch lines carry the same signed bytes,
// whose signature verifies and which hold the code and parameters, not a
// translation. The node refuses a phrase with a bad parameter.
func TestPhraseEnglishToRussian(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	for _, p := range []string{"RU", "US"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)

	out := c.run(false, "send", "--channel", "ru-us", "--precedence", "flash", "--key", "us.key",
		"--phrase", "KEEP-CLEAR", "--param", "bearing=045", "--param", "distance=2.5")
	if !strings.Contains(out, "index 0") {
		t.Fatalf("send: %q", out)
	}
	ru := phraseLines(t, c.run(false, "watch", "--channel", "ru-us", "--lang", "ru", "--key", "ru.key"))
	us := phraseLines(t, c.run(false, "watch", "--channel", "ru-us", "--key", "us.key"))
	if len(ru) != 1 || len(us) != 1 {
		t.Fatalf("messages: RU %d, US %d, want 1 each", len(ru), len(us))
	}
	if got, want := ru[0].PhraseText, "Вы находитесь по пеленгу 045 от меня на дистанции 2.5 морских миль. Не приближайтесь ко мне."; got != want {
		t.Fatalf("RU reads %q, want %q", got, want)
	}
	if got, want := us[0].PhraseText, "You are bearing 045 from me at 2.5 nautical miles. Keep clear of me."; got != want {
		t.Fatalf("US reads %q, want %q", got, want)
	}
	if ru[0].PayloadB64 != us[0].PayloadB64 || ru[0].Sig != us[0].Sig {
		t.Fatalf("RU and US read different signed bytes")
	}
	signed, _ := base64.StdEncoding.DecodeString(ru[0].PayloadB64)
	key, err := deconflict.DecodeKey(ru[0].Key)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := base64.StdEncoding.DecodeString(ru[0].Sig)
	// The envelope signature's message, written out here rather than
	// taken from the package, so that the check is independent.
	if !ed25519.Verify(ed25519.PublicKey(key), append([]byte("deconflict-envelope-v1\x00"), signed...), sig) {
		t.Fatal("the signature over the phrase envelope does not verify")
	}
	var p map[string]any
	if err := json.Unmarshal(signed, &p); err != nil {
		t.Fatal(err)
	}
	if p["phrase"] != "KEEP-CLEAR" || p["text"] != nil || bytes.Contains(signed, []byte("Keep clear")) || bytes.Contains(signed, []byte("пеленг")) {
		t.Fatalf("signed payload %s: want the code and parameters only", signed)
	}
	params, _ := p["params"].(map[string]any)
	if params["bearing"] != "045" || params["distance"] != "2.5" || len(params) != 2 {
		t.Fatalf("signed params %v", params)
	}
	if out := c.run(false, "inbox", "--channel", "ru-us", "--lang", "fr", "--key", "ru.key"); !strings.Contains(out, "Vous êtes au relèvement 045 de moi à 2.5 nautiques.") {
		t.Fatalf("RU inbox in French: %q", out)
	}

	// Refused: by the CLI before signing, and by the node when a client
	// skips that check.
	if e := c.run(true, "send", "--channel", "ru-us", "--key", "us.key", "--phrase", "KEEP-CLEAR", "--param", "bearing=360", "--param", "distance=2"); !strings.Contains(e, `parameter bearing "360"`) {
		t.Fatalf("send with bearing 360: %q", e)
	}
	if e := c.run(true, "send", "--channel", "ru-us", "--key", "us.key", "--phrase", "NO-SUCH"); !strings.Contains(e, `phrase "NO-SUCH": no such code`) {
		t.Fatalf("send of an unknown phrase: %q", e)
	}
	if out := c.run(false, "phrases", "--lang", "ru"); !strings.Contains(out, "KEEP-CLEAR\tbearing,distance\tВы находитесь") {
		t.Fatalf("phrases --lang ru: %q", out)
	}
}
