package detect

import "time"

// Lifecycle exposes the encounter lifecycle to the external tests: the
// lifecycle tests drive it with plain predictions, and the all-pairs
// reference of the property tests runs its rules on predictions of its
// own.
type Lifecycle struct {
	l lifecycle
	r lifeRules
}

// NewLifecycle opens a lifecycle with its first prediction p, the close
// hold, and the CPA distance (m) and time (s) changes that are material.
func NewLifecycle(p Prediction, hold time.Duration, materialM, materialS float64) *Lifecycle {
	l := &Lifecycle{r: lifeRules{hold: int64(hold), materialM: materialM, materialS: materialS}}
	l.l.open(p)
	return l
}

// Step runs the lifecycle with prediction p (at p.Time, of tier
// p.Severity), inside the grown thresholds when stay, and returns the
// event to emit (0: none) and its prediction.
func (l *Lifecycle) Step(p Prediction, stay bool) (EventType, Prediction) {
	return l.l.step(p.Time.UnixNano(), p.Severity, stay, l.r, func(bool) Prediction { return p })
}

// Due reports whether the lifecycle closes at now without a prediction.
func (l *Lifecycle) Due(now time.Time) bool { return l.l.due(now.UnixNano(), l.r.hold) }

// Highest returns the highest tier reached.
func (l *Lifecycle) Highest() Severity { return l.l.highest }

// Alone reports whether the tracks of party (asset or civilian) in domain
// d are watched with no label the engine knows, so that their updates
// skip the candidate loop; false for a label not known.
func (e *Engine) Alone(party string, asset bool, d int) bool {
	l, ok := e.labelIdx[label{party, asset, uint8(d)}]
	return ok && e.isAlone(l)
}
