package report

import "testing"

// FuzzBasemapRings: any bytes given as the basemap decode to rings or an
// error, never a panic (arc indexes out of range, either sign, are skipped).
func FuzzBasemapRings(f *testing.F) {
	f.Add([]byte(`{"type":"Topology","transform":{"scale":[0.1,0.1],"translate":[-180,-90]},"arcs":[[[0,0],[10,0],[0,10],[-10,-10]]],"objects":{"countries":{"type":"GeometryCollection","geometries":[{"type":"Polygon","arcs":[[0]]},{"type":"MultiPolygon","arcs":[[[-1]]]},{"type":"Polygon","arcs":[[7,-9]]}]}}}`))
	f.Add([]byte(`{"arcs":[],"objects":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		basemapRings(b)
	})
}
