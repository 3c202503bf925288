package live

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
)

// IncidentID names the incident of an encounter: the one its opening
// joined when another replica's engine had opened the same encounter
// first (claimIncident), else IncidentID(enc).
func (l *Picture) IncidentID(enc *detect.Encounter) string {
	l.mu.Lock()
	inc, ok := l.incidents[enc.ID]
	l.mu.Unlock()
	if ok {
		return inc
	}
	return IncidentID(enc)
}

// encounterName names an encounter by its kind and tracks (or track and
// zone), not its time: what OpenIncident keys open incidents by (hex of
// a hash, whatever bytes the track ids hold).
func encounterName(enc *detect.Encounter) string {
	a, b := enc.A, enc.B
	if b != "" && b < a {
		a, b = b, a
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("deconflict-encounter\x00%s\x00%s\x00%s\x00%s", enc.Kind, a, b, enc.Zone)))
	return hex.EncodeToString(h[:16])
}

// claimIncident records the incident of an encounter whose opening is
// to alert, and reports whether another replica's engine had opened the
// same encounter first, at an earlier report (this replica's picture
// started, or lost its report feed, while the encounter was open): then
// this engine's encounter joins that incident, and its opening, alerted
// already, is not alerted again. A closing ends the record.
func (l *Picture) claimIncident(ctx context.Context, ev detect.Event) (joined bool) {
	enc := &ev.Encounter
	switch ev.Type {
	case detect.Opened:
		own := IncidentID(enc)
		got, err := l.store.OpenIncident(ctx, encounterName(enc), own, enc.Opened)
		if err != nil {
			l.Logger.Error("recording an open incident", "incident", own, "err", err)
			return false
		}
		if got == own {
			return false
		}
		l.mu.Lock()
		if l.incidents == nil {
			l.incidents = map[uint64]string{}
		}
		l.incidents[enc.ID] = got
		l.mu.Unlock()
		return true
	case detect.Closed:
		if err := l.store.CloseIncident(ctx, encounterName(enc), l.IncidentID(enc)); err != nil {
			l.Logger.Error("recording an incident closed", "incident", l.IncidentID(enc), "err", err)
		}
	}
	return false
}

// forgetIncident drops what claimIncident kept of a closed encounter.
func (l *Picture) forgetIncident(ev detect.Event) {
	if ev.Type != detect.Closed {
		return
	}
	l.mu.Lock()
	delete(l.incidents, ev.Encounter.ID)
	l.mu.Unlock()
}

// IncidentID names the incident of an encounter by what every replica's
// engine sees alike, never by a replica's own counters or clock: its
// kind, its two tracks (or its track and zone) and when it opened, by
// the time of the report that opened it. A replica that takes the
// detector lease over so continues the incident its predecessor began.
// The form is inc-<opened, UTC, to the second>-<12 hex digits>.
func IncidentID(enc *detect.Encounter) string {
	a, b := enc.A, enc.B
	if b != "" && b < a {
		a, b = b, a
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("deconflict-incident\x00%s\x00%s\x00%s\x00%s\x00%d", enc.Kind, a, b, enc.Zone, enc.Opened.UnixNano())))
	return "inc-" + enc.Opened.UTC().Format("20060102T150405") + "-" + hex.EncodeToString(h[:6])
}

// alertKey is the outbox key of the alert event ev raises: its incident,
// its event and the tier it reports. An encounter opens and closes once
// and escalates once to each tier (above every tier it alerted for), so
// every replica's engine gives one alert one key.
func (l *Picture) alertKey(ev detect.Event) string {
	k := l.IncidentID(&ev.Encounter) + "/" + ev.Type.String()
	if ev.Type != detect.Closed {
		k += "/" + ev.Encounter.Severity.String()
	}
	return k
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

// alertJob returns the alert an encounter event raises, for the outbox:
// one payload per channel the two parties share, each with that channel's
// own explanation of the encounter (its notifications).
func (l *Picture) alertJob(ctx context.Context, ev detect.Event) (deconflict.AlertJob, error) {
	enc := ev.Encounter
	j := deconflict.AlertJob{PartyA: enc.PartyA, PartyB: enc.PartyB, Created: l.Now().UTC(), Key: l.alertKey(ev)}
	chans, err := l.sharedChannels(ctx, enc.PartyA, enc.PartyB)
	if err != nil {
		return j, fmt.Errorf("alert channels: %w", err)
	}
	if enc.Widened {
		// Two civilian tracks: alerted only on the channels whose
		// relevance measure widened the pair.
		k := [2]string{enc.PartyA, enc.PartyB}
		if k[1] < k[0] {
			k[0], k[1] = k[1], k[0]
		}
		l.mu.Lock()
		wc := l.wideChans[k]
		l.mu.Unlock()
		chans = slices.DeleteFunc(chans, func(c string) bool { return !slices.Contains(wc, c) })
	}
	prec, ack := alertPolicy(ev.Type, enc.Severity)
	ps := []*deconflict.Payload{}
	var explained []string
	for _, ch := range chans {
		view := NewEncounterView(&enc)
		text := l.alertText(ev.Type, &enc)
		if ev.Type != detect.Closed {
			var why string
			view.ExplainedBy, why = l.explain(ctx, ch, &enc)
			if why != "" {
				text += "; " + why
			}
			explained = append(explained, view.ExplainedBy...)
		}
		body, _ := json.Marshal(deconflict.AlertBody{Event: ev.Type.String(), Incident: l.IncidentID(&enc), Encounter: view})
		p := &deconflict.Payload{Channel: ch, Kind: deconflict.KindAlert, Precedence: prec, Text: text, Body: body}
		if ack {
			p.AckFrom = []string{enc.PartyA, enc.PartyB}
			slices.Sort(p.AckFrom)
			p.AckFrom = slices.Compact(p.AckFrom)
		}
		ps = append(ps, p)
	}
	if ev.Type != detect.Closed {
		l.setExplained(enc.ID, explained)
	}
	j.Payload, err = json.Marshal(ps)
	return j, err
}

// setExplained records what explains an open encounter (labels
// "channel:index" of every channel it was alerted on) and tells the
// picture's watchers.
func (l *Picture) setExplained(id uint64, labels []string) {
	l.mu.Lock()
	if l.explained == nil {
		l.explained = map[uint64][]string{}
	}
	l.explained[id] = labels
	enc, open := l.open[id]
	for k := range l.explained {
		if _, ok := l.open[k]; !ok && k != id {
			delete(l.explained, k)
		}
	}
	l.mu.Unlock()
	if open {
		l.publish(Event{Type: "encounter", Event: "explained", Encounter: &enc})
	}
}

// Explained returns the notifications that explain an encounter, of the
// channels caller belongs to (every one for the operator); empty when it
// is unexplained or not alerted yet.
func (l *Picture) Explained(ctx context.Context, caller string, enc *detect.Encounter) []string {
	l.mu.Lock()
	labels := l.explained[enc.ID]
	l.mu.Unlock()
	if len(labels) == 0 {
		return nil
	}
	chans, err := l.log.Channels(ctx, caller)
	if err != nil {
		return nil
	}
	var out []string
	for _, lb := range labels {
		ch, _, _ := strings.Cut(lb, ":")
		if slices.ContainsFunc(chans, func(c *deconflict.Channel) bool { return c.ID == ch }) && !slices.Contains(out, lb) {
			out = append(out, lb)
		}
	}
	return out
}

// overflowAlert writes an alert to the outbox from the engine's goroutine,
// when the memory queue is full, and wakes the poster.
func (l *Picture) overflowAlert(ev detect.Event) {
	ctx := context.Background()
	defer l.forgetIncident(ev)
	if l.claimIncident(ctx, ev) {
		l.queuedElsewhere(deconflict.Errorf(deconflict.ECONFLICT, "opened by another replica"))
		return
	}
	j, err := l.alertJob(ctx, ev)
	if err == nil {
		err = l.store.QueueAlert(ctx, &j)
	}
	if l.queuedElsewhere(err) {
		return
	}
	l.mu.Lock()
	if err != nil {
		l.stats.AlertsLost++
	} else {
		l.stats.AlertsOverflow++
		l.stats.AlertsQueued++
	}
	l.mu.Unlock()
	if err != nil {
		l.Logger.Error("alert outbox refused an alert; it is lost", "encounter", ev.Encounter.ID, "err", err)
		return
	}
	l.saveIncidentTracks(ctx, ev)
	select {
	case l.wakeAlerts <- struct{}{}:
	default:
	}
}

// alertBatch bounds how many outbox alerts one pass of the poster reads.
const alertBatch = 64

// postAlerts moves alerts from the memory queue to the durable outbox and
// posts the outbox's alerts, oldest first, to every channel their parties
// share; an alert leaves the outbox once posted. Alerts left in the
// outbox by a stop or a crash are posted after the restart.
func (l *Picture) postAlerts(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-l.alerts:
			l.queueAlert(ctx, ev)
			for drained := false; !drained; {
				select {
				case ev := <-l.alerts:
					l.queueAlert(ctx, ev)
				default:
					drained = true
				}
			}
		case <-l.wakeAlerts:
		case <-t.C:
		}
		l.postDue(ctx)
	}
}

// queuedElsewhere reports (and counts) that err is the outbox's refusal
// of an alert another replica's engine raised and queued first: it is
// that replica's alert, posted by whichever holds the detector lease.
func (l *Picture) queuedElsewhere(err error) bool {
	if deconflict.ErrorCode(err) != deconflict.ECONFLICT {
		return false
	}
	l.mu.Lock()
	l.stats.AlertsLeft++
	l.mu.Unlock()
	return true
}

// queueAlert writes the alert ev raises to the outbox. Every replica's
// engine raises it and queues it, whether or not it holds the detector
// lease, under the same key: the first is kept, the others are refused,
// and the lease holder posts it, so that an alert raised while no
// replica holds the lease (during a takeover) waits in the outbox
// rather than being lost.
func (l *Picture) queueAlert(ctx context.Context, ev detect.Event) {
	defer l.forgetIncident(ev)
	if l.claimIncident(ctx, ev) {
		l.queuedElsewhere(deconflict.Errorf(deconflict.ECONFLICT, "opened by another replica"))
		return
	}
	j, err := l.alertJob(ctx, ev)
	if err != nil {
		if ctx.Err() == nil {
			l.Logger.Error("alert", "encounter", ev.Encounter.ID, "err", err)
			l.mu.Lock()
			l.stats.AlertsLost++
			l.mu.Unlock()
		}
		return
	}
	err = l.store.QueueAlert(ctx, &j)
	if l.queuedElsewhere(err) {
		return
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		// Not durable, but not dropped: post it now (its envelopes' ids
		// come from its key, so a replica posting it too is refused).
		l.Logger.Error("alert outbox", "err", err)
		l.postAlert(ctx, j)
		return
	}
	l.mu.Lock()
	l.stats.AlertsQueued++
	l.mu.Unlock()
	l.saveIncidentTracks(ctx, ev)
}

// postDue posts the outbox's alerts until it is empty or a post must be
// retried later.
func (l *Picture) postDue(ctx context.Context) {
	if l.Leading != nil && !l.Leading() {
		return // the outbox is shared: its alerts are the lease holder's to post
	}
	for ctx.Err() == nil {
		due, err := l.store.DueAlerts(ctx, alertBatch)
		if err != nil {
			if ctx.Err() == nil {
				l.Logger.Error("alert outbox", "err", err)
			}
			return
		}
		l.mu.Lock()
		l.stats.AlertsPending = int64(len(due) + len(l.alerts))
		l.mu.Unlock()
		if len(due) == 0 {
			return
		}
		for _, j := range due {
			if !l.postAlert(ctx, j) {
				return
			}
			if j.ID != 0 {
				if err := l.store.AlertPosted(ctx, j.ID); err != nil {
					if ctx.Err() == nil {
						l.Logger.Error("alert outbox", "alert", j.ID, "err", err)
					}
					return
				}
			}
		}
	}
}

// postAlert posts one alert to every channel its parties share. Each
// channel's envelope has an id derived from the outbox alert's, so that
// posting it again (after a crash between the post and the outbox's
// record of it) is refused as a used id and counts as posted. It returns
// false when the alert must be tried again later.
func (l *Picture) postAlert(ctx context.Context, j deconflict.AlertJob) bool {
	var ps []deconflict.Payload
	if err := json.Unmarshal(j.Payload, &ps); err != nil {
		l.Logger.Error("alert outbox: unreadable alert; skipped", "alert", j.ID, "err", err)
		return true
	}
	for _, p := range ps {
		ch := p.Channel
		p.Time = l.Now().UTC()
		if j.ID != 0 || j.Key != "" {
			p.ID = alertEnvelopeID(j, ch)
		}
		if _, err := l.log.SubmitNode(ctx, &p); err != nil {
			if p.ID != "" && deconflict.ErrorCode(err) == deconflict.ECONFLICT {
				continue // posted before the restart
			}
			if ctx.Err() != nil || deconflict.ErrorCode(err) == deconflict.EINTERNAL {
				return false // the node or the store is in trouble: later
			}
			// Refused for good (a frozen channel): logged, not retried.
			l.Logger.Error("alert", "channel", ch, "alert", j.ID, "err", err)
			continue
		}
		l.mu.Lock()
		l.stats.Alerts++
		l.mu.Unlock()
	}
	return true
}

// alertEnvelopeID is the envelope id of outbox alert j on channel ch:
// from its key (the same on every replica), or for an alert without one
// (queued before keys) from its outbox id.
func alertEnvelopeID(j deconflict.AlertJob, ch string) string {
	if j.Key != "" {
		h := sha256.Sum256([]byte("deconflict-alert-key\x00" + j.Key + "\x00" + ch))
		return hex.EncodeToString(h[:16])
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("deconflict-alert\x00%d\x00%d\x00%s", j.ID, j.Created.UnixNano(), ch)))
	return hex.EncodeToString(h[:16])
}

// sharedChannels returns the channels, served and not refused, that both
// parties belong to.
func (l *Picture) sharedChannels(ctx context.Context, a, b string) ([]string, error) {
	chans, err := l.log.Channels(ctx, deconflict.NodeAuthor)
	if err != nil {
		return nil, err
	}
	refused := l.log.Refused()
	var out []string
	for _, c := range chans {
		if c.IsMember(a) && c.IsMember(b) {
			if _, r := refused[c.ID]; !r {
				out = append(out, c.ID)
			}
		}
	}
	return out, nil
}

func (l *Picture) alertText(t detect.EventType, e *detect.Encounter) string {
	return AlertText(t, e, func(id string) TrackLabel {
		if tr, err := l.Table.Get(id); err == nil {
			return TrackLabel{Name: TrackName(tr.Name, tr.Callsign), SpeedKnown: deconflict.Known(tr.SpeedMS), SpeedMS: tr.SpeedMS, CourseDeg: tr.CourseDeg}
		}
		return TrackLabel{}
	})
}

// NewEncounterView returns the logged (and API) view of e.
func NewEncounterView(e *detect.Encounter) deconflict.EncounterView {
	p := e.Prediction
	num := deconflict.Nullable
	var since *time.Time
	if !e.Since.IsZero() {
		t := e.Since
		since = &t
	}
	return deconflict.EncounterView{
		ID: fmt.Sprint(e.ID), Kind: string(e.Kind), Since: since, A: e.A, B: e.B, PartyA: e.PartyA, PartyB: e.PartyB, Domain: e.Domain,
		Zone: e.Zone, ZoneKind: string(e.ZoneKind), Severity: e.Severity.String(), Opened: e.Opened, Reason: string(e.Reason),
		Prediction: deconflict.PredictionView{Time: p.Time, Severity: p.Severity.String(), DistanceM: num(p.DistanceM), VerticalM: num(p.VerticalM),
			TCPAS: num(p.TCPAS), CPAM: num(p.CPAM), CPAVerticalM: num(p.CPAVertical),
			PosA: deconflict.PosView{Lat: num(p.PosA.Lat), Lon: num(p.PosA.Lon), AltM: num(p.PosA.AltM)},
			PosB: deconflict.PosView{Lat: num(p.PosB.Lat), Lon: num(p.PosB.Lon), AltM: num(p.PosB.AltM)}},
	}
}
