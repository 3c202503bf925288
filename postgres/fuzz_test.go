package postgres

import (
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/jackc/pgx/v5"
)

// FuzzParseChange: any notification payload is parsed or refused, never
// a panic, and an accepted append names a channel and a size.
func FuzzParseChange(f *testing.F) {
	for _, s := range []string{"append 12 ru-us", "channel ru-us", "keys", "append x c", "append 3", "", "channel "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, ok := parseChange(s)
		if !ok {
			return
		}
		if strings.HasPrefix(s, "append ") && (c.Channel == "" || c.Keys || c.Size <= 0) {
			t.Fatalf("%q parsed as %+v", s, c)
		}
	})
}

// FuzzDecodeReports: any reports notification is decoded or refused,
// never a panic; what PublishReports encodes decodes to the same reports.
func FuzzDecodeReports(f *testing.F) {
	var q pgx.Batch
	queueReports(&q, []deconflict.Report{{ID: "mmsi:211234560", Domain: deconflict.Sea, Lat: 55, Lon: 19, AltM: deconflict.Unknown}})
	f.Add(q.QueuedQueries[0].Arguments[1].(string))
	f.Add("")
	f.Add("not base64")
	f.Add("AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		rs, err := decodeReports(s)
		if err != nil {
			return
		}
		var q pgx.Batch
		if err := queueReports(&q, rs); err != nil {
			return // too large to share: refused, not a panic
		}
		var back []deconflict.Report
		for _, qq := range q.QueuedQueries {
			part, err := decodeReports(qq.Arguments[1].(string))
			if err != nil {
				t.Fatalf("re-encoded reports do not decode: %v", err)
			}
			back = append(back, part...)
		}
		if len(back) != len(rs) {
			t.Fatalf("%d reports re-encoded to %d", len(rs), len(back))
		}
	})
}
