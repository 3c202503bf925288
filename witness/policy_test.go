package witness_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// cosigners returns n witness cosigners named w0.test ... and their
// policy "witness" lines named W0 ...
func cosigners(t testing.TB, n int) ([]*witness.Cosigner, string) {
	var cs []*witness.Cosigner
	var b strings.Builder
	for i := 0; i < n; i++ {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		c, err := witness.NewCosigner(fmt.Sprintf("w%d.test", i), k)
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, c)
		fmt.Fprintf(&b, "witness W%d %s http://127.0.0.1:%d\n", i, c.VerifierKey(), 7000+i)
	}
	return cs, b.String()
}

func TestParsePolicy(t *testing.T) {
	lg := newMemLog(t, "example.test/log").append("a", 3)
	cs, wl := cosigners(t, 6)
	// The specification's example: two organisations, 2 of 3 X and any Y.
	src := "# a comment\nlog " + lg.vkey + "\n\n" +
		strings.ReplaceAll(wl, "witness W", "\t witness W") +
		"group X 2 W0 W1 W2\ngroup Y any W3 W4 W5\ngroup X-and-Y all X Y\nquorum X-and-Y  \n"
	p, err := witness.ParsePolicy([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(p.Witnesses), 6; got != want {
		t.Fatalf("%d witnesses, want %d", got, want)
	}
	if w, _ := p.Witness("W2"); w.URL != "http://127.0.0.1:7002" || w.VKey != cs[2].VerifierKey() {
		t.Fatalf("W2 = %+v", w)
	}
	if g := p.Groups[2]; g.Name != "X-and-Y" || g.K != 2 || !slices.Equal(g.Members, []string{"X", "Y"}) {
		t.Fatalf("group X-and-Y = %+v", g)
	}
	for _, c := range []struct {
		cosigned []string
		want     bool
	}{
		{nil, false},
		{[]string{"W0", "W1"}, false},
		{[]string{"W0", "W3"}, false},
		{[]string{"W0", "W1", "W5"}, true},
		{[]string{"W2", "W0", "W4"}, true},
		{[]string{"W3", "W4", "W5", "W0"}, false},
	} {
		if got := p.Satisfied(c.cosigned); got != c.want {
			t.Errorf("Satisfied(%v) = %v, want %v", c.cosigned, got, c.want)
		}
	}

	// Verify on real cosignatures: W0, W1 and W4 cosign; W3's line is
	// forged (right name and key ID, wrong signature).
	text := lg.text(3)
	signed := lg.checkpoint(3)
	for _, i := range []int{0, 1} {
		line, _ := cs[i].Cosign(text)
		signed = append(signed, line...)
	}
	got, err := p.Verify(signed)
	var qe *witness.QuorumError
	if !errors.As(err, &qe) || !slices.Equal(got, []string{"W0", "W1"}) {
		t.Fatalf("Verify = %v, %v; want a QuorumError after W0 and W1", got, err)
	}
	if !slices.Equal(qe.Missing, []string{"W2", "W3", "W4", "W5"}) || !strings.Contains(err.Error(), "no cosignature from W2, W3, W4, W5") {
		t.Fatalf("QuorumError %v, missing %v", err, qe.Missing)
	}
	forged, _ := cs[3].Cosign(lg.text(2))
	signed = append(signed, forged...)
	if _, err := p.Verify(signed); !errors.As(err, &qe) || !slices.Equal(qe.Invalid, []string{"W3"}) {
		t.Fatalf("Verify with a forged W3 line = %v, want W3 invalid", err)
	}
	line, _ := cs[4].Cosign(text)
	signed = append(signed, line...)
	got, err = p.Verify(signed)
	if err != nil || !slices.Equal(got, []string{"W0", "W1", "W4"}) {
		t.Fatalf("Verify = %v, %v; want W0, W1, W4 and the quorum", got, err)
	}
	// Another log's key: not signed by a log of the policy.
	other := newMemLog(t, lg.origin)
	other.hashes, other.n = lg.hashes, lg.n
	if _, err := p.Verify(append(other.checkpoint(3), line...)); !errors.Is(err, witness.ErrUntrusted) {
		t.Fatalf("Verify of another log's checkpoint = %v, want ErrUntrusted", err)
	}

	t.Run("QuorumNone", func(t *testing.T) {
		p, err := witness.ParsePolicy([]byte("quorum none\n"))
		if err != nil || !p.Satisfied(nil) {
			t.Fatalf("quorum none: %v", err)
		}
		if _, err := p.Verify(lg.checkpoint(3)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("QuorumOneWitness", func(t *testing.T) {
		p, err := witness.ParsePolicy([]byte(strings.SplitAfter(wl, "\n")[0] + "quorum W0"))
		if err != nil || p.Satisfied(nil) || !p.Satisfied([]string{"W0"}) {
			t.Fatalf("quorum W0: %v", err)
		}
	})
}

func TestParsePolicyErrors(t *testing.T) {
	_, wl := cosigners(t, 3)
	w := strings.SplitAfter(wl, "\n")
	lg := newMemLog(t, "example.test/log")
	for name, c := range map[string]struct{ src, want string }{
		"NoQuorum":          {w[0], "no quorum line"},
		"TwoQuorums":        {w[0] + "quorum W0\nquorum W0\n", "line 3: malformed: a second quorum line"},
		"QuorumUndefined":   {"quorum W9\n", "line 1: malformed: quorum \"W9\" is not defined"},
		"QuorumBeforeName":  {"quorum W0\n" + w[0], "line 1"},
		"UnknownKeyword":    {"witnesses W0 x\nquorum none\n", "unknown keyword \"witnesses\""},
		"DuplicateName":     {w[0] + strings.Replace(w[1], "W1", "W0", 1) + "quorum W0\n", "line 2: malformed: name \"W0\" is already defined"},
		"DuplicateKey":      {w[0] + strings.Replace(w[0], "W0", "W7", 1) + "quorum W0\n", "same public key"},
		"NoneAsName":        {strings.Replace(w[0], "W0", "none", 1) + "quorum none\n", "name \"none\" is already defined"},
		"NoneAsMember":      {w[0] + "group G any W0 none\nquorum G\n", "\"none\" cannot be a member"},
		"MemberTwice":       {w[0] + "group G any W0 W0\nquorum G\n", "member \"W0\" listed twice"},
		"MemberUndefined":   {w[0] + "group G any W0 W1\nquorum G\n", "member \"W1\" is not defined"},
		"ThresholdZero":     {w[0] + "group G 0 W0\nquorum G\n", "threshold \"0\""},
		"ThresholdTooLarge": {w[0] + "group G 2 W0\nquorum G\n", "threshold \"2\""},
		"ThresholdLeading0": {w[0] + w[1] + "group G 01 W0 W1\nquorum G\n", "threshold \"01\""},
		"GroupNoMembers":    {"group G any\nquorum G\n", "want \"group"},
		"LogKeyAsWitness":   {"witness W0 " + lg.vkey + "\nquorum W0\n", "line 1: malformed: witness W0"},
		"WitnessKeyAsLog":   {"log " + strings.Fields(w[0])[2] + "\nquorum none\n", "line 1: malformed: log key"},
		"ControlChar":       {"quorum none\r\n", "control character 0x0d"},
		"WitnessExtraField": {strings.TrimSuffix(w[0], "\n") + " extra\nquorum W0\n", "want \"witness <name>"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := witness.ParsePolicy([]byte(c.src))
			if err == nil || !errors.Is(err, witness.ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParsePolicy(%q) = %v, want an error containing %q", c.src, err, c.want)
			}
		})
	}
}

// TestClientCosign drives the client against a real witness: an unknown
// held size is learnt from the 409 and the request retried; a witness
// ahead of the log, a fork and a bad key are reported as what they are.
func TestClientCosign(t *testing.T) {
	ctx := context.Background()
	lg := newMemLog(t, "example.test/log").append("a", 5)
	tw := startWitness(t, lg)
	mustStatus(t, tw.post(t, lg.request(0, 3)), 200)
	v, _ := witness.NewCosignatureVerifier(tw.Cosigner.VerifierKey())
	c := &witness.Client{URL: tw.URL, Verifier: v}
	prove := func(l *memLog, n int64) witness.Prover {
		return func(_ context.Context, old int64) (tlog.TreeProof, error) { return l.proof(old, n), nil }
	}

	t.Run("OKLearnsHeldSize", func(t *testing.T) {
		lines, held, err := c.Cosign(ctx, lg.checkpoint(5), 5, 0, prove(lg, 5))
		if err != nil || held != 5 {
			t.Fatalf("Cosign = %v, held %d", err, held)
		}
		if _, err := note.Open(append(lg.checkpoint(5), lines...), note.VerifierList(v)); err != nil {
			t.Fatalf("cosignature %q: %v", lines, err)
		}
	})
	t.Run("ErrWitnessAhead", func(t *testing.T) {
		_, held, err := c.Cosign(ctx, lg.checkpoint(4), 4, 0, prove(lg, 4))
		var ce *witness.ConflictError
		if !errors.As(err, &ce) || ce.Size != 5 || held != 5 {
			t.Fatalf("Cosign of an older checkpoint = %v (held %d), want a conflict at 5", err, held)
		}
	})
	t.Run("ErrFork", func(t *testing.T) {
		f := lg.fork(4).append("evil", 3)
		_, _, err := c.Cosign(ctx, f.checkpoint(7), 7, 5, prove(f, 7))
		var re *witness.RefusedError
		if !errors.As(err, &re) || re.Status != 422 {
			t.Fatalf("Cosign of a fork = %v, want a 422 refusal", err)
		}
	})
	t.Run("ErrWrongWitnessKey", func(t *testing.T) {
		_, k, _ := ed25519.GenerateKey(rand.Reader)
		other, _ := witness.NewCosigner(tw.Cosigner.Name(), k)
		ov, _ := witness.NewCosignatureVerifier(other.VerifierKey())
		lg.append("a", 1)
		c := &witness.Client{URL: tw.URL, Verifier: ov}
		_, _, err := c.Cosign(ctx, lg.checkpoint(6), 6, 5, prove(lg, 6))
		if !errors.Is(err, witness.ErrUntrusted) {
			t.Fatalf("Cosign with the wrong witness key = %v, want ErrUntrusted", err)
		}
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		c := &witness.Client{URL: "http://" + freeAddr(t), Verifier: v}
		if _, _, err := c.Cosign(ctx, lg.checkpoint(6), 6, 6, prove(lg, 6)); err == nil {
			t.Fatal("Cosign to a closed port succeeded")
		}
	})
}
