// Package phrase is the hotline's table of standard phrases: each has a
// code, typed parameters (bearings, distances, times...) and its text in
// English, Russian and French, so that two duty officers without a common
// language read the same signed message each in their own. An envelope
// carries the code and the parameters, which its signature covers; the
// text is rendered by each reader and is never signed. Where each phrase
// comes from is in Source (docs/phrases.md lists them). The package is
// pure: no I/O, standard library only.
package phrase

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Languages a phrase is rendered in; English is the reference text.
var Languages = []string{"en", "ru", "fr"}

// Param kinds. A parameter's name is its kind, and its value has one
// spelling only, so that the signed bytes mean one thing:
//   - bearing, course: true degrees, three digits, "000" to "359";
//   - distance: nautical miles, "0" to "9999" with at most one decimal ("2.5"), no leading zero;
//   - speed: knots, an integer "0" to "999", no leading zero;
//   - time: UTC, four digits HHMM, "0000" to "2359";
//   - altitude: feet, an integer "0" to "99999", no leading zero.
const (
	Bearing  = "bearing"
	Course   = "course"
	Distance = "distance"
	Speed    = "speed"
	Time     = "time"
	Altitude = "altitude"
)

// Phrase is one standard phrase.
type Phrase struct {
	Code   string            `json:"code"`
	Params []string          `json:"params,omitempty"` // parameter names (kinds), in the order the English text uses them
	Text   map[string]string `json:"text"`             // language -> text with {name} placeholders
	Source string            `json:"source"`           // where the phrase comes from
}

// Sources named by the table.
const (
	srcCUES  = "CUES (Code for Unplanned Encounters at Sea, Western Pacific Naval Symposium, 2014), its communication plan and standard phrases; wording adapted"
	srcDMA   = "1989 US-USSR Agreement on the Prevention of Dangerous Military Activities, Annex 2 (communication procedures and phrases); wording adapted"
	srcINC   = "1972 US-USSR Incidents at Sea Agreement (INCSEA) and its signals (Art. III, VI); wording adapted"
	srcLocal = "deconflict (proposed: the acknowledgement and closest approach the hotline itself reports)"
)

var table = []Phrase{
	{Code: "REQUEST-INTENTIONS", Source: srcCUES, Text: map[string]string{
		"en": "Request your intentions.",
		"ru": "Прошу сообщить ваши намерения.",
		"fr": "Indiquez vos intentions."}},
	{Code: "MAINTAINING-COURSE-SPEED", Params: []string{Course, Speed}, Source: srcCUES, Text: map[string]string{
		"en": "I am maintaining course {course} and speed {speed} knots.",
		"ru": "Следую прежним курсом {course}, скорость {speed} узлов.",
		"fr": "Je maintiens le cap {course} et la vitesse {speed} nœuds."}},
	{Code: "ALTERING-PORT", Source: srcCUES, Text: map[string]string{
		"en": "I am altering my course to port.",
		"ru": "Изменяю курс влево.",
		"fr": "Je viens sur bâbord."}},
	{Code: "ALTERING-STARBOARD", Source: srcCUES, Text: map[string]string{
		"en": "I am altering my course to starboard.",
		"ru": "Изменяю курс вправо.",
		"fr": "Je viens sur tribord."}},
	{Code: "KEEP-CLEAR", Params: []string{Bearing, Distance}, Source: srcCUES, Text: map[string]string{
		"en": "You are bearing {bearing} from me at {distance} nautical miles. Keep clear of me.",
		"ru": "Вы находитесь по пеленгу {bearing} от меня на дистанции {distance} морских миль. Не приближайтесь ко мне.",
		"fr": "Vous êtes au relèvement {bearing} de moi à {distance} nautiques. Écartez-vous de moi."}},
	{Code: "FLIGHT-OPERATIONS", Source: srcINC, Text: map[string]string{
		"en": "I am conducting flight operations. Keep clear of me.",
		"ru": "Выполняю полёты авиации. Не приближайтесь ко мне.",
		"fr": "Je conduis des opérations aériennes. Écartez-vous de moi."}},
	{Code: "DIVERS-DOWN", Source: srcCUES, Text: map[string]string{
		"en": "I have divers in the water. Keep clear of me.",
		"ru": "У меня под водой водолазы. Не приближайтесь ко мне.",
		"fr": "J'ai des plongeurs à l'eau. Écartez-vous de moi."}},
	{Code: "SPECIAL-CAUTION-AREA", Source: srcDMA, Text: map[string]string{
		"en": "You are approaching an area of special caution. State your intentions.",
		"ru": "Вы приближаетесь к району особой осторожности. Сообщите ваши намерения.",
		"fr": "Vous approchez d'une zone de précaution particulière. Indiquez vos intentions."}},
	{Code: "LEAVING-AREA", Params: []string{Time}, Source: srcDMA, Text: map[string]string{
		"en": "I will leave the area by {time} UTC.",
		"ru": "Покину район к {time} UTC.",
		"fr": "Je quitterai la zone avant {time} UTC."}},
	{Code: "CEASE-LASER", Source: srcDMA, Text: map[string]string{
		"en": "Cease illuminating my personnel and equipment with your laser immediately.",
		"ru": "Немедленно прекратите облучение моего личного состава и техники лазером.",
		"fr": "Cessez immédiatement d'illuminer mon personnel et mon matériel avec votre laser."}},
	{Code: "AIRCRAFT-UNSAFE", Params: []string{Bearing, Distance, Altitude}, Source: srcINC, Text: map[string]string{
		"en": "Your aircraft bearing {bearing} from me at {distance} nautical miles and {altitude} feet is unsafe. Increase separation.",
		"ru": "Ваш самолёт по пеленгу {bearing} от меня на дистанции {distance} морских миль и высоте {altitude} футов опасен. Увеличьте дистанцию.",
		"fr": "Votre aéronef au relèvement {bearing} de moi à {distance} nautiques et {altitude} pieds est dangereux. Augmentez la séparation."}},
	{Code: "CLOSEST-APPROACH", Params: []string{Distance, Time}, Source: srcLocal, Text: map[string]string{
		"en": "Our closest point of approach is {distance} nautical miles at {time} UTC.",
		"ru": "Точка нашего кратчайшего сближения: {distance} морских миль в {time} UTC.",
		"fr": "Notre point de rapprochement maximal est de {distance} nautiques à {time} UTC."}},
	{Code: "UNDERSTOOD", Source: srcDMA, Text: map[string]string{
		"en": "Your message is received and understood.",
		"ru": "Ваше сообщение получено и понято.",
		"fr": "Votre message est reçu et compris."}},
}

var byCode = func() map[string]*Phrase {
	m := make(map[string]*Phrase, len(table))
	for i := range table {
		m[table[i].Code] = &table[i]
	}
	return m
}()

// All returns the table, ordered by code.
func All() []Phrase {
	out := slices.Clone(table)
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

// Lookup returns the phrase of code, or an error naming the code.
func Lookup(code string) (*Phrase, error) {
	p, ok := byCode[code]
	if !ok {
		return nil, fmt.Errorf("phrase %q: no such code (see `deconflict phrases`)", short(code))
	}
	return p, nil
}

// Check reports whether params are exactly the parameters of code's
// phrase, each in its one spelling. The error names the first problem.
func Check(code string, params map[string]string) error {
	p, err := Lookup(code)
	if err != nil {
		return err
	}
	for _, name := range p.Params {
		v, ok := params[name]
		if !ok {
			return fmt.Errorf("phrase %s: parameter %s is missing (want %s)", code, name, strings.Join(p.Params, ", "))
		}
		if err := checkValue(name, v); err != nil {
			return fmt.Errorf("phrase %s: %w", code, err)
		}
	}
	if len(params) != len(p.Params) {
		var extra []string
		for k := range params {
			if !slices.Contains(p.Params, k) {
				extra = append(extra, short(k))
			}
		}
		sort.Strings(extra)
		return fmt.Errorf("phrase %s: unknown parameter %s (want %s)", code, strings.Join(extra, ", "), paramsText(p.Params))
	}
	return nil
}

func paramsText(ps []string) string {
	if len(ps) == 0 {
		return "none"
	}
	return strings.Join(ps, ", ")
}

// checkValue checks one parameter value against its kind's one spelling.
func checkValue(name, v string) error {
	bad := func(want string) error { return fmt.Errorf("parameter %s %q: want %s", name, short(v), want) }
	switch name {
	case Bearing, Course:
		if len(v) != 3 || !digits(v) {
			return bad("three digits of true degrees, 000 to 359")
		}
		if n, _ := strconv.Atoi(v); n > 359 {
			return bad("three digits of true degrees, 000 to 359")
		}
	case Distance:
		whole, frac, dot := strings.Cut(v, ".")
		if !canonicalInt(whole, 4) || dot && (len(frac) != 1 || !digits(frac)) {
			return bad("nautical miles, 0 to 9999 with at most one decimal (2.5), no leading zero")
		}
	case Speed:
		if !canonicalInt(v, 3) {
			return bad("knots, an integer 0 to 999, no leading zero")
		}
	case Altitude:
		if !canonicalInt(v, 5) {
			return bad("feet, an integer 0 to 99999, no leading zero")
		}
	case Time:
		if len(v) != 4 || !digits(v) || v[:2] > "23" || v[2:] > "59" {
			return bad("UTC as HHMM, 0000 to 2359")
		}
	default:
		return fmt.Errorf("parameter %q: unknown kind", short(name))
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// canonicalInt: 1 to max digits, no leading zero (but "0").
func canonicalInt(s string, max int) bool {
	return digits(s) && len(s) <= max && (s == "0" || s[0] != '0')
}

// Render returns the phrase of code with params in lang (en, ru or fr),
// after checking them as Check does.
func Render(code string, params map[string]string, lang string) (string, error) {
	if err := Check(code, params); err != nil {
		return "", err
	}
	p := byCode[code]
	t, ok := p.Text[lang]
	if !ok {
		return "", fmt.Errorf("language %q: want %s", short(lang), strings.Join(Languages, ", "))
	}
	for _, name := range p.Params {
		t = strings.ReplaceAll(t, "{"+name+"}", params[name])
	}
	return t, nil
}

func short(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
