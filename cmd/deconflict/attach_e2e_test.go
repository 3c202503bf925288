package main_test

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// TestAttachmentEndToEnd drives the real binary: US sends a message with a
// radar picture and a text file attached; RU lists the attachments, fetches
// them by the envelope (each checked against the hash and size the message
// signs, written under its signed name) and by hash; the node (limits set
// by serve's flags) refuses an oversize file and a type it does not take.
func TestAttachmentEndToEnd(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServeWith(t, dir, []string{"serve", "--data", data, "--addr", addr, "--tick", "50ms",
		"--attach-max-bytes", "4096", "--attach-types", "image/png,text/plain"})
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr}}
	for _, p := range []string{"RU", "US", "FR"} {
		pub := strings.TrimSpace(c.run(false, "keygen", "--out", strings.ToLower(p)+".key"))
		c.run(false, "party", "add", p, "--pubkey", pub, "--data", data)
	}
	c.run(false, "channel", "create", "ru-us", "--members", "RU,US", "--data", data)

	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{7, 0, 200}, 500)...)
	txt := []byte("Contact bearing 045, 2.5 NM, closing.\n")
	os.WriteFile(filepath.Join(dir, "radar-1410Z.png"), png, 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), txt, 0o644)
	out := c.run(false, "send", "--channel", "ru-us", "--precedence", "immediate", "--key", "us.key",
		"--attach", "radar-1410Z.png", "--attach", "notes.txt", "Radar picture of the pass")
	if !strings.Contains(out, "index 0") {
		t.Fatalf("send: %q", out)
	}
	hexsum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

	// The signed payload names both files; the logged leaf holds neither.
	var line struct {
		Payload struct {
			Attachments []struct {
				SHA256, Name, Type string
				Size               int64
			} `json:"attachments"`
		} `json:"payload"`
		PayloadB64 string `json:"payload_b64"`
	}
	w := strings.Split(strings.TrimSpace(c.run(false, "watch", "--channel", "ru-us", "--key", "ru.key")), "\n")[0]
	if err := json.Unmarshal([]byte(w), &line); err != nil {
		t.Fatal(err)
	}
	as := line.Payload.Attachments
	if len(as) != 2 || as[0].SHA256 != hexsum(png) || as[0].Name != "radar-1410Z.png" || as[0].Type != "image/png" || as[0].Size != int64(len(png)) ||
		as[1].SHA256 != hexsum(txt) || as[1].Type != "text/plain" {
		t.Fatalf("signed attachments: %+v", as)
	}
	if len(line.PayloadB64) > 1000 {
		t.Fatalf("signed payload is %d base64 bytes: the file is in it", len(line.PayloadB64))
	}

	list := c.run(false, "attachment", "list", "--channel", "ru-us", "--key", "ru.key")
	if want := "0\tUS\t" + hexsum(png) + "\timage/png\t1508\tradar-1410Z.png\n0\tUS\t" + hexsum(txt) + "\ttext/plain\t38\tnotes.txt\n"; list != want {
		t.Fatalf("attachment list:\n%s\nwant:\n%s", list, want)
	}
	inbox := c.run(false, "inbox", "--channel", "ru-us", "--key", "ru.key")
	if !strings.Contains(inbox, "[attached: radar-1410Z.png (image/png, 1508 bytes, sha256 "+hexsum(png)+")]") {
		t.Fatalf("inbox does not show the attachment: %q", inbox)
	}

	recv := filepath.Join(dir, "received")
	os.Mkdir(recv, 0o755)
	got := c.run(false, "attachment", "get", "--channel", "ru-us", "--index", "0", "--dir", recv, "--key", "ru.key")
	if strings.Count(got, "sha256 checked") != 2 {
		t.Fatalf("attachment get --index: %q", got)
	}
	for name, want := range map[string][]byte{"radar-1410Z.png": png, "notes.txt": txt} {
		b, err := os.ReadFile(filepath.Join(recv, name))
		if err != nil || !bytes.Equal(b, want) {
			t.Fatalf("received %s: %d bytes, %v", name, len(b), err)
		}
	}
	c.run(false, "attachment", "get", "--channel", "ru-us", hexsum(txt), "-o", "copy.txt", "--key", "ru.key")
	if b, _ := os.ReadFile(filepath.Join(dir, "copy.txt")); !bytes.Equal(b, txt) {
		t.Fatalf("attachment get by hash wrote %q", b)
	}
	if out := c.run(false, "attachment", "get", "--channel", "ru-us", hexsum(txt), "--key", "ru.key"); out != string(txt) {
		t.Fatalf("attachment get to stdout: %q", out)
	}

	// FR is no member: no file for it.
	if out := c.run(true, "attachment", "get", "--channel", "ru-us", hexsum(png), "-o", "fr.png", "--key", "fr.key"); !strings.Contains(out, "not_found") {
		t.Fatalf("FR fetching: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "fr.png")); err == nil {
		t.Fatal("FR's refused fetch wrote a file")
	}
	// The operator's limits.
	os.WriteFile(filepath.Join(dir, "big.png"), bytes.Repeat([]byte{1}, 4097), 0o644)
	if out := c.run(true, "send", "--channel", "ru-us", "--key", "us.key", "--attach", "big.png", "too big"); !strings.Contains(out, "too_large") {
		t.Fatalf("oversize attachment: %q", out)
	}
	os.WriteFile(filepath.Join(dir, "chart.pdf"), []byte("%PDF-1.4\n"), 0o644)
	if out := c.run(true, "send", "--channel", "ru-us", "--key", "us.key", "--attach", "chart.pdf", "a chart"); !strings.Contains(out, "application/pdf is not among") {
		t.Fatalf("type not allowed: %q", out)
	}
	if out := c.run(true, "attachment", "get", "--channel", "ru-us", "0123", "--key", "ru.key"); !strings.Contains(out, "64 lowercase hex") {
		t.Fatalf("malformed hash: %q", out)
	}
	// Nothing of the refused sends reached the log.
	if n := len(strings.Split(strings.TrimSpace(c.run(false, "attachment", "list", "--channel", "ru-us", "--key", "us.key")), "\n")); n != 2 {
		t.Fatalf("%d attachments listed after refusals, want 2", n)
	}

	// verify counts the files; with --attachments it fetches and checks them.
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key"); !strings.Contains(out, "verify: attachments: 2 files named by their signed hashes (not fetched") || !strings.Contains(out, "OK") {
		t.Fatalf("verify: %q", out)
	}
	if out := c.run(false, "verify", "--channel", "ru-us", "--key", "ru.key", "--attachments"); !strings.Contains(out, "verify: attachments: 2 files (1546 bytes) fetched, each matching") {
		t.Fatalf("verify --attachments: %q", out)
	}
	// The text file's stored bytes altered behind the node (same length):
	// verify --attachments fails naming it, and get writes nothing.
	db, err := sql.Open("sqlite", filepath.Join(data, "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum := sha256.Sum256(txt)
	if res, err := db.Exec(`UPDATE blobs SET data = ? WHERE sha256 = ?`, bytes.ToUpper(txt), sum[:]); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("altered %d blobs, want 1", n)
	}
	out = c.run(true, "verify", "--channel", "ru-us", "--key", "ru.key", "--attachments")
	if !strings.Contains(out, "verify: FAILED: channel ru-us: index 0: attachment notes.txt (sha256 "+hexsum(txt)+")") || !strings.Contains(out, "do not match") {
		t.Fatalf("verify --attachments of an altered file: %q", out)
	}
	if out := c.run(true, "attachment", "get", "--channel", "ru-us", hexsum(txt), "-o", "altered.txt", "--key", "ru.key"); !strings.Contains(out, "do not match") {
		t.Fatalf("get of an altered file: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "altered.txt")); err == nil {
		t.Fatal("get wrote an altered file")
	}
}
