// Command deconflict is the deconflict node, its command-line client and
// its analysis tools in one binary. Each subcommand lives in its own file
// and registers itself in commands.
package main

import (
	"context"
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

// command is one subcommand. Run returns an error to print; exitCode
// turns it into the process's exit status.
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

// exitError ends the process with Code after printing Err (if non-nil):
// a command that has already said what failed returns &exitError{Code: 1}.
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

func (e *exitError) Unwrap() error { return e.Err }

// usageError is a command called wrongly: an unknown command or flag, a
// missing or malformed argument. It ends the process with status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usageError with the formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// Exit statuses (DESIGN.md, "The command line").
const (
	exitOK      = 0 // success, and CMD -h
	exitFailure = 1 // a failure the command reports (a failed verify, a refused request)
	exitUsage   = 2 // the command was called wrongly
)

// exitCode returns the exit status for the error a command returned.
func exitCode(err error) int {
	var ee *exitError
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &ue):
		return exitUsage
	}
	return exitFailure
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv}
	err := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(m.report(err))
}

// report prints err, if it has something to say, to m.Stderr and returns
// the exit status.
func (m *Main) report(err error) int {
	code := exitCode(err)
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ee) && ee.Err == nil:
		// The command has said what failed.
	default:
		var de *deconflict.Error
		if errors.As(err, &de) {
			fmt.Fprintf(m.Stderr, "deconflict: %s (%s)\n", de.Message, de.Code)
		} else {
			fmt.Fprintln(m.Stderr, "deconflict:", err)
		}
	}
	return code
}

// Run runs the subcommand named by args[0].
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		m.usage(m.Stderr)
		return usagef("no command given")
	}
	switch args[0] {
	case "-h", "-help", "--help":
		m.usage(m.Stdout)
		return nil
	}
	c, ok := commands[args[0]]
	if !ok {
		return usagef("unknown command %q (see 'deconflict help')", args[0])
	}
	return c.Run(ctx, m, args[1:])
}

func init() {
	register("help", &command{
		Summary: "list the commands, or explain one with an example",
		Usage: `
usage: deconflict help [COMMAND [VERB]]

Without COMMAND, lists every command with a one-line summary. With
COMMAND, prints its synopsis, what it does and an example, as
'deconflict COMMAND -h' does (which also lists the command's flags).

Exit status, for every command: 0 success, 1 a failure the command
reports (a failed verify, a refused request), 2 a usage error.

example:
  deconflict help send`,
		Run: func(ctx context.Context, m *Main, args []string) error {
			fs := m.newFlagSet("help")
			pos, err := parseInterspersed(fs, args)
			if err != nil {
				return err
			}
			switch len(pos) {
			case 0:
				m.usage(m.Stdout)
				return nil
			case 1, 2: // help CMD, help CMD VERB (party add): the command's usage covers its verbs
			default:
				return usagef("help: want at most COMMAND and a VERB")
			}
			c, ok := commands[pos[0]]
			if !ok {
				return usagef("help: unknown command %q (see 'deconflict help')", pos[0])
			}
			fmt.Fprintln(m.Stdout, strings.TrimSpace(c.Usage))
			return nil
		},
	})
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprintln(w, "deconflict: hotline, notifications, encounter prediction and a tamper-evident record")
	fmt.Fprintln(w, "\nUsage: deconflict COMMAND [flags] [args]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	width := 0
	for _, n := range names {
		width = max(width, len(n))
	}
	for _, n := range names {
		fmt.Fprintf(w, "  %-*s  %s\n", width, n, commands[n].Summary)
	}
	fmt.Fprintln(w, "\n'deconflict help COMMAND' or 'deconflict COMMAND -h' explains a command with an example.")
	fmt.Fprintln(w, "Exit status: 0 success, 1 a failure the command reports, 2 a usage error.")
}

// newFlagSet returns a flag set for the named command. Parse it with
// parseInterspersed, which prints the command's usage and flags to
// m.Stdout for -h and turns every other parse error into a usageError.
func (m *Main) newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(m.Stderr)
	fs.Usage = func() {
		if c, ok := commands[name]; ok {
			fmt.Fprintln(m.Stdout, strings.TrimSpace(c.Usage))
		}
		fmt.Fprintln(m.Stdout, "\nFlags:")
		out := fs.Output()
		fs.SetOutput(m.Stdout)
		fs.PrintDefaults()
		fs.SetOutput(out)
	}
	return fs
}

// parseInterspersed parses flags that may stand before or after positional
// arguments ("send --channel c text" and "send text --channel c") and
// returns the positional arguments in order. "--" ends flag parsing.
// For -h or -help it prints the command's usage (fs.Usage) and returns
// flag.ErrHelp, which ends the process with status 0; any other parse
// error is a usageError naming the command.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	usage, out := fs.Usage, fs.Output()
	fs.Usage = func() {}
	fs.SetOutput(io.Discard)
	defer func() { fs.Usage = usage; fs.SetOutput(out) }()
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				usage()
				return nil, err
			}
			return nil, usagef("%s: %v (see 'deconflict help %s')", fs.Name(), err, fs.Name())
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

// subcommand is one verb of a command with verbs (party add, zone list).
type subcommand func(ctx context.Context, m *Main, args []string) error

// runSubcommand runs the verb args[0] of command name. With no verb, or
// -h, -help, --help or help, it prints the command's usage (to m.Stdout
// when asked for, else to m.Stderr with a usage error).
func (m *Main) runSubcommand(ctx context.Context, name string, args []string, subs map[string]subcommand) error {
	verbs := make([]string, 0, len(subs))
	for v := range subs {
		verbs = append(verbs, v)
	}
	sort.Strings(verbs)
	want := strings.Join(verbs, ", ")
	if len(args) == 0 {
		fmt.Fprintln(m.Stderr, strings.TrimSpace(commands[name].Usage))
		return usagef("%s: want a subcommand: %s", name, want)
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(m.Stdout, strings.TrimSpace(commands[name].Usage))
		return flag.ErrHelp
	}
	run, ok := subs[args[0]]
	if !ok {
		return usagef("%s: unknown subcommand %q: want %s", name, args[0], want)
	}
	return run(ctx, m, args[1:])
}

// envOr returns the environment variable key's value, or def when unset.
func (m *Main) envOr(key, def string) string {
	if v := m.Getenv(key); v != "" {
		return v
	}
	return def
}
