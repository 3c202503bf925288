package detect

import (
	"bytes"
	"encoding/json"

	"github.com/deconflict/deconflict"
)

// PolicyThresholds returns the encounter tiers a channel's policy sets:
// the defaults, overridden by the fields its Thresholds give. EINVALID if
// they do not parse or are inconsistent.
func PolicyThresholds(p *deconflict.Policy) (Thresholds, error) {
	th := DefaultThresholds()
	if len(p.Thresholds) == 0 {
		return th, nil
	}
	dec := json.NewDecoder(bytes.NewReader(p.Thresholds))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&th); err != nil {
		return th, deconflict.Errorf(deconflict.EINVALID, "thresholds: %v", err)
	}
	if err := th.Validate(); err != nil {
		return th, deconflict.Errorf(deconflict.EINVALID, "thresholds: %s", deconflict.ErrorMessage(err))
	}
	return th, nil
}
