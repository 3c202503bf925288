package node

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/picture"
)

// Live is the node's air and sea picture and its encounter engine: reports
// come in (Ingest), tracks are attributed and kept (picture.Table), the
// engine predicts encounters, and each encounter that opens, escalates or
// closes becomes a node-signed alert on every channel the two parties share.
type Live struct {
	n      *Node
	Table  *picture.Table
	base   attrib.File // the parties file the node started with
	attr   atomic.Pointer[attrib.Attributor]
	assets map[string]Assets // declared assets by party; guarded by amu
	amu    sync.Mutex
	engine *detect.Engine // owned by the run goroutine
	in     chan []deconflict.Report
	ops    chan func(*detect.Engine) // work on the engine, run by the run goroutine
	alerts chan detect.Event
	epoch  string // distinguishes incident ids across restarts

	mu     sync.Mutex
	zones  map[string]detect.Zone          // guarded by mu
	open   map[uint64]detect.Encounter     // open encounters; guarded by mu
	closed []detect.Encounter              // recently closed, newest last; guarded by mu
	subs   map[chan LiveEvent]struct{}     // guarded by mu
	pairs  map[[2]string]detect.Thresholds // party pairs that share a channel, with their tiers; guarded by mu
	stats  LiveStats                       // guarded by mu
}

// LiveStats counts what the live picture has processed.
type LiveStats struct {
	Reports    int64 `json:"reports"`
	Alerts     int64 `json:"alerts"`
	Encounters int64 `json:"encounters_opened"`
}

// LiveEvent is what picture watchers receive: a track change or an
// encounter event.
type LiveEvent struct {
	Type      string            `json:"type"` // "track", "removed", "encounter"
	Track     *picture.Track    `json:"-"`
	Event     string            `json:"event,omitempty"` // opened, escalated, updated, closed
	Encounter *detect.Encounter `json:"-"`
	ID        string            `json:"id,omitempty"`
}

// maxClosedKept bounds the list of recently closed encounters.
const maxClosedKept = 500

// EnableLive starts the live picture with the parties file base (nil: the
// default alliances), to which the parties' declared assets are added,
// and engine configuration cfg (its Pair hook is set by the node from the
// channels parties share).
func (n *Node) EnableLive(base *attrib.File, cfg detect.Config) error {
	if base == nil {
		base = &attrib.File{}
	}
	l := &Live{n: n, base: *base, in: make(chan []deconflict.Report, 256), ops: make(chan func(*detect.Engine)), alerts: make(chan detect.Event, 4096),
		epoch: n.Now().UTC().Format("20060102T150405"),
		zones: map[string]detect.Zone{}, open: map[uint64]detect.Encounter{}, subs: map[chan LiveEvent]struct{}{}}
	if err := l.loadAssets(context.Background()); err != nil {
		return err
	}
	l.Table = picture.New(picture.Options{Now: n.Now, Attribute: l.attribute})
	cfg.Pair = l.pair
	if cfg.Envelope == (detect.Thresholds{}) {
		cfg.Envelope = scaled(detect.DefaultThresholds(), EnvelopeScale)
	}
	eng, err := detect.New(cfg)
	if err != nil {
		return err
	}
	l.engine = eng
	if err := l.refreshPairs(context.Background()); err != nil {
		return err
	}
	if err := l.loadZones(context.Background()); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	prev := n.cancel
	n.cancel = func() {
		cancel()
		if prev != nil {
			prev()
		}
	}
	n.live = l
	n.wg.Add(4)
	go func() { defer n.wg.Done(); l.Table.Run(ctx, time.Second) }()
	go func() { defer n.wg.Done(); l.forwardTracks(ctx) }()
	go func() { defer n.wg.Done(); l.run(ctx) }()
	go func() { defer n.wg.Done(); l.postAlerts(ctx) }()
	return nil
}

// Live returns the live picture, or nil when it is not enabled.
func (n *Node) Live() *Live { return n.live }

// refreshPairs recomputes which party pairs share a channel and tells the engine.
func (l *Live) refreshPairs(ctx context.Context) error {
	chans, err := l.n.Store.FindChannels(ctx)
	if err != nil {
		return err
	}
	pairs := map[[2]string]detect.Thresholds{}
	for _, c := range chans {
		th, err := ChannelThresholds(&c.Policy)
		if err != nil {
			return fmt.Errorf("channel %s: %w", c.ID, err)
		}
		for _, a := range c.Members {
			for _, b := range c.Members {
				if a < b {
					k := [2]string{a, b}
					if old, ok := pairs[k]; ok {
						th = widest(old, th)
					}
					pairs[k] = th
				}
			}
		}
	}
	l.mu.Lock()
	l.pairs = pairs
	l.mu.Unlock()
	return nil
}

// pairsChanged recomputes the party pairs and makes the engine forget
// its cached answers, in the engine's goroutine.
func (l *Live) pairsChanged(ctx context.Context) error {
	if err := l.refreshPairs(ctx); err != nil {
		return err
	}
	done := make(chan struct{})
	select {
	case l.ops <- func(e *detect.Engine) { e.SetPair(l.pair); close(done) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	<-done
	return nil
}

// pair is the engine's Pair hook: parties are watched when they share a
// channel, with the default thresholds (agreed measures will set them per
// channel).
func (l *Live) pair(a, b string) (detect.Thresholds, bool) {
	if a == "" || b == "" || a == b {
		return detect.Thresholds{}, false
	}
	if b < a {
		a, b = b, a
	}
	l.mu.Lock()
	th, ok := l.pairs[[2]string{a, b}]
	l.mu.Unlock()
	return th, ok
}

// ChannelThresholds returns the encounter tiers a channel's policy sets:
// the defaults, overridden by the fields its Thresholds give. EINVALID if
// they do not parse or are inconsistent.
func ChannelThresholds(p *deconflict.Policy) (detect.Thresholds, error) {
	th := detect.DefaultThresholds()
	if len(p.Thresholds) == 0 {
		return th, nil
	}
	if err := deconflict.DecodeStrict(p.Thresholds, &th); err != nil {
		return th, deconflict.Errorf(deconflict.EINVALID, "thresholds: %s", deconflict.ErrorMessage(err))
	}
	if err := th.Validate(); err != nil {
		return th, deconflict.Errorf(deconflict.EINVALID, "thresholds: %s", deconflict.ErrorMessage(err))
	}
	return th, nil
}

// widest returns, tier by tier, the larger of two sets of thresholds:
// parties that share several channels are watched by the most cautious.
func widest(a, b detect.Thresholds) detect.Thresholds {
	vol := func(x, y detect.Volume) detect.Volume {
		return detect.Volume{HorizontalM: max(x.HorizontalM, y.HorizontalM), VerticalM: max(x.VerticalM, y.VerticalM), LookaheadS: max(x.LookaheadS, y.LookaheadS)}
	}
	return detect.Thresholds{
		Sea: detect.SeaThresholds{AdvisoryM: max(a.Sea.AdvisoryM, b.Sea.AdvisoryM), DangerousM: max(a.Sea.DangerousM, b.Sea.DangerousM),
			CriticalM: max(a.Sea.CriticalM, b.Sea.CriticalM), LookaheadS: max(a.Sea.LookaheadS, b.Sea.LookaheadS)},
		Air: detect.AirThresholds{Advisory: vol(a.Air.Advisory, b.Air.Advisory), Warning: vol(a.Air.Warning, b.Air.Warning),
			Critical: vol(a.Air.Critical, b.Air.Critical), NMAC: vol(a.Air.NMAC, b.Air.NMAC)},
	}
}

// EnvelopeScale is how far above the defaults a channel may set its
// thresholds; the engine's spatial index is sized for it, and larger
// values are clamped.
const EnvelopeScale = 3

// Ingest queues reports for the picture. Reports posted by a party (not
// the operator) are its own assets: their party is forced to the caller,
// their identity prefixed with it, and only members of channels that
// party shares will see them.
func (n *Node) Ingest(ctx context.Context, caller string, rs []deconflict.Report) error {
	l := n.live
	if l == nil {
		return deconflict.Errorf(deconflict.EUNAVAILABLE, "this node runs no live picture")
	}
	if caller != deconflict.NodeAuthor {
		for i := range rs {
			rs[i].Party = caller
			rs[i].Source = "party"
			if !strings.HasPrefix(rs[i].ID, caller+":") {
				rs[i].ID = caller + ":" + rs[i].ID
			}
		}
	}
	for i := range rs {
		if err := checkReport(&rs[i]); err != nil {
			return deconflict.Errorf(deconflict.EINVALID, "report %d (%s): %s", i, rs[i].ID, err)
		}
	}
	select {
	case l.in <- rs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func checkReport(r *deconflict.Report) error {
	switch {
	case r.ID == "":
		return fmt.Errorf("id is empty")
	case r.Domain != deconflict.Air && r.Domain != deconflict.Sea:
		return fmt.Errorf("domain %q: want air or sea", r.Domain)
	case deconflict.Known(r.Lat) && (r.Lat < -90 || r.Lat > 90):
		return fmt.Errorf("lat %g out of range", r.Lat)
	case deconflict.Known(r.Lon) && (r.Lon < -180 || r.Lon > 180):
		return fmt.Errorf("lon %g out of range", r.Lon)
	case deconflict.Known(r.SpeedMS) && (r.SpeedMS < 0 || r.SpeedMS > MaxSpeedMS):
		return fmt.Errorf("speed %g m/s out of range", r.SpeedMS)
	}
	return nil
}

func (l *Live) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case rs := <-l.in:
			now := l.n.Now().UTC()
			for i := range rs {
				r := &rs[i]
				if r.Time.IsZero() {
					r.Time = now
				}
				// The table attributes the track (declared assets, callsign
				// patterns, the source's party, the flag) and keeps how.
				res := l.Table.Update(r)
				if res != picture.Created && res != picture.Updated {
					continue // old, invalid, or another receiver's copy
				}
				if !r.HasPosition() {
					continue
				}
				tr, err := l.Table.Get(r.ID)
				if err != nil {
					continue
				}
				er := *r
				er.Party = tr.Party
				er.Military = tr.Military // remembered from static reports
				er.Asset = tr.Party != "" && attrib.IsAsset(tr.ID, tr.How, tr.Military)
				l.handle(l.engine.Update(er))
			}
			l.mu.Lock()
			l.stats.Reports += int64(len(rs))
			l.mu.Unlock()
		case op := <-l.ops:
			op(l.engine)
		case <-tick.C:
			l.handle(l.engine.Tick(l.n.Now().UTC()))
		}
	}
}

// forwardTracks republishes the table's track events to live subscribers.
func (l *Live) forwardTracks(ctx context.Context) {
	sub := l.Table.Subscribe(picture.Query{IncludeLost: true}, 4096)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C:
			tr := ev.Track
			if ev.Kind == picture.EventRemoved {
				l.publish(LiveEvent{Type: "removed", ID: tr.ID, Track: &tr})
			} else {
				l.publish(LiveEvent{Type: "track", Track: &tr})
			}
		}
	}
}

func (l *Live) handle(evs []detect.Event) {
	for _, ev := range evs {
		enc := ev.Encounter
		l.mu.Lock()
		switch ev.Type {
		case detect.Closed:
			delete(l.open, enc.ID)
			l.closed = append(l.closed, enc)
			if len(l.closed) > maxClosedKept {
				l.closed = l.closed[len(l.closed)-maxClosedKept:]
			}
		case detect.Opened:
			l.stats.Encounters++
			l.open[enc.ID] = enc
		default:
			l.open[enc.ID] = enc
		}
		l.mu.Unlock()
		l.publish(LiveEvent{Type: "encounter", Event: ev.Type.String(), Encounter: &enc})
		if ev.Alert {
			select {
			case l.alerts <- ev:
			default:
				l.n.Logger.Error("alert queue full; alert dropped", "encounter", enc.ID, "event", ev.Type.String())
			}
		}
	}
}

// Subscribe returns a channel of live events; cancel with Unsubscribe. A
// subscriber that does not keep up loses events (never slowing the
// picture) and should re-read the picture.
func (l *Live) Subscribe() chan LiveEvent {
	ch := make(chan LiveEvent, 1024)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	return ch
}

// Unsubscribe ends a subscription.
func (l *Live) Unsubscribe(ch chan LiveEvent) {
	l.mu.Lock()
	delete(l.subs, ch)
	l.mu.Unlock()
}

func (l *Live) publish(ev LiveEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// AlertBody is the body of a node alert envelope.
type AlertBody struct {
	Event     string        `json:"event"`    // opened, escalated, closed
	Incident  string        `json:"incident"` // the incident this alert belongs to
	Encounter EncounterView `json:"encounter"`
}

// IncidentID names the incident of an encounter.
func (l *Live) IncidentID(enc *detect.Encounter) string {
	return fmt.Sprintf("inc-%s-%d", l.epoch, enc.ID)
}

// alertPolicy returns the precedence of an alert and whether both parties
// must acknowledge it: dangerous and critical encounters are hotline
// alerts with acknowledgement deadlines; advisories and closings inform.
func alertPolicy(ev detect.EventType, s detect.Severity) (deconflict.Precedence, bool) {
	if ev == detect.Closed {
		return deconflict.Routine, false
	}
	switch s {
	case detect.Critical, detect.NMAC:
		return deconflict.Flash, true
	case detect.Dangerous, detect.Warning, detect.Intrusion:
		return deconflict.Immediate, true
	default:
		return deconflict.Priority, false
	}
}

func (l *Live) postAlerts(ctx context.Context) {
	for {
		var ev detect.Event
		select {
		case <-ctx.Done():
			return
		case ev = <-l.alerts:
		}
		enc := ev.Encounter
		chans, err := l.sharedChannels(ctx, enc.PartyA, enc.PartyB)
		if err != nil {
			l.n.Logger.Error("alert channels", "err", err)
			continue
		}
		prec, ack := alertPolicy(ev.Type, enc.Severity)
		view := NewEncounterView(&enc)
		body, _ := json.Marshal(AlertBody{Event: ev.Type.String(), Incident: l.IncidentID(&enc), Encounter: view})
		for _, ch := range chans {
			p := &deconflict.Payload{Channel: ch, Kind: deconflict.KindAlert, Precedence: prec, Text: alertText(ev.Type, &enc), Body: body}
			if ack {
				p.AckFrom = []string{enc.PartyA, enc.PartyB}
				slices.Sort(p.AckFrom)
				p.AckFrom = slices.Compact(p.AckFrom)
			}
			if _, err := l.n.SubmitNode(ctx, p); err != nil {
				if ctx.Err() == nil {
					l.n.Logger.Error("alert", "channel", ch, "encounter", enc.ID, "err", err)
				}
				continue
			}
			l.mu.Lock()
			l.stats.Alerts++
			l.mu.Unlock()
		}
	}
}

func (l *Live) sharedChannels(ctx context.Context, a, b string) ([]string, error) {
	chans, err := l.n.Store.FindChannels(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range chans {
		if c.IsMember(a) && c.IsMember(b) {
			l.n.mu.Lock()
			_, refused := l.n.refused[c.ID]
			l.n.mu.Unlock()
			if !refused {
				out = append(out, c.ID)
			}
		}
	}
	return out, nil
}

func alertText(t detect.EventType, e *detect.Encounter) string {
	p := e.Prediction
	what := fmt.Sprintf("%s %s (%s) and %s (%s)", strings.ToUpper(e.Severity.String()), e.A, e.PartyA, e.B, e.PartyB)
	if e.Zone != "" {
		what = fmt.Sprintf("%s: %s (%s) and %s %s of %s", strings.ToUpper(e.Severity.String()), e.A, e.PartyA, e.ZoneKind, e.Zone, e.PartyB)
	}
	switch t {
	case detect.Closed:
		return fmt.Sprintf("Encounter closed (%s): %s", e.Reason, what)
	case detect.Escalated:
		return fmt.Sprintf("Encounter escalated to %s: %s; CPA %.0f m in %.0f s", e.Severity, what, p.CPAM, p.TCPAS)
	default:
		return fmt.Sprintf("Encounter predicted: %s; CPA %.0f m in %.0f s", what, p.CPAM, p.TCPAS)
	}
}

// visible reports whether caller may see an encounter between parties a
// and b: the operator, either party, or a member of a channel both share.
func (l *Live) visible(ctx context.Context, caller, a, b string) bool {
	if caller == deconflict.NodeAuthor || caller == a || caller == b {
		return true
	}
	chans, err := l.n.Channels(ctx, caller)
	if err != nil {
		return false
	}
	for _, c := range chans {
		if c.IsMember(a) && c.IsMember(b) {
			return true
		}
	}
	return false
}

// VisibleTrack reports whether caller may see a track: public feeds are
// seen by all; a party's own reports only by the members of the channels
// that party shares.
func (l *Live) VisibleTrack(ctx context.Context, caller string, t *picture.Track) bool {
	if t.Source != "party" || caller == deconflict.NodeAuthor || caller == t.Party {
		return true
	}
	return l.visible(ctx, caller, t.Party, t.Party)
}

// Tracks returns the tracks caller may see that match q.
func (l *Live) Tracks(ctx context.Context, caller string, q picture.Query) []picture.Track {
	ts := l.Table.Query(q)
	out := ts[:0]
	for i := range ts {
		if l.VisibleTrack(ctx, caller, &ts[i]) {
			out = append(out, ts[i])
		}
	}
	return out
}

// Encounters returns the open (and, with closed, the recently closed)
// encounters caller may see, ordered by id.
func (l *Live) Encounters(ctx context.Context, caller string, closed bool) []detect.Encounter {
	l.mu.Lock()
	all := make([]detect.Encounter, 0, len(l.open))
	for _, e := range l.open {
		all = append(all, e)
	}
	if closed {
		all = append(all, l.closed...)
	}
	l.mu.Unlock()
	out := all[:0]
	for _, e := range all {
		if l.visible(ctx, caller, e.PartyA, e.PartyB) {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// VisibleEncounter reports whether caller may see e.
func (l *Live) VisibleEncounter(ctx context.Context, caller string, e *detect.Encounter) bool {
	return l.visible(ctx, caller, e.PartyA, e.PartyB)
}

// Stats returns the live counters.
func (l *Live) Stats() LiveStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}

// Zones returns the declared zones.
func (l *Live) Zones() []detect.Zone {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]detect.Zone, 0, len(l.zones))
	for _, z := range l.zones {
		out = append(out, z)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// AddZone declares a zone: the operator for any owner, a party for its
// own. It is kept in the store and given to the engine.
func (n *Node) AddZone(ctx context.Context, caller string, z detect.Zone) error {
	l := n.live
	if l == nil {
		return deconflict.Errorf(deconflict.EUNAVAILABLE, "this node runs no live picture")
	}
	if caller != deconflict.NodeAuthor && caller != z.Owner {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "zone %s: a party declares only its own zones (owner %s)", z.ID, z.Owner)
	}
	if z.ID == "" {
		return deconflict.Errorf(deconflict.EINVALID, "zone: id is empty")
	}
	l.mu.Lock()
	_, exists := l.zones[z.ID]
	l.mu.Unlock()
	if exists {
		return deconflict.Errorf(deconflict.ECONFLICT, "zone %s already exists", z.ID)
	}
	// The engine belongs to the run goroutine: hand it the zone there.
	done := make(chan error, 1)
	op := func(e *detect.Engine) {
		evs, err := e.AddZone(z, n.Now().UTC())
		if err == nil {
			l.mu.Lock()
			l.zones[z.ID] = z
			l.mu.Unlock()
			l.handle(evs)
		}
		done <- err
	}
	select {
	case l.ops <- op:
	case <-ctx.Done():
		return ctx.Err()
	}
	if err := <-done; err != nil {
		return deconflict.Errorf(deconflict.EINVALID, "zone %s: %v", z.ID, err)
	}
	return l.saveZones(ctx)
}

func (l *Live) loadZones(ctx context.Context) error {
	text, err := l.n.Store.Meta(ctx, "zones")
	if err != nil || text == "" {
		return err
	}
	var zs []ZoneView
	if err := json.Unmarshal([]byte(text), &zs); err != nil {
		return fmt.Errorf("stored zones: %w", err)
	}
	for _, zv := range zs {
		z := zv.Zone()
		if _, err := l.engine.AddZone(z, l.n.Now()); err != nil {
			return fmt.Errorf("stored zone %s: %w", z.ID, err)
		}
		l.zones[z.ID] = z
	}
	return nil
}

func (l *Live) saveZones(ctx context.Context) error {
	var out []ZoneView
	for _, z := range l.Zones() {
		out = append(out, NewZoneView(&z))
	}
	b, err := json.Marshal(out)
	if err != nil {
		return err
	}
	return l.n.Store.SetMeta(ctx, "zones", string(b))
}

// EncounterView is an encounter as the API and alerts show it.
type EncounterView struct {
	ID         string            `json:"id"`
	Incident   string            `json:"incident,omitempty"`
	A          string            `json:"a"`
	B          string            `json:"b,omitempty"`
	PartyA     string            `json:"party_a"`
	PartyB     string            `json:"party_b"`
	Domain     deconflict.Domain `json:"domain"`
	Zone       string            `json:"zone,omitempty"`
	ZoneKind   string            `json:"zone_kind,omitempty"`
	Severity   string            `json:"severity"`
	Opened     time.Time         `json:"opened"`
	Prediction PredictionView    `json:"prediction"`
	Reason     string            `json:"reason,omitempty"`
}

// PredictionView is a prediction with units in its names; unknown values are null.
type PredictionView struct {
	Time         time.Time `json:"time"`
	Severity     string    `json:"severity"`
	DistanceM    *float64  `json:"distance_m"`
	VerticalM    *float64  `json:"vertical_m"`
	TCPAS        *float64  `json:"tcpa_s"`
	CPAM         *float64  `json:"cpa_m"`
	CPAVerticalM *float64  `json:"cpa_vertical_m"`
	PosA         PosView   `json:"pos_a"`
	PosB         PosView   `json:"pos_b"`
}

// PosView is a position; unknown values are null.
type PosView struct {
	Lat  *float64 `json:"lat"`
	Lon  *float64 `json:"lon"`
	AltM *float64 `json:"alt_m"`
}

// Num returns nil for an unknown (NaN) or infinite value, else &v.
func Num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// NewEncounterView returns the API view of e.
func NewEncounterView(e *detect.Encounter) EncounterView {
	p := e.Prediction
	return EncounterView{
		ID: fmt.Sprint(e.ID), A: e.A, B: e.B, PartyA: e.PartyA, PartyB: e.PartyB, Domain: e.Domain,
		Zone: e.Zone, ZoneKind: string(e.ZoneKind), Severity: e.Severity.String(), Opened: e.Opened, Reason: string(e.Reason),
		Prediction: PredictionView{Time: p.Time, Severity: p.Severity.String(), DistanceM: Num(p.DistanceM), VerticalM: Num(p.VerticalM),
			TCPAS: Num(p.TCPAS), CPAM: Num(p.CPAM), CPAVerticalM: Num(p.CPAVertical),
			PosA: PosView{Num(p.PosA.Lat), Num(p.PosA.Lon), Num(p.PosA.AltM)}, PosB: PosView{Num(p.PosB.Lat), Num(p.PosB.Lon), Num(p.PosB.AltM)}},
	}
}

// ZoneView is a zone as the API shows and takes it.
type ZoneView struct {
	ID      string       `json:"id"`
	Name    string       `json:"name,omitempty"`
	Kind    string       `json:"kind"`
	Owner   string       `json:"owner"`
	Polygon [][2]float64 `json:"polygon,omitempty"` // [lat, lon] vertices
	Center  *[2]float64  `json:"center,omitempty"`  // [lat, lon]
	RadiusM float64      `json:"radius_m,omitempty"`
	MinAltM *float64     `json:"min_alt_m"`
	MaxAltM *float64     `json:"max_alt_m"`
	From    *time.Time   `json:"from,omitempty"`
	Until   *time.Time   `json:"until,omitempty"`
}

// NewZoneView returns the API view of z.
func NewZoneView(z *detect.Zone) ZoneView {
	v := ZoneView{ID: z.ID, Name: z.Name, Kind: string(z.Kind), Owner: z.Owner, RadiusM: z.RadiusM, MinAltM: Num(z.MinAltM), MaxAltM: Num(z.MaxAltM)}
	for _, p := range z.Polygon {
		v.Polygon = append(v.Polygon, [2]float64{p.Lat, p.Lon})
	}
	if z.RadiusM > 0 {
		v.Center = &[2]float64{z.Center.Lat, z.Center.Lon}
	}
	if !z.From.IsZero() {
		t := z.From
		v.From = &t
	}
	if !z.Until.IsZero() {
		t := z.Until
		v.Until = &t
	}
	return v
}

// Zone converts the view back into an engine zone.
func (v *ZoneView) Zone() detect.Zone {
	z := detect.Zone{ID: v.ID, Name: v.Name, Kind: detect.ZoneKind(v.Kind), Owner: v.Owner, RadiusM: v.RadiusM, MinAltM: math.NaN(), MaxAltM: math.NaN()}
	for _, p := range v.Polygon {
		z.Polygon = append(z.Polygon, geo.LatLon{Lat: p[0], Lon: p[1]})
	}
	if v.Center != nil {
		z.Center = geo.LatLon{Lat: v.Center[0], Lon: v.Center[1]}
	}
	if v.MinAltM != nil {
		z.MinAltM = *v.MinAltM
	}
	if v.MaxAltM != nil {
		z.MaxAltM = *v.MaxAltM
	}
	if v.From != nil {
		z.From = *v.From
	}
	if v.Until != nil {
		z.Until = *v.Until
	}
	return z
}

// MaxSpeedMS is the fastest ground speed a report may give (m/s): above
// any aircraft or missile a picture is meant to hold, so that a corrupt
// report cannot poison predictions.
const MaxSpeedMS = 10000

func scaled(t detect.Thresholds, k float64) detect.Thresholds {
	v := func(x detect.Volume) detect.Volume {
		return detect.Volume{HorizontalM: x.HorizontalM * k, VerticalM: x.VerticalM * k, LookaheadS: x.LookaheadS * k}
	}
	return detect.Thresholds{
		Sea: detect.SeaThresholds{AdvisoryM: t.Sea.AdvisoryM * k, DangerousM: t.Sea.DangerousM * k, CriticalM: t.Sea.CriticalM * k, LookaheadS: t.Sea.LookaheadS * k},
		Air: detect.AirThresholds{Advisory: v(t.Air.Advisory), Warning: v(t.Air.Warning), Critical: v(t.Air.Critical), NMAC: v(t.Air.NMAC)},
	}
}

// Assets are the ships and aircraft a party declares as its own: the
// first rule of attribution, before flags.
type Assets struct {
	MMSI      []string `json:"mmsi,omitempty"`      // 9 digits
	ICAO      []string `json:"icao,omitempty"`      // 6 hex digits
	Callsigns []string `json:"callsigns,omitempty"` // patterns, '*' any run: "RFF*"
}

func (l *Live) attribute(r *deconflict.Report) (party, how string) {
	return l.attr.Load().Attribute(r)
}

// rebuild makes the attributor of the base parties file and the declared
// assets, and re-attributes the picture's tracks with it.
func (l *Live) rebuild(assets map[string]Assets) error {
	f := l.base
	f.Parties = append([]attrib.Party(nil), l.base.Parties...)
	ids := make([]string, 0, len(assets))
	for id := range assets {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		a := assets[id]
		found := false
		for i := range f.Parties {
			if f.Parties[i].ID == id {
				p := f.Parties[i]
				p.MMSI = append(append([]string(nil), p.MMSI...), a.MMSI...)
				p.ICAO = append(append([]string(nil), p.ICAO...), a.ICAO...)
				p.Callsigns = append(append([]string(nil), p.Callsigns...), a.Callsigns...)
				f.Parties[i], found = p, true
			}
		}
		if !found {
			f.Parties = append(f.Parties, attrib.Party{ID: id, MMSI: a.MMSI, ICAO: a.ICAO, Callsigns: a.Callsigns})
		}
	}
	a, err := attrib.New(f)
	if err != nil {
		return err
	}
	l.attr.Store(a)
	if l.Table != nil {
		l.Table.Reattribute(l.attribute)
	}
	return nil
}

func (l *Live) loadAssets(ctx context.Context) error {
	l.assets = map[string]Assets{}
	text, err := l.n.Store.Meta(ctx, "assets")
	if err != nil {
		return err
	}
	if text != "" {
		if err := json.Unmarshal([]byte(text), &l.assets); err != nil {
			return fmt.Errorf("stored assets: %w", err)
		}
	}
	return l.rebuild(l.assets)
}

// DeclareAssets replaces the assets party declares as its own: the party
// itself or the operator. EINVALID (naming the entry) for a malformed
// identity or one another party already claims.
func (n *Node) DeclareAssets(ctx context.Context, caller, party string, a Assets) error {
	l := n.live
	if l == nil {
		return deconflict.Errorf(deconflict.EUNAVAILABLE, "this node runs no live picture")
	}
	if caller != deconflict.NodeAuthor && caller != party {
		return deconflict.Errorf(deconflict.EFORBIDDEN, "assets of %s: a party declares only its own", party)
	}
	if _, err := n.Store.FindParty(ctx, party); err != nil {
		return err
	}
	l.amu.Lock()
	defer l.amu.Unlock()
	next := make(map[string]Assets, len(l.assets)+1)
	for k, v := range l.assets {
		next[k] = v
	}
	next[party] = a
	if err := l.rebuild(next); err != nil {
		return err
	}
	b, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if err := n.Store.SetMeta(ctx, "assets", string(b)); err != nil {
		l.rebuild(l.assets)
		return err
	}
	l.assets = next
	return nil
}

// DeclaredAssets returns every party's declared assets.
func (n *Node) DeclaredAssets() map[string]Assets {
	l := n.live
	if l == nil {
		return nil
	}
	l.amu.Lock()
	defer l.amu.Unlock()
	out := make(map[string]Assets, len(l.assets))
	for k, v := range l.assets {
		out[k] = v
	}
	return out
}
