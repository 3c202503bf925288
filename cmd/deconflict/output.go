package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
)

// addJSONFlag adds --json, which every listing command takes.
func addJSONFlag(fs *flag.FlagSet) *bool {
	return fs.Bool("json", false, "print one JSON object per line instead of tab-separated columns")
}

// writeList writes items to w: with asJSON one JSON object per line, else
// one line per item of the tab-separated fields row returns, each field
// escaped by tsvField. It stops at the first write error (a closed pipe,
// a full disk).
func writeList[T any](w io.Writer, asJSON bool, items []T, row func(T) []string) error {
	if asJSON {
		return writeJSONLines(w, items)
	}
	bw := bufio.NewWriter(w)
	for _, it := range items {
		for i, f := range row(it) {
			if i > 0 {
				bw.WriteByte('\t')
			}
			bw.WriteString(tsvField(f))
		}
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

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

// tsvField escapes s for one field of tab-separated output, so that a
// field never holds a tab or a line break whatever a message's text
// holds: a backslash becomes \\, a tab \t, a newline \n, a carriage
// return \r, and any other control character \xNN (as in Go and C
// strings). Printable text, including non-ASCII letters, is unchanged.
func tsvField(s string) string {
	if !strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
