package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestTSVField(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"Plain", "Two Su-34 entering sector 4", "Two Su-34 entering sector 4"},
		{"NonASCII", "Фрегат «Адмирал»", "Фрегат «Адмирал»"},
		{"Tab", "a\tb", `a\tb`},
		{"Newlines", "line one\r\nline two\n", `line one\r\nline two\n`},
		{"Backslash", `C:\path\t`, `C:\\path\\t`},
		{"Control", "bell\x07del\x7f", `bell\x07del\x7f`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tsvField(tc.in)
			if got != tc.want {
				t.Fatalf("tsvField(%q)=%q, want %q", tc.in, got, tc.want)
			}
			if strings.ContainsAny(got, "\t\n\r") {
				t.Fatalf("tsvField(%q)=%q holds a tab or line break", tc.in, got)
			}
		})
	}
}

func TestWriteList(t *testing.T) {
	type item struct {
		ID   string `json:"id"`
		Text string `json:"text"`
	}
	items := []item{{"a", "x\ty"}, {"b", "two\nlines"}}
	row := func(it item) []string { return []string{it.ID, it.Text} }
	var tsv, js bytes.Buffer
	if err := writeList(&tsv, false, items, row); err != nil {
		t.Fatal(err)
	}
	if got, want := tsv.String(), "a\tx\\ty\nb\ttwo\\nlines\n"; got != want {
		t.Errorf("tab-separated %q, want %q", got, want)
	}
	if err := writeList(&js, true, items, row); err != nil {
		t.Fatal(err)
	}
	if got, want := js.String(), `{"id":"a","text":"x\ty"}`+"\n"+`{"id":"b","text":"two\nlines"}`+"\n"; got != want {
		t.Errorf("JSON lines %q, want %q", got, want)
	}
}
