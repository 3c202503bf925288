package console_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/deconflict/deconflict/console"
)

// TestReportDownload: a signed-in officer downloads the record of a period
// of a channel of theirs, as HTML and as PDF, built from what their party
// may read; no session, another party's channel, a bad format or date are
// refused with the code that says so.
func TestReportDownload(t *testing.T) {
	tn := startNode(t)
	base := tn.Server.URL()
	us, fr := newBrowserless(t, base), newBrowserless(t, base)
	us.login("US")
	fr.login("FR")
	if st, code := us.do("POST", "/v1/console/send", console.SendRequest{Channel: "ru-us-syria", Precedence: "FLASH", Text: "turn north now"}, nil); st != http.StatusCreated {
		t.Fatalf("send: %d %s", st, code)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	get := func(b *browserless, q string) (int, string, string, string) {
		t.Helper()
		resp, err := b.http.Get(base + "/console/report?" + q)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), string(body)
	}
	st, ctype, disp, body := get(us, "channel=ru-us-syria&from="+today+"&to="+today+"&format=pdf")
	if st != 200 || ctype != "application/pdf" || !strings.HasPrefix(body, "%PDF-1.4") || !strings.Contains(disp, "ru-us-syria-") {
		t.Fatalf("pdf: %d %s %s %.20q", st, ctype, disp, body)
	}
	st, ctype, _, body = get(us, "channel=ru-us-syria&from="+today+"&to="+today+"&format=html")
	if st != 200 || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "Read with the key of US") || !strings.Contains(body, "1 flash") {
		t.Fatalf("html: %d %s %.300q", st, ctype, body)
	}
	for _, c := range []struct {
		name string
		b    *browserless
		q    string
		want int
	}{
		{"NoSession", newBrowserless(t, base), "channel=ru-us-syria&from=" + today + "&to=" + today + "&format=pdf", 401},
		{"NotMember", fr, "channel=ru-us-syria&from=" + today + "&to=" + today + "&format=pdf", 404},
		{"BadFormat", us, "channel=ru-us-syria&from=" + today + "&to=" + today + "&format=docx", 400},
		{"BadDate", us, "channel=ru-us-syria&from=yesterday&to=" + today + "&format=pdf", 400},
	} {
		t.Run(c.name, func(t *testing.T) {
			if st, _, _, body := get(c.b, c.q); st != c.want {
				t.Errorf("%d %.200s, want %d", st, body, c.want)
			}
		})
	}
}
