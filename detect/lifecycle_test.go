package detect_test

import (
	"math"
	"testing"
	"time"

	"github.com/deconflict/deconflict/detect"
)

// pred is a plain prediction at s seconds after t0.
func pred(s float64, sev detect.Severity, cpaM, tcpaS float64) detect.Prediction {
	return detect.Prediction{Time: t0.Add(time.Duration(s * float64(time.Second))), Severity: sev, CPAM: cpaM, TCPAS: tcpaS,
		DistanceM: cpaM, VerticalM: math.NaN(), CPAVertical: math.NaN(), ConflictInS: math.NaN(), ConflictOutS: math.NaN()}
}

// TestLifecycle drives the lifecycle with plain predictions: the rules
// of DESIGN.md's lifecycle without any geometry.
func TestLifecycle(t *testing.T) {
	const hold = 60 * time.Second
	type step struct {
		p    detect.Prediction
		stay bool
		want detect.EventType
	}
	for _, tc := range []struct {
		name  string
		first detect.Prediction
		steps []step
		// materialM is the CPA change that is material (m).
		materialM float64
	}{
		{"EscalatesOnlyWhenTheTierRises", pred(0, detect.Advisory, 3000, 900), []step{
			{pred(10, detect.Dangerous, 800, 890), true, detect.Escalated},
			{pred(20, detect.Advisory, 3000, 880), true, 0}, // lower: no event
			{pred(30, detect.Dangerous, 800, 870), true, 0}, // back to the highest: no event
			{pred(40, detect.Critical, 100, 860), true, detect.Escalated},
		}, 900},
		{"ClosesAfterTheHoldOutside", pred(0, detect.Advisory, 3000, 900), []step{
			{pred(10, detect.None, 5000, 0), false, 0},
			{pred(69, detect.None, 5000, 0), false, 0},
			{pred(70, detect.None, 5000, 0), false, detect.Closed},
		}, 900},
		{"InsideAgainRestartsTheHold", pred(0, detect.Advisory, 3000, 900), []step{
			{pred(10, detect.None, 5000, 0), false, 0},
			{pred(50, detect.None, 4500, 10), true, 0}, // inside the grown thresholds: stays open
			{pred(100, detect.None, 5000, 0), false, 0},
			{pred(159, detect.None, 5000, 0), false, 0},
			{pred(160, detect.None, 5000, 0), false, detect.Closed},
		}, 900},
		{"BelowAdvisoryButInsideStaysOpen", pred(0, detect.Advisory, 3000, 900), []step{
			{pred(10, detect.None, 3500, 800), true, 0},
			{pred(500, detect.None, 3500, 310), true, 0},
		}, 900},
		{"UpdatedOnMaterialCPAChangeAfterTheHold", pred(0, detect.Advisory, 3000, 900), []step{
			{pred(30, detect.Advisory, 2000, 870), true, 0},              // material, but within the hold of the opening
			{pred(60, detect.Advisory, 2500, 840), true, 0},              // 500 m: not material
			{pred(61, detect.Advisory, 2000, 839), true, detect.Updated}, // 1,000 m
			{pred(100, detect.Advisory, 500, 800), true, 0},              // within the hold of the update
			{pred(121, detect.Advisory, 2000, 779), true, 0},             // as emitted at 61
		}, 900},
		{"UpdatedOnMaterialCPATimeChange", pred(0, detect.Advisory, 3000, 900), []step{
			{pred(60, detect.Advisory, 3000, 840), true, 0},               // the CPA is where it was
			{pred(70, detect.Advisory, 3000, 1100), true, detect.Updated}, // 270 s later than predicted
		}, 900},
		{"ZoneCPAChangesAreNotMaterial", pred(0, detect.Advisory, 0, 300), []step{
			{pred(70, detect.Advisory, 5000, 230), true, 0},
			{pred(80, detect.Advisory, 0, math.NaN()), true, detect.Updated}, // no entry predicted any more
		}, math.Inf(1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := detect.NewLifecycle(tc.first, hold, tc.materialM, 180)
			for i, s := range tc.steps {
				got, p := l.Step(s.p, s.stay)
				if got != s.want {
					t.Fatalf("step %d (%v s): event %v, want %v", i, s.p.Time.Sub(t0).Seconds(), got, s.want)
				}
				if got != 0 && !p.Time.Equal(s.p.Time) {
					t.Fatalf("step %d: event's prediction of %v, want the one given", i, p.Time)
				}
			}
		})
	}
}

// TestLifecycleDue: Tick's close without a new prediction comes the hold
// after the prediction left the grown thresholds, not before.
func TestLifecycleDue(t *testing.T) {
	l := detect.NewLifecycle(pred(0, detect.Dangerous, 500, 600), time.Minute, 900, 180)
	if l.Due(t0.Add(time.Hour)) {
		t.Fatal("due while inside")
	}
	l.Step(pred(10, detect.None, 9000, 0), false)
	if l.Due(t0.Add(69 * time.Second)) {
		t.Fatal("due before the hold")
	}
	if !l.Due(t0.Add(70 * time.Second)) {
		t.Fatal("not due at the hold")
	}
	if got, want := l.Highest(), detect.Dangerous; got != want {
		t.Fatalf("highest %v, want %v", got, want)
	}
}
