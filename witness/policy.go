package witness

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// MaxPolicySize bounds a policy file (bytes); MaxPolicyEntries bounds its
// logs, witnesses and groups together. C2SP tlog-policy recommends
// supporting at least 32 of each.
const (
	MaxPolicySize    = 64 << 10
	MaxPolicyEntries = 256
)

// Policy is a C2SP tlog-policy (https://c2sp.org/tlog-policy): the logs a
// verifier accepts, the witnesses it knows, and the quorum of their
// cosignatures it demands of a checkpoint. The parser is this package's
// own (torchwood v0.6.1 has none).
type Policy struct {
	Logs      []PolicyLog
	Witnesses []PolicyWitness
	Groups    []PolicyGroup
	Quorum    string // a witness or group name, or "none"

	logVerifiers     []note.Verifier
	witnessVerifiers map[string]note.Verifier // by witness name
	groups           map[string]*PolicyGroup
}

// PolicyLog is a "log <vkey> [<url>]" line.
type PolicyLog struct {
	VKey string
	URL  string
}

// PolicyWitness is a "witness <name> <vkey> [<url>]" line; URL is its
// submission prefix.
type PolicyWitness struct {
	Name string
	VKey string
	URL  string
}

// PolicyGroup is a "group <name> <k>|any|all <member>..." line; K is the
// threshold as a number.
type PolicyGroup struct {
	Name    string
	K       int
	Members []string
}

// ParsePolicy parses a tlog-policy file. Errors wrap ErrMalformed and name
// the line and what is wrong with it.
func ParsePolicy(b []byte) (*Policy, error) {
	if len(b) > MaxPolicySize {
		return nil, fmt.Errorf("policy: %w: %d bytes, at most %d", ErrMalformed, len(b), MaxPolicySize)
	}
	for i, c := range b {
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f {
			return nil, fmt.Errorf("policy: byte %d: %w: control character 0x%02x (only tab and newline are allowed)", i, ErrMalformed, c)
		}
	}
	p := &Policy{witnessVerifiers: map[string]note.Verifier{}, groups: map[string]*PolicyGroup{}}
	names := map[string]bool{"none": true}
	var logPubs, witnessPubs [][]byte // for duplicate keys
	quorums := 0
	lines := bytes.Split(b, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	for i, raw := range lines {
		ln := i + 1
		f := strings.FieldsFunc(string(raw), func(r rune) bool { return r == ' ' || r == '\t' })
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		bad := func(format string, args ...any) error {
			return fmt.Errorf("policy: line %d: %w: %s", ln, ErrMalformed, fmt.Sprintf(format, args...))
		}
		if len(p.Logs)+len(p.Witnesses)+len(p.Groups) >= MaxPolicyEntries {
			return nil, bad("more than %d logs, witnesses and groups", MaxPolicyEntries)
		}
		switch f[0] {
		case "log":
			if len(f) < 2 || len(f) > 3 {
				return nil, bad("want \"log <vkey> [<url>]\"")
			}
			v, err := note.NewVerifier(f[1])
			if err != nil {
				return nil, bad("log key %q: %v", short(f[1]), err)
			}
			pub, err := vkeyPublic(f[1])
			if err != nil {
				return nil, bad("log key %q: %v", short(f[1]), err)
			}
			if containsKey(logPubs, pub) {
				return nil, bad("log key %q: the same public key is listed twice", short(f[1]))
			}
			logPubs = append(logPubs, pub)
			l := PolicyLog{VKey: f[1]}
			if len(f) == 3 {
				l.URL = f[2]
			}
			p.Logs = append(p.Logs, l)
			p.logVerifiers = append(p.logVerifiers, v)
		case "witness":
			if len(f) < 3 || len(f) > 4 {
				return nil, bad("want \"witness <name> <vkey> [<url>]\"")
			}
			if names[f[1]] {
				return nil, bad("name %q is already defined", short(f[1]))
			}
			v, err := NewCosignatureVerifier(f[2])
			if err != nil {
				return nil, bad("witness %s: %v", short(f[1]), err)
			}
			_, _, pub, _ := parseCosignatureKey(f[2])
			if containsKey(witnessPubs, pub) {
				return nil, bad("witness %s: key %q: the same public key is listed twice", short(f[1]), short(f[2]))
			}
			witnessPubs = append(witnessPubs, pub)
			w := PolicyWitness{Name: f[1], VKey: f[2]}
			if len(f) == 4 {
				w.URL = f[3]
			}
			names[f[1]] = true
			p.Witnesses = append(p.Witnesses, w)
			p.witnessVerifiers[w.Name] = v
		case "group":
			if len(f) < 4 {
				return nil, bad("want \"group <name> <k>|any|all <member>...\"")
			}
			if names[f[1]] {
				return nil, bad("name %q is already defined", short(f[1]))
			}
			g := PolicyGroup{Name: f[1], Members: f[3:]}
			seen := map[string]bool{}
			for _, m := range g.Members {
				switch {
				case m == "none":
					return nil, bad("group %s: \"none\" cannot be a member", short(g.Name))
				case !names[m]:
					return nil, bad("group %s: member %q is not defined on a line before", short(g.Name), short(m))
				case seen[m]:
					return nil, bad("group %s: member %q listed twice", short(g.Name), short(m))
				}
				seen[m] = true
			}
			switch f[2] {
			case "any":
				g.K = 1
			case "all":
				g.K = len(g.Members)
			default:
				k, err := strconv.Atoi(f[2])
				if err != nil || f[2] != strconv.Itoa(k) || k < 1 || k > len(g.Members) {
					return nil, bad("group %s: threshold %q: want any, all or a decimal 1 to %d", short(g.Name), short(f[2]), len(g.Members))
				}
				g.K = k
			}
			names[g.Name] = true
			p.Groups = append(p.Groups, g)
			p.groups[g.Name] = &p.Groups[len(p.Groups)-1]
		case "quorum":
			if len(f) != 2 {
				return nil, bad("want \"quorum <name>\"")
			}
			if quorums++; quorums > 1 {
				return nil, bad("a second quorum line")
			}
			if !names[f[1]] {
				return nil, bad("quorum %q is not defined on a line before", short(f[1]))
			}
			p.Quorum = f[1]
		default:
			return nil, bad("unknown keyword %q: want log, witness, group or quorum", short(f[0]))
		}
	}
	if quorums == 0 {
		return nil, fmt.Errorf("policy: %w: no quorum line", ErrMalformed)
	}
	// p.Groups may have grown after a group's pointer was taken.
	for i := range p.Groups {
		p.groups[p.Groups[i].Name] = &p.Groups[i]
	}
	return p, nil
}

func containsKey(pubs [][]byte, pub []byte) bool {
	return slices.ContainsFunc(pubs, func(k []byte) bool { return bytes.Equal(k, pub) })
}

// vkeyPublic returns the key material of a signed-note Ed25519 vkey.
func vkeyPublic(vkey string) ([]byte, error) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		return nil, errors.New("want <name>+<id>+<key>")
	}
	k, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(k) != 1+ed25519.PublicKeySize {
		return nil, errors.New("not an Ed25519 key")
	}
	return k[1:], nil
}

// Witness returns the policy's witness called name.
func (p *Policy) Witness(name string) (PolicyWitness, bool) {
	for _, w := range p.Witnesses {
		if w.Name == name {
			return w, true
		}
	}
	return PolicyWitness{}, false
}

// Verifier returns the cosignature verifier of the witness called name.
func (p *Policy) Verifier(name string) note.Verifier { return p.witnessVerifiers[name] }

// Cosigned returns the names of the policy's witnesses whose cosignature
// on the signed checkpoint verifies, in policy order. The checkpoint's
// other signatures are ignored, as are cosignatures that fail to verify
// (they are reported in bad, by witness name).
func (p *Policy) Cosigned(signed []byte) (ok []string, bad []string, err error) {
	for _, w := range p.Witnesses {
		_, err := note.Open(signed, note.VerifierList(p.witnessVerifiers[w.Name]))
		var inv *note.InvalidSignatureError
		var unverified *note.UnverifiedNoteError
		switch {
		case err == nil:
			ok = append(ok, w.Name)
		case errors.As(err, &inv):
			bad = append(bad, w.Name)
		case errors.As(err, &unverified):
		default:
			return nil, nil, fmt.Errorf("checkpoint: %w: not a signed note: %v", ErrMalformed, err)
		}
	}
	return ok, bad, nil
}

// Satisfied reports whether cosignatures by the named witnesses meet the
// policy's quorum.
func (p *Policy) Satisfied(cosigned []string) bool {
	set := map[string]bool{}
	for _, n := range cosigned {
		set[n] = true
	}
	return p.satisfies(p.Quorum, set)
}

func (p *Policy) satisfies(name string, set map[string]bool) bool {
	if name == "none" {
		return true
	}
	g, ok := p.groups[name]
	if !ok {
		return set[name]
	}
	n := 0
	for _, m := range g.Members {
		if p.satisfies(m, set) {
			n++
		}
	}
	return n >= g.K
}

// QuorumError is a checkpoint without the policy's quorum: who cosigned,
// whose cosignature did not verify, and who is missing.
type QuorumError struct {
	Quorum   string
	Cosigned []string
	Invalid  []string
	Missing  []string
}

func (e *QuorumError) Error() string {
	s := fmt.Sprintf("checkpoint lacks the policy's quorum %q: cosigned by %s", e.Quorum, list(e.Cosigned))
	if len(e.Invalid) > 0 {
		s += "; invalid cosignatures from " + list(e.Invalid)
	}
	return s + "; no cosignature from " + list(e.Missing)
}

func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Verify checks that the signed checkpoint is signed by one of the
// policy's logs (when it lists any) and carries the quorum of valid
// cosignatures. It returns the witnesses that cosigned; a *QuorumError if
// the quorum is not met, naming those missing; an error wrapping
// ErrUntrusted if no listed log signed it.
func (p *Policy) Verify(signed []byte) ([]string, error) {
	if len(p.logVerifiers) > 0 {
		if _, err := note.Open(signed, note.VerifierList(p.logVerifiers...)); err != nil {
			return nil, fmt.Errorf("checkpoint: %w: not signed by a log of the policy: %v", ErrUntrusted, err)
		}
	}
	ok, bad, err := p.Cosigned(signed)
	if err != nil {
		return nil, err
	}
	if p.Satisfied(ok) {
		return ok, nil
	}
	e := &QuorumError{Quorum: p.Quorum, Cosigned: ok, Invalid: bad}
	for _, w := range p.Witnesses {
		if !slices.Contains(ok, w.Name) && !slices.Contains(bad, w.Name) {
			e.Missing = append(e.Missing, w.Name)
		}
	}
	return ok, e
}
