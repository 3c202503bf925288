package http_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/internal/nodetest"
)

func setup(t *testing.T) *nodetest.Node {
	t.Helper()
	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US", "FR")
	tn.AddChannel(t, "ru-us-syria", []string{"RU", "US"}, nil)
	return tn
}

func code(err error) string { return deconflict.ErrorCode(err) }

// logSize returns the channel's stored size, to prove a refusal changed nothing.
func logSize(t *testing.T, tn *nodetest.Node) int64 {
	t.Helper()
	n, err := tn.DB.LogSize(context.Background(), "ru-us-syria")
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestHotlineFlow(t *testing.T) {
	tn := setup(t)
	ctx := context.Background()
	r := tn.Send(t, "US", "ru-us-syria", deconflict.Flash, "two aircraft entering sector 4")
	if got, want := r.Index, int64(0); got != want {
		t.Fatalf("Index=%d, want %d", got, want)
	}
	inbox, err := tn.Client("RU").Inbox(ctx, "ru-us-syria")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(inbox), 1; got != want {
		t.Fatalf("RU inbox has %d items, want %d", got, want)
	}
	if mine, _ := tn.Client("US").Inbox(ctx, "ru-us-syria"); len(mine) != 0 {
		t.Fatalf("the author's own inbox has %d items, want 0", len(mine))
	}
	zero := int64(0)
	if _, err := tn.Client("RU").Send(ctx, "RU", &deconflict.Payload{Channel: "ru-us-syria", Kind: deconflict.KindAck, Ack: &zero}); err != nil {
		t.Fatal(err)
	}
	if inbox, _ = tn.Client("RU").Inbox(ctx, "ru-us-syria"); len(inbox) != 0 {
		t.Fatalf("RU inbox after ack has %d items, want 0", len(inbox))
	}
	// A reply references what it answers.
	rep, err := tn.Client("RU").Send(ctx, "RU", &deconflict.Payload{Channel: "ru-us-syria", Kind: deconflict.KindMessage, Precedence: deconflict.Immediate, Text: "training flight, will turn north", ReplyTo: &zero})
	if err != nil {
		t.Fatal(err)
	}
	envs, err := tn.Client("US").Envelopes(ctx, "ru-us-syria", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	// message, RU's seen of it (its inbox fetch), ack, reply
	if got, want := len(envs), 4; got != want {
		t.Fatalf("%d envelopes, want %d", got, want)
	}
	if envs[1].Kind != deconflict.KindSeen || envs[1].Author != deconflict.NodeAuthor {
		t.Fatalf("envelope 1: %s by %s, want the node's seen of RU's inbox fetch", envs[1].Kind, envs[1].Author)
	}
	var p deconflict.Payload
	json.Unmarshal(envs[rep.Index].Payload, &p)
	if p.ReplyTo == nil || *p.ReplyTo != 0 {
		t.Fatalf("reply_to=%v, want 0", p.ReplyTo)
	}
}

func TestResendReturnsSameReceipt(t *testing.T) {
	tn := setup(t)
	ctx := context.Background()
	s, _ := deconflict.SignPayload(tn.Keys["US"], &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "hello"})
	r1, err := tn.Client("US").Submit(ctx, "ru-us-syria", s)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := tn.Client("US").Submit(ctx, "ru-us-syria", s)
	if err != nil {
		t.Fatal(err)
	}
	if r1.Index != r2.Index || !bytes.Equal(r1.LeafHash, r2.LeafHash) {
		t.Fatalf("resend: receipt %d/%x, first %d/%x", r2.Index, r2.LeafHash, r1.Index, r1.LeafHash)
	}
	if got, want := logSize(t, tn), int64(1); got != want {
		t.Fatalf("log size %d, want %d", got, want)
	}
}

// post sends raw bytes signed by key (nil: unsigned) and returns the status and error body.
func post(t *testing.T, tn *nodetest.Node, key ed25519.PrivateKey, path string, body []byte, when time.Time) (int, dhttp.ErrorResponse) {
	t.Helper()
	return send(t, tn, key, "POST", path, body, when)
}

// get sends a GET signed by key (nil: unsigned) at time when.
func get(t *testing.T, tn *nodetest.Node, key ed25519.PrivateKey, path string, when time.Time) (int, dhttp.ErrorResponse) {
	t.Helper()
	return send(t, tn, key, "GET", path, nil, when)
}

// send makes a request signed by key (nil: unsigned) at time when and
// returns the status and error body.
func send(t *testing.T, tn *nodetest.Node, key ed25519.PrivateKey, method, path string, body []byte, when time.Time) (int, dhttp.ErrorResponse) {
	t.Helper()
	req, _ := http.NewRequest(method, tn.Server.URL()+path, bytes.NewReader(body))
	if key != nil {
		k, ts, sig := dhttp.SignRequest(key, method, path, when, body)
		req.Header.Set(dhttp.HeaderKey, k)
		req.Header.Set(dhttp.HeaderTime, ts)
		req.Header.Set(dhttp.HeaderSig, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e dhttp.ErrorResponse
	data, _ := io.ReadAll(resp.Body)
	json.Unmarshal(data, &e)
	return resp.StatusCode, e
}

func TestBadInput(t *testing.T) {
	tn := setup(t)
	ctx := context.Background()
	msg := tn.Send(t, "US", "ru-us-syria", deconflict.Flash, "first")
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	payload := func(author string, mod func(*deconflict.Payload)) *deconflict.Payload {
		p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: author, Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "x"}
		if mod != nil {
			mod(p)
		}
		return p
	}
	signed := func(key ed25519.PrivateKey, p *deconflict.Payload) []byte {
		s, _ := deconflict.SignPayload(key, p)
		b, _ := json.Marshal(s)
		return b
	}
	path := "/v1/channels/ru-us-syria/envelopes"
	us, ru := tn.Keys["US"], tn.Keys["RU"]

	tamperedSig := func() []byte {
		s, _ := deconflict.SignPayload(us, payload("US", nil))
		s.Sig[0] ^= 1
		b, _ := json.Marshal(s)
		return b
	}()
	otherPayload := func() []byte {
		s, _ := deconflict.SignPayload(us, payload("US", nil))
		s.Payload = bytes.Replace(s.Payload, []byte(`"text":"x"`), []byte(`"text":"y"`), 1)
		b, _ := json.Marshal(s)
		return b
	}()
	missingSig := func() []byte {
		s, _ := deconflict.SignPayload(us, payload("US", nil))
		s.Sig = nil
		b, _ := json.Marshal(s)
		return b
	}()
	dupID := func() []byte {
		// the id of the first message, with other content
		envs, _ := tn.Client("US").Envelopes(ctx, "ru-us-syria", 0, 1)
		return signed(us, payload("US", func(p *deconflict.Payload) { p.ID = envs[0].ID; p.Text = "rewritten" }))
	}()
	nonexistent, own := int64(99), msg.Index
	huge := bytes.Repeat([]byte("a"), dhttp.MaxBodyBytes+10)
	bigPayload := signed(us, payload("US", func(p *deconflict.Payload) { p.Text = strings.Repeat("x", deconflict.MaxEnvelopeBytes) }))

	for _, tc := range []struct {
		name   string
		key    ed25519.PrivateKey
		body   []byte
		status int
		code   string
		says   string
	}{
		{"ErrMalformedJSON", us, []byte(`{"payload": "not base64`), 400, deconflict.EINVALID, "malformed JSON"},
		{"ErrUnknownField", us, []byte(`{"payload":"","key":"","sig":"","extra":1}`), 400, deconflict.EINVALID, "unknown field"},
		{"ErrBadSignature", us, tamperedSig, 400, deconflict.EINVALID, "signature does not verify"},
		{"ErrPayloadChanged", us, otherPayload, 400, deconflict.EINVALID, "signature does not verify"},
		{"ErrMissingSignature", us, missingSig, 400, deconflict.EINVALID, "signature: 0 bytes"},
		{"ErrUnknownParty", stranger, signed(stranger, payload("XX", nil)), 401, deconflict.EUNAUTHORIZED, "not registered"},
		{"ErrAuthorNotKeyOwner", us, signed(us, payload("RU", nil)), 403, deconflict.EFORBIDDEN, "belongs to party US"},
		{"ErrNonMember", tn.Keys["FR"], signed(tn.Keys["FR"], payload("FR", nil)), 404, deconflict.ENOTFOUND, "channel ru-us-syria not found"},
		{"ErrDuplicateID", us, dupID, 409, deconflict.ECONFLICT, "already used"},
		{"ErrTimeOutsideWindow", us, signed(us, payload("US", func(p *deconflict.Payload) { p.Time = time.Now().Add(-time.Hour) })), 400, deconflict.EINVALID, "window"},
		{"ErrTooLarge", us, huge, 413, deconflict.ETOOLARGE, "over"},
		{"ErrPayloadTooLarge", us, bigPayload, 413, deconflict.ETOOLARGE, "the limit is"},
		{"ErrAckNonexistent", ru, signed(ru, payload("RU", func(p *deconflict.Payload) {
			p.Kind = deconflict.KindAck
			p.Ack = &nonexistent
			p.Text = ""
			p.Precedence = ""
		})), 404, deconflict.ENOTFOUND, "no such envelope"},
		{"ErrAckOwnMessage", us, signed(us, payload("US", func(p *deconflict.Payload) { p.Kind = deconflict.KindAck; p.Ack = &own; p.Text = ""; p.Precedence = "" })), 400, deconflict.EINVALID, "its own envelope"},
		{"ErrNodeKind", us, signed(us, payload("US", func(p *deconflict.Payload) { p.Kind = deconflict.KindMissedAck })), 403, deconflict.EFORBIDDEN, "only the node"},
		{"ErrBadPrecedence", us, signed(us, payload("US", func(p *deconflict.Payload) { p.Precedence = "urgent" })), 400, deconflict.EINVALID, "precedence"},
		{"ErrWrongChannel", us, signed(us, payload("US", func(p *deconflict.Payload) { p.Channel = "ru-fr" })), 400, deconflict.EINVALID, "addressed to channel ru-fr"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := logSize(t, tn)
			status, e := post(t, tn, tc.key, path, tc.body, time.Now())
			if status != tc.status || e.Code != tc.code {
				t.Fatalf("status %d code %q (%s), want %d %q", status, e.Code, e.Message, tc.status, tc.code)
			}
			if !strings.Contains(e.Message, tc.says) {
				t.Fatalf("message %q does not say %q", e.Message, tc.says)
			}
			if got := logSize(t, tn); got != before {
				t.Fatalf("log size %d after a refused request, was %d", got, before)
			}
		})
	}

	t.Run("ErrRevokedKey", func(t *testing.T) {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		// US adds its second key itself, signed with its first.
		if _, err := tn.Client("US").AddOwnKey(ctx, "US", pub); err != nil {
			t.Fatal(err)
		}
		c := dhttp.NewClient(tn.Server.URL(), priv)
		if _, err := c.Send(ctx, "US", &deconflict.Payload{Channel: "ru-us-syria", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "from the second key"}); err != nil {
			t.Fatalf("second key before revocation: %v", err)
		}
		if _, err := tn.Client("US").RevokeOwnKey(ctx, "US", pub, "rotated"); err != nil {
			t.Fatal(err)
		}
		before := logSize(t, tn)
		_, err := c.Send(ctx, "US", &deconflict.Payload{Channel: "ru-us-syria", Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: "after revocation"})
		if code(err) != deconflict.EUNAUTHORIZED || !strings.Contains(err.Error(), "revoked") {
			t.Fatalf("revoked key: err=%v, want unauthorized naming the revocation", err)
		}
		if got := logSize(t, tn); got != before {
			t.Fatalf("log grew after a refused envelope")
		}
	})
	// Reads are authenticated by a request signature (an envelope carries its own).
	t.Run("ErrUnsignedRequest", func(t *testing.T) {
		status, e := get(t, tn, nil, "/v1/channels/ru-us-syria/envelopes", time.Now())
		if status != 401 || !strings.Contains(e.Message, "not signed") {
			t.Fatalf("status %d %q, want 401 saying the request is not signed", status, e.Message)
		}
	})
	t.Run("ErrRequestTimeOutsideWindow", func(t *testing.T) {
		status, e := get(t, tn, us, "/v1/channels/ru-us-syria/envelopes", time.Now().Add(-time.Hour))
		if status != 401 || !strings.Contains(e.Message, "window") {
			t.Fatalf("status %d %q, want 401 naming the window", status, e.Message)
		}
	})
	t.Run("ErrRequestSignatureOtherPath", func(t *testing.T) {
		req, _ := http.NewRequest("GET", tn.Server.URL()+"/v1/channels/ru-us-syria/inbox", nil)
		k, ts, sig := dhttp.SignRequest(us, "GET", "/v1/channels/ru-us-syria/envelopes", time.Now(), nil)
		req.Header.Set(dhttp.HeaderKey, k)
		req.Header.Set(dhttp.HeaderTime, ts)
		req.Header.Set(dhttp.HeaderSig, sig)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Fatalf("a signature made for another path: status %d, want 401", resp.StatusCode)
		}
	})
	t.Run("ErrAckTwice", func(t *testing.T) {
		idx := msg.Index
		ack := func() error {
			_, err := tn.Client("RU").Send(ctx, "RU", &deconflict.Payload{Channel: "ru-us-syria", Kind: deconflict.KindAck, Ack: &idx})
			return err
		}
		if err := ack(); err != nil {
			t.Fatal(err)
		}
		if err := ack(); code(err) != deconflict.ECONFLICT {
			t.Fatalf("second ack: %v, want conflict", err)
		}
	})
	t.Run("ErrOperatorOnly", func(t *testing.T) {
		err := tn.Client("US").CreateChannel(ctx, &deconflict.Channel{ID: "us-fr", Members: []string{"US", "FR"}})
		if code(err) != deconflict.EFORBIDDEN {
			t.Fatalf("party creating a channel: %v, want forbidden", err)
		}
	})
}

func TestNonMemberSeesNothing(t *testing.T) {
	tn := setup(t)
	ctx := context.Background()
	tn.Send(t, "US", "ru-us-syria", deconflict.Flash, "secret")
	fr := tn.Client("FR")
	_, errMissing := fr.Envelopes(ctx, "no-such-channel", 0, 10)
	for name, f := range map[string]func() error{
		"envelopes":  func() error { _, err := fr.Envelopes(ctx, "ru-us-syria", 0, 10); return err },
		"channel":    func() error { _, err := fr.Channel(ctx, "ru-us-syria"); return err },
		"inbox":      func() error { _, err := fr.Inbox(ctx, "ru-us-syria"); return err },
		"checkpoint": func() error { _, err := fr.Checkpoint(ctx, "ru-us-syria"); return err },
		"receipt":    func() error { _, err := fr.Receipt(ctx, "ru-us-syria", 0); return err },
		"proof":      func() error { _, err := fr.InclusionProof(ctx, "ru-us-syria", 0, 1); return err },
		"tile":       func() error { _, err := fr.Get(ctx, "/v1/channels/ru-us-syria/log/tile/0/000.p/1"); return err },
		"watch": func() error {
			c, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			return fr.Watch(c, "ru-us-syria", -1, func(*dhttp.EnvelopeView) error { return nil })
		},
	} {
		err := f()
		if code(err) != deconflict.ENOTFOUND || !strings.Contains(err.Error(), "channel ru-us-syria not found") {
			t.Errorf("%s: %v, want the not-found answer of a missing channel (%v)", name, err, errMissing)
		}
	}
	cs, err := fr.Channels(ctx)
	if err != nil || len(cs) != 0 {
		t.Fatalf("FR lists %d channels (%v), want 0", len(cs), err)
	}
}

func TestMissedAckAndWebhook(t *testing.T) {
	var mu sync.Mutex
	var calls []map[string]any
	var raw [][]byte
	var headers []http.Header
	fails := 1 // the first call fails: the node must retry
	hook := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			w.WriteHeader(500)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		calls = append(calls, m)
		raw = append(raw, b)
		headers = append(headers, r.Header.Clone())
	})}
	ln := listen(t)
	go hook.Serve(ln)
	defer hook.Close()

	tn := nodetest.Start(t, nodetest.Options{})
	tn.AddParties(t, "RU", "US", "NATO")
	pol := deconflict.DefaultPolicy()
	// Long enough for US's acknowledgement to arrive first under -race on
	// a loaded machine (300 ms was not).
	pol.AckDeadlines[deconflict.Flash] = deconflict.Duration(2 * time.Second)
	pol.Webhooks = []string{"http://" + ln.Addr().String() + "/escalate"}
	tn.AddChannel(t, "ru-nato", []string{"RU", "NATO", "US"}, &pol)
	ctx := context.Background()
	m := tn.Send(t, "NATO", "ru-nato", deconflict.Flash, "nobody answers this")
	idx := m.Index
	// US acknowledges, RU does not.
	if _, err := tn.Client("US").Send(ctx, "US", &deconflict.Payload{Channel: "ru-nato", Kind: deconflict.KindAck, Ack: &idx}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	var missed *dhttp.EnvelopeView
	for missed == nil && time.Now().Before(deadline) {
		envs, _ := tn.Client("NATO").Envelopes(ctx, "ru-nato", 0, 100)
		for _, e := range envs {
			if e.Kind == deconflict.KindMissedAck {
				missed = e
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if missed == nil {
		t.Fatal("no missed-ack envelope after the deadline")
	}
	if missed.Author != deconflict.NodeAuthor {
		t.Fatalf("missed-ack author %s, want node", missed.Author)
	}
	var p deconflict.Payload
	json.Unmarshal(missed.Payload, &p)
	if got, want := strings.Join(p.AckFrom, ","), "RU"; got != want || *p.Ack != idx {
		t.Fatalf("missed-ack names %s for message %d, want %s for %d", got, *p.Ack, want, idx)
	}
	// The message shows as overdue to every member.
	duties, _ := tn.Client("US").Acks(ctx, "ru-nato")
	var ruMissed bool
	for _, d := range duties {
		if d.Party == "RU" && d.Missed && d.AckIndex == nil {
			ruMissed = true
		}
	}
	if !ruMissed {
		t.Fatalf("US does not see RU's missed duty: %+v", duties)
	}
	for time.Now().Before(deadline) {
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 {
		t.Fatalf("webhook called %d times after a retry, want 1", len(calls))
	}
	if calls[0]["event"] != "missed-ack" || calls[0]["channel"] != "ru-nato" || calls[0]["index"] != float64(missed.Index) {
		t.Fatalf("webhook body %v", calls[0])
	}
	// The call is signed by the node key, as docs/api.md describes it:
	// checked here from the documented bytes, not with the node's code.
	h := headers[0]
	if got, want := h.Get("Deconflict-Key"), deconflict.EncodeKey(tn.Node.PublicKey()); got != want {
		t.Fatalf("webhook Deconflict-Key %q, want the node key %q", got, want)
	}
	url := "http://" + ln.Addr().String() + "/escalate"
	sum := sha256.Sum256(raw[0])
	msg := "deconflict-webhook-v1\n" + h.Get("Deconflict-Time") + "\n" + url + "\n" + hex.EncodeToString(sum[:])
	sig, _ := base64.StdEncoding.DecodeString(h.Get("Deconflict-Signature"))
	if !ed25519.Verify(tn.Node.PublicKey(), []byte(msg), sig) {
		t.Fatalf("webhook signature does not verify over %q", msg)
	}
	if err := deconflict.VerifyWebhook(tn.Node.PublicKey(), h.Get("Deconflict-Time"), h.Get("Deconflict-Signature"), url, raw[0], time.Now(), time.Minute); err != nil {
		t.Fatalf("VerifyWebhook of a real call: %v", err)
	}
	forged := bytes.Replace(raw[0], []byte(`"RU"`), []byte(`"US"`), 1)
	if err := deconflict.VerifyWebhook(tn.Node.PublicKey(), h.Get("Deconflict-Time"), h.Get("Deconflict-Signature"), url, forged, time.Now(), time.Minute); deconflict.ErrorCode(err) != deconflict.EUNAUTHORIZED {
		t.Fatalf("VerifyWebhook of a forged body: %v, want unauthorized", err)
	}
	// Exactly one missed-ack per message.
	time.Sleep(200 * time.Millisecond)
	envs, _ := tn.Client("NATO").Envelopes(ctx, "ru-nato", 0, 100)
	n := 0
	for _, e := range envs {
		if e.Kind == deconflict.KindMissedAck {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d missed-ack envelopes, want 1", n)
	}
}

func TestWatchNoGapNoDuplicate(t *testing.T) {
	tn := setup(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const total = 300
	got := make(chan int64, total)
	go tn.Client("RU").Watch(ctx, "ru-us-syria", -1, func(v *dhttp.EnvelopeView) error {
		got <- v.Index
		return nil
	})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < total/4; i++ {
				tn.Send(t, "US", "ru-us-syria", deconflict.Routine, "load")
			}
		}()
	}
	wg.Wait()
	for want := int64(0); want < total; want++ {
		select {
		case g := <-got:
			if g != want {
				t.Fatalf("watch delivered %d, want %d", g, want)
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("watch stalled at %d", want)
		}
	}
}

func TestSubmitBatch(t *testing.T) {
	tn := setup(t)
	ctx := context.Background()
	us := tn.Keys["US"]
	var envs []*deconflict.Signed
	for i := 0; i < 5; i++ {
		s, _ := deconflict.SignPayload(us, &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: "ru-us-syria", Author: "US", Time: time.Now().UTC(), Kind: deconflict.KindMessage, Precedence: deconflict.Routine, Text: fmt.Sprint("batch ", i)})
		envs = append(envs, s)
	}
	envs[2].Sig[0] ^= 1          // one bad envelope does not stop the others
	envs = append(envs, envs[0]) // a resend within the batch: the same receipt
	items, err := tn.Client("US").SubmitBatch(ctx, "ru-us-syria", envs)
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 6 {
		t.Fatalf("%d results, want 6", len(items))
	}
	if items[2].Code != deconflict.EINVALID || items[2].Receipt != nil {
		t.Fatalf("bad envelope: %+v", items[2])
	}
	want := []int64{0, 1, -1, 2, 3, 0}
	for i, it := range items {
		if want[i] < 0 {
			continue
		}
		if it.Receipt == nil || it.Receipt.Index != want[i] || it.Receipt.Checkpoint == "" || len(it.Receipt.Proof) == 0 && it.Receipt.Index > 0 {
			t.Fatalf("item %d: %+v, want a receipt for index %d", i, it, want[i])
		}
	}
	if got := logSize(t, tn); got != 4 {
		t.Fatalf("log size %d, want 4", got)
	}
}
