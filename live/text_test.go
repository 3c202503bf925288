package live_test

import (
	"math"
	"testing"
	"time"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/live"
)

var t0 = time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)

// names knows three tracks by name and the motion of two of them.
func names(id string) live.TrackLabel {
	nan := math.NaN()
	return map[string]live.TrackLabel{
		"RU:su24-07":       {Name: "SU-24MR RF-95007", SpeedKnown: true, SpeedMS: 200, CourseDeg: 279.6},
		"NATO:donald-cook": {Name: "USS DONALD COOK", SpeedKnown: true, SpeedMS: 0.1, CourseDeg: 45},
		"NATO:bainbridge":  {Name: "USS BAINBRIDGE", SpeedMS: nan, CourseDeg: nan},
	}[id]
}

func TestAlertText(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		name string
		ev   detect.EventType
		e    detect.Encounter
		want string
	}{
		{"AirSea", detect.Opened, detect.Encounter{Kind: detect.Approach, A: "NATO:donald-cook", B: "RU:su24-07", PartyA: "NATO", PartyB: "RU",
			Domain: deconflict.AirSea, Severity: detect.Critical, Prediction: detect.Prediction{Time: t0, Severity: detect.Critical,
				CPAM: 250, TCPAS: 100, DistanceM: 20400, CPAVertical: 30, PosA: detect.Position{Lat: 55.3, Lon: 17.2, AltM: nan},
				PosB: detect.Position{Lat: 55.302, Lon: 17.2, AltM: 30.48}}},
			"CRITICAL air-sea encounter: USS DONALD COOK (NATO:donald-cook, NATO, 0 kn) and SU-24MR RF-95007 (RU:su24-07, RU, 389 kn on 280°); " +
				"CPA 0.13 NM (250 m) at 100 ft (30 m) at 10:01:40 UTC, in 1 min 40 s; now 11.0 NM (20,400 m) apart; at 55°18.060'N 17°12.000'E"},
		{"Air", detect.Escalated, detect.Encounter{Kind: detect.Approach, A: "icao:1", B: "icao:2", PartyA: "NATO", PartyB: "RU",
			Domain: deconflict.Air, Severity: detect.Warning, Prediction: detect.Prediction{Time: t0, Severity: detect.Warning,
				CPAM: 2222, TCPAS: 40, DistanceM: 12000, CPAVertical: -152.4, PosA: detect.Position{Lat: 57, Lon: 21, AltM: 9144},
				PosB: detect.Position{Lat: 57, Lon: 21, AltM: 8991.6}}},
			"Encounter escalated to WARNING (air): icao:1 (NATO) and icao:2 (RU); CPA 1.2 NM (2,222 m), 500 ft (152 m) vertical at FL300 and FL295 at 10:00:40 UTC, in 40 s; now 6.5 NM (12,000 m) apart; at 57°00.000'N 21°00.000'E"},
		{"ZoneEntry", detect.Opened, detect.Encounter{Kind: detect.ZoneEntry, A: "NATO:bainbridge", PartyA: "NATO", PartyB: "RU", Zone: "RU-EX-17",
			ZoneKind: detect.ExerciseArea, Domain: deconflict.Sea, Severity: detect.Advisory, Prediction: detect.Prediction{Time: t0, Severity: detect.Advisory,
				TCPAS: 180, DistanceM: 1500, PosA: detect.Position{Lat: 55.4, Lon: 19.05, AltM: nan}, PosB: detect.Position{Lat: nan, Lon: nan, AltM: nan}}},
			"ADVISORY sea encounter: USS BAINBRIDGE (NATO:bainbridge, NATO) enters exercise-area RU-EX-17 of RU in 3 min (10:03:00 UTC); at 55°24.000'N 19°03.000'E"},
		{"Shadowing", detect.Closed, detect.Encounter{Kind: detect.Shadowing, A: "NATO:absalon", B: "RU:vt", PartyA: "NATO", PartyB: "RU",
			Domain: deconflict.Sea, Severity: detect.Advisory, Since: t0, Reason: detect.Parted, Prediction: detect.Prediction{Time: t0.Add(57 * time.Minute),
				Severity: detect.Advisory, CPAM: 1296, DistanceM: 2400, TCPAS: nan}},
			"Shadowing ended (parted) after 57 min: NATO:absalon (NATO) and RU:vt (RU) within 1.0 NM (1,852 m) of each other since 10:00:00 UTC (57 min); closest 0.70 NM (1,296 m)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := live.AlertText(tc.ev, &tc.e, names); got != tc.want {
				t.Fatalf("text\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestTrackName(t *testing.T) {
	for _, tc := range [][3]string{{"EVER DIADEM", "3FOF8", "EVER DIADEM 3FOF8"}, {"", "RFF7712", "RFF7712"}, {"ADA", "ada", "ADA"}, {"", "", ""}} {
		if got := live.TrackName(tc[0], tc[1]); got != tc[2] {
			t.Errorf("TrackName(%q, %q) = %q, want %q", tc[0], tc[1], got, tc[2])
		}
	}
}
