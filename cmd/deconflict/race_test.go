//go:build race

package main_test

// Under go test -race the end-to-end tests run a binary built with the
// race detector too, so that a data race in the node, the client or the
// feeds ends the process under test (GORACE halt_on_error) and fails the
// test that drove it.
func init() { raceBuild = true }
