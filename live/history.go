package live

import (
	"context"

	"github.com/deconflict/deconflict"
	"github.com/deconflict/deconflict/picture"
)

// TrackHistory returns track id as caller may see it (ViewTrack) and its
// stored positions, oldest first (picture.Table.History). The error has
// code ENOTFOUND when there is no such track and when caller may not see
// it (VisibleTrack), so that a hidden track cannot be told from an absent
// one.
func (l *Picture) TrackHistory(ctx context.Context, caller, id string) (picture.Track, []picture.HistoryPoint, error) {
	tr, h, err := l.Table.History(id)
	if err == nil && !l.VisibleTrack(ctx, caller, &tr) {
		err = deconflict.Errorf(deconflict.ENOTFOUND, "no track %q", id)
	}
	if err != nil {
		return picture.Track{}, nil, err
	}
	return l.ViewTrack(ctx, caller, tr), h, nil
}
