package node

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
)

// RenotifyBody is the body of a renotify envelope and of the JSON posted
// to the escalation webhooks for it.
type RenotifyBody struct {
	Event      string    `json:"event"` // "renotify"
	Node       string    `json:"node"`
	Channel    string    `json:"channel"`
	Message    int64     `json:"message"` // the message's index
	Precedence string    `json:"precedence"`
	Received   time.Time `json:"received"`       // when the node accepted the message
	Waiting    []string  `json:"waiting"`        // parties that have not acknowledged it
	Seen       []string  `json:"seen,omitempty"` // of Waiting, who fetched it (seen and not answered)
	Count      int       `json:"count"`          // this is re-notification Count of at most Max
	Max        int       `json:"max"`
	Interval   string    `json:"interval"` // the channel's interval for the precedence (Go duration)
	Index      int64     `json:"index"`    // the renotify envelope's index (webhook only)
}

// CheckRenotify notifies again every FLASH or IMMEDIATE message that a
// member has not acknowledged, once per interval of the channel's policy
// (Policy.RenotifyInterval) counted from the message's receipt, up to
// DefaultRenotifyMax times: a node-signed renotify envelope in the channel
// log (members' consoles show it) and a call to each escalation webhook.
// After a pause (the node was down) it sends one re-notification, numbered
// by the intervals that have passed, not one per missed interval. The
// deadline loop calls it every TickInterval.
func (n *Node) CheckRenotify(ctx context.Context) error {
	chans, err := n.Store.FindChannels(ctx)
	if err != nil {
		return err
	}
	now := n.Now()
	for _, c := range chans {
		if c.ID == deconflict.KeyLog || c.Policy.RenotifyInterval(deconflict.Flash) == 0 && c.Policy.RenotifyInterval(deconflict.Immediate) == 0 {
			continue
		}
		if _, frozen := n.Frozen(c.ID); frozen {
			continue
		}
		if err := n.renotifyChannel(ctx, c, now); err != nil {
			return fmt.Errorf("renotify on %s: %w", c.ID, err)
		}
	}
	return nil
}

func (n *Node) renotifyChannel(ctx context.Context, c *deconflict.Channel, now time.Time) error {
	duties, err := n.Store.PendingAcks(ctx, c.ID, "", true)
	if err != nil {
		return err
	}
	if len(duties) == 0 {
		return nil
	}
	waiting := map[int64][]string{}
	var order []int64
	for _, d := range duties {
		if _, ok := waiting[d.Index]; !ok {
			order = append(order, d.Index)
		}
		waiting[d.Index] = append(waiting[d.Index], d.Party)
	}
	l, err := n.channelLog(ctx, c.ID)
	if err != nil {
		return err
	}
	for _, idx := range order {
		l.seen.mu.Lock()
		err := l.seen.sync(ctx, l)
		count := l.seen.renotified[idx]
		m, cached := l.seen.msgs[idx]
		l.seen.mu.Unlock()
		if err != nil {
			return err
		}
		if count >= deconflict.DefaultRenotifyMax {
			continue
		}
		if !cached {
			// A recent message is in the appender's ring: no store read.
			var msg *deconflict.Envelope
			if r := l.recent(idx, 1); len(r) == 1 {
				msg = r[0]
			} else if msg, err = n.Store.FindEnvelope(ctx, c.ID, idx); err != nil {
				return err
			}
			mp, err := deconflict.ParsePayload(msg.Payload)
			if err != nil {
				return fmt.Errorf("message %d: %w", idx, err)
			}
			m = renotifyMsg{prec: mp.Precedence, kind: mp.Kind, author: msg.Author, received: msg.Received}
			l.seen.mu.Lock()
			if l.seen.msgs == nil {
				l.seen.msgs = map[int64]renotifyMsg{}
			}
			l.seen.msgs[idx] = m
			l.seen.mu.Unlock()
		}
		iv := c.Policy.RenotifyInterval(m.prec)
		if iv == 0 || m.kind == deconflict.KindNotification {
			continue
		}
		k := min(int(now.Sub(m.received)/iv), deconflict.DefaultRenotifyMax)
		if k <= count {
			continue
		}
		body := RenotifyBody{Event: "renotify", Node: n.Name, Channel: c.ID, Message: idx, Precedence: string(m.prec),
			Received: m.received, Waiting: waiting[idx], Count: k, Max: deconflict.DefaultRenotifyMax, Interval: iv.String()}
		for _, p := range body.Waiting {
			if n.seenAt(ctx, c.ID, idx, p) != nil {
				body.Seen = append(body.Seen, p)
			}
		}
		bj, _ := json.Marshal(body)
		i := idx
		p := &deconflict.Payload{Channel: c.ID, Kind: deconflict.KindRenotify, Ack: &i, AckFrom: body.Waiting, Precedence: m.prec, Body: bj,
			Text: fmt.Sprintf("%s message %d from %s still not acknowledged by %s (re-notification %d of %d, every %s)",
				strings.ToUpper(string(m.prec)), idx, m.author, strings.Join(body.Waiting, ", "), k, body.Max, iv)}
		var hooks []deconflict.WebhookJob
		for _, u := range c.Policy.Webhooks {
			hooks = append(hooks, deconflict.WebhookJob{Channel: c.ID, URL: u, NextTry: now})
		}
		if _, err := n.submitNode(ctx, p, nil, hooks); err != nil {
			return fmt.Errorf("message %d: %w", idx, err)
		}
		l.seen.mu.Lock()
		l.seen.renotified[idx] = max(l.seen.renotified[idx], k)
		l.seen.mu.Unlock()
	}
	return nil
}
