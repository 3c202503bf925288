package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/node"
	"github.com/deconflict/deconflict/regime"
)

// demoRegimes files the demo's notifications and measures on ru-nato,
// once per data directory: a Zapad-like exercise notified on time, a late
// one (a "late" finding), an ICBM launch, an INCSEA hazard notice (its
// area a zone of NATO's from its start, in 4 days), a
// voluntary notice of the area where the scenario's dangerous sea
// encounter happens (so that encounter is explained and the others are
// not), a binding special caution area in the Baltic and a separation
// awaiting RU's signature.
func demoRegimes(ctx context.Context, n *node.Node, keys map[string]ed25519.PrivateKey) error {
	if err := demoSyria(ctx, n, keys); err != nil {
		return err
	}
	const ch = "ru-nato"
	ns, err := n.Notifications(ctx, deconflict.NodeAuthor, ch)
	if err != nil || len(ns) > 0 {
		return err
	}
	now := n.Now().UTC()
	day := func(d int) string { return now.AddDate(0, 0, d).Format(time.DateOnly) }
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	submit := func(party, kind, body string) (*deconflict.Receipt, error) {
		p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: ch, Author: party, Officer: demoOfficer(party), Time: n.Now().UTC(), Kind: kind, Body: json.RawMessage(body)}
		s, err := deconflict.SignPayload(keys[party], p)
		if err != nil {
			return nil, err
		}
		r, err := n.Submit(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("demo %s by %s: %w", kind, party, err)
		}
		return r, nil
	}
	kaliningrad := `"area":{"polygon":[[54.4,19.9],[54.4,22.8],[55.3,22.8],[55.3,19.9]]}`
	for _, f := range []struct{ party, form string }{
		{"RU", `{"regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"command and staff exercise","states":["RU","BY"],"start":"` + day(60) + `","end":"` + day(66) + `","troops":12800,"tanks":70,"acv":250,"artillery":120,"sorties":80,` + kaliningrad + `}`},
		{"RU", `{"regime":"vd11-prior","state":"RU","designation":"LADOGA","purpose":"exercise","start":"` + day(10) + `","end":"` + day(14) + `","troops":9500,` + kaliningrad + `}`},
		{"RU", `{"regime":"launch-1988","state":"RU","designation":"ICBM test launch","missile":"icbm","start":"` + at(48*time.Hour) + `","end":"` + at(72*time.Hour) + `","launch_area":{"circle":{"lat":62.93,"lon":40.45,"radius_m":30000}},"impact_area":{"circle":{"lat":56.9,"lon":160.3,"radius_m":60000}}}`},
		{"NATO", `{"regime":"incsea-notice","state":"NATO","designation":"Live firing off Bornholm","start":"` + at(4*24*time.Hour) + `","end":"` + at(5*24*time.Hour) + `","area":{"circle":{"lat":55.2,"lon":15.2,"radius_m":15000},"alt_m":[0,12000]}}`},
		{"RU", `{"regime":"intention","state":"RU","designation":"Baltic Fleet transit","purpose":"transit to Baltiysk","start":"` + at(-time.Hour) + `","end":"` + at(7*24*time.Hour) + `","area":{"polygon":[[55.3,17.9],[55.3,18.9],[55.9,18.9],[55.9,17.9]]}}`},
	} {
		if _, err := submit(f.party, deconflict.KindNotification, f.form); err != nil {
			return err
		}
	}
	sca, err := submit("NATO", deconflict.KindMeasure, `{"kind":"zone","name":"Gulf of Finland special caution area","zone_kind":"special-caution-area","area":{"polygon":[[59.6,22.5],[59.6,26.5],[60.3,26.5],[60.3,22.5]]},"entry_notice_s":3600,"notice_period_s":86400}`)
	if err != nil {
		return err
	}
	if _, err := submit("RU", deconflict.KindSign, string(regime.Ref{Index: sca.Index, LeafHash: sca.LeafHash}.Marshal())); err != nil {
		return err
	}
	_, err = submit("NATO", deconflict.KindMeasure, `{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":2000}`)
	return err
}

// demoSyria agrees, once per data directory, a deconfliction zone on
// ru-us-syria: the 55 km circle around At-Tanf (proposed by US, signed by
// RU), so that the channel's picture has a place of its own (the
// console's home view of the channel opens on it).
func demoSyria(ctx context.Context, n *node.Node, keys map[string]ed25519.PrivateKey) error {
	const ch = "ru-us-syria"
	rules, err := n.Measures(ctx, deconflict.NodeAuthor, ch, 0)
	if err != nil || len(rules.Measures) > 0 {
		return err
	}
	submit := func(party, kind, body string) (*deconflict.Receipt, error) {
		p := &deconflict.Payload{V: 1, ID: deconflict.NewEnvelopeID(), Channel: ch, Author: party, Officer: demoOfficer(party), Time: n.Now().UTC(), Kind: kind, Body: json.RawMessage(body)}
		s, err := deconflict.SignPayload(keys[party], p)
		if err != nil {
			return nil, err
		}
		r, err := n.Submit(ctx, s)
		if err != nil {
			return nil, fmt.Errorf("demo %s by %s on %s: %w", kind, party, ch, err)
		}
		return r, nil
	}
	z, err := submit("US", deconflict.KindMeasure, `{"kind":"zone","name":"At-Tanf deconfliction zone","zone_kind":"deconfliction-zone","area":{"circle":{"lat":33.50,"lon":38.65,"radius_m":55000}},"entry_notice_s":3600}`)
	if err != nil {
		return err
	}
	_, err = submit("RU", deconflict.KindSign, string(regime.Ref{Index: z.Index, LeafHash: z.LeafHash}.Marshal()))
	return err
}

// demoOfficer is the officer the demo's scripted envelopes name for
// party: its console user (console.DemoUsers).
func demoOfficer(party string) string { return strings.ToLower(party) + "-officer" }
