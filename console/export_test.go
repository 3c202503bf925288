package console

import "testing"

// SetPasswordIterations makes AddUser hash with n PBKDF2 iterations until
// the end of tb, for tests that need signed-in officers rather than
// strong hashes: 600,000 iterations cost about a second each under -race.
func SetPasswordIterations(tb testing.TB, n int) {
	old := passwordIterations
	passwordIterations = n
	tb.Cleanup(func() { passwordIterations = old })
}
