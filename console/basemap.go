package console

// Basemap returns the TopoJSON world map the console's picture draws on
// (Natural Earth countries at 1:50m, from world-atlas; see
// assets/map/LICENSE-world-atlas.txt), for other views of the same map
// such as the report's.
func Basemap() []byte {
	b, _ := assets.ReadFile("assets/map/countries-50m.json")
	return b
}
