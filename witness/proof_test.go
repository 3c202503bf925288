package witness_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/witness"
	"golang.org/x/mod/sumdb/tlog"
)

func tlogRecordProof(l *memLog, i, n int64) (tlog.RecordProof, error) {
	return tlog.ProveRecord(n, i, l)
}

func TestTlogProof(t *testing.T) {
	lg := newMemLog(t, "example.test/log").append("a", 6)
	rp, err := tlogRecordProof(lg, 4, 6)
	if err != nil {
		t.Fatal(err)
	}
	p := &witness.TlogProof{Extra: []byte("a 4"), Index: 4, Proof: rp, Checkpoint: lg.checkpoint(6)}
	b := p.Marshal()
	if !strings.HasPrefix(string(b), "c2sp.org/tlog-proof@v1\nextra YSA0\nindex 4\n") {
		t.Fatalf("Marshal = %q", b)
	}
	q, err := witness.ParseTlogProof(b)
	if err != nil {
		t.Fatal(err)
	}
	// The parsed proof proves the extra data (the entry) in the checkpoint.
	if err := tlog.CheckRecord(q.Proof, 6, lg.root(6), q.Index, tlog.RecordHash(q.Extra)); err != nil {
		t.Fatalf("parsed proof does not verify: %v", err)
	}
	for name, c := range map[string]struct{ src, want string }{
		"WrongHeader": {"c2sp.org/tlog-proof@v2\nindex 0\n\n" + string(lg.checkpoint(1)), "line 1"},
		"NoIndex":     {"c2sp.org/tlog-proof@v1\n\n" + string(lg.checkpoint(1)), "no index line"},
		"BadExtra":    {"c2sp.org/tlog-proof@v1\nextra !!\nindex 0\n\n" + string(lg.checkpoint(1)), "line 2"},
		"BadIndex":    {"c2sp.org/tlog-proof@v1\nindex 01\n\n" + string(lg.checkpoint(1)), "line 2: index"},
		"BadHash":     {"c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n" + string(lg.checkpoint(2)), "line 3: proof hash"},
		"NoBlankLine": {"c2sp.org/tlog-proof@v1\nindex 1\n", "no empty line"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := witness.ParseTlogProof([]byte(c.src))
			if !errors.Is(err, witness.ErrMalformed) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParseTlogProof = %v, want %q", err, c.want)
			}
		})
	}
}
