package node

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/record"
)

// Incident is a case on a channel, opened by an encounter alert, with the
// timeline of everything logged about it: the alerts (predictions), the
// acknowledgements of them, missed acknowledgements and members' notes.
type Incident struct {
	ID       string          `json:"id"`
	Channel  string          `json:"channel"`
	Severity string          `json:"severity"` // the highest reached
	Status   string          `json:"status"`   // open or closed
	Opened   time.Time       `json:"opened"`
	Closed   *time.Time      `json:"closed,omitempty"`
	A        string          `json:"a"`
	B        string          `json:"b,omitempty"`
	PartyA   string          `json:"party_a"`
	PartyB   string          `json:"party_b"`
	Domain   string          `json:"domain"`
	Timeline []TimelineEntry `json:"timeline"`
}

// TimelineEntry is one logged envelope of an incident.
type TimelineEntry struct {
	Index    int64     `json:"index"`
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"`
	Author   string    `json:"author"`
	Officer  string    `json:"officer,omitempty"` // the author's officer its payload names
	Text     string    `json:"text,omitempty"`
	Event    string    `json:"event,omitempty"`    // alerts: opened, escalated, closed
	Severity string    `json:"severity,omitempty"` // alerts
	Ack      *int64    `json:"ack,omitempty"`      // acks and missed-acks: the alert's index
	Missing  []string  `json:"missing,omitempty"`  // missed-acks
}

// higherSeverity reports whether the severity named a is above the one
// named b, in detect.Severity's order (names it does not know count as
// none).
func higherSeverity(a, b string) bool {
	x, _ := detect.ParseSeverity(a)
	y, _ := detect.ParseSeverity(b)
	return x > y
}

// Incidents returns the incidents of a channel, newest first, built from
// its log: everything about them is in signed envelopes, so any member can
// rebuild the same record from the log alone.
func (n *Node) Incidents(ctx context.Context, caller, channel string) ([]*Incident, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	byID := map[string]*Incident{}
	byAlert := map[int64]*Incident{} // alert index -> incident
	var order []*Incident
	for from := int64(0); ; {
		envs, err := n.Store.FindEnvelopes(ctx, channel, from, 4096)
		if err != nil {
			return nil, err
		}
		for _, e := range envs {
			from = e.Index + 1
			var p deconflict.Payload
			if json.Unmarshal(e.Payload, &p) != nil {
				continue
			}
			entry := TimelineEntry{Index: e.Index, Time: e.Received, Kind: e.Kind, Author: e.Author, Officer: p.Officer, Text: p.Text}
			switch e.Kind {
			case deconflict.KindAlert:
				var b deconflict.AlertBody
				if json.Unmarshal(p.Body, &b) != nil || b.Incident == "" {
					continue
				}
				inc := byID[b.Incident]
				if inc == nil {
					enc := b.Encounter
					inc = &Incident{ID: b.Incident, Channel: channel, Status: "open", Opened: e.Received, A: enc.A, B: enc.B, PartyA: enc.PartyA, PartyB: enc.PartyB, Domain: string(enc.Domain)}
					byID[b.Incident] = inc
					order = append(order, inc)
				}
				if higherSeverity(b.Encounter.Severity, inc.Severity) {
					inc.Severity = b.Encounter.Severity
				}
				if b.Event == "closed" {
					inc.Status = "closed"
					t := e.Received
					inc.Closed = &t
				}
				entry.Event, entry.Severity = b.Event, b.Encounter.Severity
				byAlert[e.Index] = inc
				inc.Timeline = append(inc.Timeline, entry)
			case deconflict.KindAck, deconflict.KindMissedAck:
				if p.Ack == nil {
					continue
				}
				if inc := byAlert[*p.Ack]; inc != nil {
					entry.Ack = p.Ack
					if e.Kind == deconflict.KindMissedAck {
						entry.Missing = p.AckFrom
					}
					inc.Timeline = append(inc.Timeline, entry)
				}
			case deconflict.KindNote, deconflict.KindMessage:
				var inc *Incident
				var b deconflict.NoteBody
				if len(p.Body) > 0 && json.Unmarshal(p.Body, &b) == nil && b.Incident != "" {
					inc = byID[b.Incident]
				}
				if inc == nil && p.ReplyTo != nil {
					inc = byAlert[*p.ReplyTo]
				}
				if inc != nil {
					inc.Timeline = append(inc.Timeline, entry)
				}
			}
		}
		if len(envs) < 4096 {
			break
		}
	}
	sort.SliceStable(order, func(i, j int) bool { return order[i].Opened.After(order[j].Opened) })
	return order, nil
}

// Incident returns one incident of a channel. ENOTFOUND if none.
func (n *Node) Incident(ctx context.Context, caller, channel, id string) (*Incident, error) {
	all, err := n.Incidents(ctx, caller, channel)
	if err != nil {
		return nil, err
	}
	for _, inc := range all {
		if inc.ID == id {
			return inc, nil
		}
	}
	return nil, deconflict.Errorf(deconflict.ENOTFOUND, "channel %s: incident %s not found", channel, id)
}

// VerifyResult is the node's own check of a channel's stored log.
type VerifyResult struct {
	OK         bool   `json:"ok"`
	Size       int64  `json:"size"`
	Checkpoint string `json:"checkpoint"`
	Error      string `json:"error,omitempty"`
	// From is the size of the checkpoint checked before, from which this
	// check started: envelopes below it were not reread.
	From int64 `json:"from"`
}

// VerifyChannel checks, for a member, what a channel's stored log gained
// since the checkpoint last checked (at start-up, by an earlier verify, or
// written by this node), as the start-up check does, and records the
// result as checked: each call costs only the envelopes added since the
// last. Members who do not trust the node run 'deconflict verify'
// themselves, which reads every leaf.
func (n *Node) VerifyChannel(ctx context.Context, caller, channel string) (*VerifyResult, error) {
	if _, err := n.authorise(ctx, caller, channel); err != nil {
		return nil, err
	}
	from, ok := n.checkedCheckpoint(ctx, channel)
	if !ok {
		from = record.Checkpoint{Origin: n.Origin(channel), Root: record.EmptyRoot}
	}
	cp, err := n.checkStoredLogSince(ctx, channel, from)
	res := &VerifyResult{OK: err == nil, From: from.Size}
	if err != nil {
		res.Error = err.Error()
		text, size, cerr := n.Store.Checkpoint(ctx, channel)
		if cerr != nil {
			return nil, cerr
		}
		res.Size, res.Checkpoint = size, string(text)
		return res, nil
	}
	res.Size = cp.Size
	if text, size, err := n.Store.Checkpoint(ctx, channel); err == nil && size == cp.Size {
		res.Checkpoint = string(text)
		n.markCheckedText(ctx, channel, text, size)
	}
	return res, nil
}
