package record

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/deconflict/deconflict/internal/atomicfile"
)

// Verified is what an auditor keeps of the last checkpoint it verified for
// a log: the tree, and the signed checkpoint and node key as evidence (two
// checkpoints signed by the same key that are not consistent prove the
// node misbehaved, to anyone).
type Verified struct {
	Origin     string `json:"origin"`
	Size       int64  `json:"size"`
	Root       Hash   `json:"root"`
	Checkpoint string `json:"checkpoint"` // signed checkpoint text
	NodeKey    string `json:"node_key"`   // verifier key of the node for Origin
}

// Tree returns the checkpoint's tree.
func (v *Verified) Tree() Checkpoint { return Checkpoint{Origin: v.Origin, Size: v.Size, Root: v.Root} }

// statePath returns the file of origin's state in dir:
// dir/checkpoints/<origin, query-escaped>.json, one file per node and
// channel.
func statePath(dir, origin string) string {
	return filepath.Join(dir, "checkpoints", url.QueryEscape(origin)+".json")
}

// LoadVerified reads the last verified checkpoint of the log origin from
// dir (the CLI passes os.UserConfigDir()/deconflict). An error wrapping
// fs.ErrNotExist when there is none (a first audit).
func LoadVerified(dir, origin string) (*Verified, error) {
	p := statePath(dir, origin)
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("load verified checkpoint of %s: %w", origin, err)
	}
	var v Verified
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("load verified checkpoint %s: %w: %v", p, ErrMalformed, err)
	}
	if v.Origin != origin || v.Size < 0 {
		return nil, fmt.Errorf("load verified checkpoint %s: %w: origin %q size %d, want origin %q", p, ErrMalformed, v.Origin, v.Size, origin)
	}
	return &v, nil
}

// SaveVerified records v as the last verified checkpoint of its origin in
// dir, atomically: it writes a temporary file, syncs it, renames it over
// the old one and syncs the directory, so a crash leaves the old or the new
// state, never a torn file. It creates dir/checkpoints if needed.
func SaveVerified(dir string, v *Verified) error {
	if err := checkOrigin(v.Origin); err != nil {
		return fmt.Errorf("save verified checkpoint: %w", err)
	}
	p := statePath(dir, v.Origin)
	d := filepath.Dir(p)
	if err := os.MkdirAll(d, 0o700); err != nil {
		return fmt.Errorf("save verified checkpoint: %w", err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("save verified checkpoint: %w", err)
	}
	if err := atomicfile.Write(p, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("save verified checkpoint: %w", err)
	}
	return nil
}
