package main_test

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestOfficerCLI drives the real binary: US's officer sends with
// --officer, RU's acknowledges with DECONFLICT_OFFICER; watch shows
// each envelope's officer beside its author and inside the signed bytes;
// verify names who signed for each party; an envelope sent without an
// officer has none; a malformed name is a usage error.
func TestOfficerCLI(t *testing.T) {
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

	c.run(false, "send", "--channel", "ru-us", "--precedence", "flash", "--key", "us.key", "--officer", "j.smith@nmcc", "Turn north now")
	ru := &cli{t: t, dir: dir, env: append(c.env, "DECONFLICT_OFFICER=i.petrov")}
	ru.run(false, "ack", "--channel", "ru-us", "--key", "ru.key", "0")
	c.run(false, "send", "--channel", "ru-us", "--key", "us.key", "no officer named")

	type line struct {
		Index      int64  `json:"index"`
		Author     string `json:"author"`
		Kind       string `json:"kind"`
		Officer    string `json:"officer"`
		PayloadB64 string `json:"payload_b64"`
	}
	var lines []line
	for _, l := range strings.Split(strings.TrimSpace(c.run(false, "watch", "--channel", "ru-us", "--key", "ru.key")), "\n") {
		var x line
		if err := json.Unmarshal([]byte(l), &x); err != nil {
			t.Fatalf("watch line %q: %v", l, err)
		}
		if x.Kind == "message" || x.Kind == "ack" {
			lines = append(lines, x)
		}
	}
	want := []struct{ author, kind, officer string }{{"US", "message", "j.smith@nmcc"}, {"RU", "ack", "i.petrov"}, {"US", "message", ""}}
	if len(lines) != len(want) {
		t.Fatalf("watch: %d messages and acks, want %d: %+v", len(lines), len(want), lines)
	}
	for i, w := range want {
		l := lines[i]
		signed, _ := base64.StdEncoding.DecodeString(l.PayloadB64)
		var p map[string]any
		json.Unmarshal(signed, &p)
		officer, named := p["officer"]
		if l.Author != w.author || l.Kind != w.kind || l.Officer != w.officer {
			t.Fatalf("line %d: %s %s officer %q, want %s %s %q", i, l.Author, l.Kind, l.Officer, w.author, w.kind, w.officer)
		}
		if w.officer == "" && named || w.officer != "" && officer != w.officer {
			t.Fatalf("line %d: signed payload %s, want officer %q", i, signed, w.officer)
		}
	}
	out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key")
	if !strings.Contains(out, "verify: officers (party, officer, envelopes signed): RU i.petrov 1, US j.smith@nmcc 1\n") || !strings.Contains(out, "verify: channel ru-us OK") {
		t.Fatalf("verify: %q", out)
	}
	if e := c.run(true, "send", "--channel", "ru-us", "--key", "us.key", "--officer", "j smith", "x"); !strings.Contains(e, `--officer "j smith"`) {
		t.Fatalf("send --officer 'j smith': %q", e)
	}
}
