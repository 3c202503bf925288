package geo

import "math"

// Motion is the state of a constant-velocity track at a reference time:
// its position P (ECEF, m, on the surface), its velocity V (ECEF, m/s,
// tangent to the surface), its altitude (m) and vertical rate (m/s,
// positive up). AltM is NaN when unknown (ships, aircraft without
// altitude); ClimbMS is then ignored.
type Motion struct {
	P, V    Vec3
	AltM    float64
	ClimbMS float64
}

// NewMotion returns the Motion of an object at lat, lon (degrees) moving
// at speedMS (m/s) on courseDeg (degrees true), at altM (m, NaN unknown)
// climbing at climbMS (m/s). Unknown (NaN) speed, course or climb count as
// zero.
func NewMotion(lat, lon, altM, speedMS, courseDeg, climbMS float64) Motion {
	m := Motion{P: ECEF(lat, lon), AltM: altM}
	if speedMS == speedMS && courseDeg == courseDeg && speedMS != 0 {
		m.V = Velocity(lat, lon, speedMS, courseDeg)
	}
	if climbMS == climbMS {
		m.ClimbMS = climbMS
	}
	return m
}

// At returns the motion dtS seconds later (earlier when negative), moving
// in a straight line in ECEF: the position leaves the surface by
// (speed·dt)²/(2R), 0.6 km after 90 km, which the pair functions ignore
// because they measure in the tangent plane.
func (m Motion) At(dtS float64) Motion {
	m.P = m.P.Add(m.V.Scale(dtS))
	if m.AltM == m.AltM {
		m.AltM += m.ClimbMS * dtS
	}
	return m
}

// Approach is the closest point of approach of two constant-velocity
// tracks, measured from the time of their Motions.
type Approach struct {
	TCPAS       float64 // time to the closest point of approach, s, >= 0 (0 when diverging or relatively at rest)
	CPAM        float64 // horizontal distance at TCPA, m
	VerticalM   float64 // altitude of b minus altitude of a at TCPA, m; NaN when either is unknown
	DistanceM   float64 // horizontal distance now, m
	VerticalNow float64 // altitude of b minus altitude of a now, m; NaN when either is unknown
}

// relative returns the horizontal relative position (b-a) and velocity of
// b seen from a, projected on the tangent plane at their midpoint.
func relative(a, b Motion) (dp, dv Vec3) {
	n := Normal(a.P, b.P)
	dp = b.P.Sub(a.P)
	dp = dp.Sub(n.Scale(dp.Dot(n)))
	dv = b.V.Sub(a.V)
	dv = dv.Sub(n.Scale(dv.Dot(n)))
	return dp, dv
}

// ClosestApproach returns the closest point of approach of a and b,
// assuming constant velocity. TCPAS is 0 when they are diverging.
func ClosestApproach(a, b Motion) Approach {
	dp, dv := relative(a, b)
	dv2 := dv.Dot(dv)
	t := 0.0
	if dv2 > 1e-12 {
		t = -dp.Dot(dv) / dv2
	}
	if t < 0 {
		t = 0
	}
	c := dp.Add(dv.Scale(t))
	ap := Approach{TCPAS: t, CPAM: c.Norm(), DistanceM: dp.Norm(), VerticalM: math.NaN(), VerticalNow: math.NaN()}
	if a.AltM == a.AltM && b.AltM == b.AltM {
		dz := b.AltM - a.AltM
		ap.VerticalNow = dz
		ap.VerticalM = dz + (b.ClimbMS-a.ClimbMS)*t
	}
	return ap
}

// Conflict is the interval (s, from the Motions' time) during which two
// tracks are predicted to be inside each other's protected zone. In may be
// negative (already in conflict); Out may be +Inf (level, at rest).
type Conflict struct {
	InS, OutS float64
	TCPAS     float64 // horizontal time of closest approach, s (may be negative, as BlueSky computes it)
	CPAM      float64 // horizontal distance at TCPAS, m
}

// StateBased reports whether a and b are in conflict within lookaheadS
// seconds for a protected zone of radius rpzM (m, horizontal) and half
// height hpzM (m, vertical), by the state-based definition of BlueSky's
// conflict detection (TU Delft, bluesky/traffic/asas/statebased.py): the
// horizontal intrusion interval tcpa ± sqrt(rpz² - dcpa²)/|dv| intersected
// with the interval in which |Δalt + Δvs·t| < hpz must be non-empty, end
// after now and begin before the lookahead. As in BlueSky, a relative
// speed² under 1e-6 is raised to 1e-6. Two tracks whose relative vertical
// speed is under 1e-6 m/s are level relative to each other: inside the
// vertical zone at every time when |Δalt| < hpz, at none otherwise.
// (BlueSky divides by zero there: the same for |Δalt| ≠ hpz, and 0/0, no
// conflict, at exactly hpz. This function once raised the speed to
// 1e-6 m/s, which put one of the two orders of a pair at exactly hpz in
// conflict and not the other.) When either altitude is unknown the
// vertical interval is unbounded (a conservative choice BlueSky does not need).
func StateBased(a, b Motion, rpzM, hpzM, lookaheadS float64) (Conflict, bool) {
	dp, dv := relative(a, b)
	dv2 := dv.Dot(dv)
	if math.Abs(dv2) < 1e-6 {
		dv2 = 1e-6
	}
	vrel := math.Sqrt(dv2)
	tcpa := -dp.Dot(dv) / dv2
	dist2 := dp.Dot(dp)
	dcpa2 := math.Abs(dist2 - tcpa*tcpa*dv2)
	c := Conflict{TCPAS: tcpa, CPAM: math.Sqrt(dcpa2)}
	r2 := rpzM * rpzM
	if !(dcpa2 < r2) {
		return c, false
	}
	dtin := math.Sqrt(math.Max(0, r2-dcpa2)) / vrel
	tin, tout := tcpa-dtin, tcpa+dtin
	if a.AltM == a.AltM && b.AltM == b.AltM {
		dalt := b.AltM - a.AltM
		dvs := b.ClimbMS - a.ClimbMS
		if math.Abs(dvs) < 1e-6 {
			// Level relative to each other: inside the vertical zone
			// at every time or at none (strictly, as below).
			if !(math.Abs(dalt) < hpzM) {
				c.InS, c.OutS = tin, tout
				return c, false
			}
		} else {
			hi := (dalt + hpzM) / -dvs
			lo := (dalt - hpzM) / -dvs
			tin = math.Max(tin, math.Min(hi, lo))
			tout = math.Min(tout, math.Max(hi, lo))
		}
	}
	c.InS, c.OutS = tin, tout
	return c, tin <= tout && tout > 0 && tin < lookaheadS
}
