package report

import (
	"time"

	"github.com/deconflict/deconflict"
)

// ParsePeriod reads a report's period as people give it: each DATE is
// YYYY-MM-DD or RFC 3339. A YYYY-MM-DD from starts at 00:00 UTC that day;
// a YYYY-MM-DD to includes that whole day (the period ends at the next
// day's 00:00 UTC, exclusive); RFC 3339 times are taken exactly.
// EINVALID names the date that is wrong, or says the period is empty.
func ParsePeriod(from, to string) (time.Time, time.Time, error) {
	f, err := parseDate("from", from, false)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	t, err := parseDate("to", to, true)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !f.Before(t) {
		return time.Time{}, time.Time{}, deconflict.Errorf(deconflict.EINVALID, "period: from %s is not before to %s", from, to)
	}
	return f, t, nil
}

func parseDate(name, s string, endOfDay bool) (time.Time, error) {
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, deconflict.Errorf(deconflict.EINVALID, "%s %.40q: want YYYY-MM-DD or RFC 3339 (2027-09-01T00:00:00Z)", name, s)
	}
	return t.UTC(), nil
}

// Fetch reads what a report is built from: the checkpoint (read first)
// and the log's envelopes 0 to its size-1, through read functions that
// authorise the member (the node's or the API client's). EINTERNAL if
// the log is shorter than the checkpoint says.
func Fetch(checkpoint func() ([]byte, error), envelopes func(from int64, limit int) ([]*deconflict.Envelope, error)) ([]byte, []*deconflict.Envelope, error) {
	cp, err := checkpoint()
	if err != nil {
		return nil, nil, err
	}
	prov, err := ParseCheckpoint(cp)
	if err != nil {
		return nil, nil, err
	}
	var out []*deconflict.Envelope
	for int64(len(out)) < prov.Size {
		page, err := envelopes(int64(len(out)), 1000)
		if err != nil {
			return nil, nil, err
		}
		if len(page) == 0 {
			return nil, nil, deconflict.Errorf(deconflict.EINTERNAL, "the log holds %d envelopes, the checkpoint %d", len(out), prov.Size)
		}
		for _, e := range page {
			if int64(len(out)) < prov.Size {
				out = append(out, e)
			}
		}
	}
	return cp, out, nil
}
