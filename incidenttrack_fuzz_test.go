package deconflict_test

import (
	"bytes"
	"testing"

	"github.com/deconflict/deconflict"
)

// FuzzDecodeTrackPoints: stored track points decode without panicking,
// and whatever decodes encodes to bytes that decode to the same points.
func FuzzDecodeTrackPoints(f *testing.F) {
	f.Add([]byte(`[]`))
	f.Add([]byte(`[[1764633600000,55.25,19,null,5.5,90],[1764633630000,55.25,19.001,null,5.5,90]]`))
	f.Add([]byte(`[[1764633600000,1,2,9000,null,null]]`))
	f.Add([]byte(`[[1,2]]`))
	f.Add([]byte(`[[null,1,2,3,4,5]]`))
	f.Add([]byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		pts, err := deconflict.DecodeTrackPoints(data)
		if err != nil {
			return
		}
		enc := deconflict.EncodeTrackPoints(pts)
		again, err := deconflict.DecodeTrackPoints(enc)
		if err != nil {
			t.Fatalf("re-decoding %s: %v", enc, err)
		}
		if !bytes.Equal(deconflict.EncodeTrackPoints(again), enc) {
			t.Fatalf("%s decodes to other points", enc)
		}
	})
}
