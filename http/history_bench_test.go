package http_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/internal/nodetest"
)

// BenchmarkPictureTrail reads GET /v1/picture with and without 10-minute
// trails over 10,000 ships that each reported every 30 s for 10 minutes
// (21 stored positions): what the console's trails cost the node and the
// link every 5 s when the view holds that many tracks.
func BenchmarkPictureTrail(b *testing.B) {
	tn := nodetest.Start(b, nodetest.Options{})
	if err := tn.EnableLive(nil, detectConfig()); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	const tracks = 10_000
	u := deconflict.Unknown
	for s := 20; s >= 0; s-- {
		rs := make([]deconflict.Report, tracks)
		for i := range rs {
			rs[i] = deconflict.Report{Time: now.Add(-time.Duration(s) * 30 * time.Second), ID: fmt.Sprintf("mmsi:%09d", 200000000+i), Domain: deconflict.Sea, Source: "ais",
				Lat: 54 + float64(i%100)/50, Lon: 10 + float64(i/100)/10 + float64(20-s)/1000, AltM: u, SpeedMS: 5, CourseDeg: 90, ClimbMS: u}
		}
		tn.Live.Table.UpdateBatch(rs)
	}
	for _, path := range []string{"/v1/picture", "/v1/picture?trail=10"} {
		b.Run(path, func(b *testing.B) {
			var size int
			for b.Loop() {
				var raw json.RawMessage
				if err := tn.Operator().Do(context.Background(), "GET", path, nil, &raw); err != nil {
					b.Fatal(err)
				}
				size = len(raw)
			}
			b.ReportMetric(float64(size), "bytes/response")
		})
	}
}
