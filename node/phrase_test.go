package node_test

import (
	"context"
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
)

// TestPhraseChecked: the node accepts a message carrying a standard
// phrase with exactly its parameters and refuses, naming the problem, an
// unknown code, a parameter in another spelling, a missing or an extra one.
func TestPhraseChecked(t *testing.T) {
	fx := newFixture(t, nil)
	ctx := context.Background()
	send := func(code string, params map[string]string) error {
		_, err := fx.n.Submit(ctx, fx.signed("US", &deconflict.Payload{Kind: deconflict.KindMessage, Precedence: deconflict.Flash, Phrase: code, Params: params}))
		return err
	}
	if err := send("KEEP-CLEAR", map[string]string{"bearing": "045", "distance": "2.5"}); err != nil {
		t.Fatalf("a valid phrase: %v", err)
	}
	for _, tc := range []struct {
		name, code string
		params     map[string]string
		want       string
	}{
		{"ErrUnknown", "KEEP-AWAY", nil, `phrase "KEEP-AWAY": no such code`},
		{"ErrParamCase", "KEEP-CLEAR", map[string]string{"Bearing": "045", "distance": "2"}, "parameter bearing is missing"},
		{"ErrExtra", "UNDERSTOOD", map[string]string{"time": "1200"}, "unknown parameter time"},
		{"ErrValue", "LEAVING-AREA", map[string]string{"time": "25:00"}, `parameter time "25:00"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := send(tc.code, tc.params)
			if deconflict.ErrorCode(err) != deconflict.EINVALID || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Submit: %v, want invalid saying %q", err, tc.want)
			}
		})
	}
	if got, want := kinds(fx.envelopes()), "message"; got != want {
		t.Fatalf("log %s, want %s", got, want)
	}
}
