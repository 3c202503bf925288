package detect

// SetBulkRun sets the shortest run UpdateBatch loads in bulk and the
// share of the live tracks it must be (see bulkMinRun), and returns a
// function restoring them.
func SetBulkRun(minRun, share int) (restore func()) {
	m, s := bulkMinRun, bulkShare
	bulkMinRun, bulkShare = minRun, share
	return func() { bulkMinRun, bulkShare = m, s }
}
