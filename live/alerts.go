package live

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
)

// IncidentID names the incident of an encounter.
func (l *Picture) IncidentID(enc *detect.Encounter) string {
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

func (l *Picture) postAlerts(ctx context.Context) {
	for {
		var ev detect.Event
		select {
		case <-ctx.Done():
			return
		case ev = <-l.alerts:
		}
		if l.Leading != nil && !l.Leading() {
			l.mu.Lock()
			l.stats.AlertsLeft++ // the replica holding the detector lease posts it
			l.mu.Unlock()
			continue
		}
		enc := ev.Encounter
		chans, err := l.sharedChannels(ctx, enc.PartyA, enc.PartyB)
		if err != nil {
			l.Logger.Error("alert channels", "err", err)
			continue
		}
		prec, ack := alertPolicy(ev.Type, enc.Severity)
		for _, ch := range chans {
			// Each channel's own notifications explain the encounter.
			view := NewEncounterView(&enc)
			text := alertText(ev.Type, &enc)
			if ev.Type != detect.Closed {
				var why string
				view.ExplainedBy, why = l.explain(ctx, ch, &enc)
				if why != "" {
					text += "; " + why
				}
			}
			body, _ := json.Marshal(deconflict.AlertBody{Event: ev.Type.String(), Incident: l.IncidentID(&enc), Encounter: view})
			p := &deconflict.Payload{Channel: ch, Kind: deconflict.KindAlert, Precedence: prec, Text: text, Body: body}
			if ack {
				p.AckFrom = []string{enc.PartyA, enc.PartyB}
				slices.Sort(p.AckFrom)
				p.AckFrom = slices.Compact(p.AckFrom)
			}
			if _, err := l.log.SubmitNode(ctx, p); err != nil {
				if ctx.Err() == nil {
					l.Logger.Error("alert", "channel", ch, "encounter", enc.ID, "err", err)
				}
				continue
			}
			l.mu.Lock()
			l.stats.Alerts++
			l.mu.Unlock()
		}
	}
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

// NewEncounterView returns the logged (and API) view of e.
func NewEncounterView(e *detect.Encounter) deconflict.EncounterView {
	p := e.Prediction
	num := deconflict.Nullable
	return deconflict.EncounterView{
		ID: fmt.Sprint(e.ID), A: e.A, B: e.B, PartyA: e.PartyA, PartyB: e.PartyB, Domain: e.Domain,
		Zone: e.Zone, ZoneKind: string(e.ZoneKind), Severity: e.Severity.String(), Opened: e.Opened, Reason: string(e.Reason),
		Prediction: deconflict.PredictionView{Time: p.Time, Severity: p.Severity.String(), DistanceM: num(p.DistanceM), VerticalM: num(p.VerticalM),
			TCPAS: num(p.TCPAS), CPAM: num(p.CPAM), CPAVerticalM: num(p.CPAVertical),
			PosA: deconflict.PosView{Lat: num(p.PosA.Lat), Lon: num(p.PosA.Lon), AltM: num(p.PosA.AltM)},
			PosB: deconflict.PosView{Lat: num(p.PosB.Lat), Lon: num(p.PosB.Lon), AltM: num(p.PosB.AltM)}},
	}
}
