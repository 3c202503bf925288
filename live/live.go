// Package live is the node's air and sea picture and its encounter
// detection: reports come in (Ingest), tracks are attributed and kept
// (picture.Table), the engine predicts encounters, and each encounter that
// opens, escalates or closes becomes a node-signed alert on every channel
// the two parties share. It reaches the channel log only through
// ChannelLog, posting alerts like any other author, and keeps its zones
// and declared assets through Store.
package live

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/attrib"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/geo"
	"github.com/deconflict/deconflict/internal/safe"
	"github.com/deconflict/deconflict/picture"
)

// ChannelLog is the channel log as the live picture uses it; *node.Node
// implements it.
type ChannelLog interface {
	// Channels returns the channels caller belongs to; every channel for
	// deconflict.NodeAuthor.
	Channels(ctx context.Context, caller string) ([]*deconflict.Channel, error)
	// Refused returns the channels the node refuses to serve, with the reason.
	Refused() map[string]string
	// SubmitNode signs p with the node's key and appends it to its channel.
	SubmitNode(ctx context.Context, p *deconflict.Payload) (*deconflict.Receipt, error)
	// OnChannelsChanged registers f, called after a channel is created or
	// its policy changes.
	OnChannelsChanged(f func(ctx context.Context) error)
}

// Store keeps what the live picture is told to remember; deconflict.Store
// implements it.
type Store interface {
	FindParty(ctx context.Context, id string) (*deconflict.Party, error)
	CreateZone(ctx context.Context, z *deconflict.Zone) error
	DeleteZone(ctx context.Context, id string) error
	FindZones(ctx context.Context) ([]*deconflict.Zone, error)
	SetAssets(ctx context.Context, party string, a *deconflict.Assets) error
	FindAssets(ctx context.Context) (map[string]deconflict.Assets, error)
	// The alert outbox (see deconflict.Store).
	QueueAlert(ctx context.Context, j *deconflict.AlertJob) error
	DueAlerts(ctx context.Context, limit int) ([]deconflict.AlertJob, error)
	AlertPosted(ctx context.Context, id int64) error
	// The incidents open (see deconflict.Store).
	OpenIncident(ctx context.Context, encounter, incident string, opened time.Time) (string, error)
	CloseIncident(ctx context.Context, encounter, incident string) error
	// The tracks of incidents (see deconflict.Store).
	SaveIncidentTrack(ctx context.Context, t *deconflict.IncidentTrack) error
	FindIncidentTracks(ctx context.Context, incident string) ([]deconflict.IncidentTrack, error)
}

// ReportBus shares reports among the replicas of one node (the
// PostgreSQL store implements it with LISTEN/NOTIFY). Delivery is best
// effort: the picture is soft state, rebuilt by the next reports.
type ReportBus interface {
	// PublishReports sends reports to every replica's WatchReports, this
	// one's included.
	PublishReports(ctx context.Context, rs []deconflict.Report) error
	// WatchReports calls fn with every replica's reports, in the order
	// published, until ctx ends or the connection fails.
	WatchReports(ctx context.Context, fn func([]deconflict.Report)) error
}

// Picture is the live picture: the track table, the encounter engine and
// the alerts they raise. Create it with New, start it with Open, stop it
// with Close before the channel log closes.
type Picture struct {
	Table  *picture.Table
	Now    func() time.Time
	Logger *slog.Logger
	// Bus, when set before Open, shares reports among the replicas of a
	// node: Ingest publishes them and every replica's picture takes the
	// reports of all, so each one's engine sees the same picture.
	Bus ReportBus
	// Leading, when set, tells whether this replica posts the alerts
	// (holds the detector lease). Every replica's engine raises the same
	// events and queues their alerts in the shared outbox under the same
	// key (the outbox keeps the first); only the lease holder posts
	// them, so an alert is posted once and none is lost while the lease
	// changes hands.
	Leading func() bool
	// AlertQueue is how many alerts wait in memory for the poster
	// (DefaultAlertQueue when 0); when it is full the engine writes an
	// alert to the store's outbox itself, so none is dropped.
	AlertQueue int

	log   ChannelLog
	store Store
	base  attrib.File // the parties file the picture started with
	attr  atomic.Pointer[attrib.Attributor]
	// baseAttr attributes by the parties file alone, without any party's
	// declarations: what a caller who may not see a declaration is shown.
	baseAttr   atomic.Pointer[attrib.Attributor]
	assets     map[string]deconflict.Assets // declared assets by party; guarded by amu
	amu        sync.Mutex
	engine     *detect.Engine // owned by the run goroutine
	in         chan []deconflict.Report
	ops        chan func(*detect.Engine) // work on the engine, run by the run goroutine
	alerts     chan detect.Event
	wakeAlerts chan struct{}
	cancel     context.CancelFunc
	wg         sync.WaitGroup

	mu        sync.Mutex
	zones     map[string]detect.Zone          // declared zones, stored; guarded by mu
	explained map[uint64][]string             // what explains each open encounter, from its last alert; guarded by mu
	incidents map[uint64]string               // incidents open encounters joined (claimIncident); guarded by mu
	derived   map[string]detect.Zone          // zones the channels' logs declare (notified hazard areas, zone measures); guarded by mu
	open      map[uint64]detect.Encounter     // open encounters; guarded by mu
	closed    []detect.Encounter              // recently closed, newest last; guarded by mu
	subs      map[chan Event]struct{}         // guarded by mu
	pairs     map[[2]string]detect.Thresholds // party pairs that share a channel, with their tiers; guarded by mu
	// wide holds, per party pair, the areas of their channels' binding
	// relevance measures (civilian tracks watched inside); guarded by mu.
	wide map[[2]string][]geo.Area
	// wideChans names, per party pair, the channels whose relevance
	// measures widen it: a widened encounter is alerted there only.
	wideChans map[[2]string][]string
	pending   []detect.Zone // derived zones of the last refreshPairs, for setDerived; guarded by mu
	// envelope is the widest of the defaults and every channel's
	// thresholds (refreshPairs), which the engine's index is sized for
	// unless Open was given an envelope (fixedEnvelope). Guarded by mu.
	envelope      detect.Thresholds
	fixedEnvelope bool
	stats         Stats // guarded by mu
}

// DefaultAlertQueue is how many alerts wait in memory for the poster.
const DefaultAlertQueue = 4096

// Stats counts what the live picture has processed.
type Stats struct {
	Reports    int64 `json:"reports"`
	Alerts     int64 `json:"alerts"` // alert envelopes posted
	Encounters int64 `json:"encounters_opened"`
	// AlertsQueued counts the alerts written to the outbox; AlertsOverflow
	// those the engine wrote itself because the memory queue was full;
	// AlertsPending the alerts raised and not yet posted (in memory and in
	// the outbox, as of the poster's last pass); AlertsLost those the
	// store refused to take (logged).
	AlertsQueued   int64 `json:"alerts_queued"`
	AlertsOverflow int64 `json:"alerts_overflow"`
	AlertsPending  int64 `json:"alerts_pending"`
	AlertsLost     int64 `json:"alerts_lost"`
	// AlertsLeft counts alerts this replica's engine raised that another
	// replica's had queued already (the outbox took the alert's key
	// once); the replica holding the detector lease posts them.
	AlertsLeft int64 `json:"alerts_left_to_leader,omitempty"`
}

// Event is what picture watchers receive: a track change or an
// encounter event.
type Event struct {
	Type      string            `json:"type"` // "track", "removed", "encounter", "zone"
	Track     *picture.Track    `json:"-"`
	Zone      *detect.Zone      `json:"-"`               // a zone added or removed (Event "added", "removed"; ID its id)
	Event     string            `json:"event,omitempty"` // opened, escalated, updated, closed
	Encounter *detect.Encounter `json:"-"`
	ID        string            `json:"id,omitempty"`
}

// maxClosedKept bounds the list of recently closed encounters.
const maxClosedKept = 500

// New returns a picture that posts alerts to log and keeps zones and
// assets in store. Set Now and Logger (the node's) before Open.
func New(log ChannelLog, store Store) *Picture {
	return &Picture{log: log, store: store, Now: time.Now, Logger: slog.Default(), wakeAlerts: make(chan struct{}, 1)}
}

// Open starts the picture with the parties file base (nil: the default
// alliances), to which the parties' declared assets are added, and engine
// configuration cfg (its Pair hook is set from the channels parties share).
func (l *Picture) Open(ctx context.Context, base *attrib.File, cfg detect.Config) error {
	if base == nil {
		base = &attrib.File{}
	}
	l.base = *base
	if l.AlertQueue <= 0 {
		l.AlertQueue = DefaultAlertQueue
	}
	l.in, l.ops, l.alerts = make(chan []deconflict.Report, 256), make(chan func(*detect.Engine)), make(chan detect.Event, l.AlertQueue)
	l.zones, l.open, l.subs = map[string]detect.Zone{}, map[uint64]detect.Encounter{}, map[chan Event]struct{}{}
	l.derived = map[string]detect.Zone{}
	if err := l.loadAssets(ctx); err != nil {
		return err
	}
	l.Table = picture.New(picture.Options{Now: l.Now, Attribute: l.attribute})
	cfg.Pair = l.pair
	cfg.Widen = l.widen
	if err := l.refreshPairs(ctx); err != nil {
		return err
	}
	// The index is sized for the widest thresholds the channels agree
	// (and the defaults), and sized again when they change.
	l.fixedEnvelope = cfg.Envelope != (detect.Thresholds{})
	if !l.fixedEnvelope {
		cfg.Envelope = l.envelope
	}
	eng, err := detect.New(cfg)
	if err != nil {
		return err
	}
	l.engine = eng
	if err := l.loadZones(ctx); err != nil {
		return err
	}
	for _, z := range l.pending {
		if _, err := l.engine.AddZone(z, l.Now()); err != nil {
			l.Logger.Error("zone from a channel's log", "zone", z.ID, "err", err)
			continue
		}
		l.derived[z.ID] = z
	}
	l.log.OnChannelsChanged(l.channelsChanged)
	wctx, cancel := context.WithCancel(context.Background())
	l.cancel = cancel
	l.wg.Add(4)
	// No input may end the process: a worker that panics is logged and
	// restarted.
	report := func(worker string) func(*safe.PanicError) {
		return func(pe *safe.PanicError) {
			l.Logger.Error("panic in a live picture worker; restarting it", "worker", worker, "panic", pe.Value, "stack", string(pe.Stack))
		}
	}
	if l.Bus != nil {
		l.wg.Add(1)
		go func() { defer l.wg.Done(); safe.Loop(wctx, report("report bus"), l.watchBus) }()
	}
	go func() {
		defer l.wg.Done()
		safe.Loop(wctx, report("track table"), func(ctx context.Context) { l.Table.Run(ctx, time.Second) })
	}()
	go func() { defer l.wg.Done(); safe.Loop(wctx, report("track forwarder"), l.forwardTracks) }()
	go func() { defer l.wg.Done(); safe.Loop(wctx, report("encounter engine"), l.run) }()
	go func() { defer l.wg.Done(); safe.Loop(wctx, report("alert poster"), l.postAlerts) }()
	return nil
}

// WakeAlerts makes the alert poster read the outbox now rather than on
// its next tick: the node calls it when this replica takes the detector
// lease, so that the alerts queued while no replica held it are posted
// at once.
func (l *Picture) WakeAlerts() {
	select {
	case l.wakeAlerts <- struct{}{}:
	default:
	}
}

// Close stops the picture's goroutines.
func (l *Picture) Close() error {
	if l.cancel != nil {
		l.cancel()
	}
	l.wg.Wait()
	return nil
}

// MaxSpeedMS is the fastest ground speed a report may give (m/s): above
// any aircraft or missile a picture is meant to hold, so that a corrupt
// report cannot poison predictions.
const MaxSpeedMS = 10000

// Ingest queues reports for the picture. Reports posted by a party (not
// the operator) are its own assets: their party is forced to the caller,
// their identity prefixed with it, and only members of channels that
// party shares will see them.
func (l *Picture) Ingest(ctx context.Context, caller string, rs []deconflict.Report) error {
	if caller != deconflict.NodeAuthor {
		for i := range rs {
			rs[i].Party = caller
			rs[i].Source = "party"
			if !strings.HasPrefix(rs[i].ID, caller+":") {
				rs[i].ID = caller + ":" + rs[i].ID
			}
		}
	}
	now := l.Now().UTC()
	for i := range rs {
		if err := checkReport(&rs[i]); err != nil {
			return deconflict.Errorf(deconflict.EINVALID, "report %d (%s): %s", i, rs[i].ID, err)
		}
		// A report without a time is stamped here, once, so that every
		// replica's engine takes it at the same time (incident ids and
		// alert keys are made of the reports' times).
		if rs[i].Time.IsZero() {
			rs[i].Time = now
		}
	}
	if l.Bus != nil {
		return l.Bus.PublishReports(ctx, rs)
	}
	select {
	case l.in <- rs:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watchBus feeds the picture with the reports all replicas publish,
// listening again after a failed connection (what was published
// meanwhile is missed; the next reports restore the tracks).
func (l *Picture) watchBus(ctx context.Context) {
	for ctx.Err() == nil {
		err := l.Bus.WatchReports(ctx, func(rs []deconflict.Report) {
			select {
			case l.in <- rs:
			case <-ctx.Done():
			}
		})
		if ctx.Err() != nil {
			return
		}
		l.Logger.Warn("listening for the replicas' reports failed; listening again", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
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

func (l *Picture) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case rs := <-l.in:
			now := l.Now().UTC()
			for i := range rs {
				if rs[i].Time.IsZero() {
					rs[i].Time = now
				}
			}
			// The table attributes each track (declared assets, callsign
			// patterns, the source's party, the flag) and keeps how; the
			// whole batch under one lock, so that no sweep removes a track
			// between two of its reports (UpdateEach).
			ers := make([]deconflict.Report, 0, len(rs))
			l.Table.UpdateEach(rs, func(i int, res picture.Result, tr *picture.Track) {
				if res != picture.Created && res != picture.Updated {
					return // old, invalid, or another receiver's copy
				}
				if !rs[i].HasPosition() {
					return
				}
				er := rs[i]
				er.Party = tr.Party
				er.Military = tr.Military // remembered from static reports
				er.Asset = tr.Party != "" && attrib.IsAsset(tr.ID, tr.How, tr.Military)
				ers = append(ers, er)
			})
			// The batch in one call: the engine's events are Update's on
			// each report in turn, and a run of tracks it does not know
			// yet (start-up, a feed connecting or reconnecting after its
			// tracks were lost), of at least 256 and a quarter of the
			// tracks it holds, is loaded in bulk (detect.UpdateBatch).
			l.handle(l.engine.UpdateBatch(ers))
			l.mu.Lock()
			l.stats.Reports += int64(len(rs))
			l.mu.Unlock()
		case op := <-l.ops:
			op(l.engine)
		case <-tick.C:
			l.handle(l.engine.Tick(l.Now().UTC()))
		}
	}
}

// forwardTracks republishes the table's track events to live subscribers.
func (l *Picture) forwardTracks(ctx context.Context) {
	sub := l.Table.Subscribe(picture.Query{IncludeLost: true}, 4096)
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-sub.C:
			tr := ev.Track
			if ev.Kind == picture.EventRemoved {
				l.publish(Event{Type: "removed", ID: tr.ID, Track: &tr})
			} else {
				l.publish(Event{Type: "track", Track: &tr})
			}
		}
	}
}

func (l *Picture) handle(evs []detect.Event) {
	for _, ev := range evs {
		enc := ev.Encounter
		l.mu.Lock()
		switch ev.Type {
		case detect.Closed:
			delete(l.open, enc.ID)
			if !ev.Alert {
				delete(l.incidents, enc.ID) // no alert to name it: claimIncident is done with it
			}
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
		l.publish(Event{Type: "encounter", Event: ev.Type.String(), Encounter: &enc})
		if ev.Alert {
			select {
			case l.alerts <- ev:
			default:
				// The poster is behind: the outbox takes the alert now
				// rather than dropping it.
				l.overflowAlert(ev)
			}
		}
	}
}

// Subscribe returns a channel of live events; cancel with Unsubscribe. A
// subscriber that does not keep up loses events (never slowing the
// picture) and should re-read the picture.
func (l *Picture) Subscribe() chan Event {
	ch := make(chan Event, 1024)
	l.mu.Lock()
	l.subs[ch] = struct{}{}
	l.mu.Unlock()
	return ch
}

// Unsubscribe ends a subscription.
func (l *Picture) Unsubscribe(ch chan Event) {
	l.mu.Lock()
	delete(l.subs, ch)
	l.mu.Unlock()
}

func (l *Picture) publish(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ch := range l.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

// Stats returns the live counters.
func (l *Picture) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stats
}
