package phrase_test

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/phrase"
)

// TestTable: every phrase has a source and its text in every language,
// each text using exactly the phrase's parameters, once each.
func TestTable(t *testing.T) {
	ph := regexp.MustCompile(`\{([a-z]+)\}`)
	for _, p := range phrase.All() {
		if p.Source == "" {
			t.Errorf("%s: no source", p.Code)
		}
		for _, lang := range phrase.Languages {
			text, ok := p.Text[lang]
			if !ok || strings.TrimSpace(text) == "" {
				t.Errorf("%s: no %s text", p.Code, lang)
				continue
			}
			var used []string
			for _, m := range ph.FindAllStringSubmatch(text, -1) {
				used = append(used, m[1])
			}
			slices.Sort(used)
			want := slices.Clone(p.Params)
			slices.Sort(want)
			if !slices.Equal(used, want) {
				t.Errorf("%s %s: placeholders %v, want %v", p.Code, lang, used, want)
			}
		}
	}
}

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		params     map[string]string
		err        string // "" for valid
	}{
		{"OK", "KEEP-CLEAR", map[string]string{"bearing": "045", "distance": "2.5"}, ""},
		{"OKNoParams", "UNDERSTOOD", nil, ""},
		{"OKZero", "KEEP-CLEAR", map[string]string{"bearing": "000", "distance": "0"}, ""},
		{"ErrUnknownCode", "NOPE", nil, `phrase "NOPE": no such code`},
		{"ErrCodeCase", "keep-clear", map[string]string{"bearing": "045", "distance": "2"}, "no such code"},
		{"ErrMissing", "KEEP-CLEAR", map[string]string{"bearing": "045"}, "parameter distance is missing"},
		{"ErrExtra", "KEEP-CLEAR", map[string]string{"bearing": "045", "distance": "2", "speed": "12"}, "unknown parameter speed"},
		{"ErrExtraNoParams", "UNDERSTOOD", map[string]string{"time": "1200"}, "unknown parameter time (want none)"},
		{"ErrBearing360", "KEEP-CLEAR", map[string]string{"bearing": "360", "distance": "2"}, "parameter bearing \"360\""},
		{"ErrBearingShort", "KEEP-CLEAR", map[string]string{"bearing": "45", "distance": "2"}, "parameter bearing"},
		{"ErrDistanceLeadingZero", "KEEP-CLEAR", map[string]string{"bearing": "045", "distance": "02"}, "parameter distance"},
		{"ErrDistanceTwoDecimals", "KEEP-CLEAR", map[string]string{"bearing": "045", "distance": "2.50"}, "parameter distance"},
		{"ErrDistanceSign", "KEEP-CLEAR", map[string]string{"bearing": "045", "distance": "-1"}, "parameter distance"},
		{"ErrTime", "LEAVING-AREA", map[string]string{"time": "2460"}, "parameter time"},
		{"ErrTimeColon", "LEAVING-AREA", map[string]string{"time": "12:00"}, "parameter time"},
		{"ErrSpeed", "MAINTAINING-COURSE-SPEED", map[string]string{"course": "090", "speed": "1000"}, "parameter speed"},
		{"ErrAltitude", "AIRCRAFT-UNSAFE", map[string]string{"bearing": "090", "distance": "1", "altitude": "1e3"}, "parameter altitude"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := phrase.Check(tc.code, tc.params)
			switch {
			case tc.err == "" && err != nil:
				t.Fatalf("Check: %v, want nil", err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("Check: %v, want an error saying %q", err, tc.err)
			}
		})
	}
}

func TestRender(t *testing.T) {
	params := map[string]string{"bearing": "045", "distance": "2.5"}
	for lang, want := range map[string]string{
		"en": "You are bearing 045 from me at 2.5 nautical miles. Keep clear of me.",
		"ru": "Вы находитесь по пеленгу 045 от меня на дистанции 2.5 морских миль. Не приближайтесь ко мне.",
		"fr": "Vous êtes au relèvement 045 de moi à 2.5 nautiques. Écartez-vous de moi.",
	} {
		got, err := phrase.Render("KEEP-CLEAR", params, lang)
		if err != nil || got != want {
			t.Errorf("Render %s: %q, %v; want %q", lang, got, err, want)
		}
	}
	if _, err := phrase.Render("KEEP-CLEAR", params, "de"); err == nil || !strings.Contains(err.Error(), `language "de"`) {
		t.Errorf("Render de: %v, want an error naming the language", err)
	}
}

// FuzzCheck: no input makes Check panic, and whatever it accepts renders
// in every language with no placeholder left.
func FuzzCheck(f *testing.F) {
	f.Add("KEEP-CLEAR", "bearing", "045", "distance", "2.5")
	f.Add("LEAVING-AREA", "time", "2359", "", "")
	f.Add("AIRCRAFT-UNSAFE", "altitude", "00", "bearing", "999")
	f.Fuzz(func(t *testing.T, code, k1, v1, k2, v2 string) {
		params := map[string]string{}
		if k1 != "" {
			params[k1] = v1
		}
		if k2 != "" {
			params[k2] = v2
		}
		if phrase.Check(code, params) != nil {
			return
		}
		for _, lang := range phrase.Languages {
			s, err := phrase.Render(code, params, lang)
			if err != nil || strings.Contains(s, "{") {
				t.Fatalf("accepted %s %v renders in %s as %q, %v", code, params, lang, s, err)
			}
		}
	})
}
