package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/deconflict/deconflict/geo"
)

// forward is the geodetic to ECEF transform with a height (the textbook
// closed form, written here apart from geo's ECEF): the reference that
// ToLatLon must invert.
func forward(latDeg, lonDeg, h float64) geo.Vec3 {
	const a, f = 6378137.0, 1 / 298.257223563
	e2 := f * (2 - f)
	φ, λ := latDeg*math.Pi/180, lonDeg*math.Pi/180
	n := a / math.Sqrt(1-e2*math.Sin(φ)*math.Sin(φ))
	return geo.Vec3{
		X: (n + h) * math.Cos(φ) * math.Cos(λ),
		Y: (n + h) * math.Cos(φ) * math.Sin(λ),
		Z: (n*(1-e2) + h) * math.Sin(φ),
	}
}

// offM returns how far apart (m, along the surface at height h) the
// geodetic positions a and b are: the latitude and longitude differences
// as metres of meridian and of parallel.
func offM(a, b geo.LatLon, h float64) (north, east float64) {
	const r = 6378137.0
	dLon := geo.NormLon(a.Lon - b.Lon)
	return math.Abs(a.Lat-b.Lat) * math.Pi / 180 * (r + h), math.Abs(dLon) * math.Pi / 180 * (r + h) * math.Cos(a.Lat*math.Pi/180)
}

// TestToLatLonInvertsForward: over the globe and heights from -1 km to
// 100 km (and far out), ToLatLon(forward(lat, lon, h)) is lat, lon within
// a micrometre, and agrees with the fixed-point iteration within 0.1 mm.
func TestToLatLonInvertsForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(18, 2))
	type pt struct{ lat, lon, h float64 }
	pts := []pt{{0, 0, 0}, {90, 0, 0}, {-90, 0, 0}, {90, 45, 100e3}, {-90, -170, -1e3}, {89.9999999, 10, 5e3},
		{-89.9999999, -10, 5e3}, {1e-12, 180, 0}, {-1e-12, -180, 100e3}, {45, 90, 0}, {55, 20, 12e3},
		{0, 0, 35786e3}, {60, -30, 400e3}, {-45, 135, 20200e3}}
	for range 200_000 {
		lat := rng.Float64()*180 - 90
		if rng.IntN(10) == 0 { // near the poles and the equator
			lat = math.Copysign(90-math.Pow(10, -rng.Float64()*9), lat)
		} else if rng.IntN(10) == 0 {
			lat = math.Copysign(math.Pow(10, -rng.Float64()*12), lat)
		}
		pts = append(pts, pt{lat, rng.Float64()*360 - 180, rng.Float64()*101e3 - 1e3})
	}
	worst, worstIter := 0.0, 0.0
	for _, p := range pts {
		q := forward(p.lat, p.lon, p.h)
		got := geo.ToLatLon(q)
		if got.Lat < -90 || got.Lat > 90 || got.Lon < -180 || got.Lon > 180 {
			t.Fatalf("ToLatLon(forward(%v)) = %v: out of range", p, got)
		}
		n, e := offM(got, geo.LatLon{Lat: p.lat, Lon: p.lon}, p.h)
		tol := 1e-6 * max(1, p.h/100e3) // a micrometre up to 100 km, proportionally beyond
		if n > tol || e > tol {
			t.Fatalf("ToLatLon(forward(%v)) = %v: %.3g m north, %.3g m east off", p, got, n, e)
		}
		worst = max(worst, n, e)
		if p.h <= 100e3 {
			n, e = offM(got, geo.ToLatLonIter(q), p.h)
			if n > 1e-4 || e > 1e-4 {
				t.Fatalf("ToLatLon(forward(%v)) = %v, the iteration %v: %.3g m north, %.3g m east apart", p, got, geo.ToLatLonIter(q), n, e)
			}
			worstIter = max(worstIter, n, e)
		}
	}
	t.Logf("worst: %.3g m from the forward transform, %.3g m from the iteration", worst, worstIter)
}

// TestToLatLonNearCentre: within 100 km of the Earth's centre (where the
// closed form does not hold) ToLatLon is the iteration's answer, and the
// degenerate points give no NaN but the centre's and the input's own.
func TestToLatLonNearCentre(t *testing.T) {
	for _, p := range []geo.Vec3{{X: 1}, {Z: 50e3}, {X: 30e3, Y: -20e3, Z: 10e3}, {X: 99e3}} {
		if got, want := geo.ToLatLon(p), geo.ToLatLonIter(p); got != want {
			t.Errorf("ToLatLon(%v) = %v, the iteration %v", p, got, want)
		}
	}
	if got := geo.ToLatLon(geo.Vec3{}); got.Lat != 0 || got.Lon != 0 {
		t.Errorf("ToLatLon(0) = %v", got)
	}
	if got := geo.ToLatLon(geo.Vec3{X: math.NaN()}); got.Lat == got.Lat {
		t.Errorf("ToLatLon(NaN) = %v", got)
	}
}

// BenchmarkToLatLon: the closed form against the iteration it replaced,
// at the positions of aircraft.
func BenchmarkToLatLon(b *testing.B) {
	ps := make([]geo.Vec3, 1024)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range ps {
		ps[i] = forward(50+rng.Float64()*10, 15+rng.Float64()*10, rng.Float64()*12e3)
	}
	for name, f := range map[string]func(geo.Vec3) geo.LatLon{"closed": geo.ToLatLon, "iteration": geo.ToLatLonIter} {
		b.Run(name, func(b *testing.B) {
			s := 0.0
			for i := 0; i < b.N; i++ {
				s += f(ps[i&1023]).Lat
			}
			if s == 1 {
				b.Log(s)
			}
		})
	}
}
