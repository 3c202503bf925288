package main

import (
	"strings"
	"testing"
)

func TestSimulate(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"Baltic", []string{"--scenario", "baltic", "--duration", "2m"}},
		{"Load", []string{"--scenario", "load", "--n", "300", "--duration", "30s", "--seed", "9"}},
		{"Dense", []string{"--scenario", "dense", "--n", "80", "--duration", "8m"}},
		{"Box", []string{"--scenario", "box", "--n", "500", "--snapshot", "0s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, _ := mustRun(t, append([]string{"simulate"}, tc.args...)...)
			again, _ := mustRun(t, append([]string{"simulate"}, tc.args...)...)
			if a != again {
				t.Fatal("same seed, different output")
			}
			lines := strings.Split(strings.TrimSuffix(a, "\n"), "\n")
			if got, want := lines[0], "time,id,party,domain,lat,lon,alt_m,speed_ms,course_deg,climb_ms"; got != want {
				t.Fatalf("header %q, want %q", got, want)
			}
			if len(lines) < 100 {
				t.Fatalf("only %d lines", len(lines))
			}
		})
	}
	t.Run("ErrScenario", func(t *testing.T) {
		if _, _, err := runCmd(t, "simulate", "--scenario", "pacific"); err == nil || !strings.Contains(err.Error(), `unknown --scenario "pacific"`) {
			t.Fatalf("error %v", err)
		}
	})
}
