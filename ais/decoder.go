package ais

import (
	"fmt"
	"time"
)

// Defaults for a Decoder's reassembly limits.
const (
	// DefaultMaxPending bounds the multi-sentence messages waiting for
	// their other sentences. Real feeds interleave a handful; a flood of
	// unfinished messages evicts the oldest instead of growing memory.
	DefaultMaxPending = 64
	// DefaultFragmentTimeout is how far apart (by feed time) the sentences
	// of one message may be, when the feed gives times.
	DefaultFragmentTimeout = 30 * time.Second
	// DefaultFragmentWindow is how many AIS sentences may arrive between
	// two sentences of one message before the earlier ones are dropped.
	DefaultFragmentWindow = 1000
	// type24Slots is how many type 24 part A names wait for their part B.
	type24Slots = 64
)

// Error is a line the Decoder could not decode. Line counts the lines
// given to Decode, from 1.
type Error struct {
	Line   int
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("ais: line %d: %s", e.Line, e.Reason) }

// Stats counts what a Decoder has seen.
type Stats struct {
	Lines     int // lines given to Decode
	Sentences int // AIS sentences with a good checksum
	Messages  int // complete messages decoded
	Errors    int // lines that could not be decoded
	Dropped   int // unfinished multi-sentence messages dropped (evicted, timed out or superseded)
}

// Decoder turns lines of an AIS feed into messages. It reassembles
// multi-sentence messages (keyed by tag block group, or by talker,
// channel, sequence id and sentence count), tracks the feed's time lines
// and joins type 24 parts A and B. A Decoder is not safe for concurrent
// use; its zero value is not ready, use NewDecoder.
type Decoder struct {
	// MaxPending, FragmentTimeout and FragmentWindow bound reassembly (see
	// the defaults). Change them before the first Decode.
	MaxPending      int
	FragmentTimeout time.Duration
	FragmentWindow  int

	stats    Stats
	now      time.Time // time from the last $PGHP or $--ZDA line
	s        Sentence
	pend     []pending
	t24      [type24Slots]type24Name
	t24Next  int
	sentence int64 // AIS sentences seen, the clock of FragmentWindow
}

// fragKey identifies the sentences of one message.
type fragKey struct {
	group   int // tag block group id + 1, 0 when none
	seq     int
	total   int
	channel byte
	own     bool
	talker  [2]byte
}

type pending struct {
	used bool
	key  fragKey
	next int   // sentence number expected next
	seen int64 // Decoder.sentence at the last sentence
	t    time.Time
	p    payload
}

type type24Name struct {
	mmsi uint32
	name [20]byte
	n    int
}

// NewDecoder returns a Decoder with the default limits.
func NewDecoder() *Decoder {
	return &Decoder{
		MaxPending:      DefaultMaxPending,
		FragmentTimeout: DefaultFragmentTimeout,
		FragmentWindow:  DefaultFragmentWindow,
	}
}

// Stats returns the counts so far.
func (d *Decoder) Stats() Stats { return d.stats }

// Decode reads one line. It returns true when m holds a complete message
// decoded from this line (and the earlier sentences of a multi-sentence
// message), false for a line that only carries a time, a first sentence,
// a comment or other NMEA, and an *Error for a line it cannot decode; the
// Decoder stays usable after an error. m may be changed even when Decode
// returns false. Decoding a single-sentence message does not allocate.
func (d *Decoder) Decode(line []byte, m *Message) (bool, error) {
	d.stats.Lines++
	s := &d.s
	k, t, err := parseLine(line, s)
	if err != nil {
		return false, d.fail(err.Error())
	}
	switch k {
	case lineTime:
		d.now = t
		return false, nil
	case lineSkip:
		return false, nil
	}
	d.stats.Sentences++
	d.sentence++
	when := s.Time
	if s.Total == 1 {
		if bad := m.p.setArmoured(s.Payload, s.Fill); bad >= 0 {
			return false, d.badChar(s.Payload, bad)
		}
	} else {
		ok, t, err := d.reassemble(s, when, m)
		if !ok || err != nil {
			return false, err
		}
		when = t
	}
	if when.IsZero() {
		when = d.now
	}
	m.Time = when
	m.Channel = s.Channel
	m.Own = s.Own
	if err := m.decode(); err != nil {
		return false, d.fail(err.Error())
	}
	if m.Type == 24 {
		d.join24(m)
	}
	d.stats.Messages++
	return true, nil
}

func (d *Decoder) fail(reason string) error {
	d.stats.Errors++
	return &Error{Line: d.stats.Lines, Reason: reason}
}

func (d *Decoder) badChar(payload []byte, i int) error {
	if i >= len(payload) {
		return d.fail(fmt.Sprintf("payload of %d characters is over %d bits", len(payload), MaxPayloadBits))
	}
	return d.fail(fmt.Sprintf("payload character %q at %d is not 6-bit armouring", payload[i], i+1))
}

// reassemble adds a sentence of a multi-sentence message. It returns true
// with the whole payload in m.p when s completes the message, and the
// message's time: the last sentence's own, else the first's (zero when the
// lines carry none). Timeouts compare the sentences' own times only.
func (d *Decoder) reassemble(s *Sentence, when time.Time, m *Message) (bool, time.Time, error) {
	if d.pend == nil {
		n := d.MaxPending
		if n <= 0 {
			n = DefaultMaxPending
		}
		d.pend = make([]pending, n)
	}
	key := fragKey{seq: s.SeqID, total: s.Total, channel: s.Channel, own: s.Own, talker: s.Talker}
	if s.Tag.GroupTotal > 1 {
		// NMEA 4 groups: later sentences often carry only g:, so the
		// group id alone (with the count) identifies the message.
		key = fragKey{group: s.Tag.GroupID + 1, total: s.Total}
	}
	// Find the message this sentence belongs to, expiring stale ones.
	var e *pending
	for i := range d.pend {
		q := &d.pend[i]
		if !q.used {
			continue
		}
		if d.expired(q, when) {
			q.used = false
			d.stats.Dropped++
			continue
		}
		if q.key == key {
			e = q
		}
	}
	if s.Num == 1 {
		if e != nil { // a new message reuses the key: the old one is lost
			d.stats.Dropped++
		} else {
			e = d.slot()
		}
		e.used, e.key, e.next, e.t = true, key, 2, when
		e.seen = d.sentence
		if bad := e.p.setArmoured(s.Payload, s.Fill); bad >= 0 {
			e.used = false
			return false, time.Time{}, d.badChar(s.Payload, bad)
		}
		return false, time.Time{}, nil
	}
	if e == nil || e.next != s.Num {
		if e != nil {
			e.used = false
			d.stats.Dropped++
		}
		return false, time.Time{}, d.fail(fmt.Sprintf("sentence %d of %d (sequence id %s) without the sentences before it", s.Num, s.Total, seqText(s.SeqID)))
	}
	e.seen = d.sentence
	if when.IsZero() {
		when = e.t
	}
	if s.Num < s.Total {
		bad, ok := e.p.appendArmoured(s.Payload, s.Fill)
		if !ok || bad >= 0 {
			e.used = false
			d.stats.Dropped++
			return false, time.Time{}, d.badChar(s.Payload, pick(ok, bad, len(s.Payload)))
		}
		e.next++
		return false, time.Time{}, nil
	}
	// Last sentence: build the payload in m.
	e.used = false
	m.p.n = e.p.n
	used := (e.p.n+7)/8 + 8
	copy(m.p.b[:], e.p.b[:used])
	bad, ok := m.p.appendArmoured(s.Payload, s.Fill)
	if !ok || bad >= 0 {
		return false, time.Time{}, d.badChar(s.Payload, pick(ok, bad, len(s.Payload)))
	}
	return true, when, nil
}

func pick(ok bool, bad, long int) int {
	if !ok {
		return long
	}
	return bad
}

func seqText(id int) string {
	if id < 0 {
		return "empty"
	}
	return fmt.Sprint(id)
}

// expired reports whether a pending message is too old to be continued.
func (d *Decoder) expired(q *pending, when time.Time) bool {
	w := d.FragmentWindow
	if w <= 0 {
		w = DefaultFragmentWindow
	}
	if d.sentence-q.seen > int64(w) {
		return true
	}
	to := d.FragmentTimeout
	if to <= 0 {
		to = DefaultFragmentTimeout
	}
	if !when.IsZero() && !q.t.IsZero() {
		if dt := when.Sub(q.t); dt > to || dt < -to {
			return true
		}
	}
	return false
}

// slot returns a free pending entry, evicting the least recently
// continued one when all are in use.
func (d *Decoder) slot() *pending {
	var oldest *pending
	for i := range d.pend {
		q := &d.pend[i]
		if !q.used {
			return q
		}
		if oldest == nil || q.seen < oldest.seen {
			oldest = q
		}
	}
	d.stats.Dropped++
	return oldest
}

// join24 keeps part A names and joins a part B with the last part A of the
// same MMSI (as gpsd does, the name is used once).
func (d *Decoder) join24(m *Message) {
	switch m.Part {
	case PartA:
		// Every part A takes the next slot, repeats included: gpsd does
		// the same, and a repeated part B then finds its repeated part A.
		slot := &d.t24[d.t24Next]
		d.t24Next = (d.t24Next + 1) % type24Slots
		slot.mmsi = m.MMSI
		b := m.p.appendText(slot.name[:0], 40, 20)
		slot.n = len(b)
	case PartB:
		for i := range d.t24 {
			q := &d.t24[i]
			if q.mmsi == m.MMSI {
				m.Part = PartAB
				m.name24 = q.name
				m.name24N = q.n
				q.mmsi = 0
				return
			}
		}
	}
}
