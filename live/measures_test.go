package live_test

import (
	"testing"

	"github.com/deconflict/deconflict/detect"
	"github.com/deconflict/deconflict/live"
	"github.com/deconflict/deconflict/regime"
)

func TestApplySeparations(t *testing.T) {
	def := detect.DefaultThresholds()
	sep := func(domain, tier string, d, v, w float64) regime.SeparationRule {
		return regime.SeparationRule{Separation: regime.Separation{Domain: domain, Tier: tier, DistanceM: d, VerticalM: v, WithinS: w}}
	}
	th := live.ApplySeparations(def, []regime.SeparationRule{
		sep("sea", "dangerous", 5000, 0, 0),  // wider than the default advisory: advisory widened
		sep("air", "critical", 3000, 400, 0), // wider than warning: warning and advisory widened as needed
		sep("air-sea", "critical", 600, 200, 90),
	})
	if th.Sea.DangerousM != 5000 || th.Sea.AdvisoryM != 5000 || th.Sea.CriticalM != def.Sea.CriticalM {
		t.Errorf("sea %+v", th.Sea)
	}
	if th.Air.Critical.HorizontalM != 3000 || th.Air.Critical.VerticalM != 400 || th.Air.Warning.HorizontalM != 3000 || th.Air.Advisory.HorizontalM != def.Air.Advisory.HorizontalM {
		t.Errorf("air %+v", th.Air)
	}
	if th.AirSea.Critical != (detect.Volume{HorizontalM: 600, VerticalM: 200, LookaheadS: 90}) || th.AirSea.Dangerous != def.AirSea.Dangerous {
		t.Errorf("air-sea %+v", th.AirSea)
	}
	if err := th.Validate(); err != nil {
		t.Errorf("not nested: %v", err)
	}
	if got := live.ApplySeparations(def, nil); got != def {
		t.Errorf("no measures: %+v, want the defaults", got)
	}
}
