package main

import "github.com/deconflict/deconflict/internal/atomicfile"

// writeFile writes data to path atomically (mode 0644).
func writeFile(path string, data []byte) error { return atomicfile.Write(path, data, 0o644) }
