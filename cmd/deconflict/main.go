// Command deconflict is the deconflict node, its command-line client and
// its analysis tools in one binary. Each subcommand lives in its own file
// and registers itself in commands.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/deconflict/deconflict"
)

// command is one subcommand. Run returns an error to print; an exitError
// carries a specific exit code.
type command struct {
	Summary string // one line for the command list
	Usage   string // synopsis and an example, shown by help CMD and CMD -h
	Run     func(ctx context.Context, m *Main, args []string) error
}

// commands is filled by each subcommand file's init function.
var commands = map[string]*command{}

func register(name string, c *command) { commands[name] = c }

// Main holds the process's standard streams and environment, so tests can
// run commands in process.
type Main struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

// exitError ends the process with Code after printing Err (if non-nil).
type exitError struct {
	Code int
	Err  error
}

func (e *exitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit %d", e.Code)
	}
	return e.Err.Error()
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	err := m.Run(ctx, os.Args[1:])
	stop()
	if err == nil {
		return
	}
	code := 1
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.Code
		if ee.Err == nil {
			os.Exit(code)
		}
	}
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0) // CMD -h printed the command's usage
	}
	var de *deconflict.Error
	if errors.As(err, &de) {
		fmt.Fprintf(os.Stderr, "deconflict: %s (%s)\n", de.Message, de.Code)
	} else {
		fmt.Fprintln(os.Stderr, "deconflict:", err)
	}
	os.Exit(code)
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		m.usage()
		return nil
	}
	name := args[0]
	if name == "help" {
		if len(args) < 2 {
			m.usage()
			return nil
		}
		c, ok := commands[args[1]]
		if !ok {
			return fmt.Errorf("unknown command %q (see 'deconflict help')", args[1])
		}
		fmt.Fprintln(m.Stdout, strings.TrimSpace(c.Usage))
		return nil
	}
	c, ok := commands[name]
	if !ok {
		return &exitError{Code: 2, Err: fmt.Errorf("unknown command %q (see 'deconflict help')", name)}
	}
	return c.Run(ctx, m, args[1:])
}

func (m *Main) usage() {
	fmt.Fprintln(m.Stdout, "deconflict: hotline, notifications, encounter prediction and a tamper-evident record")
	fmt.Fprintln(m.Stdout, "\nUsage: deconflict COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(m.Stdout, "  %-10s %s\n", n, commands[n].Summary)
	}
	fmt.Fprintln(m.Stdout, "\n'deconflict help COMMAND' or 'deconflict COMMAND -h' explains a command with an example.")
}

// newFlagSet returns a flag set for the named command whose usage prints
// the command's Usage text and its flags to m.Stderr.
func (m *Main) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		if c, ok := commands[name]; ok {
			fmt.Fprintln(m.Stderr, strings.TrimSpace(c.Usage))
		}
		fmt.Fprintln(m.Stderr, "\nFlags:")
		fs.PrintDefaults()
	}
	return fs
}

// parseInterspersed parses flags that may stand before or after positional
// arguments ("send --channel c text" and "send text --channel c") and
// returns the positional arguments in order. "--" ends flag parsing.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		// fs.Parse stops at the first non-flag or after "--".
		consumed := len(args) - len(rest)
		if consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// envOr returns the environment variable key's value, or def when unset.
// writeJSONLines writes each item as one line of JSON to w, stopping at
// the first write error (a closed pipe, a full disk).
func writeJSONLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return err
		}
	}
	return nil
}

func (m *Main) envOr(key, def string) string {
	if v := m.Getenv(key); v != "" {
		return v
	}
	return def
}
