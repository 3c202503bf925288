package ais

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Sentence is one !xxVDM or !xxVDO sentence parsed from a line, with the
// tag block and feed annotations that came with it. Byte-slice fields
// point into the parsed line and are valid only as long as it is.
type Sentence struct {
	Talker  [2]byte // talker id, any two characters ("AI", "BS", "AB", ...)
	Own     bool    // true for VDO (own ship), false for VDM
	Total   int     // number of sentences of the message, 1-9
	Num     int     // number of this sentence, 1-Total
	SeqID   int     // sequential message id, -1 when the field is empty
	Channel byte    // radio channel as written ('A', 'B', '1', '2'), 0 when empty
	Payload []byte  // armoured payload
	Fill    int     // fill bits at the end of the payload, 0-5

	Tag TagBlock // NMEA 4 tag block, if Tag.Present

	// Time is the reception time given on the line: tag block c:, else
	// the epoch after a USCG-style suffix, else an epoch prefix. Zero when
	// the line gives none.
	Time time.Time
	// Station is the receiving station named by the line (tag block s:,
	// or the USCG suffix field starting with r, b or x), or nil.
	Station []byte
}

// TagBlock holds the NMEA 4 tag block fields the decoder uses.
type TagBlock struct {
	Present    bool
	ChecksumOK bool      // the tag block's own checksum matched
	Time       time.Time // c: (Unix seconds, or milliseconds when over 1e11); zero if absent
	Source     []byte    // s:
	GroupNum   int       // g: sentence number in the group, 0 when absent
	GroupTotal int       // g: sentences in the group
	GroupID    int       // g: group id
}

// lineKind says what a line held.
type lineKind uint8

const (
	lineSkip     lineKind = iota // empty, comment or an NMEA sentence of no interest
	lineSentence                 // an AIS sentence
	lineTime                     // a $PGHP or $--ZDA time line
)

// errNotNMEA reports a line that is neither NMEA nor a known feed format.
var errNotNMEA = errors.New("not an NMEA sentence")

// ParseSentence parses one line holding an AIS sentence, with an optional
// tag block, epoch prefix and USCG-style suffix, and verifies its checksum.
// It returns an error naming the fault for anything else, including other
// NMEA sentences (use a Decoder to skip those quietly).
func ParseSentence(line []byte, s *Sentence) error {
	k, _, err := parseLine(line, s)
	if err != nil {
		return fmt.Errorf("ais: %w", err)
	}
	if k != lineSentence {
		return errors.New("ais: not an AIS sentence (!xxVDM or !xxVDO)")
	}
	return nil
}

// parseLine classifies and parses a line. For lineTime it returns the time.
func parseLine(line []byte, s *Sentence) (lineKind, time.Time, error) {
	// Trim surrounding white space (and CR/LF).
	i, j := 0, len(line)
	for i < j && isSpace(line[i]) {
		i++
	}
	for j > i && isSpace(line[j-1]) {
		j--
	}
	line = line[i:j]
	s.Tag = TagBlock{}
	s.Time = time.Time{}
	s.Station = nil
	if len(line) == 0 || line[0] == '#' {
		return lineSkip, time.Time{}, nil
	}
	// Epoch-seconds prefix: "1420030798.123 !AIVDM..." or "1420030798,\s:...".
	if isDigit(line[0]) {
		k := 0
		for k < len(line) && (isDigit(line[k]) || line[k] == '.') {
			k++
		}
		t, ok := parseEpoch(line[:k])
		for k < len(line) && (line[k] == ' ' || line[k] == '\t' || line[k] == ',' || line[k] == ';' || line[k] == ':') {
			k++
		}
		if !ok || k == len(line) || (line[k] != '!' && line[k] != '\\' && line[k] != '$') {
			return lineSkip, time.Time{}, errNotNMEA
		}
		line = line[k:]
		s.Time = t
	}
	if line[0] == '\\' {
		end := indexByte(line[1:], '\\')
		if end < 0 {
			return lineSkip, time.Time{}, errors.New("tag block without its closing backslash")
		}
		if err := parseTagBlock(line[1:1+end], &s.Tag); err != nil {
			return lineSkip, time.Time{}, err
		}
		line = line[end+2:]
		if !s.Tag.Time.IsZero() {
			s.Time = s.Tag.Time
		}
		s.Station = s.Tag.Source
		if len(line) == 0 {
			// A tag block alone on its line: its time stands for the
			// sentences that follow, like a $GPZDA line.
			if !s.Tag.Time.IsZero() {
				return lineTime, s.Tag.Time, nil
			}
			return lineSkip, time.Time{}, nil
		}
	}
	switch line[0] {
	case '$':
		return parseOtherNMEA(line)
	case '!':
	default:
		return lineSkip, time.Time{}, errNotNMEA
	}
	if len(line) < 7 || line[3] != 'V' || line[4] != 'D' || (line[5] != 'M' && line[5] != 'O') || line[6] != ',' {
		return lineSkip, time.Time{}, nil // another '!' sentence
	}
	star := len(line) - 3 // where the checksum usually is
	if star < 7 || line[star] != '*' {
		if star = indexByte(line, '*'); star < 0 {
			return lineSkip, time.Time{}, errors.New("sentence without checksum")
		}
	}
	if star+3 > len(line) || !isHex(line[star+1]) || !isHex(line[star+2]) {
		return lineSkip, time.Time{}, fmt.Errorf("bad checksum field %q", clip(line[star:]))
	}
	want := hexVal(line[star+1])<<4 | hexVal(line[star+2])
	if sum := xorBytes(line[1:star]); sum != want {
		return lineSkip, time.Time{}, fmt.Errorf("checksum %02X, computed %02X", want, sum)
	}
	// Fields after the checksum are feed annotations; anything else there
	// (seen: a literal "\x0d\x0a") is ignored, as gpsd ignores it.
	if rest := line[star+3:]; len(rest) > 0 && rest[0] == ',' {
		parseSuffix(rest[1:], s)
	}
	s.Talker = [2]byte{line[1], line[2]}
	s.Own = line[5] == 'O'
	// Fields: total, number, sequence id, channel, payload, fill.
	body := line[7:star]
	if bytes.IndexByte(body, '*') >= 0 {
		return lineSkip, time.Time{}, fmt.Errorf("'*' at %d inside the sentence", 8+bytes.IndexByte(body, '*'))
	}
	if fieldsFast(body, s) {
		return lineSentence, time.Time{}, nil
	}
	// The general path: one pass over the bytes, then each field checked
	// with an error that names it.
	var f [6][]byte
	nf, start := 0, 0
	for i, c := range body {
		if c == ',' {
			if nf == 5 {
				return lineSkip, time.Time{}, errors.New("sentence has more than 7 fields")
			}
			f[nf] = body[start:i]
			nf++
			start = i + 1
		}
	}
	f[nf] = body[start:]
	nf++
	if nf < 5 {
		return lineSkip, time.Time{}, fmt.Errorf("sentence has %d fields, want 7", nf+1)
	}
	if len(f[0]) != 1 || f[0][0] < '1' || f[0][0] > '9' {
		return lineSkip, time.Time{}, fmt.Errorf("sentence count %q, want 1-9", clip(f[0]))
	}
	s.Total = int(f[0][0] - '0')
	if len(f[1]) != 1 || f[1][0] < '1' || int(f[1][0]-'0') > s.Total {
		return lineSkip, time.Time{}, fmt.Errorf("sentence number %q, want 1-%d", clip(f[1]), s.Total)
	}
	s.Num = int(f[1][0] - '0')
	switch {
	case len(f[2]) == 0:
		s.SeqID = -1
	case len(f[2]) == 1 && isDigit(f[2][0]):
		s.SeqID = int(f[2][0] - '0')
	default:
		return lineSkip, time.Time{}, fmt.Errorf("sequence id %q, want 0-9 or empty", clip(f[2]))
	}
	switch {
	case len(f[3]) == 0:
		s.Channel = 0
	case len(f[3]) == 1 && isAlnum(f[3][0]):
		s.Channel = f[3][0]
	default:
		return lineSkip, time.Time{}, fmt.Errorf("radio channel %q, want A, B, 1, 2 or empty", clip(f[3]))
	}
	s.Payload = f[4]
	s.Fill = 0
	if nf == 6 && len(f[5]) > 0 {
		if len(f[5]) != 1 || f[5][0] < '0' || f[5][0] > '5' {
			return lineSkip, time.Time{}, fmt.Errorf("fill bits %q, want 0-5", clip(f[5]))
		}
		s.Fill = int(f[5][0] - '0')
	}
	return lineSentence, time.Time{}, nil
}

// fieldsFast parses the fields of a well-formed sentence body
// ("1,1,,A,PAYLOAD,0") into s, reporting false, with s unchanged, for
// anything it does not recognise (the general path then names the fault).
func fieldsFast(b []byte, s *Sentence) bool {
	if len(b) < 8 || b[1] != ',' || b[3] != ',' {
		return false
	}
	total, num := b[0], b[2]
	if total < '1' || total > '9' || num < '1' || num > total {
		return false
	}
	i, seq := 4, -1
	if b[i] != ',' {
		if !isDigit(b[i]) || b[i+1] != ',' {
			return false
		}
		seq = int(b[i] - '0')
		i++
	}
	i++
	var ch byte
	if i >= len(b) {
		return false
	}
	if b[i] != ',' {
		if !isAlnum(b[i]) || i+1 >= len(b) || b[i+1] != ',' {
			return false
		}
		ch = b[i]
		i++
	}
	i++
	rest := b[i:]
	c := bytes.IndexByte(rest, ',')
	if c < 0 || len(rest) != c+2 || rest[c+1] < '0' || rest[c+1] > '5' {
		return false
	}
	s.Total, s.Num, s.SeqID, s.Channel = int(total-'0'), int(num-'0'), seq, ch
	s.Payload, s.Fill = rest[:c], int(rest[c+1]-'0')
	return true
}

// parseTagBlock parses the contents between the backslashes of an NMEA 4
// tag block: comma-separated key:value fields and a checksum. A wrong
// checksum is recorded in ChecksumOK rather than rejected: some feeds write
// "*00" (the sentence keeps its own checksum).
func parseTagBlock(b []byte, t *TagBlock) error {
	t.Present = true
	star := indexByte(b, '*')
	if star >= 0 {
		if star+3 == len(b) && isHex(b[star+1]) && isHex(b[star+2]) {
			var sum byte
			for _, c := range b[:star] {
				sum ^= c
			}
			t.ChecksumOK = sum == hexVal(b[star+1])<<4|hexVal(b[star+2])
		}
		b = b[:star]
	}
	for len(b) > 0 {
		var f []byte
		if c := indexByte(b, ','); c >= 0 {
			f, b = b[:c], b[c+1:]
		} else {
			f, b = b, nil
		}
		colon := indexByte(f, ':')
		if colon < 0 {
			continue // not key:value; the sentence keeps its own checksum
		}
		key, v := f[:colon], f[colon+1:]
		if len(key) == 3 && isDigit(key[0]) && key[1] == 'G' && isDigit(key[2]) {
			// Pre-NMEA 4 grouping "1G2:0125": sentence 1 of 2, group 125.
			if id, r, ok := atoiPrefix(v); ok && len(r) == 0 && key[0] >= '1' && key[0] <= key[2] {
				t.GroupNum, t.GroupTotal, t.GroupID = int(key[0]-'0'), int(key[2]-'0'), id
			}
			continue
		}
		if len(key) != 1 {
			continue
		}
		switch key[0] {
		case 'c':
			if tm, ok := parseEpoch(v); ok {
				t.Time = tm
			} else {
				return fmt.Errorf("tag block time %q, want Unix seconds", clip(v))
			}
		case 's':
			t.Source = v
		case 'g':
			// g:num-total-id
			a, r1, ok1 := atoiPrefix(v)
			if ok1 && len(r1) > 0 && r1[0] == '-' {
				b2, r2, ok2 := atoiPrefix(r1[1:])
				if ok2 && len(r2) > 0 && r2[0] == '-' {
					id, r3, ok3 := atoiPrefix(r2[1:])
					if ok3 && len(r3) == 0 && a >= 1 && a <= b2 && b2 <= 9 {
						t.GroupNum, t.GroupTotal, t.GroupID = a, b2, id
						continue
					}
				}
			}
			return fmt.Errorf("tag block group %q, want n-total-id", clip(v))
		}
	}
	return nil
}

// parseSuffix reads the fields after a sentence's checksum as written by
// the USCG and similar feeds: a station ("r003669946", "b003669794"), and
// a Unix time in seconds or milliseconds. The first time found is kept.
func parseSuffix(b []byte, s *Sentence) {
	gotTime := false
	for len(b) > 0 {
		var f []byte
		if c := indexByte(b, ','); c >= 0 {
			f, b = b[:c], b[c+1:]
		} else {
			f, b = b, nil
		}
		if len(f) == 0 {
			continue
		}
		if !gotTime && isDigit(f[0]) && len(f) >= 9 {
			if t, ok := parseEpoch(f); ok {
				if s.Tag.Time.IsZero() {
					s.Time = t
				}
				gotTime = true
			}
			continue
		}
		if (f[0] == 'r' || f[0] == 'b' || f[0] == 'x') && s.Station == nil {
			s.Station = f
		}
	}
}

// parseOtherNMEA handles a '$' sentence: $PGHP (Gatehouse) and $--ZDA give
// the time of the sentences that follow; any other is skipped unchecked.
func parseOtherNMEA(line []byte) (lineKind, time.Time, error) {
	isZDA := len(line) >= 7 && line[3] == 'Z' && line[4] == 'D' && line[5] == 'A' && line[6] == ','
	isGHP := len(line) >= 8 && string(line[1:6]) == "PGHP,"
	if !isZDA && !isGHP {
		return lineSkip, time.Time{}, nil
	}
	star := indexByte(line, '*')
	if star < 0 || star+3 > len(line) || !isHex(line[star+1]) || !isHex(line[star+2]) {
		return lineSkip, time.Time{}, fmt.Errorf("%s sentence without checksum", line[1:6])
	}
	want := hexVal(line[star+1])<<4 | hexVal(line[star+2])
	var sum byte
	for _, c := range line[1:star] {
		sum ^= c
	}
	if sum != want {
		return lineSkip, time.Time{}, fmt.Errorf("checksum %02X, computed %02X", want, sum)
	}
	var f [10][]byte
	n := 0
	b := line[1:star]
	for n < len(f) {
		c := indexByte(b, ',')
		if c < 0 {
			f[n] = b
			n++
			break
		}
		f[n], b = b[:c], b[c+1:]
		n++
	}
	num := func(b []byte) int {
		v, r, ok := atoiPrefix(b)
		if !ok || len(r) != 0 {
			return -1
		}
		return v
	}
	if isZDA {
		// $--ZDA,hhmmss.ss,dd,mm,yyyy,zh,zm
		if n < 5 || len(f[1]) < 6 {
			return lineSkip, time.Time{}, errors.New("ZDA sentence without time and date")
		}
		hh, mm, ss := num(f[1][0:2]), num(f[1][2:4]), num(f[1][4:6])
		ns := 0
		if len(f[1]) > 7 && f[1][6] == '.' {
			frac := f[1][7:]
			if len(frac) > 9 {
				frac = frac[:9]
			}
			v := num(frac)
			if v < 0 {
				hh = -1
			}
			for k := len(frac); k < 9; k++ {
				v *= 10
			}
			ns = v
		}
		d, mo, y := num(f[2]), num(f[3]), num(f[4])
		if hh < 0 || mm < 0 || ss < 0 || d < 1 || mo < 1 || y < 0 || hh > 23 || mm > 59 || ss > 60 || d > 31 || mo > 12 {
			return lineSkip, time.Time{}, fmt.Errorf("ZDA time %q %q %q %q not valid", f[1], f[2], f[3], f[4])
		}
		return lineTime, time.Date(y, time.Month(mo), d, hh, mm, ss, ns, time.UTC), nil
	}
	// $PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...
	if n < 9 || num(f[1]) != 1 {
		return lineSkip, time.Time{}, nil // other Gatehouse message types
	}
	y, mo, d, hh, mi, ss, ms := num(f[2]), num(f[3]), num(f[4]), num(f[5]), num(f[6]), num(f[7]), num(f[8])
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > 31 || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 60 || ms < 0 || ms > 999 {
		return lineSkip, time.Time{}, errors.New("PGHP time not valid")
	}
	return lineTime, time.Date(y, time.Month(mo), d, hh, mi, ss, ms*1e6, time.UTC), nil
}

// xorBytes returns the NMEA checksum of b: the XOR of its bytes, eight
// at a time.
func xorBytes(b []byte) byte {
	var w uint64
	for len(b) >= 8 {
		w ^= binary.LittleEndian.Uint64(b)
		b = b[8:]
	}
	for _, c := range b {
		w ^= uint64(c)
	}
	w ^= w >> 32
	w ^= w >> 16
	w ^= w >> 8
	return byte(w)
}

// parseEpoch parses Unix time: seconds with an optional fraction, or
// integer milliseconds when the value exceeds 1e11 (year 5138 in seconds).
func parseEpoch(b []byte) (time.Time, bool) {
	var sec int64
	i := 0
	for ; i < len(b) && isDigit(b[i]); i++ {
		if sec > 1e15 {
			return time.Time{}, false
		}
		sec = sec*10 + int64(b[i]-'0')
	}
	if i == 0 {
		return time.Time{}, false
	}
	var ns int64
	if i < len(b) {
		if b[i] != '.' {
			return time.Time{}, false
		}
		scale := int64(1e8)
		for i++; i < len(b); i++ {
			if !isDigit(b[i]) {
				return time.Time{}, false
			}
			ns += int64(b[i]-'0') * scale
			scale /= 10
		}
	}
	if sec > 1e11 {
		return time.Unix(sec/1000, sec%1000*1e6).UTC(), true
	}
	return time.Unix(sec, ns).UTC(), true
}

// atoiPrefix parses the leading decimal digits of b (at most 9).
func atoiPrefix(b []byte) (v int, rest []byte, ok bool) {
	i := 0
	for ; i < len(b) && i < 9 && isDigit(b[i]); i++ {
		v = v*10 + int(b[i]-'0')
	}
	return v, b[i:], i > 0
}

func indexByte(b []byte, c byte) int { return bytes.IndexByte(b, c) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
}
func isHex(c byte) bool {
	return isDigit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')
}

func hexVal(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// clip shortens b for an error message.
func clip(b []byte) string {
	if len(b) > 24 {
		return string(b[:24]) + "..."
	}
	return string(b)
}
