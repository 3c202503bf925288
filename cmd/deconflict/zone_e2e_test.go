package main_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestZones declares, lists and removes zones with the zone command, as a
// party (its own zones) and as the operator (any party's).
func TestZones(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	startServe(t, dir, data, addr)
	c := &cli{t: t, dir: dir, env: []string{"DECONFLICT_NODE=http://" + addr, "DECONFLICT_DATA=" + data, "DECONFLICT_KEY="}}
	for _, p := range []string{"RU", "NATO"} {
		c.run(false, "party", "add", p, "--pubkey", strings.TrimSpace(c.run(false, "keygen", "--out", p+".key")))
	}
	c.run(false, "channel", "create", "ru-nato", "--members", "RU,NATO")
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"zone", "add", "ex-1", "--kind", "exercise-area", "--key", "RU.key", "--name", "Baltic exercise", "--polygon", "55,19 55.5,19 55.5,20 55,20", "--from", "2026-01-01T00:00:00Z", "--until", "2036-01-01T00:00:00Z"}, 0, "zone ex-1 (exercise-area) of RU declared"},
		{[]string{"zone", "add", "mha-1", "--kind", "missile-hazard-area", "--data", data, "--owner", "RU", "--circle", "55.2,19.5,20000", "--alt", ",30000"}, 0, "zone mha-1 (missile-hazard-area) of RU declared"},
		{[]string{"zone", "add", "ex-1", "--kind", "exercise-area", "--key", "RU.key", "--circle", "55,19,1000"}, 1, "exists"},
		{[]string{"zone", "add", "ex-3", "--kind", "exercise-area", "--key", "NATO.key", "--owner", "RU", "--circle", "55,19,1000"}, 1, "only its own zones"},
		{[]string{"zone", "add", "ex-4", "--kind", "exercise-area", "--key", "RU.key", "--polygon", "55,19 55.5"}, 2, "want 2 comma-separated numbers"},
		{[]string{"zone", "add", "ex-4", "--kind", "exercise-area", "--key", "RU.key"}, 2, "either --polygon or --circle"},
		{[]string{"zone", "add", "ex-4", "--key", "RU.key", "--circle", "55,19,1000"}, 2, "--kind is required"},
		{[]string{"zone", "add", "ex-4", "--kind", "exercise-area", "--key", "RU.key", "--circle", "55,19,1000", "--from", "tomorrow"}, 2, "RFC 3339"},
	} {
		out, errs, code := c.runCode("", tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.says) {
			t.Errorf("deconflict %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.says)
		}
	}
	want := "ex-1\texercise-area\tRU\tBaltic exercise\tpolygon 55,19 55.5,19 55.5,20 55,20\n" +
		"mha-1\tmissile-hazard-area\tRU\t\tcircle 55.2,19.5,20000\n"
	if got := c.run(false, "zone", "list", "--key", "NATO.key"); got != want {
		t.Errorf("zone list:\n%s\nwant\n%s", got, want)
	}
	var z struct {
		ID      string
		MaxAltM *float64 `json:"max_alt_m"`
		MinAltM *float64 `json:"min_alt_m"`
	}
	lines := strings.Split(strings.TrimSpace(c.run(false, "zone", "list", "--json", "--data", data)), "\n")
	if len(lines) != 2 || json.Unmarshal([]byte(lines[1]), &z) != nil || z.ID != "mha-1" || z.MaxAltM == nil || *z.MaxAltM != 30000 || z.MinAltM != nil {
		t.Errorf("zone list --json: %q", lines)
	}
	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"zone", "remove", "ex-1", "--key", "NATO.key"}, 1, "owner"},
		{[]string{"zone", "remove", "ex-1", "--key", "RU.key"}, 0, "zone ex-1 removed"},
		{[]string{"zone", "remove", "ex-1", "--key", "RU.key"}, 1, "not found"},
		{[]string{"zone", "remove", "mha-1", "--data", data}, 0, "zone mha-1 removed"},
		{[]string{"zone", "remove", "--key", "RU.key"}, 2, "want exactly one zone ID"},
	} {
		out, errs, code := c.runCode("", tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.says) {
			t.Errorf("deconflict %s: exit %d, stdout %q, stderr %q; want exit %d saying %q", strings.Join(tc.args, " "), code, out, errs, tc.code, tc.says)
		}
	}
	if got := c.run(false, "zone", "list", "--key", "RU.key"); got != "" {
		t.Errorf("zone list after removing both: %q", got)
	}
}
