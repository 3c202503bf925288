package geo

// ToLatLonIter is the fixed-point iteration ToLatLon falls back to.
var ToLatLonIter = toLatLonIter

// Index and Bound expose a Surface's cell index along a face axis and
// where each index begins.
func (g *Surface) Index(u float64) int { return g.index(u) }
func (g *Surface) Bound(i int) float64 { return g.bound(i) }
func (g *Surface) PerSide() int        { return g.n }
