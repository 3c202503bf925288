package ais

import "encoding/binary"

// MaxPayloadBits is the largest reassembled payload accepted, in bits. It is
// gpsd's limit (2048); a real AIS message is at most 1008 bits (5 slots).
const MaxPayloadBits = 2048

// payloadBytes is the payload buffer size: MaxPayloadBits plus one 64-bit
// word of slack so that field reads never need a bounds branch.
const payloadBytes = MaxPayloadBits/8 + 8

// payload holds de-armoured message bits, most significant bit first. Bits
// at and after n that were written by the last 6-bit character (the fill
// bits) are kept, as gpsd keeps them; every other bit after n is zero.
type payload struct {
	b [payloadBytes]byte
	n int // valid bits
}

// sixbit maps an armoured payload character to its 6-bit value, or 0xff for
// a character outside the AIS armouring alphabet ('0'-'W', '`'-'w').
var sixbit = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := 48; c < 88; c++ {
		t[c] = byte(c - 48)
	}
	for c := 96; c < 120; c++ {
		t[c] = byte(c - 56)
	}
	return t
}()

// setArmoured replaces p with the bits of the armoured characters s minus
// fill trailing fill bits. It reports the index of the first character
// outside the armouring alphabet, or -1.
func (p *payload) setArmoured(s []byte, fill int) int {
	if len(s)*6 > MaxPayloadBits {
		return len(s)
	}
	b := p.b[:]
	o := 0
	i := 0
	for ; i+4 <= len(s); i += 4 {
		c0, c1, c2, c3 := sixbit[s[i]], sixbit[s[i+1]], sixbit[s[i+2]], sixbit[s[i+3]]
		if (c0|c1|c2|c3)&0xc0 != 0 {
			for j := i; j < i+4; j++ {
				if sixbit[s[j]] == 0xff {
					return j
				}
			}
		}
		w := uint32(c0)<<18 | uint32(c1)<<12 | uint32(c2)<<6 | uint32(c3)
		b[o] = byte(w >> 16)
		b[o+1] = byte(w >> 8)
		b[o+2] = byte(w)
		o += 3
	}
	var w uint32
	k := 0
	for ; i < len(s); i++ {
		c := sixbit[s[i]]
		if c == 0xff {
			return i
		}
		w = w<<6 | uint32(c)
		k++
	}
	switch k {
	case 1:
		b[o] = byte(w << 2)
		o++
	case 2:
		b[o] = byte(w >> 4)
		b[o+1] = byte(w << 4)
		o += 2
	case 3:
		b[o] = byte(w >> 10)
		b[o+1] = byte(w >> 2)
		b[o+2] = byte(w << 6)
		o += 3
	}
	// Zero what field reads past the end may touch: one word of slack and,
	// for short messages, up to the end of the longest fixed-size message
	// (type 5, 424 bits), as gpsd's zeroed buffer does.
	end := o + 8
	if end < 64 {
		end = 64
	}
	clear(b[o:end])
	p.n = len(s)*6 - fill
	if p.n < 0 {
		p.n = 0
	}
	return -1
}

// appendArmoured appends the bits of s after the first p.n bits, OR-ing
// them in as gpsd does (fill bits of the previous fragment that the next
// one overlaps stay set), then drops fill bits. It reports the index of
// the first bad character, or -1, and false if the result would exceed
// MaxPayloadBits.
func (p *payload) appendArmoured(s []byte, fill int) (bad int, ok bool) {
	if p.n+len(s)*6 > MaxPayloadBits {
		return -1, false
	}
	// Clear whole bytes after the current end (the partial byte keeps its
	// bits), plus slack.
	start := (p.n + 7) / 8
	end := (p.n+len(s)*6+7)/8 + 8
	if end < 64 {
		end = 64
	}
	clear(p.b[start:end])
	pos := p.n
	for i, ch := range s {
		c := sixbit[ch]
		if c == 0xff {
			return i, true
		}
		for k := 5; k >= 0; k-- {
			if c>>uint(k)&1 != 0 {
				p.b[pos>>3] |= 0x80 >> uint(pos&7)
			}
			pos++
		}
	}
	p.n = pos - fill
	if p.n < 0 {
		p.n = 0
	}
	return -1, true
}

// u returns the unsigned field of width bits (at most 57) at bit offset start.
func (p *payload) u(start, width int) uint64 {
	i := start >> 3
	if i+8 > len(p.b) {
		return 0
	}
	w := binary.BigEndian.Uint64(p.b[i:])
	return w << uint(start&7) >> uint(64-width)
}

// s returns the two's-complement signed field of width bits at start.
func (p *payload) s(start, width int) int64 {
	i := start >> 3
	if i+8 > len(p.b) {
		return 0
	}
	w := binary.BigEndian.Uint64(p.b[i:])
	return int64(w<<uint(start&7)) >> uint(64-width)
}

// sixbitText is the AIS 6-bit character set.
const sixbitText = "@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_ !\"#$%&'()*+,-./0123456789:;<=>?"

// appendText appends count 6-bit characters from bit start, stopping at the
// first '@' (gpsd's rule: '@' ends the text), then removes trailing spaces.
func (p *payload) appendText(dst []byte, start, count int) []byte {
	n0 := len(dst)
	for i := 0; i < count; i++ {
		pos := start + 6*i
		if pos+6 > MaxPayloadBits {
			break
		}
		c := sixbitText[p.u(pos, 6)]
		if c == '@' {
			break
		}
		dst = append(dst, c)
	}
	for len(dst) > n0 && dst[len(dst)-1] == ' ' {
		dst = dst[:len(dst)-1]
	}
	return dst
}
