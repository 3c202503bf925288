package witness_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/deconflict/deconflict/witness"
)

// FuzzParseAddCheckpoint: the request parser never panics, every error
// wraps ErrMalformed, and what it accepts marshals back to the same bytes
// (the syntax has one spelling).
func FuzzParseAddCheckpoint(f *testing.F) {
	lg := newMemLog(f, "example.test/log").append("a", 9)
	f.Add(lg.request(0, 3))
	f.Add(lg.request(3, 9))
	f.Add([]byte("old 0\n\n"))
	f.Add([]byte("old 20852014\nPlRNCrwHpqhGrupue0L7gxbjbMiKA9temvuZZDDpkaw=\n\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r, err := witness.ParseAddCheckpoint(body)
		if err != nil {
			if !errors.Is(err, witness.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if len(r.Proof) > witness.MaxProofLines {
			t.Fatalf("%d proof lines accepted", len(r.Proof))
		}
		if got := r.Marshal(); !bytes.Equal(got, body) {
			t.Fatalf("Marshal = %q, want the input %q", got, body)
		}
	})
}

// FuzzAddCheckpoint: whatever the body, the witness answers with one of
// the specification's statuses, never 500 and never a panic, and cosigns
// only what extends its state.
func FuzzAddCheckpoint(f *testing.F) {
	lg := newMemLog(f, "example.test/log").append("a", 9)
	tw := startWitness(f, lg)
	if _, err := tw.AddCheckpoint(context.Background(), lg.request(0, 3)); err != nil {
		f.Fatal(err)
	}
	f.Add(lg.request(3, 9))
	f.Add(lg.request(0, 9))
	f.Add(lg.fork(2).append("b", 7).request(3, 9))
	f.Add(lg.request(3, 3))
	f.Fuzz(func(t *testing.T, body []byte) {
		ctx := context.Background()
		before, err := tw.Store.Log(ctx, lg.origin)
		if err != nil {
			t.Fatal(err)
		}
		_, err = tw.AddCheckpoint(ctx, body)
		switch s := witness.StatusOf(err); s {
		case http.StatusOK:
			after, _ := tw.Store.Log(ctx, lg.origin)
			if after.Size < before.Size {
				t.Fatalf("rolled back from %d to %d", before.Size, after.Size)
			}
		case http.StatusBadRequest, http.StatusNotFound, http.StatusForbidden, http.StatusConflict, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("status %d: %v", s, err)
		}
	})
}

// FuzzParsePolicy: the policy parser never panics, every error wraps
// ErrMalformed, and a parsed policy's quorum evaluates without error for
// any set of its own witnesses.
func FuzzParsePolicy(f *testing.F) {
	_, wl := cosigners(f, 3)
	f.Add([]byte(wl + "group G 2 W0 W1 W2\nquorum G\n"))
	f.Add([]byte(wl + "group A any W0 W1\ngroup B all A W2\nquorum B\n"))
	f.Add([]byte("quorum none\n"))
	f.Add([]byte("# comment\n\t \nquorum none"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := witness.ParsePolicy(b)
		if err != nil {
			if !errors.Is(err, witness.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		var all []string
		for _, w := range p.Witnesses {
			all = append(all, w.Name)
		}
		if p.Satisfied(nil) && p.Quorum != "none" {
			t.Fatalf("quorum %q met with no cosignature", p.Quorum)
		}
		if !p.Satisfied(all) {
			t.Fatalf("quorum %q not met with every witness", p.Quorum)
		}
	})
}

// FuzzParseTlogProof: the tlog-proof parser never panics, errors wrap
// ErrMalformed, and what it accepts marshals back to the same bytes.
func FuzzParseTlogProof(f *testing.F) {
	lg := newMemLog(f, "example.test/log").append("a", 5)
	p, _ := tlogRecordProof(lg, 2, 5)
	f.Add((&witness.TlogProof{Extra: []byte("leaf bytes"), Index: 2, Proof: p, Checkpoint: lg.checkpoint(5)}).Marshal())
	f.Add((&witness.TlogProof{Index: 0, Checkpoint: lg.checkpoint(1)}).Marshal())
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := witness.ParseTlogProof(b)
		if err != nil {
			if !errors.Is(err, witness.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if got := p.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("Marshal = %q, want the input %q", got, b)
		}
	})
}
