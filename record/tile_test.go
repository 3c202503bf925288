package record_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/deconflict/deconflict/record"
)

func TestTilePaths(t *testing.T) {
	for _, tc := range []struct {
		path string
		tile record.Tile
	}{
		{"tile/0/000", record.Tile{Level: 0, N: 0, Width: 256}},
		{"tile/0/001.p/7", record.Tile{Level: 0, N: 1, Width: 7}},
		{"tile/3/x001/x234/067", record.Tile{Level: 3, N: 1234067, Width: 256}},
		{"tile/3/x001/x234/067.p/1", record.Tile{Level: 3, N: 1234067, Width: 1}},
		{"tile/63/999", record.Tile{Level: 63, N: 999, Width: 256}},
		{"tile/entries/000", record.Tile{Level: record.EntriesLevel, N: 0, Width: 256}},
		{"tile/entries/x001/000.p/255", record.Tile{Level: record.EntriesLevel, N: 1000, Width: 255}},
		{"tile/0/x009/x223/x372/x036/x854/x775/807", record.Tile{Level: 0, N: 1<<63 - 1, Width: 256}},
	} {
		got, err := record.ParseTilePath(tc.path)
		if err != nil {
			t.Fatalf("ParseTilePath(%q): %v", tc.path, err)
		}
		if got != tc.tile {
			t.Fatalf("ParseTilePath(%q)=%+v, want %+v", tc.path, got, tc.tile)
		}
		if got, want := tc.tile.Path(), tc.path; got != want {
			t.Fatalf("Path()=%q, want %q", got, want)
		}
	}
	for _, tc := range []struct{ path, says string }{
		{"", "want tile/"},
		{"tile", "want tile/"},
		{"tile/0", "want tile/"},
		{"tiles/0/000", "want tile/"},
		{"tile/8/0/000", `element "0" of the index must begin with x`}, // x/mod's layout with the height: not C2SP
		{"tile/00/000", `level "00"`},
		{"tile/64/000", `level "64"`},
		{"tile/-1/000", `level "-1"`},
		{"tile/data/000", `level "data"`},
		{"tile/0/1", `element "1"`},
		{"tile/0/0000", `element "0000"`},
		{"tile/0/abc", `element "abc"`},
		{"tile/0/001/002", `element "001" of the index must begin with x`},
		{"tile/0/x001", `element "x001" of the index is not 3 digits`},
		{"tile/0/x000/001", "leading x000"},
		{"tile/0/000.p/0", `width "0"`},
		{"tile/0/000.p/256", `width "256"`},
		{"tile/0/000.p/07", `width "07"`},
		{"tile/0/000.p/", `width ""`},
		{"tile/0/000.p", `element "000.p"`},
		{"tile/0/000/", `element "000" of the index must begin with x`},
		{"tile/0/x009/x223/x372/x036/x854/x775/808", "too large"},
		{"tile/0/x999/x999/x999/x999/x999/x999/x999/999", "too large"},
		{"/tile/0/000", "want tile/"},
	} {
		_, err := record.ParseTilePath(tc.path)
		if !errors.Is(err, record.ErrMalformed) {
			t.Errorf("ParseTilePath(%q): err=%v, want ErrMalformed", tc.path, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), fmt.Sprintf("%q", tc.path)) {
			t.Errorf("ParseTilePath(%q): err=%q, want it to name the path and say %q", tc.path, err, tc.says)
		}
	}
}

// TestNewTilesC2SPExample is the example of the C2SP specification: a tree
// of 70,000 leaves has 273 full level-0 tiles, a partial one of width 112,
// one full level-1 tile, a partial one of width 17 and a partial level-2
// tile of width 1 (and as many entry bundles as level-0 tiles).
func TestNewTilesC2SPExample(t *testing.T) {
	count := map[string]int{}
	for _, tl := range record.NewTiles(0, 70000) {
		if err := tl.Check(70000); err != nil {
			t.Fatalf("NewTiles gave %v: %v", tl, err)
		}
		k := fmt.Sprintf("L%d", tl.Level)
		if tl.Width < record.TileWidth {
			k += fmt.Sprintf(".p/%d", tl.Width)
		}
		count[k]++
	}
	want := map[string]int{"L0": 273, "L0.p/112": 1, "L-1": 273, "L-1.p/112": 1, "L1": 1, "L1.p/17": 1, "L2.p/1": 1}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Fatalf("NewTiles(0, 70000): %v, want %v", count, want)
	}
	// A tree of 256: one full level-0 tile and a level-1 tile of width 1.
	if got, want := fmt.Sprint(record.NewTiles(0, 256)), "[tile/0/000 tile/entries/000 tile/1/000.p/1]"; got != want {
		t.Fatalf("NewTiles(0, 256)=%s, want %s", got, want)
	}
}

func TestTileCheck(t *testing.T) {
	for _, tc := range []struct {
		tile record.Tile
		size int64
		ok   bool
	}{
		{record.Tile{Level: 0, N: 0, Width: 256}, 256, true},
		{record.Tile{Level: 0, N: 0, Width: 256}, 255, false},
		{record.Tile{Level: 0, N: 0, Width: 255}, 255, true},
		{record.Tile{Level: 0, N: 0, Width: 100}, 255, true}, // an older partial tile: same bytes
		{record.Tile{Level: 0, N: 1, Width: 1}, 256, false},
		{record.Tile{Level: 0, N: 1, Width: 1}, 257, true},
		{record.Tile{Level: 1, N: 0, Width: 1}, 256, true},
		{record.Tile{Level: 1, N: 0, Width: 2}, 511, false},
		{record.Tile{Level: 2, N: 0, Width: 1}, 65535, false},
		{record.Tile{Level: 2, N: 0, Width: 1}, 65536, true},
		{record.Tile{Level: record.EntriesLevel, N: 0, Width: 3}, 3, true},
		{record.Tile{Level: record.EntriesLevel, N: 0, Width: 4}, 3, false},
		{record.Tile{Level: 0, N: 1 << 62, Width: 256}, 1<<63 - 1, false},
		{record.Tile{Level: 63, N: 0, Width: 1}, 1<<63 - 1, false},
		{record.Tile{Level: 0, N: 0, Width: 1}, 0, false},
	} {
		err := tc.tile.Check(tc.size)
		if tc.ok && err != nil || !tc.ok && !errors.Is(err, record.ErrNotFound) {
			t.Errorf("%v.Check(%d)=%v, want ok=%v", tc.tile, tc.size, err, tc.ok)
		}
	}
	if err := (record.Tile{Level: 0, N: 0, Width: 0}).Check(10); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("width 0: err=%v, want ErrMalformed", err)
	}
}

func TestEntryBundle(t *testing.T) {
	entries := [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{7}, record.MaxEntrySize)}
	b, err := record.EncodeEntryBundle(entries)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b[:5], []byte{0, 1, 'a', 0, 0}; !bytes.Equal(got, want) {
		t.Fatalf("bundle starts %x, want %x", got, want)
	}
	got, err := record.ParseEntryBundle(b, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i := range entries {
		if !bytes.Equal(got[i], entries[i]) {
			t.Fatalf("entry %d differs", i)
		}
	}
	if _, err := record.EncodeEntryBundle([][]byte{make([]byte, record.MaxEntrySize+1)}); !errors.Is(err, record.ErrMalformed) || !strings.Contains(err.Error(), "65536 bytes") {
		t.Fatalf("oversize entry: err=%v, want ErrMalformed naming its size", err)
	}
	for name, tc := range map[string]struct {
		data  []byte
		width int
	}{
		"ErrWidth":     {b, 2},
		"ErrTruncated": {b[:len(b)-1], 3},
		"ErrOddByte":   {append(append([]byte(nil), b...), 0), 4},
	} {
		if _, err := record.ParseEntryBundle(tc.data, tc.width); !errors.Is(err, record.ErrMalformed) {
			t.Errorf("%s: err=%v, want ErrMalformed", name, err)
		}
	}
}

// fakeNode is a node as a member sees it: it serves a log's leaves, tiles
// and checkpoint, and lets a test tamper with each.
type fakeNode struct {
	tb       testing.TB
	key      []byte // ed25519.PrivateKey
	origin   string
	leaves   [][]byte // what the node serves as leaves (tampered at will)
	deleted  map[int64]bool
	store    *record.MemStore // what the node serves as tiles
	cp       record.Checkpoint
	signed   []byte
	badTiles func(path string, data []byte) []byte
	fetches  int
}

func newFakeNode(tb testing.TB, n int) *fakeNode {
	f := &fakeNode{tb: tb, key: MustKey(1), origin: "n1/ch", store: &record.MemStore{}, deleted: map[int64]bool{}}
	f.grow(n)
	return f
}

// grow appends leaves up to n in total and signs a checkpoint.
func (f *fakeNode) grow(n int) {
	var add [][]byte
	for i := len(f.leaves); i < n; i++ {
		add = append(add, leafData(i))
	}
	a, err := f.store.Append(add...)
	if err != nil {
		f.tb.Fatal(err)
	}
	f.leaves = append(f.leaves, add...)
	f.cp = record.Checkpoint{Origin: f.origin, Size: a.Size, Root: a.Root}
	f.signed = MustSign(f.tb, f.cp, f.key)
}

func (f *fakeNode) fetchTile(ctx context.Context, path string) ([]byte, error) {
	f.fetches++
	t, err := record.ParseTilePath(path)
	if err != nil {
		return nil, err
	}
	var data []byte
	if t.Level == record.EntriesLevel {
		if err := t.Check(f.cp.Size); err != nil {
			return nil, err
		}
		start, end := t.Leaves()
		data, err = record.EncodeEntryBundle(f.leaves[start:end])
	} else {
		data, err = record.ReadTile(t, f.cp.Size, f.store)
	}
	if err != nil {
		return nil, err
	}
	if f.badTiles != nil {
		data = f.badTiles(path, data)
	}
	return data, nil
}

func (f *fakeNode) fetchLeaves(ctx context.Context, start, end int64) ([]record.Leaf, error) {
	var out []record.Leaf
	for i := start; i < end && i < int64(len(f.leaves)); i++ {
		if !f.deleted[i] {
			out = append(out, record.Leaf{Index: i, Data: f.leaves[i]})
		}
	}
	return out, nil
}

// TestTileClient produces the tiles of trees of several sizes and reads
// them back through the tile client: root, every leaf hash, the leaves
// from the entry bundles and the proofs match the store's.
func TestTileClient(t *testing.T) {
	for _, n := range []int{1, 2, 255, 256, 257, 511, 512, 1000, 65536 + 300} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFakeNode(t, n)
			ctx := context.Background()
			c := record.NewTileClient(ctx, f.cp, f.fetchTile)
			root, err := record.TreeHash(f.cp.Size, c)
			if err != nil {
				t.Fatal(err)
			}
			if root != f.cp.Root {
				t.Fatalf("root through tiles %v, want %v", root, f.cp.Root)
			}
			hs, err := c.LeafHashes(0, int64(n))
			if err != nil {
				t.Fatal(err)
			}
			for i, h := range hs {
				if h != record.LeafHash(leafData(i)) {
					t.Fatalf("leaf hash %d differs", i)
				}
			}
			leaves, err := c.Leaves(int64(n/3), int64(n))
			if err != nil {
				t.Fatal(err)
			}
			for i, l := range leaves {
				if !bytes.Equal(l, leafData(n/3+i)) {
					t.Fatalf("leaf %d differs", n/3+i)
				}
			}
			for _, i := range []int64{0, int64(n / 2), int64(n - 1)} {
				got, err := record.ProveInclusion(f.cp.Size, i, c)
				if err != nil {
					t.Fatal(err)
				}
				want, _ := record.ProveInclusion(f.cp.Size, i, f.store)
				if !equalHashes(got, want) {
					t.Fatalf("inclusion proof of %d through tiles differs", i)
				}
				got, err = record.ProveConsistency(i+1, f.cp.Size, c)
				if err != nil {
					t.Fatal(err)
				}
				want, _ = record.ProveConsistency(i+1, f.cp.Size, f.store)
				if !equalHashes(got, want) {
					t.Fatalf("consistency proof from %d through tiles differs", i+1)
				}
			}
		})
	}
}

func TestTileClientTampered(t *testing.T) {
	f := newFakeNode(t, 1000)
	ctx := context.Background()
	f.badTiles = func(path string, data []byte) []byte {
		if path == "tile/0/001" {
			data = append([]byte(nil), data...)
			data[40] ^= 1
		}
		return data
	}
	c := record.NewTileClient(ctx, f.cp, f.fetchTile)
	if _, err := c.LeafHashes(256, 300); !errors.Is(err, record.ErrProof) {
		t.Fatalf("tampered tile: err=%v, want ErrProof", err)
	}
	f.badTiles = func(path string, data []byte) []byte {
		if strings.HasPrefix(path, "tile/entries/001") {
			data = append([]byte(nil), data...)
			data[5] ^= 1 // in the first entry, leaf 256
		}
		return data
	}
	c = record.NewTileClient(ctx, f.cp, f.fetchTile)
	if _, err := c.Leaves(0, 1000); !errors.Is(err, record.ErrProof) || !strings.Contains(err.Error(), "leaf 256") {
		t.Fatalf("tampered entry bundle: err=%v, want ErrProof at leaf 256", err)
	}
	f.badTiles = func(path string, data []byte) []byte { return data[:len(data)-1] }
	c = record.NewTileClient(ctx, f.cp, f.fetchTile)
	if _, err := c.LeafHashes(0, 10); !errors.Is(err, record.ErrMalformed) || !errors.Is(err, record.ErrProof) {
		t.Fatalf("short tile: err=%v, want ErrMalformed and ErrProof", err)
	}
	down := errors.New("connection refused")
	c = record.NewTileClient(ctx, f.cp, func(context.Context, string) ([]byte, error) { return nil, down })
	if _, err := c.LeafHashes(0, 10); !errors.Is(err, record.ErrFetch) || !errors.Is(err, down) {
		t.Fatalf("fetch failure: err=%v, want ErrFetch wrapping the cause", err)
	}
}

func TestReadTileErrors(t *testing.T) {
	m := MustStore(t, 300, 300)
	if _, err := record.ReadTile(record.Tile{Level: 0, N: 1, Width: 256}, 300, m); !errors.Is(err, record.ErrNotFound) {
		t.Fatalf("tile beyond the tree: err=%v, want ErrNotFound", err)
	}
	if _, err := record.ReadTile(record.Tile{Level: record.EntriesLevel, N: 0, Width: 256}, 300, m); !errors.Is(err, record.ErrMalformed) {
		t.Fatalf("entry bundle as a hash tile: err=%v, want ErrMalformed", err)
	}
	b, err := record.ReadTile(record.Tile{Level: 0, N: 1, Width: 44}, 300, m)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(b), 44*32; got != want {
		t.Fatalf("len=%d, want %d", got, want)
	}
	if h := record.LeafHash(leafData(256)); !bytes.Equal(b[:32], h[:]) {
		t.Fatal("first hash of tile/0/001.p/44 is not leaf 256's")
	}
}
