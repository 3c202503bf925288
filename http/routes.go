package http

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/phrase"
	"golang.org/x/mod/sumdb/tlog"
)

// EnvelopeView is an envelope as the API shows it: where it is in the log,
// who signed it, and the signed bytes both decoded and exact.
type EnvelopeView struct {
	Channel    string          `json:"channel"`
	Index      int64           `json:"index"`
	ID         string          `json:"id"`
	Author     string          `json:"author"`
	Kind       string          `json:"kind"`
	Received   time.Time       `json:"received"`
	Payload    json.RawMessage `json:"payload"`     // the signed payload, as JSON
	PayloadB64 string          `json:"payload_b64"` // the exact signed bytes
	Key        string          `json:"key"`
	Sig        string          `json:"sig"`
	LeafHash   string          `json:"leaf_hash"`
}

// NewEnvelopeView returns the API view of e.
func NewEnvelopeView(e *deconflict.Envelope) *EnvelopeView {
	return &EnvelopeView{
		Channel: e.Channel, Index: e.Index, ID: e.ID, Author: e.Author, Kind: e.Kind, Received: e.Received,
		Payload: json.RawMessage(e.Payload), PayloadB64: base64.StdEncoding.EncodeToString(e.Payload),
		Key: deconflict.EncodeKey(e.Key), Sig: base64.StdEncoding.EncodeToString(e.Sig),
		LeafHash: base64.StdEncoding.EncodeToString(e.LeafHash[:]),
	}
}

// Signed returns the envelope's signed parts.
func (v *EnvelopeView) Signed() (*deconflict.Signed, error) {
	p, err := base64.StdEncoding.DecodeString(v.PayloadB64)
	if err != nil {
		return nil, fmt.Errorf("payload_b64: %w", err)
	}
	k, err := deconflict.DecodeKey(v.Key)
	if err != nil {
		return nil, err
	}
	s, err := base64.StdEncoding.DecodeString(v.Sig)
	if err != nil {
		return nil, fmt.Errorf("sig: %w", err)
	}
	return &deconflict.Signed{Payload: p, Key: k, Sig: s}, nil
}

// NodeInfo describes the node.
type NodeInfo struct {
	Name string `json:"name"` // node name: checkpoint origins are "<name>/<channel>"
	Key  string `json:"key"`  // base64 Ed25519 public key; it signs every checkpoint
	// Version is the node software's version (Server.Version), omitted
	// when unknown.
	Version string `json:"version,omitempty"`
}

// PartyRequest registers a party.
type PartyRequest struct {
	ID   string   `json:"id"`
	Name string   `json:"name,omitempty"`
	Keys []string `json:"keys"`
}

// KeyRequest names one key.
type KeyRequest struct {
	Key string `json:"key"`
	// Emergency and Reason: the operator's emergency re-keying of a party
	// (members' verify reports it and refuses it unless accepted).
	Emergency bool   `json:"emergency,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// InboxEntry is one item of an inbox.
type InboxEntry struct {
	Envelope *EnvelopeView `json:"envelope"`
	Deadline time.Time     `json:"deadline"`
	Overdue  bool          `json:"overdue"`
	// Seen is when the node logged the caller fetching the message (this
	// fetch, or an earlier one).
	Seen *time.Time `json:"seen,omitempty"`
}

// ProofResponse carries a proof as base64 hashes.
type ProofResponse struct {
	Index int64    `json:"index,omitempty"`
	Size  int64    `json:"size,omitempty"`
	Old   int64    `json:"old,omitempty"`
	New   int64    `json:"new,omitempty"`
	Proof [][]byte `json:"proof"`
}

func (s *Server) routes() {
	m := s.Mux
	m.HandleFunc("GET /healthz", s.health)
	m.HandleFunc("GET /metrics", s.metrics)
	m.HandleFunc("GET /v1/phrases", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, phrase.All())
	})
	m.HandleFunc("GET /v1/node", func(w http.ResponseWriter, r *http.Request) {
		WriteJSON(w, http.StatusOK, &NodeInfo{Name: s.Node.Name, Key: deconflict.EncodeKey(s.Node.PublicKey()), Version: s.Version})
	})
	m.HandleFunc("GET /v1/whoami", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return map[string]string{"party": caller}, nil
	}))
	m.HandleFunc("GET /v1/parties", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return s.Node.Parties(r.Context())
	}))
	m.HandleFunc("POST /v1/parties", s.authed(s.createParty))
	m.HandleFunc("POST /v1/parties/{id}/keys", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var req KeyRequest
		if err := DecodeJSON(body, &req); err != nil {
			return nil, err
		}
		pub, err := deconflict.DecodeKey(req.Key)
		if err != nil {
			return nil, err
		}
		return statusValue{http.StatusCreated, map[string]string{"party": r.PathValue("id"), "key": req.Key}}, s.Node.AddPartyKey(r.Context(), caller, r.PathValue("id"), pub, req.Emergency, req.Reason)
	}))
	m.HandleFunc("POST /v1/keys/revoke", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var req KeyRequest
		if err := DecodeJSON(body, &req); err != nil {
			return nil, err
		}
		pub, err := deconflict.DecodeKey(req.Key)
		if err != nil {
			return nil, err
		}
		return map[string]string{"revoked": req.Key}, s.Node.RevokePartyKey(r.Context(), caller, pub, req.Reason)
	}))
	m.HandleFunc("POST /v1/channels", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var c deconflict.Channel
		if err := DecodeJSON(body, &c); err != nil {
			return nil, err
		}
		if err := s.Node.CreateChannel(r.Context(), caller, &c); err != nil {
			return nil, err
		}
		return statusValue{http.StatusCreated, &c}, nil
	}))
	m.HandleFunc("GET /v1/channels", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		cs, err := s.Node.Channels(r.Context(), caller)
		if cs == nil {
			cs = []*deconflict.Channel{}
		}
		return cs, err
	}))
	m.HandleFunc("GET /v1/channels/{id}", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		return s.Node.Channel(r.Context(), caller, r.PathValue("id"))
	}))
	m.HandleFunc("PUT /v1/channels/{id}/policy", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var p deconflict.Policy
		if err := DecodeJSON(body, &p); err != nil {
			return nil, err
		}
		if err := s.Node.UpdatePolicy(r.Context(), caller, r.PathValue("id"), p); err != nil {
			return nil, err
		}
		return s.Node.Channel(r.Context(), caller, r.PathValue("id"))
	}))
	m.HandleFunc("PATCH /v1/channels/{id}/policy", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
		var p deconflict.PolicyPatch
		if err := DecodeJSON(body, &p); err != nil {
			return nil, err
		}
		return s.Node.PatchPolicy(r.Context(), caller, r.PathValue("id"), p)
	}))
	// An envelope authenticates itself: its signature and key identify the
	// author, and its id and time give replay protection, so the request
	// needs no signature of its own (one Ed25519 check instead of two).
	m.HandleFunc("POST /v1/channels/{id}/envelopes", func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(r)
		if err == nil {
			var v any
			if v, err = s.submit(w, r, "", body); err == nil {
				st := v.(statusValue)
				WriteJSON(w, st.status, st.v)
				return
			}
		}
		writeError(w, r, s.Logger, err)
	})
	m.HandleFunc("POST /v1/channels/{id}/envelopes/batch", s.submitBatch)
	m.HandleFunc("GET /v1/channels/{id}/envelopes", s.authed(s.envelopes))
	m.HandleFunc("GET /v1/channels/{id}/envelopes/{index}/receipt", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		idx, err := intParam(r.PathValue("index"), "index")
		if err != nil {
			return nil, err
		}
		return s.Node.Receipt(r.Context(), caller, r.PathValue("id"), idx)
	}))
	m.HandleFunc("GET /v1/channels/{id}/watch", s.watch)
	m.HandleFunc("GET /v1/channels/{id}/inbox", s.authed(s.inbox))
	s.regimeRoutes()
	s.linkTestRoutes()
	m.HandleFunc("GET /v1/channels/{id}/acks", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		d, err := s.Node.AckDuties(r.Context(), caller, r.PathValue("id"))
		if d == nil {
			d = []deconflict.PendingAck{}
		}
		return d, err
	}))
	m.HandleFunc("GET /v1/channels/{id}/checkpoint", s.authed(s.checkpoint))
	m.HandleFunc("GET /v1/channels/{id}/proof/inclusion", s.authed(s.inclusion))
	m.HandleFunc("GET /v1/channels/{id}/proof/consistency", s.authed(func(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
		old, err := intParam(r.URL.Query().Get("old"), "old")
		if err != nil {
			return nil, err
		}
		nw, err := intParam(r.URL.Query().Get("new"), "new")
		if err != nil {
			return nil, err
		}
		p, err := s.Node.ConsistencyProof(r.Context(), caller, r.PathValue("id"), old, nw)
		if err != nil {
			return nil, err
		}
		return &ProofResponse{Old: old, New: nw, Proof: hashesOut(p)}, nil
	}))
	// The C2SP tlog-tiles view of a channel log, for standard tooling.
	m.HandleFunc("GET /v1/channels/{id}/log/checkpoint", s.authed(s.checkpoint))
	m.HandleFunc("GET /v1/channels/{id}/log/tile/{rest...}", s.authed(s.tile))
	s.witnessRoutes(m)
}

// checkpoint writes a channel's latest signed checkpoint as text.
func (s *Server) checkpoint(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
	cp, _, _, err := s.Node.CosignedCheckpoint(r.Context(), caller, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(cp)
	return nil, nil
}

// health answers 200 {"status":"ok"} or, while any channel is refused,
// 503 {"status":"degraded"}. Which channels and why is told only to the
// operator (a request signed by the node key): to anyone else it would
// reveal channel names and the state of their logs.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	refused, frozen := s.Node.Refused(), s.Node.FrozenChannels()
	out := map[string]any{"status": "ok", "node": s.Node.Name}
	code := http.StatusOK
	failing := s.Node.WitnessesFailing()
	if len(failing) > 0 {
		// A witness that refuses or is away does not stop the node
		// serving: degraded, still 200.
		out["status"] = "degraded"
	}
	if len(refused) > 0 || len(frozen) > 0 {
		out["status"], code = "degraded", http.StatusServiceUnavailable
	}
	if r.Header.Get(HeaderKey) != "" {
		caller, err := s.authenticate(r, nil)
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
		if caller == deconflict.NodeAuthor {
			out["refused_channels"] = refused
			out["frozen_channels"] = frozen
			if len(failing) > 0 {
				out["witnesses_failing"] = failing
			}
		}
	}
	WriteJSON(w, code, out)
}

// metrics writes node-wide counters only: no channel id, party or
// per-channel figure, since anyone may read them.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	m := s.Node.Metrics()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	overdue, err := s.Node.OverdueAcks(r.Context())
	if err != nil {
		s.Logger.Error("metrics: overdue acknowledgements", "err", err)
	}
	if s.Version != "" {
		fmt.Fprintf(w, "# HELP deconflict_build_info The node software's version.\n# TYPE deconflict_build_info gauge\ndeconflict_build_info{version=%q} 1\n", s.Version)
	}
	fmt.Fprintf(w, "# HELP deconflict_envelopes_appended_total Envelopes appended since start.\n# TYPE deconflict_envelopes_appended_total counter\ndeconflict_envelopes_appended_total %d\n", m.Appended.Load())
	fmt.Fprintf(w, "# HELP deconflict_append_batches_total Append transactions committed since start.\n# TYPE deconflict_append_batches_total counter\ndeconflict_append_batches_total %d\n", m.Batches.Load())
	fmt.Fprintf(w, "# HELP deconflict_envelopes_rejected_total Envelopes refused since start.\n# TYPE deconflict_envelopes_rejected_total counter\ndeconflict_envelopes_rejected_total %d\n", m.Rejected.Load())
	fmt.Fprintf(w, "# HELP deconflict_watchers Live watchers.\n# TYPE deconflict_watchers gauge\ndeconflict_watchers %d\n", m.Watchers.Load())
	fmt.Fprintf(w, "# HELP deconflict_seen_logged_total Seen envelopes (a party's first fetch of a message) appended since start.\n# TYPE deconflict_seen_logged_total counter\ndeconflict_seen_logged_total %d\n", m.SeenLogged.Load())
	fmt.Fprintf(w, "# HELP deconflict_seen_dropped_total First fetches whose seen envelope was left to a later fetch because the seen writer's queue was full.\n# TYPE deconflict_seen_dropped_total counter\ndeconflict_seen_dropped_total %d\n", m.SeenDropped.Load())
	fmt.Fprintf(w, "# HELP deconflict_channels_refused Channels refused because their stored log failed its check (which ones: /healthz, signed by the operator).\n# TYPE deconflict_channels_refused gauge\ndeconflict_channels_refused %d\n", len(s.Node.Refused()))
	fmt.Fprintf(w, "# HELP deconflict_channels_frozen Channels nothing is appended to because their stored log failed its check (refused or served altered).\n# TYPE deconflict_channels_frozen gauge\ndeconflict_channels_frozen %d\n", len(s.Node.FrozenChannels()))
	fmt.Fprintf(w, "# HELP deconflict_acks_overdue Acknowledgement duties past their deadline and still open.\n# TYPE deconflict_acks_overdue gauge\ndeconflict_acks_overdue %d\n", overdue)
	fmt.Fprintf(w, "# HELP deconflict_missed_acks_total Missed-acknowledgement duties recorded since start.\n# TYPE deconflict_missed_acks_total counter\ndeconflict_missed_acks_total %d\n", m.MissedAcks.Load())
	if pic := s.pic.Load(); pic != nil {
		st := pic.Stats()
		fmt.Fprintf(w, "# HELP deconflict_alerts_posted_total Alert envelopes posted to channels since start.\n# TYPE deconflict_alerts_posted_total counter\ndeconflict_alerts_posted_total %d\n", st.Alerts)
		fmt.Fprintf(w, "# HELP deconflict_alerts_queued_total Alerts written to the durable alert outbox since start.\n# TYPE deconflict_alerts_queued_total counter\ndeconflict_alerts_queued_total %d\n", st.AlertsQueued)
		fmt.Fprintf(w, "# HELP deconflict_alerts_overflow_total Alerts the engine wrote to the outbox itself because the memory queue was full.\n# TYPE deconflict_alerts_overflow_total counter\ndeconflict_alerts_overflow_total %d\n", st.AlertsOverflow)
		fmt.Fprintf(w, "# HELP deconflict_alerts_pending Alerts raised and not yet posted (memory queue and outbox).\n# TYPE deconflict_alerts_pending gauge\ndeconflict_alerts_pending %d\n", st.AlertsPending)
		fmt.Fprintf(w, "# HELP deconflict_alerts_lost_total Alerts the store refused to take into the outbox (logged).\n# TYPE deconflict_alerts_lost_total counter\ndeconflict_alerts_lost_total %d\n", st.AlertsLost)
		fmt.Fprintf(w, "# HELP deconflict_alerts_left_total Alerts this replica's engine raised that another replica's had queued already.\n# TYPE deconflict_alerts_left_total counter\ndeconflict_alerts_left_total %d\n", st.AlertsLeft)
	}
	fmt.Fprintf(w, "# HELP deconflict_lease_held Whether this replica holds the lease (always 1 for a node alone on its store).\n# TYPE deconflict_lease_held gauge\n")
	for _, lease := range []string{node.LeaseTimers, node.LeaseDetector} {
		held := 0
		if s.Node.Leading(lease) {
			held = 1
		}
		fmt.Fprintf(w, "deconflict_lease_held{lease=%q} %d\n", lease, held)
	}
	wm := s.Node.WitnessCounters()
	fmt.Fprintf(w, "# HELP deconflict_witness_requests_total Add-checkpoint calls to witnesses by outcome.\n# TYPE deconflict_witness_requests_total counter\ndeconflict_witness_requests_total{outcome=\"cosigned\"} %d\ndeconflict_witness_requests_total{outcome=\"refused\"} %d\ndeconflict_witness_requests_total{outcome=\"unreachable\"} %d\n", wm.Cosigned.Load(), wm.Refused.Load(), wm.Unreachable.Load())
	nf := 0
	for _, names := range s.Node.WitnessesFailing() {
		nf += len(names)
	}
	fmt.Fprintf(w, "# HELP deconflict_witnesses_failing Witnesses (per channel) that refused or could not be reached at the last attempt (which ones: /healthz, signed by the operator).\n# TYPE deconflict_witnesses_failing gauge\ndeconflict_witnesses_failing %d\n", nf)
	s.writeLinkMetrics(r.Context(), w)
	s.writeLimitMetrics(w)
	fmt.Fprintf(w, "# HELP deconflict_webhook_calls_total Escalation webhook calls by outcome.\n# TYPE deconflict_webhook_calls_total counter\ndeconflict_webhook_calls_total{outcome=\"ok\"} %d\ndeconflict_webhook_calls_total{outcome=\"error\"} %d\n", m.WebhookOK.Load(), m.WebhookFail.Load())
}

func (s *Server) createParty(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
	var req PartyRequest
	if err := DecodeJSON(body, &req); err != nil {
		return nil, err
	}
	p := &deconflict.Party{ID: req.ID, Name: req.Name}
	for _, k := range req.Keys {
		pub, err := deconflict.DecodeKey(k)
		if err != nil {
			return nil, err
		}
		p.Keys = append(p.Keys, deconflict.PartyKey{Party: req.ID, Public: pub})
	}
	if err := s.Node.CreateParty(r.Context(), caller, p); err != nil {
		return nil, err
	}
	return statusValue{http.StatusCreated, p}, nil
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request, caller string, body []byte) (any, error) {
	var env deconflict.Signed
	if err := DecodeJSON(body, &env); err != nil {
		return nil, err
	}
	rec, err := s.Node.SubmitTo(r.Context(), r.PathValue("id"), &env)
	if err != nil {
		return nil, err
	}
	return statusValue{http.StatusCreated, rec}, nil
}

// BatchItem is one envelope's outcome in a batch submission.
type BatchItem struct {
	Receipt *deconflict.Receipt `json:"receipt,omitempty"`
	Code    string              `json:"code,omitempty"`
	Error   string              `json:"error,omitempty"`
}

// MaxBatchBodyBytes bounds a batch submission's body.
const MaxBatchBodyBytes = 16 << 20

// submitBatch takes a JSON array of signed envelopes for one channel and
// answers {"results":[...]}: a receipt or an error for each, in order.
// Like single submissions it needs no request signature.
func (s *Server) submitBatch(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBatchBodyBytes+1))
	if err != nil {
		err = bodyError(err)
	} else if len(b) > MaxBatchBodyBytes {
		err = deconflict.Errorf(deconflict.ETOOLARGE, "batch body over %d bytes", MaxBatchBodyBytes)
	}
	var envs []*deconflict.Signed
	if err == nil {
		envs, err = DecodeBatch(b)
	}
	var res []node.BatchResult
	if err == nil {
		res, err = s.Node.SubmitBatch(r.Context(), r.PathValue("id"), envs)
	}
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	out := make([]BatchItem, len(res))
	for i, x := range res {
		if x.Err != nil {
			out[i] = BatchItem{Code: deconflict.ErrorCode(x.Err), Error: deconflict.ErrorMessage(x.Err)}
			if out[i].Code == deconflict.EINTERNAL {
				s.Logger.Error("batch envelope", "index", i, "err", x.Err)
			}
		} else {
			out[i] = BatchItem{Receipt: x.Receipt}
		}
	}
	WriteJSON(w, http.StatusOK, map[string]any{"results": out})
}

// DecodeBatch decodes a batch body: a JSON array of signed envelopes,
// strictly (DecodeJSON), none of them null. EINVALID names the fault.
func DecodeBatch(b []byte) ([]*deconflict.Signed, error) {
	var envs []*deconflict.Signed
	if err := DecodeJSON(b, &envs); err != nil {
		return nil, err
	}
	if envs == nil {
		return nil, deconflict.Errorf(deconflict.EINVALID, "batch is null; want a JSON array of signed envelopes")
	}
	for i, e := range envs {
		if e == nil {
			return nil, deconflict.Errorf(deconflict.EINVALID, "batch element %d is null; want a signed envelope", i)
		}
	}
	return envs, nil
}

func intParam(s, name string) (int64, error) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, deconflict.Errorf(deconflict.EINVALID, "%s %q: want an integer", name, s)
	}
	return v, nil
}

func (s *Server) envelopes(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
	q := r.URL.Query()
	from, limit := int64(0), int64(1000)
	var err error
	if v := q.Get("from"); v != "" {
		if from, err = intParam(v, "from"); err != nil {
			return nil, err
		}
	}
	if v := q.Get("limit"); v != "" {
		if limit, err = intParam(v, "limit"); err != nil || limit < 1 || limit > 10000 {
			return nil, deconflict.Errorf(deconflict.EINVALID, "limit %q: want 1 to 10000", v)
		}
	}
	read := s.Node.Envelopes
	switch q.Get("audit") {
	case "":
	case "1":
		read = s.Node.AuditEnvelopes
	default:
		return nil, deconflict.Errorf(deconflict.EINVALID, "audit %q: want 1 or nothing", q.Get("audit"))
	}
	envs, err := read(r.Context(), caller, r.PathValue("id"), from, int(limit))
	if err != nil {
		return nil, err
	}
	out := make([]*EnvelopeView, len(envs))
	for i, e := range envs {
		out[i] = NewEnvelopeView(e)
	}
	return out, nil
}

func (s *Server) inbox(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
	items, err := s.Node.Inbox(r.Context(), caller, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	out := make([]InboxEntry, len(items))
	for i, it := range items {
		out[i] = InboxEntry{Envelope: NewEnvelopeView(it.Envelope), Deadline: it.Duty.Deadline, Overdue: it.Overdue, Seen: it.Duty.Seen}
	}
	return out, nil
}

func hashesOut[T ~[]tlog.Hash](hs T) [][]byte {
	out := make([][]byte, len(hs))
	for i, h := range hs {
		out[i] = append([]byte(nil), h[:]...)
	}
	return out
}

func (s *Server) inclusion(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
	q := r.URL.Query()
	ch := r.PathValue("id")
	size, err := intParam(q.Get("size"), "size")
	if err != nil {
		return nil, err
	}
	var index int64
	if h := q.Get("hash"); h != "" {
		b, err := base64.StdEncoding.DecodeString(h)
		if err != nil || len(b) != 32 {
			return nil, deconflict.Errorf(deconflict.EINVALID, "hash %q: want base64 of 32 bytes", h)
		}
		if index, err = s.Node.IndexOfLeaf(r.Context(), caller, ch, [32]byte(b)); err != nil {
			return nil, err
		}
	} else if index, err = intParam(q.Get("index"), "index"); err != nil {
		return nil, err
	}
	p, err := s.Node.InclusionProof(r.Context(), caller, ch, index, size)
	if err != nil {
		return nil, err
	}
	return &ProofResponse{Index: index, Size: size, Proof: hashesOut(p)}, nil
}

// tile serves the C2SP tlog-tiles view of a channel log: hash tiles
// tile/<L>/<N>[.p/<W>] and entry bundles tile/entries/<N>[.p/<W>].
func (s *Server) tile(w http.ResponseWriter, r *http.Request, caller string, _ []byte) (any, error) {
	data, err := s.Node.Tile(r.Context(), caller, r.PathValue("id"), "tile/"+r.PathValue("rest"))
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(data)
	return nil, nil
}

// watch streams envelopes over a WebSocket, one JSON EnvelopeView per
// message (or, with batch=1, a JSON array of them per message), from index
// after+1 on, for as long as the client stays. It authenticates the
// upgrade request like any other request.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	caller, err := s.authenticate(r, nil)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	ch := r.PathValue("id")
	after := int64(-1)
	if v := r.URL.Query().Get("after"); v != "" {
		if after, err = intParam(v, "after"); err == nil && (after < -1 || after == math.MaxInt64) {
			err = deconflict.Errorf(deconflict.EINVALID, "after %d: want -1 (from the start) or an index", after)
		}
		if err != nil {
			writeError(w, r, s.Logger, err)
			return
		}
	}
	if _, err := s.Node.Channel(r.Context(), caller, ch); err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	release, err := s.streamSlot(r, caller)
	if err != nil {
		writeError(w, r, s.Logger, err)
		return
	}
	defer release()
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{OriginPatterns: []string{r.Host}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	// A stream ends when its key is revoked or its console session ends.
	ctx, stop := s.streamContext(c.CloseRead(r.Context()), r, c)
	defer stop()
	// With batch=1 each message is a JSON array of the envelopes that were
	// ready together, which saves a frame and a write per envelope for
	// watchers that keep up with busy channels.
	batch := r.URL.Query().Get("batch") == "1"
	// A batched stream lingers (WatchLinger) before a write that would
	// follow its last one closely, so that a busy channel's commits go
	// out several to a message.
	var settle func(context.Context) error
	lg := s.newLinger()
	if batch && lg.gap > 0 {
		settle = lg.settle
	}
	err = s.Node.FollowPaced(ctx, caller, ch, after+1, settle, func(envs []*deconflict.Envelope) error {
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		lg.writing()
		if !batch {
			for _, e := range envs {
				b, err := s.views.encode(e)
				if err != nil {
					return err
				}
				if err := c.Write(wctx, websocket.MessageText, b); err != nil {
					return err
				}
			}
			return nil
		}
		if len(envs) == 1 {
			// The common case when the watcher keeps up: the array of one
			// is encoded once for every watcher.
			b, err := s.views.encodeArray(envs[0])
			if err != nil {
				return err
			}
			return c.Write(wctx, websocket.MessageText, b)
		}
		msgs, err := s.views.encodeBatch(envs)
		if err != nil {
			return err
		}
		for _, b := range msgs {
			if err := c.Write(wctx, websocket.MessageText, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && ctx.Err() == nil {
		s.Logger.Warn("watch ended", "channel", ch, "caller", caller, "err", err)
	}
	c.Close(websocket.StatusNormalClosure, "")
}

// MaxWatchMessageBytes bounds a batched watch message (a single
// envelope's view, at most about 150 KB, always fits).
const MaxWatchMessageBytes = 1 << 20

// viewCache keeps the JSON of recent envelopes, so that an envelope sent
// to a hundred watchers is encoded once, and of the last few batches, so
// that watchers handed the same envelopes together (woken by the same
// commits, on the same linger tick) share their messages too.
type viewCache struct {
	m sync.Map // viewKey -> []byte

	mu      sync.Mutex
	batches [batchCacheSize]cachedBatch // guarded by mu
	slot    int                         // the next to replace; guarded by mu
}

// batchCacheSize is how many recent batches viewCache keeps, and
// batchCacheBytes the largest it keeps (a watcher catching up reads
// batches of its own, which no other shares).
const (
	batchCacheSize  = 8
	batchCacheBytes = 256 << 10
)

type cachedBatch struct {
	key  batchKey
	msgs [][]byte
}

// batchKey names a batch: its channel, first index, length, and last leaf
// hash.
type batchKey struct {
	channel string
	from    int64
	n       int
	last    [32]byte
}

// encodeBatch returns the watch messages of envs (batch=1): JSON arrays of
// their views, each under MaxWatchMessageBytes (a full one is ended and
// the next begun), encoded once for all watchers handed the same batch.
func (c *viewCache) encodeBatch(envs []*deconflict.Envelope) ([][]byte, error) {
	key := batchKey{channel: envs[0].Channel, from: envs[0].Index, n: len(envs), last: envs[len(envs)-1].LeafHash}
	c.mu.Lock()
	for _, b := range c.batches {
		if b.msgs != nil && b.key == key {
			c.mu.Unlock()
			return b.msgs, nil
		}
	}
	c.mu.Unlock()
	views := make([][]byte, len(envs))
	total := 0
	for i, e := range envs {
		var err error
		if views[i], err = c.encode(e); err != nil {
			return nil, err
		}
		total += len(views[i]) + 1
	}
	var msgs [][]byte
	// Each message is allocated at its size.
	for len(views) > 0 {
		k, size := 1, len(views[0])+2
		for k < len(views) && size+len(views[k])+1 <= MaxWatchMessageBytes {
			size += len(views[k]) + 1
			k++
		}
		buf := make([]byte, 0, size)
		for i, b := range views[:k] {
			if i == 0 {
				buf = append(buf, '[')
			} else {
				buf = append(buf, ',')
			}
			buf = append(buf, b...)
		}
		msgs = append(msgs, append(buf, ']'))
		views = views[k:]
	}
	if total <= batchCacheBytes {
		c.mu.Lock()
		c.batches[c.slot] = cachedBatch{key: key, msgs: msgs}
		c.slot = (c.slot + 1) % batchCacheSize
		c.mu.Unlock()
	}
	return msgs, nil
}

type viewKey struct {
	channel string
	index   int64
}

// viewCacheSpan is how many indexes back an entry lives.
const viewCacheSpan = 4096

// encode returns the JSON view of e, encoded once for every watcher.
func (c *viewCache) encode(e *deconflict.Envelope) ([]byte, error) {
	b, err := c.encodeArray(e)
	if err != nil {
		return nil, err
	}
	return b[1 : len(b)-1 : len(b)-1], nil
}

// encodeArray returns the JSON array of e's view alone (a watch message
// of one envelope). The cache keeps this form, whose inside is encode's.
func (c *viewCache) encodeArray(e *deconflict.Envelope) ([]byte, error) {
	k := viewKey{e.Channel, e.Index}
	if b, ok := c.m.Load(k); ok {
		return b.([]byte), nil
	}
	j, err := json.Marshal(NewEnvelopeView(e))
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, len(j)+2)
	b = append(append(append(b, '['), j...), ']')
	if v, loaded := c.m.LoadOrStore(k, b); loaded {
		return v.([]byte), nil
	} else if e.Index >= viewCacheSpan {
		c.m.Delete(viewKey{e.Channel, e.Index - viewCacheSpan})
	}
	return b, nil
}
