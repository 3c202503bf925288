package http

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
)

// Client is the Go client of a node's API, used by the command line. Every
// request is signed with Key.
//
// URL may list several replicas of one node, separated by commas: the
// client sends to one, and moves to the next when it cannot reach it (a
// connection error or 503) and retries the request there. A retried
// request may have been carried out by the first replica already:
// envelope submissions are idempotent (the same envelope gets the same
// receipt); an operator command may then answer that its effect exists.
type Client struct {
	URL  string // base URL, e.g. http://127.0.0.1:8080, or several: http://a:8080,http://b:8080
	Key  ed25519.PrivateKey
	HTTP *http.Client
	Now  func() time.Time
	// Officer, when not "", is the officer Send names in payloads that
	// name none (the person of the party who sends: the party's word).
	Officer string

	cur atomic.Int64 // which of the URLs is in use
}

// bases returns the node URLs of c.URL.
func (c *Client) bases() []string {
	var out []string
	for _, u := range strings.Split(c.URL, ",") {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			out = append(out, u)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// base returns the node URL in use.
func (c *Client) base() string {
	bs := c.bases()
	return bs[int(c.cur.Load()%int64(len(bs)))]
}

// failover moves to the next URL, unless another request already moved
// away from failed.
func (c *Client) failover(failed string) {
	if c.base() == failed {
		c.cur.Add(1)
	}
}

// NewClient returns a client of the node at baseURL (or of the replicas
// listed in it, separated by commas) signing with key.
func NewClient(baseURL string, key ed25519.PrivateKey) *Client {
	// Keep connections for concurrent senders instead of the default two
	// idle per host, which makes busy clients open a connection a request.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 256
	return &Client{URL: strings.TrimRight(baseURL, "/"), Key: key, HTTP: &http.Client{Timeout: 60 * time.Second, Transport: t}, Now: time.Now}
}

func (c *Client) newRequest(ctx context.Context, base, method, path string, body []byte) (*http.Request, error) {
	return c.newRequestSigned(ctx, base, method, path, body, true)
}

// newRequestSigned builds a request to the node at base, signed when sign
// is set (envelope submissions authenticate themselves and need no
// request signature).
func (c *Client) newRequestSigned(ctx context.Context, base, method, path string, body []byte, sign bool) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, base+path, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Key != nil && sign {
		// A write is accepted once; its nonce makes each one distinct.
		nonce := ""
		if method != http.MethodGet && method != http.MethodHead {
			nonce = NewNonce()
			req.Header.Set(HeaderNonce, nonce)
		}
		k, t, s := SignRequestNonce(c.Key, method, req.URL.RequestURI(), c.Now(), body, nonce)
		req.Header.Set(HeaderKey, k)
		req.Header.Set(HeaderTime, t)
		req.Header.Set(HeaderSig, s)
	}
	return req, nil
}

// do sends a request and decodes a JSON answer into out (when not nil),
// or returns the node's error as a *deconflict.Error with its code.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	return c.doSigned(ctx, method, path, in, out, true)
}

func (c *Client) doSigned(ctx context.Context, method, path string, in, out any, sign bool) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	ctype := ""
	if body != nil {
		ctype = "application/json"
	}
	_, data, err := c.roundTrip(ctx, method, path, ctype, body, sign)
	if err != nil {
		return err
	}
	switch o := out.(type) {
	case nil:
		return nil
	case *[]byte:
		*o = data
		return nil
	default:
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decoding answer: %w", method, path, err)
		}
		return nil
	}
}

// roundTrip sends a request with body of type ctype ("" for none), moving
// to the next replica on a connection error or 503, and returns a 2xx
// answer and its body, or the node's error as a *deconflict.Error with its
// code.
func (c *Client) roundTrip(ctx context.Context, method, path, ctype string, body []byte, sign bool) (*http.Response, []byte, error) {
	var resp *http.Response
	var data []byte
	for tries := len(c.bases()); ; tries-- {
		base := c.base()
		req, err := c.newRequestSigned(ctx, base, method, path, body, sign)
		if err != nil {
			return nil, nil, err
		}
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		resp, err = c.HTTP.Do(req)
		if err == nil {
			data, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil && (resp.StatusCode != http.StatusServiceUnavailable || tries <= 1) {
			break
		}
		if tries <= 1 || ctx.Err() != nil {
			if err == nil {
				break
			}
			return nil, nil, fmt.Errorf("node %s: %w", base, err)
		}
		c.failover(base)
	}
	if resp.StatusCode/100 != 2 {
		var e ErrorResponse
		if json.Unmarshal(data, &e) == nil && e.Code != "" {
			return nil, nil, &deconflict.Error{Code: e.Code, Message: e.Message}
		}
		return nil, nil, &deconflict.Error{Code: errorCodeOf(resp.StatusCode), Message: fmt.Sprintf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))}
	}
	return resp, data, nil
}

// Do sends a request to path with in as its JSON body (nil for none) and
// decodes the JSON answer into out (nil to ignore it).
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	return c.do(ctx, method, path, in, out)
}

// Node returns the node's name and keys (no authentication needed).
func (c *Client) Node(ctx context.Context) (*NodeInfo, error) {
	var n NodeInfo
	return &n, c.do(ctx, "GET", "/v1/node", nil, &n)
}

// Whoami returns the party the client's key belongs to ("node" for the operator).
func (c *Client) Whoami(ctx context.Context) (string, error) {
	var out map[string]string
	err := c.do(ctx, "GET", "/v1/whoami", nil, &out)
	return out["party"], err
}

// CreateParty registers a party (operator).
func (c *Client) CreateParty(ctx context.Context, req *PartyRequest) error {
	return c.do(ctx, "POST", "/v1/parties", req, nil)
}

// AddKey adds a key to a party (operator).
func (c *Client) AddKey(ctx context.Context, party string, pub ed25519.PublicKey, reason string) error {
	return c.do(ctx, "POST", "/v1/parties/"+url.PathEscape(party)+"/keys", &KeyRequest{Key: deconflict.EncodeKey(pub), Emergency: true, Reason: reason}, nil)
}

// RevokeKey revokes a key from now on: the operator's emergency re-keying.
func (c *Client) RevokeKey(ctx context.Context, pub ed25519.PublicKey, reason string) error {
	return c.do(ctx, "POST", "/v1/keys/revoke", &KeyRequest{Key: deconflict.EncodeKey(pub), Reason: reason}, nil)
}

// AddOwnKey adds pub to party, the client's own party, by a key-add
// envelope in the key log signed with the client's key (a current key of
// the party).
func (c *Client) AddOwnKey(ctx context.Context, party string, pub ed25519.PublicKey) (*deconflict.Receipt, error) {
	return c.keyEvent(ctx, party, deconflict.KindKeyAdd, &deconflict.KeyEvent{Party: party, Key: deconflict.EncodeKey(pub)})
}

// RevokeOwnKey revokes pub, a key of party, the client's own party, by a
// key-revoke envelope signed with the client's key.
func (c *Client) RevokeOwnKey(ctx context.Context, party string, pub ed25519.PublicKey, reason string) (*deconflict.Receipt, error) {
	return c.keyEvent(ctx, party, deconflict.KindKeyRevoke, &deconflict.KeyEvent{Party: party, Key: deconflict.EncodeKey(pub), Reason: reason})
}

func (c *Client) keyEvent(ctx context.Context, party, kind string, ev *deconflict.KeyEvent) (*deconflict.Receipt, error) {
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	return c.Send(ctx, party, &deconflict.Payload{Channel: deconflict.KeyLog, Kind: kind, Body: body})
}

// Parties lists the parties and their keys.
func (c *Client) Parties(ctx context.Context) ([]*deconflict.Party, error) {
	var out []*deconflict.Party
	return out, c.do(ctx, "GET", "/v1/parties", nil, &out)
}

// CreateChannel creates a channel (operator).
func (c *Client) CreateChannel(ctx context.Context, ch *deconflict.Channel) error {
	return c.do(ctx, "POST", "/v1/channels", ch, nil)
}

// Channels lists the caller's channels.
func (c *Client) Channels(ctx context.Context) ([]*deconflict.Channel, error) {
	var out []*deconflict.Channel
	return out, c.do(ctx, "GET", "/v1/channels", nil, &out)
}

// Channel returns one channel.
func (c *Client) Channel(ctx context.Context, id string) (*deconflict.Channel, error) {
	var out deconflict.Channel
	return &out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(id), nil, &out)
}

// SetPolicy replaces a channel's policy (operator).
func (c *Client) SetPolicy(ctx context.Context, id string, p *deconflict.Policy) error {
	return c.do(ctx, "PUT", "/v1/channels/"+url.PathEscape(id)+"/policy", p, nil)
}

// PatchPolicy changes only what patch names of a channel's policy
// (operator) and returns the channel as it is then.
func (c *Client) PatchPolicy(ctx context.Context, id string, patch *deconflict.PolicyPatch) (*deconflict.Channel, error) {
	var ch deconflict.Channel
	return &ch, c.do(ctx, "PATCH", "/v1/channels/"+id+"/policy", patch, &ch)
}

// Submit posts a signed envelope and returns its receipt.
func (c *Client) Submit(ctx context.Context, channel string, s *deconflict.Signed) (*deconflict.Receipt, error) {
	var r deconflict.Receipt
	return &r, c.doSigned(ctx, "POST", "/v1/channels/"+url.PathEscape(channel)+"/envelopes", s, &r, false)
}

// SubmitBatch posts up to 1,000 signed envelopes for one channel and
// returns each one's receipt or error, in order.
func (c *Client) SubmitBatch(ctx context.Context, channel string, envs []*deconflict.Signed) ([]BatchItem, error) {
	var out struct {
		Results []BatchItem `json:"results"`
	}
	err := c.doSigned(ctx, "POST", "/v1/channels/"+url.PathEscape(channel)+"/envelopes/batch", envs, &out, false)
	return out.Results, err
}

// Send fills in p's version, id, author (the caller's party) and time,
// signs it with the client key and submits it.
func (c *Client) Send(ctx context.Context, author string, p *deconflict.Payload) (*deconflict.Receipt, error) {
	p.V, p.Author = 1, author
	if p.Officer == "" {
		p.Officer = c.Officer
	}
	if p.ID == "" {
		p.ID = deconflict.NewEnvelopeID()
	}
	if p.Time.IsZero() {
		p.Time = c.Now().UTC()
	}
	s, err := deconflict.SignPayload(c.Key, p)
	if err != nil {
		return nil, err
	}
	return c.Submit(ctx, p.Channel, s)
}

// Envelopes returns up to limit envelopes from index from on.
func (c *Client) Envelopes(ctx context.Context, channel string, from int64, limit int) ([]*EnvelopeView, error) {
	var out []*EnvelopeView
	return out, c.do(ctx, "GET", fmt.Sprintf("/v1/channels/%s/envelopes?from=%d&limit=%d", url.PathEscape(channel), from, limit), nil, &out)
}

// AuditEnvelopes is Envelopes for an audit: the node logs no seen
// envelope for what it returns.
func (c *Client) AuditEnvelopes(ctx context.Context, channel string, from int64, limit int) ([]*EnvelopeView, error) {
	var out []*EnvelopeView
	return out, c.do(ctx, "GET", fmt.Sprintf("/v1/channels/%s/envelopes?from=%d&limit=%d&audit=1", url.PathEscape(channel), from, limit), nil, &out)
}

// Inbox returns what the caller still has to acknowledge.
func (c *Client) Inbox(ctx context.Context, channel string) ([]InboxEntry, error) {
	var out []InboxEntry
	return out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/inbox", nil, &out)
}

// Acks returns every acknowledgement duty of a channel.
func (c *Client) Acks(ctx context.Context, channel string) ([]deconflict.PendingAck, error) {
	var out []deconflict.PendingAck
	return out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/acks", nil, &out)
}

// Checkpoint returns the latest signed checkpoint of a channel.
func (c *Client) Checkpoint(ctx context.Context, channel string) ([]byte, error) {
	var out []byte
	return out, c.do(ctx, "GET", "/v1/channels/"+url.PathEscape(channel)+"/checkpoint", nil, &out)
}

// Receipt returns the receipt of the envelope at index against the latest checkpoint.
func (c *Client) Receipt(ctx context.Context, channel string, index int64) (*deconflict.Receipt, error) {
	var out deconflict.Receipt
	return &out, c.do(ctx, "GET", fmt.Sprintf("/v1/channels/%s/envelopes/%d/receipt", url.PathEscape(channel), index), nil, &out)
}

// InclusionProof returns the proof that index is in the tree of size.
func (c *Client) InclusionProof(ctx context.Context, channel string, index, size int64) (*ProofResponse, error) {
	var out ProofResponse
	return &out, c.do(ctx, "GET", fmt.Sprintf("/v1/channels/%s/proof/inclusion?index=%d&size=%d", url.PathEscape(channel), index, size), nil, &out)
}

// ConsistencyProof returns the proof that the tree of size old is a prefix of new.
func (c *Client) ConsistencyProof(ctx context.Context, channel string, old, new int64) (*ProofResponse, error) {
	var out ProofResponse
	return &out, c.do(ctx, "GET", fmt.Sprintf("/v1/channels/%s/proof/consistency?old=%d&new=%d", url.PathEscape(channel), old, new), nil, &out)
}

// Get fetches a raw path (tiles, metrics).
func (c *Client) Get(ctx context.Context, path string) ([]byte, error) {
	var out []byte
	return out, c.do(ctx, "GET", path, nil, &out)
}

// Watch calls fn for every envelope of channel after index after, in
// order, following live until ctx ends or fn fails. It reconnects by
// itself after a dropped connection or a node restart, resuming after the
// last envelope delivered, so fn sees each envelope exactly once.
func (c *Client) Watch(ctx context.Context, channel string, after int64, fn func(*EnvelopeView) error) error {
	backoff := 200 * time.Millisecond
	for {
		err := c.watchOnce(ctx, channel, &after, fn)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var de *deconflict.Error
		if asErr(err, &de) && de.Code != deconflict.EUNAVAILABLE && de.Code != deconflict.EINTERNAL {
			return err // not found, forbidden: retrying will not help
		}
		if fe, ok := err.(fnError); ok {
			return fe.err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

type fnError struct{ err error }

func (e fnError) Error() string { return e.err.Error() }

func asErr(err error, target **deconflict.Error) bool {
	if e, ok := err.(*deconflict.Error); ok {
		*target = e
		return true
	}
	return false
}

// watchOnce follows one connection to one replica; when that fails other
// than with an answer of the node, the next connection goes to the next
// replica.
func (c *Client) watchOnce(ctx context.Context, channel string, after *int64, fn func(*EnvelopeView) error) error {
	base := c.base()
	err := c.watchAt(ctx, base, channel, after, fn)
	var de *deconflict.Error
	if _, ok := err.(fnError); !ok && ctx.Err() == nil && (!asErr(err, &de) || de.Code == deconflict.EUNAVAILABLE) {
		c.failover(base)
	}
	return err
}

func (c *Client) watchAt(ctx context.Context, base, channel string, after *int64, fn func(*EnvelopeView) error) error {
	path := "/v1/channels/" + url.PathEscape(channel) + "/watch?batch=1&after=" + strconv.FormatInt(*after, 10)
	req, err := c.newRequest(ctx, base, "GET", path, nil)
	if err != nil {
		return err
	}
	wsURL := "ws" + strings.TrimPrefix(base, "http") + path
	conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{HTTPHeader: req.Header, HTTPClient: &http.Client{}})
	if err != nil {
		if resp != nil && resp.StatusCode/100 == 4 {
			var e ErrorResponse
			if resp.Body != nil {
				json.NewDecoder(resp.Body).Decode(&e)
			}
			if e.Code != "" {
				return &deconflict.Error{Code: e.Code, Message: e.Message}
			}
			return &deconflict.Error{Code: errorCodeOf(resp.StatusCode), Message: "watch: " + resp.Status}
		}
		return err
	}
	defer conn.CloseNow()
	conn.SetReadLimit(2 * MaxWatchMessageBytes)
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			return err
		}
		var vs []*EnvelopeView
		if err := json.Unmarshal(data, &vs); err != nil {
			return fmt.Errorf("watch: bad message: %w", err)
		}
		for _, v := range vs {
			if v.Index <= *after {
				continue // never deliver twice
			}
			if v.Index != *after+1 {
				return fmt.Errorf("watch: gap: got index %d after %d", v.Index, *after)
			}
			if err := fn(v); err != nil {
				return fnError{err}
			}
			*after = v.Index
		}
	}
}
