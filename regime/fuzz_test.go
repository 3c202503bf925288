package regime_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/regime"
)

// FuzzParseForm: any bytes give a form or an EINVALID error, never a
// panic; an accepted form assesses and enters a ledger.
func FuzzParseForm(f *testing.F) {
	f.Add([]byte(`{"regime":"vd11-prior","state":"RU","designation":"ZAPAD","purpose":"p","start":"2027-09-10","end":"2027-09-16","troops":12800,"area":{"polygon":[[54,20],[54,23],[55.5,23]]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		form, err := regime.ParseForm(b)
		if err != nil {
			if code := deconflict.ErrorCode(err); code != deconflict.EINVALID {
				t.Fatalf("error code %s: %v", code, err)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatal("accepted invalid JSON")
		}
		rec := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		regime.Assess(form, rec, regime.NotificationThresholds)
		l := regime.NewLedger()
		if err := l.AddNotice(regime.Notice{Index: 0, Received: rec, Form: form}); err != nil {
			t.Fatal(err)
		}
		l.Findings(rec.Add(365 * 24 * time.Hour))
		if form.Area != nil {
			form.Area.Contains(55, 21, 0)
		}
	})
}

// FuzzParseMeasure: any bytes give a measure or an EINVALID error; an
// accepted measure enters a book.
func FuzzParseMeasure(f *testing.F) {
	f.Add([]byte(`{"kind":"separation","domain":"sea","tier":"dangerous","distance_m":3000}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := regime.ParseMeasure(b)
		if err != nil {
			if code := deconflict.ErrorCode(err); code != deconflict.EINVALID {
				t.Fatalf("error code %s: %v", code, err)
			}
			return
		}
		book := regime.NewBook([]string{"A", "B"})
		if err := book.Add(regime.LogEntry{Index: 0, Kind: regime.KindMeasure, Author: "A", Body: b}); err != nil {
			t.Fatalf("parsed measure refused by the book: %v", err)
		}
		book.At(0, time.Time{})
	})
}

// FuzzParseRef: sign and withdraw bodies.
func FuzzParseRef(f *testing.F) {
	f.Add([]byte(`{"index":3,"leaf_hash":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := regime.ParseRef(b)
		if err != nil {
			if code := deconflict.ErrorCode(err); code != deconflict.EINVALID {
				t.Fatalf("error code %s: %v", code, err)
			}
			return
		}
		if len(r.LeafHash) != 32 || r.Index < 0 {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzParseSubmitted: lines of a scan --notifications file.
func FuzzParseSubmitted(f *testing.F) {
	f.Add([]byte(`{"time":"2027-07-20T09:00:00Z","regime":"intention","state":"RU","start":"2027-09-10","end":"2027-09-16","area":{"circle":{"lat":55,"lon":20,"radius_m":1000}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		form, at, err := regime.ParseSubmitted(b)
		if err != nil {
			if code := deconflict.ErrorCode(err); code != deconflict.EINVALID {
				t.Fatalf("error code %s: %v", code, err)
			}
			return
		}
		if at.IsZero() {
			t.Fatal("accepted a line without its time")
		}
		ns := regime.NotifiedAreas(form, "f:1", at)
		regime.Explain(ns, form.State, 55, 20, math.NaN(), at)
	})
}
