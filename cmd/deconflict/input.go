package main

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"

	"github.com/deconflict/deconflict/ingest"
)

// reportFormat reads one recording format and calls emit for every
// position or static report in stream order. It returns the first error
// from emit, or an error naming a fault that stops reading; undecodable
// lines are skipped (decoders count them) rather than ending the read.
type reportFormat = ingest.Format

// reportFormats maps a --format name (ais, sbs, aircraft-json, trace, csv)
// to its reader. Each decoder's command file registers its formats.
var reportFormats = map[string]reportFormat{}

// decodeFunc writes every message decoded from r to w as one JSON object
// per line. Lines that cannot be decoded are counted in failed and, when
// errw is not nil, reported there with name, line number and reason.
type decodeFunc func(r io.Reader, name string, w io.Writer, errw io.Writer) (decoded, failed int, err error)

// decodeFormats maps a --format name to its JSON decoder for 'decode'.
var decodeFormats = map[string]decodeFunc{}

// openInput opens path for reading, "-" meaning standard input, and
// transparently decompresses gzip content (detected by its magic bytes,
// whatever the file is called).
func (m *Main) openInput(path string) (io.ReadCloser, error) {
	var rc io.ReadCloser
	if path == "-" {
		rc = io.NopCloser(m.Stdin)
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		rc = f
	}
	br := bufio.NewReaderSize(rc, 1<<16)
	magic, _ := br.Peek(2)
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, fmt.Errorf("%s: gzip: %w", path, err)
		}
		return struct {
			io.Reader
			io.Closer
		}{zr, rc}, nil
	}
	return struct {
		io.Reader
		io.Closer
	}{br, rc}, nil
}
