package detect

import "github.com/deconflict/deconflict"

// PolicyThresholds returns the encounter tiers a channel's policy sets:
// the defaults, overridden by the fields its Thresholds give. EINVALID if
// they do not parse or are inconsistent.
func PolicyThresholds(p *deconflict.Policy) (Thresholds, error) {
	th := DefaultThresholds()
	if len(p.Thresholds) == 0 {
		return th, nil
	}
	if err := deconflict.DecodeStrict(p.Thresholds, &th); err != nil {
		return th, deconflict.Errorf(deconflict.EINVALID, "thresholds: %s", deconflict.ErrorMessage(err))
	}
	if err := th.Validate(); err != nil {
		return th, deconflict.Errorf(deconflict.EINVALID, "thresholds: %s", deconflict.ErrorMessage(err))
	}
	return th, nil
}
