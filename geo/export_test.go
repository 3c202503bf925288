package geo

// ToLatLonIter is the fixed-point iteration ToLatLon falls back to.
var ToLatLonIter = toLatLonIter
