package report_test

import (
	"strings"
	"testing"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/report"
)

// FuzzParseCheckpoint: any bytes give a checkpoint or an error naming
// what is wrong, never a panic; what parses has a size, a 32-byte root
// and a signature line.
func FuzzParseCheckpoint(f *testing.F) {
	f.Add([]byte("demo/ru-nato\n34\n4Y8ttVHGlgdyNPZUoKThbmkoRsyO5iOhK0rNH5Mz+OU=\n\n\u2014 demo/ru-nato c78Z8yIFpxgzGHZWzj0MQbz+p4m5+iDXqu5N2fJqxqm0fnd8kbqaH3jNagDndMJiuDgUh41alrT9dgnidSLO+7pzgE=\n"))
	f.Add([]byte("o\n-1\nAAAA\n\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := report.ParseCheckpoint(b)
		if err != nil {
			if !strings.HasPrefix(deconflict.ErrorMessage(err), "checkpoint: ") {
				t.Fatalf("error %q does not say it is about the checkpoint", err)
			}
			return
		}
		if p.Size < 0 || len(p.Root) != 44 || len(p.Signatures) == 0 {
			t.Fatalf("parsed %+v", p)
		}
	})
}

// FuzzParsePeriod: any two strings give a non-empty period or an error
// naming the date or saying the period is empty, never a panic.
func FuzzParsePeriod(f *testing.F) {
	f.Add("2027-09-01", "2027-09-30")
	f.Add("2027-09-01T06:00:00Z", "2027-09-01T06:00:00Z")
	f.Add("yesterday", "2027-09-30")
	f.Add("2027-09-30", "2027-09-01T00:00:00+03:00")
	f.Fuzz(func(t *testing.T, from, to string) {
		a, b, err := report.ParsePeriod(from, to)
		if err != nil {
			msg := deconflict.ErrorMessage(err)
			if !strings.HasPrefix(msg, "from ") && !strings.HasPrefix(msg, "to ") && !strings.HasPrefix(msg, "period: ") {
				t.Fatalf("error %q names neither date nor period", msg)
			}
			return
		}
		if !a.Before(b) {
			t.Fatalf("period %v to %v is empty", a, b)
		}
	})
}
