package console_test

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/deconflict/deconflict"
	_ "modernc.org/sqlite"
)

// radarImage is a small PNG: a dark screen with a bright blip.
func radarImage(t *testing.T, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{0, 40, 0, 255})
		}
	}
	img.Set(w/2, h/2, color.RGBA{0, 255, 0, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBrowserAttachment: US attaches a radar picture in the console's
// compose form; both consoles show it inline only after checking it
// against the hash the message signs, and list its name, type and size;
// a text file is fetched and checked on request. A file whose stored
// bytes were altered behind the node's back is refused by the browser's
// check: no image, the mismatch said.
func TestBrowserAttachment(t *testing.T) {
	testStart = time.Now()
	tn := startNode(t)
	base := tn.Server.URL()
	root := chromium(t, 90*time.Second)
	ctx := root
	us := newBrowser(t, root, "US", base)
	ru := newBrowser(t, root, "RU", base)
	for _, b := range []*browser{us, ru} {
		if err := b.login(b.name); err != nil {
			t.Fatal(err)
		}
	}
	us.wait("ru-us-syria open", `!!document.querySelector('#channels button[data-channel="ru-us-syria"].selected') && !!document.querySelector('#send-attach')`, 10*time.Second)
	ru.wait("ru-us-syria listed", `!!document.querySelector('#channels button[data-channel="ru-us-syria"]')`, 10*time.Second)
	ru.click(`#channels button[data-channel="ru-us-syria"]`)
	ru.wait("hotline live", `document.getElementById("hotline-status").classList.contains("live")`, 10*time.Second)

	dir := t.TempDir()
	pic := radarImage(t, 240, 160)
	picPath, notesPath := filepath.Join(dir, "radar-1410Z.png"), filepath.Join(dir, "notes.txt")
	notes := []byte("Contact bearing 045, 2.5 NM, closing at 400 kt.\n")
	os.WriteFile(picPath, pic, 0o644)
	os.WriteFile(notesPath, notes, 0o644)
	us.do(chromedp.SetUploadFiles(chromedp.ID("send-attach"), []string{picPath, notesPath}))
	us.wait("files chosen", `document.querySelectorAll(".attach-chosen li").length === 2 && document.querySelector(".attach-chosen").textContent.includes("radar-1410Z.png (image/png")`, 5*time.Second)
	us.do(chromedp.SendKeys(chromedp.ID("send-text"), "Radar picture of the pass at 1410Z"), chromedp.Click(chromedp.ID("send-button")))
	us.wait("files cleared after sending", `document.querySelectorAll(".attach-chosen li").length === 0`, 10*time.Second)

	// The signed payload names both files by hash.
	envs, err := tn.Envelopes(ctx, "US", "ru-us-syria", 0, 10)
	if err != nil || len(envs) == 0 {
		t.Fatalf("envelopes: %d, %v", len(envs), err)
	}
	p, err := deconflict.ParsePayload(envs[0].Payload)
	if err != nil {
		t.Fatal(err)
	}
	hexsum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }
	if len(p.Attachments) != 2 || p.Attachments[0].SHA256 != hexsum(pic) || p.Attachments[0].Type != "image/png" || p.Attachments[1].SHA256 != hexsum(notes) || p.Attachments[1].Type != "text/plain" {
		t.Fatalf("signed attachments %+v", p.Attachments)
	}

	for _, b := range []*browser{us, ru} {
		b.wait("image shown after its check", `(() => {
			const li = document.querySelector("article.msg li.attachment[data-sha256='`+hexsum(pic)+`']");
			const img = li && li.querySelector("img.attach-image");
			return !!img && li.classList.contains("checked") && img.complete && img.naturalWidth === 240 &&
				li.textContent.includes("radar-1410Z.png") && li.textContent.includes("image/png") && li.textContent.includes("sha256 checked");
		})()`, 15*time.Second)
	}
	// The text file is not fetched until asked for, then checked.
	notesLi := `document.querySelector("article.msg li.attachment[data-sha256='` + hexsum(notes) + `']")`
	ru.wait("text file listed, not fetched", notesLi+` && !`+notesLi+`.classList.contains("checked") && `+notesLi+`.textContent.includes("text/plain")`, 5*time.Second)
	ru.click(`article.msg li.attachment[data-sha256='` + hexsum(notes) + `'] button`)
	ru.wait("text file checked, offered for download", notesLi+`.classList.contains("checked") && !!`+notesLi+`.querySelector('a.attach-download[download="notes.txt"]')`, 10*time.Second)
	ru.screenshot(artifactsDir(t), "attach-ru-checked.png")

	// Another picture, sent by US's key through the node, whose stored
	// bytes are then altered in the database file: RU's console refuses it.
	other := radarImage(t, 20, 20)
	if _, err := tn.PutBlob(ctx, "US", "ru-us-syria", "image/png", other); err != nil {
		t.Fatal(err)
	}
	pl := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: "US", Time: tn.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine,
		Text: "second picture", Attachments: []deconflict.Attachment{{SHA256: hexsum(other), Name: "second.png", Type: "image/png", Size: int64(len(other))}}}
	db, err := sql.Open("sqlite", filepath.Join(tn.Dir, "deconflict.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	forged := radarImage(t, 21, 20)[:len(other)]
	sum := sha256.Sum256(other)
	if res, err := db.Exec(`UPDATE blobs SET data = ? WHERE sha256 = ?`, forged, sum[:]); err != nil {
		t.Fatal(err)
	} else if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("altered %d blobs, want 1", n)
	}
	s, err := deconflict.SignPayload(tn.Keys["US"], pl)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tn.Submit(ctx, s); err != nil {
		t.Fatal(err)
	}
	bad := `document.querySelector("article.msg li.attachment[data-sha256='` + hexsum(other) + `']")`
	ru.wait("altered file refused", bad+` && `+bad+`.classList.contains("bad") && /do not match the signed hash/.test(`+bad+`.textContent) && !`+bad+`.querySelector("img")`, 10*time.Second)
	us.checkNoErrors()
	ru.checkNoErrors()
}
