package main

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// version is the release, when the build sets it
// (go build -ldflags "-X main.version=v1.2.0"); otherwise buildVersion
// takes what the Go toolchain recorded in the binary.
var version string

func init() {
	register("version", &command{
		Summary: "print the version of this binary",
		Usage: `
usage: deconflict version

Prints the version of this binary and the Go release that built it. A
release build names its version; a build from a git checkout names the
module's pseudo-version (commit time and revision; "+dirty" when the
tree had uncommitted changes). A node reports the same version in
GET /v1/node and in /metrics (deconflict_build_info).

example:
  deconflict version`,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := m.newFlagSet("version")
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			if len(pos) != 0 {
				return usagef("version: unexpected argument %q", pos[0])
			}
			fmt.Fprintf(m.Stdout, "deconflict %s (%s)\n", buildVersion(), runtime.Version())
			return nil
		},
	})
}

// buildVersion returns version, or else the main module's version as the
// toolchain recorded it, or else "devel" with the VCS revision if known.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(12, len(rev))] + dirty
}
