// Package geo holds the geodesy of deconflict: WGS 84 positions as
// Earth-centred, Earth-fixed (ECEF) vectors, distances, closest points of
// approach of constant-velocity tracks, BlueSky-style state-based conflict
// detection, zones (spherical polygons and circles) and a spatial grid.
//
// Everything works on ECEF vectors, so there is no special case at the
// poles or across the antimeridian: the horizontal separation of two
// tracks is measured in the tangent plane of the ellipsoid at the pair's
// midpoint, which is within 1e-4 (relative) of the geodesic distance for
// separations under 100 km anywhere on Earth (see the tests against
// Vincenty's inverse formula). The package is pure: no I/O, no clock.
package geo

import (
	"math"
)

// WGS 84 ellipsoid.
const (
	WGS84A = 6378137.0             // semi-major axis, m
	WGS84F = 1 / 298.257223563     // flattening
	WGS84B = WGS84A * (1 - WGS84F) // semi-minor axis, m

	// MeanEarthRadiusM is the IUGG mean radius R1, m, used where a sphere
	// is good enough (bounds, haversine).
	MeanEarthRadiusM = 6371008.8
)

const (
	e2     = WGS84F * (2 - WGS84F) // first eccentricity squared
	invA2  = 1 / (WGS84A * WGS84A)
	invB2  = 1 / (WGS84B * WGS84B)
	degRad = math.Pi / 180
)

// Vec3 is a vector in metres (positions) or metres per second (velocities)
// in the ECEF frame: X towards 0°N 0°E, Y towards 0°N 90°E, Z towards the
// North Pole.
type Vec3 struct{ X, Y, Z float64 }

// Add returns v+w.
func (v Vec3) Add(w Vec3) Vec3 { return Vec3{v.X + w.X, v.Y + w.Y, v.Z + w.Z} }

// Sub returns v-w.
func (v Vec3) Sub(w Vec3) Vec3 { return Vec3{v.X - w.X, v.Y - w.Y, v.Z - w.Z} }

// Scale returns k·v.
func (v Vec3) Scale(k float64) Vec3 { return Vec3{k * v.X, k * v.Y, k * v.Z} }

// Dot returns the scalar product v·w.
func (v Vec3) Dot(w Vec3) float64 { return v.X*w.X + v.Y*w.Y + v.Z*w.Z }

// Cross returns the vector product v×w.
func (v Vec3) Cross(w Vec3) Vec3 {
	return Vec3{v.Y*w.Z - v.Z*w.Y, v.Z*w.X - v.X*w.Z, v.X*w.Y - v.Y*w.X}
}

// Norm returns |v|.
func (v Vec3) Norm() float64 { return math.Sqrt(v.Dot(v)) }

// Unit returns v/|v| (the zero vector for the zero vector).
func (v Vec3) Unit() Vec3 {
	n := v.Norm()
	if n == 0 {
		return v
	}
	return v.Scale(1 / n)
}

// LatLon is a geodetic position in degrees (WGS 84).
type LatLon struct{ Lat, Lon float64 }

// ECEF returns the ECEF position (m) of the point on the ellipsoid's
// surface at lat, lon (degrees).
func ECEF(lat, lon float64) Vec3 {
	sφ, cφ := math.Sincos(lat * degRad)
	sλ, cλ := math.Sincos(lon * degRad)
	n := WGS84A / math.Sqrt(1-e2*sφ*sφ)
	return Vec3{n * cφ * cλ, n * cφ * sλ, n * (1 - e2) * sφ}
}

// ToLatLon returns the geodetic latitude and longitude (degrees, longitude
// in [-180, 180]) of the ECEF point p, which need not lie on the surface
// (its height is dropped). It is Vermeille's closed form (J. Geodesy 76,
// 2002: one cube root, four square roots, one arctangent for the
// latitude), exact but for rounding (within 1e-12 degrees, tested against
// the forward transform and the fixed-point iteration) for points more
// than 100 km from the Earth's centre, which is every point of interest;
// nearer (inside the evolute of the meridian ellipse, where the closed
// form does not hold) it falls back to the fixed-point iteration.
func ToLatLon(p Vec3) LatLon {
	const e4 = e2 * e2
	r2 := p.X*p.X + p.Y*p.Y
	pp := r2 * invA2
	q := (1 - e2) * invA2 * p.Z * p.Z
	rr := (pp + q - e4) / 6
	if !(pp+q > 1.0/4096) { // within 100 km of the centre, or NaN
		return toLatLonIter(p)
	}
	s := e4 * pp * q / (4 * rr * rr * rr)
	t := math.Cbrt(1 + s + math.Sqrt(s*(2+s)))
	u := rr * (1 + t + 1/t)
	v := math.Sqrt(u*u + e4*q)
	w := e2 * (u + v - q) / (2 * v)
	k := math.Sqrt(u+v+w*w) - w
	d := k * math.Sqrt(r2) / (k + e2)
	return LatLon{math.Atan2(p.Z, d) / degRad, math.Atan2(p.Y, p.X) / degRad}
}

// toLatLonIter is ToLatLon by the fixed-point iteration on the latitude
// (five steps, to better than 1e-9 degrees at the heights of aircraft),
// for points near the centre, and the tests' second opinion.
func toLatLonIter(p Vec3) LatLon {
	r := math.Hypot(p.X, p.Y)
	lon := math.Atan2(p.Y, p.X) / degRad
	φ := math.Atan2(p.Z, r*(1-e2))
	for i := 0; i < 5; i++ {
		s := math.Sin(φ)
		n := WGS84A / math.Sqrt(1-e2*s*s)
		φ = math.Atan2(p.Z+e2*n*s, r)
	}
	return LatLon{φ / degRad, lon}
}

// Frame is the local east, north, up basis at a point of the ellipsoid
// (unit vectors, up along the ellipsoid normal).
type Frame struct{ East, North, Up Vec3 }

// FrameAt returns the local frame at lat, lon (degrees).
func FrameAt(lat, lon float64) Frame {
	sφ, cφ := math.Sincos(lat * degRad)
	sλ, cλ := math.Sincos(lon * degRad)
	return Frame{
		East:  Vec3{-sλ, cλ, 0},
		North: Vec3{-sφ * cλ, -sφ * sλ, cφ},
		Up:    Vec3{cφ * cλ, cφ * sλ, sφ},
	}
}

// Velocity returns the ECEF velocity (m/s), tangent to the ellipsoid at
// lat, lon (degrees), of an object moving at speedMS (m/s) on courseDeg
// (degrees true).
func Velocity(lat, lon, speedMS, courseDeg float64) Vec3 {
	f := FrameAt(lat, lon)
	sc, cc := math.Sincos(courseDeg * degRad)
	return f.East.Scale(speedMS * sc).Add(f.North.Scale(speedMS * cc))
}

// Normal returns the unit normal of the ellipsoid at the midpoint of the
// chord from p to q (both on the surface). It is exactly perpendicular to
// the chord, so the chord lies in the tangent plane it defines.
func Normal(p, q Vec3) Vec3 {
	return Vec3{(p.X + q.X) * invA2, (p.Y + q.Y) * invA2, (p.Z + q.Z) * invB2}.Unit()
}

// Distance returns the horizontal distance (m) between two surface
// positions: the chord between them, within 1e-5 (relative) of the
// geodesic for distances under 100 km and still within 0.5% up to 1,000 km.
func Distance(a, b LatLon) float64 {
	return ECEF(a.Lat, a.Lon).Sub(ECEF(b.Lat, b.Lon)).Norm()
}

// Haversine returns the great-circle distance (m) between a and b on the
// sphere of radius MeanEarthRadiusM (up to 0.5% from the ellipsoid).
func Haversine(a, b LatLon) float64 {
	φ1, φ2 := a.Lat*degRad, b.Lat*degRad
	dφ := φ2 - φ1
	dλ := (b.Lon - a.Lon) * degRad
	s := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * MeanEarthRadiusM * math.Asin(math.Min(1, math.Sqrt(s)))
}

// Vincenty returns the geodesic distance (m) between a and b on the WGS 84
// ellipsoid by Vincenty's inverse formula (1975), accurate to 0.5 mm. ok is
// false when the iteration does not converge (nearly antipodal points).
// It is the reference the faster functions are tested against.
func Vincenty(a, b LatLon) (m float64, ok bool) {
	const f = WGS84F
	L := (b.Lon - a.Lon) * degRad
	U1 := math.Atan((1 - f) * math.Tan(a.Lat*degRad))
	U2 := math.Atan((1 - f) * math.Tan(b.Lat*degRad))
	sU1, cU1 := math.Sincos(U1)
	sU2, cU2 := math.Sincos(U2)
	λ := L
	var sσ, cσ, σ, cos2α, cos2σm float64
	for i := 0; i < 200; i++ {
		sλ, cλ := math.Sincos(λ)
		sσ = math.Hypot(cU2*sλ, cU1*sU2-sU1*cU2*cλ)
		if sσ == 0 {
			return 0, true
		}
		cσ = sU1*sU2 + cU1*cU2*cλ
		σ = math.Atan2(sσ, cσ)
		sα := cU1 * cU2 * sλ / sσ
		cos2α = 1 - sα*sα
		cos2σm = 0
		if cos2α != 0 {
			cos2σm = cσ - 2*sU1*sU2/cos2α
		}
		C := f / 16 * cos2α * (4 + f*(4-3*cos2α))
		prev := λ
		λ = L + (1-C)*f*sα*(σ+C*sσ*(cos2σm+C*cσ*(-1+2*cos2σm*cos2σm)))
		if math.Abs(λ-prev) < 1e-12 {
			u2 := cos2α * (WGS84A*WGS84A - WGS84B*WGS84B) / (WGS84B * WGS84B)
			A := 1 + u2/16384*(4096+u2*(-768+u2*(320-175*u2)))
			B := u2 / 1024 * (256 + u2*(-128+u2*(74-47*u2)))
			dσ := B * sσ * (cos2σm + B/4*(cσ*(-1+2*cos2σm*cos2σm)-B/6*cos2σm*(-3+4*sσ*sσ)*(-3+4*cos2σm*cos2σm)))
			return WGS84B * A * (σ - dσ), true
		}
	}
	return math.NaN(), false
}

// Destination returns the point reached from p after distM (m) along the
// great circle leaving on courseDeg (degrees true), on the sphere of radius
// MeanEarthRadiusM. Used to lay out scenarios; not a geodesic solver.
func Destination(p LatLon, courseDeg, distM float64) LatLon {
	δ := distM / MeanEarthRadiusM
	θ := courseDeg * degRad
	φ1, λ1 := p.Lat*degRad, p.Lon*degRad
	sφ1, cφ1 := math.Sincos(φ1)
	sδ, cδ := math.Sincos(δ)
	sφ2 := sφ1*cδ + cφ1*sδ*math.Cos(θ)
	φ2 := math.Asin(math.Max(-1, math.Min(1, sφ2)))
	λ2 := λ1 + math.Atan2(math.Sin(θ)*sδ*cφ1, cδ-sφ1*sφ2)
	return LatLon{φ2 / degRad, NormLon(λ2 / degRad)}
}

// Bearing returns the initial great-circle course (degrees true, [0, 360))
// from a to b on the sphere.
func Bearing(a, b LatLon) float64 {
	φ1, φ2 := a.Lat*degRad, b.Lat*degRad
	dλ := (b.Lon - a.Lon) * degRad
	y := math.Sin(dλ) * math.Cos(φ2)
	x := math.Cos(φ1)*math.Sin(φ2) - math.Sin(φ1)*math.Cos(φ2)*math.Cos(dλ)
	return math.Mod(math.Atan2(y, x)/degRad+360, 360)
}

// NormLon returns lon (degrees) wrapped into [-180, 180).
func NormLon(lon float64) float64 {
	lon = math.Mod(lon+180, 360)
	if lon < 0 {
		lon += 360
	}
	return lon - 180
}

// ChordM returns the chord length (m) of a great-circle arc of arcM (m) on
// the sphere of radius MeanEarthRadiusM.
func ChordM(arcM float64) float64 {
	return 2 * MeanEarthRadiusM * math.Sin(arcM/(2*MeanEarthRadiusM))
}
