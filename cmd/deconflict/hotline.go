package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/deconflict/deconflict"
	dhttp "github.com/deconflict/deconflict/http"
	"github.com/deconflict/deconflict/phrase"
)

func init() {
	register("send", &command{
		Summary: "send a signed hotline message",
		Usage: `
usage: deconflict send --channel C [--precedence flash|immediate|priority|routine] [--reply-to N] [--phrase CODE [--param NAME=VALUE]...] [--attach FILE]... [--officer NAME] [--receipt FILE [--policy P --wait D]] [TEXT]

Signs TEXT with your key and sends it on channel C. --phrase sends a
standard phrase (deconflict phrases) by its code and parameters, which
the signature covers; each reader sees it in its own language, and TEXT
is then optional free text in yours. Prints the receipt: the
message's index in the channel log and the checkpoint that includes it.
--receipt FILE keeps the full receipt (with its inclusion proof), which
'deconflict verify --receipt FILE' checks offline. A FILE ending in
.tlog-proof is written as a C2SP tlog-proof (the envelope in its extra
data); with --policy P (C2SP tlog-policy) send then waits up to --wait
(default 10s) for the witnesses' cosignatures and rewrites FILE with the
quorum, the message having been sent and its receipt printed already.
--attach FILE (repeatable) uploads FILE and attaches it: the message
signs its SHA-256, name, media type and size (deconflict attachment).
--officer NAME (env DECONFLICT_OFFICER) names the person of your party
who sends, in the envelope: signed with the party's key, it is the
party's word.

example:
  deconflict send --channel ru-us-syria --precedence flash "Two aircraft entering sector 4 at FL250"
  deconflict send --channel ru-us-syria --precedence flash --phrase KEEP-CLEAR --param bearing=045 --param distance=2.5
  deconflict send --channel ru-us-syria --attach radar-1410Z.png "Radar picture of the pass at 1410Z"`,
		Run: runSend,
	})
	register("phrases", &command{
		Summary: "the standard phrases a message can carry",
		Usage: `
usage: deconflict phrases [--lang en|ru|fr] [--json]

Lists the standard phrases (package phrase): code, parameters and text
in the language asked for (English by default), tab-separated, one a
line; --json prints the whole table (every language, the source of each
phrase), one JSON object per line.

example:
  deconflict phrases --lang ru`,
		Run: runPhrases,
	})
	register("ack", &command{
		Summary: "acknowledge receipt of a message",
		Usage: `
usage: deconflict ack --channel C [--officer NAME] INDEX

Signs and sends an acknowledgement of the message at INDEX. It records
receipt, not agreement. --officer NAME (env DECONFLICT_OFFICER) names
the person of your party who acknowledges, in the envelope.

example:
  deconflict ack --channel ru-us-syria 0`,
		Run: runAck,
	})
	register("inbox", &command{
		Summary: "messages still awaiting my acknowledgement",
		Usage: `
usage: deconflict inbox --channel C [--lang en|ru|fr] [--json]

Lists the messages and alerts on C that your party has still to
acknowledge, with their deadlines; OVERDUE marks missed deadlines. One
message a line: index, precedence, author, state and text, tab-separated;
a tab, a line break or a backslash in the text is written \t, \n or \\.
A standard phrase is shown in --lang (English by default), then the
sender's free text, if any.
--json prints one JSON object per line instead.

example:
  deconflict inbox --channel ru-us-syria`,
		Run: runInbox,
	})
	register("watch", &command{
		Summary: "envelopes of a channel as JSON lines, in log order",
		Usage: `
usage: deconflict watch --channel C [--after N] [--follow] [--lang en|ru|fr] [--no-answer]

Prints every envelope of C after index N (from the start by default), one
JSON object per line, in log order. With --follow it keeps printing new
envelopes as they arrive, reconnecting by itself, with no gap and no
duplicate; resume later with --after set to the last index printed.
A message carrying a standard phrase gets "phrase_text": the phrase in
--lang (English by default), rendered here; the signed payload is as sent.
An envelope naming an officer (who sent or acknowledged it for the
party) gets "officer", copied from its signed payload.
A link test that asks your party to answer, and that the node sent within
its interval of now, is answered as it is printed (a link-answer signed
with --key; said on stderr), so that a watching party shows as available
('deconflict availability'); --no-answer leaves tests unanswered.

example:
  deconflict watch --channel ru-us-syria --follow`,
		Run: runWatch,
	})
}

func runSend(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("send")
	cf := m.addClientFlags(fs, false)
	m.addOfficerFlag(fs, cf)
	channel := fs.String("channel", "", "channel id")
	prec := fs.String("precedence", "routine", "flash, immediate, priority or routine")
	replyTo := fs.Int64("reply-to", -1, "index of the envelope this answers")
	receiptFile := fs.String("receipt", "", "write the full receipt (JSON) to this file")
	policyFile := fs.String("policy", "", "with --receipt FILE.tlog-proof: wait for this C2SP tlog-policy's quorum of cosignatures")
	wait := fs.Duration("wait", 10*time.Second, "with --policy: how long to wait for the cosignatures")
	code := fs.String("phrase", "", "a standard phrase's code (deconflict phrases)")
	var params multiFlag
	fs.Var(&params, "param", "a phrase parameter NAME=VALUE (repeatable)")
	var attach multiFlag
	fs.Var(&attach, "attach", "upload FILE and attach it (repeatable)")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" {
		return usagef("send: --channel is required")
	}
	text := strings.Join(pos, " ")
	if strings.TrimSpace(text) == "" && *code == "" && len(attach) == 0 {
		return usagef("send: the message TEXT is empty (and no --phrase or --attach)")
	}
	if len(attach) > deconflict.MaxAttachments {
		return usagef("send: %d files attached; a message carries at most %d", len(attach), deconflict.MaxAttachments)
	}
	var pm map[string]string
	if len(params) > 0 && *code == "" {
		return usagef("send: --param without --phrase")
	}
	for _, kv := range params {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return usagef("send: --param %q: want NAME=VALUE", kv)
		}
		if pm == nil {
			pm = map[string]string{}
		}
		if _, dup := pm[k]; dup {
			return usagef("send: --param %s given twice", k)
		}
		pm[k] = v
	}
	if *code != "" {
		if err := phrase.Check(*code, pm); err != nil {
			return usagef("send: %v", err)
		}
	}
	p, err := deconflict.ParsePrecedence(*prec)
	if err != nil {
		return usagef("send: --precedence: %s", deconflict.ErrorMessage(err))
	}
	c, party, err := cf.partyClient(ctx)
	if err != nil {
		return err
	}
	pl := &deconflict.Payload{Channel: *channel, Kind: deconflict.KindMessage, Precedence: p, Text: text, Phrase: *code, Params: pm}
	// Uploaded first: the node takes no message naming a file it does not hold.
	if pl.Attachments, err = uploadFiles(ctx, c, *channel, "", attach); err != nil {
		return err
	}
	if *replyTo >= 0 {
		pl.ReplyTo = replyTo
	}
	rec, err := c.Send(ctx, party, pl)
	if err != nil {
		return err
	}
	if strings.HasSuffix(*receiptFile, ".tlog-proof") || *policyFile != "" {
		// witness.go
		return m.saveTlogProof(ctx, c, rec, *receiptFile, *policyFile, *wait)
	}
	return m.printReceipt(rec, *receiptFile)
}

func (m *Main) printReceipt(rec *deconflict.Receipt, file string) error {
	// Every receipt is kept in the verify state, so that each later
	// 'verify --channel' checks the log still holds it.
	if dir, err := stateDir(m.Getenv("DECONFLICT_STATE")); err == nil {
		if err := keepReceipt(dir, rec); err != nil {
			fmt.Fprintf(m.Stderr, "warning: could not keep the receipt in %s: %v\n", dir, err)
		}
	}
	if file != "" {
		b, err := json.MarshalIndent(rec, "", "  ")
		if err != nil {
			return err
		}
		if err := writeFile(file, append(b, '\n')); err != nil {
			return err
		}
	}
	size := ""
	if lines := strings.Split(rec.Checkpoint, "\n"); len(lines) > 1 {
		size = lines[1]
	}
	fmt.Fprintf(m.Stdout, "accepted: channel %s index %d (checkpoint size %s, received %s)\n", rec.Channel, rec.Index, size, rec.Received.Format(time.RFC3339))
	return nil
}

func runAck(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("ack")
	cf := m.addClientFlags(fs, false)
	m.addOfficerFlag(fs, cf)
	channel := fs.String("channel", "", "channel id")
	receiptFile := fs.String("receipt", "", "write the full receipt (JSON) to this file")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" || len(pos) != 1 {
		return usagef("ack: want --channel C and one INDEX")
	}
	idx, err := strconv.ParseInt(pos[0], 10, 64)
	if err != nil || idx < 0 {
		return usagef("ack: INDEX %q: want a non-negative integer", pos[0])
	}
	c, party, err := cf.partyClient(ctx)
	if err != nil {
		return err
	}
	rec, err := c.Send(ctx, party, &deconflict.Payload{Channel: *channel, Kind: deconflict.KindAck, Ack: &idx})
	if err != nil {
		return err
	}
	return m.printReceipt(rec, *receiptFile)
}

func runInbox(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("inbox")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	asJSON := addJSONFlag(fs)
	lang := fs.String("lang", "en", "the language phrases are shown in: en, ru or fr")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if *channel == "" {
		return usagef("inbox: --channel is required")
	}
	if !slices.Contains(phrase.Languages, *lang) {
		return usagef("inbox: --lang %q: want en, ru or fr", *lang)
	}
	if len(pos) != 0 {
		return usagef("inbox: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	items, err := c.Inbox(ctx, *channel)
	if err != nil {
		return err
	}
	if len(items) == 0 && !*asJSON {
		fmt.Fprintf(m.Stdout, "inbox of %s: nothing awaits your acknowledgement\n", *channel)
		return nil
	}
	return writeList(m.Stdout, *asJSON, items, func(it dhttp.InboxEntry) []string {
		var p deconflict.Payload
		json.Unmarshal(it.Envelope.Payload, &p)
		p.Text = messageText(&p, *lang)
		state := "due " + it.Deadline.Format(time.RFC3339)
		if it.Overdue {
			state = "OVERDUE since " + it.Deadline.Format(time.RFC3339)
		}
		return []string{strconv.FormatInt(it.Envelope.Index, 10), strings.ToUpper(string(p.Precedence)), it.Envelope.Author, state, p.Text + attachmentsText(p.Attachments)}
	})
}

func runWatch(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("watch")
	cf := m.addClientFlags(fs, false)
	channel := fs.String("channel", "", "channel id")
	after := fs.Int64("after", -1, "print envelopes after this index")
	follow := fs.Bool("follow", false, "keep following new envelopes")
	lang := fs.String("lang", "en", "the language phrases are shown in: en, ru or fr")
	noAnswer := fs.Bool("no-answer", false, "do not answer link tests")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if !slices.Contains(phrase.Languages, *lang) {
		return usagef("watch: --lang %q: want en, ru or fr", *lang)
	}
	if *channel == "" {
		return usagef("watch: --channel is required")
	}
	if len(pos) != 0 {
		return usagef("watch: unexpected argument %q", pos[0])
	}
	c, _, err := cf.client()
	if err != nil {
		return err
	}
	var answerer *linkAnswerer
	if !*noAnswer {
		party, err := c.Whoami(ctx)
		if err != nil {
			return err
		}
		if party != deconflict.NodeAuthor {
			answerer = &linkAnswerer{m: m, c: c, party: party, channel: *channel, now: time.Now}
		}
	}
	enc := json.NewEncoder(m.Stdout)
	encode := func(v *dhttp.EnvelopeView) error {
		if err := enc.Encode(newWatchLine(v, *lang)); err != nil {
			return err
		}
		answerer.see(ctx, v)
		return nil
	}
	if *follow {
		err := c.Watch(ctx, *channel, *after, encode)
		if ctx.Err() != nil {
			// Interrupted (Ctrl-C): what was printed is complete, one
			// envelope a line; resume with --after.
			return nil
		}
		return err
	}
	from := *after + 1
	for {
		envs, err := c.Envelopes(ctx, *channel, from, 1000)
		if err != nil {
			return err
		}
		for _, v := range envs {
			if err := encode(v); err != nil {
				return err
			}
			from = v.Index + 1
		}
		if len(envs) < 1000 {
			return nil
		}
	}
}

// watchLine is a watch output line: the envelope as the API shows it,
// the officer its payload names (beside the author, for the reader's
// eye; the signed payload holds it) and, for a standard phrase, its text
// in the reader's language.
type watchLine struct {
	*dhttp.EnvelopeView
	Officer    string `json:"officer,omitempty"`
	PhraseText string `json:"phrase_text,omitempty"`
}

func newWatchLine(v *dhttp.EnvelopeView, lang string) watchLine {
	var p struct {
		Officer string            `json:"officer"`
		Phrase  string            `json:"phrase"`
		Params  map[string]string `json:"params"`
	}
	json.Unmarshal(v.Payload, &p)
	if p.Phrase == "" {
		return watchLine{EnvelopeView: v, Officer: p.Officer}
	}
	t, err := phrase.Render(p.Phrase, p.Params, lang)
	if err != nil {
		t = fmt.Sprintf("[phrase %s: %v]", p.Phrase, err)
	}
	return watchLine{EnvelopeView: v, Officer: p.Officer, PhraseText: t}
}

// attachmentsText is how a text listing shows a message's attachments:
// " [attached: NAME (TYPE, SIZE bytes, sha256 HEX)]" for each.
func attachmentsText(as []deconflict.Attachment) string {
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, " [attached: %s (%s, %d bytes, sha256 %s)]", a.Name, a.Type, a.Size, a.SHA256)
	}
	return b.String()
}

// messageText is what a reader in lang sees of a message: its standard
// phrase in lang, then the sender's free text.
func messageText(p *deconflict.Payload, lang string) string {
	if p.Phrase == "" {
		return p.Text
	}
	t, err := phrase.Render(p.Phrase, p.Params, lang)
	if err != nil {
		t = fmt.Sprintf("[phrase %s: %v]", p.Phrase, err)
	}
	if p.Text != "" {
		t += " / " + p.Text
	}
	return t
}

func runPhrases(ctx context.Context, m *Main, args []string) error {
	fs := m.newFlagSet("phrases")
	lang := fs.String("lang", "en", "language: en, ru or fr")
	asJSON := fs.Bool("json", false, "JSON lines: the whole table")
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("phrases: unexpected argument %q", pos[0])
	}
	if !slices.Contains(phrase.Languages, *lang) {
		return usagef("phrases: --lang %q: want en, ru or fr", *lang)
	}
	return writeList(m.Stdout, *asJSON, phrase.All(), func(p phrase.Phrase) []string {
		return []string{p.Code, strings.Join(p.Params, ","), p.Text[*lang]}
	})
}
