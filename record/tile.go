package record

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// The C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles) serves a log as
// immutable resources: hash tiles at tile/<L>/<N>[.p/<W>] and entry bundles
// at tile/entries/<N>[.p/<W>]. A full tile holds 256 hashes (8,192 bytes);
// the hashes of a level-L tile are the roots of complete subtrees of
// 256^L leaves (level 0: leaf hashes).
const (
	TileHeight   = 8               // tree levels per tile level
	TileWidth    = 1 << TileHeight // hashes in a full tile, entries in a full bundle
	EntriesLevel = -1              // Tile.Level of an entry bundle
	MaxEntrySize = 1<<16 - 1       // largest entry an entry bundle can hold (uint16 length)
	maxTileLevel = 63
)

// Tile names a hash tile or an entry bundle.
type Tile struct {
	Level int   // 0 to 63 for hash tiles; EntriesLevel for an entry bundle
	N     int64 // index of the tile within its level, from 0
	Width int   // hashes or entries in it: 1 to 256, 256 for a full tile
}

// Path returns the tile's C2SP path, e.g. "tile/0/x001/234.p/7" or
// "tile/entries/000".
func (t Tile) Path() string {
	var b strings.Builder
	b.WriteString("tile/")
	if t.Level == EntriesLevel {
		b.WriteString("entries")
	} else {
		b.WriteString(strconv.Itoa(t.Level))
	}
	b.WriteByte('/')
	n := t.N
	var groups []int64
	for {
		groups = append(groups, n%1000)
		n /= 1000
		if n == 0 {
			break
		}
	}
	for i := len(groups) - 1; i >= 0; i-- {
		if i > 0 {
			b.WriteByte('x')
		}
		fmt.Fprintf(&b, "%03d", groups[i])
		if i > 0 {
			b.WriteByte('/')
		}
	}
	if t.Width != TileWidth {
		b.WriteString(".p/")
		b.WriteString(strconv.Itoa(t.Width))
	}
	return b.String()
}

func (t Tile) String() string { return t.Path() }

// ParseTilePath parses a C2SP tile or entry bundle path. It accepts only the
// canonical form (what Path returns). ErrMalformed, naming the path and the
// fault, for anything else.
func ParseTilePath(path string) (Tile, error) {
	bad := func(format string, args ...any) (Tile, error) {
		return Tile{}, fmt.Errorf("tile path %q: %w: %s", path, ErrMalformed, fmt.Sprintf(format, args...))
	}
	f := strings.Split(path, "/")
	if len(f) < 3 || f[0] != "tile" {
		return bad("want tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>]")
	}
	var t Tile
	if f[1] == "entries" {
		t.Level = EntriesLevel
	} else {
		l, ok := decimal(f[1])
		if !ok || l > maxTileLevel {
			return bad("level %q is not a decimal number from 0 to %d without leading zeros", f[1], maxTileLevel)
		}
		t.Level = int(l)
	}
	f = f[2:]
	t.Width = TileWidth
	if len(f) >= 2 && strings.HasSuffix(f[len(f)-2], ".p") {
		w, ok := decimal(f[len(f)-1])
		if !ok || w < 1 || w >= TileWidth {
			return bad("width %q is not a decimal number from 1 to %d without leading zeros", f[len(f)-1], TileWidth-1)
		}
		t.Width = int(w)
		f[len(f)-2] = strings.TrimSuffix(f[len(f)-2], ".p")
		f = f[:len(f)-1]
	}
	for i, e := range f {
		last := i == len(f)-1
		if !last {
			if !strings.HasPrefix(e, "x") {
				return bad("element %q of the index must begin with x", e)
			}
			e = e[1:]
		}
		if len(e) != 3 || e[0] < '0' || e[0] > '9' || e[1] < '0' || e[1] > '9' || e[2] < '0' || e[2] > '9' {
			return bad("element %q of the index is not 3 digits", f[i])
		}
		if i == 0 && e == "000" && !last {
			return bad("index has a leading x000")
		}
		d, _ := strconv.Atoi(e)
		if t.N > (1<<63-1-int64(d))/1000 {
			return bad("index too large")
		}
		t.N = t.N*1000 + int64(d)
	}
	return t, nil
}

// decimal parses a decimal number without sign or leading zeros.
func decimal(s string) (int64, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// Check returns nil if the tile's contents are in the tree of size leaves:
// all its hashes (or entries) exist. Tiles are immutable, so a tile in the
// tree of one size has the same bytes in every larger tree. ErrNotFound if
// not; ErrMalformed if t is not a valid tile.
func (t Tile) Check(size int64) error {
	if t.Level < EntriesLevel || t.Level > maxTileLevel || t.N < 0 || t.Width < 1 || t.Width > TileWidth {
		return fmt.Errorf("tile %+v: %w: level, index or width out of range", t, ErrMalformed)
	}
	level := max(t.Level, 0)
	var units int64 // complete subtrees of 256^level leaves
	if TileHeight*level < 63 {
		units = size >> (TileHeight * level)
	}
	if t.N > (units-int64(t.Width))/TileWidth || t.N*TileWidth+int64(t.Width) > units {
		return fmt.Errorf("tile %s: %w of size %d", t.Path(), ErrNotFound, size)
	}
	return nil
}

// Leaves returns the leaf indexes [start, end) of an entry bundle.
func (t Tile) Leaves() (start, end int64) {
	return t.N * TileWidth, t.N*TileWidth + int64(t.Width)
}

func (t Tile) x() tlog.Tile { return tlog.Tile{H: TileHeight, L: t.Level, N: t.N, W: t.Width} }

// ReadTile returns the bytes of hash tile t of the tree of size leaves,
// reading its hashes from r: Width hashes of 32 bytes. ErrNotFound if the
// tile is not in the tree; ErrMalformed for an entry bundle.
func ReadTile(t Tile, size int64, r HashReader) ([]byte, error) {
	if t.Level == EntriesLevel {
		return nil, fmt.Errorf("read tile %s: %w: an entry bundle holds leaves, not hashes: use EncodeEntryBundle", t.Path(), ErrMalformed)
	}
	if err := t.Check(size); err != nil {
		return nil, err
	}
	data, err := tlog.ReadTileData(t.x(), r)
	if err != nil {
		return nil, fmt.Errorf("read tile %s: %w", t.Path(), err)
	}
	return data, nil
}

// EncodeEntryBundle returns the entry bundle of entries (the logged bytes of
// consecutive leaves): each as a big-endian uint16 length and the bytes.
// ErrMalformed if an entry is longer than MaxEntrySize.
func EncodeEntryBundle(entries [][]byte) ([]byte, error) {
	n := 0
	for i, e := range entries {
		if len(e) > MaxEntrySize {
			return nil, fmt.Errorf("entry bundle: entry %d: %w: %d bytes, the format allows at most %d", i, ErrMalformed, len(e), MaxEntrySize)
		}
		n += 2 + len(e)
	}
	out := make([]byte, 0, n)
	for _, e := range entries {
		out = binary.BigEndian.AppendUint16(out, uint16(len(e)))
		out = append(out, e...)
	}
	return out, nil
}

// ParseEntryBundle splits an entry bundle into its entries. It wants
// exactly width entries (the bundle's Tile.Width) and no trailing bytes.
func ParseEntryBundle(data []byte, width int) ([][]byte, error) {
	var out [][]byte
	for off := 0; off < len(data); {
		if len(data)-off < 2 {
			return nil, fmt.Errorf("entry bundle: byte %d: %w: truncated length", off, ErrMalformed)
		}
		n := int(binary.BigEndian.Uint16(data[off:]))
		off += 2
		if len(data)-off < n {
			return nil, fmt.Errorf("entry bundle: entry %d at byte %d: %w: length %d, %d bytes left", len(out), off-2, ErrMalformed, n, len(data)-off)
		}
		out = append(out, data[off:off+n:off+n])
		off += n
	}
	if len(out) != width {
		return nil, fmt.Errorf("entry bundle: %w: %d entries, want %d", ErrMalformed, len(out), width)
	}
	return out, nil
}

// NewTiles returns the hash tiles and entry bundles that appear when a log
// grows from oldSize to newSize leaves, for a node that publishes them as
// static files.
func NewTiles(oldSize, newSize int64) []Tile {
	var out []Tile
	for _, t := range tlog.NewTiles(TileHeight, oldSize, newSize) {
		out = append(out, Tile{Level: t.L, N: t.N, Width: t.W})
		if t.L == 0 {
			out = append(out, Tile{Level: EntriesLevel, N: t.N, Width: t.W})
		}
	}
	return out
}

// A TileFetcher fetches the bytes at a C2SP tile path ("tile/0/000.p/9"),
// for instance with an HTTP GET under a log's URL prefix.
type TileFetcher func(ctx context.Context, path string) ([]byte, error)

// TileClient reads a log through its tiles as published by a node it does
// not trust. Every hash it returns is proven to be in the tree of the
// checkpoint it was made for: a tile that does not hash up to the
// checkpoint's root is an error. It caches verified tiles. It is safe for
// concurrent use if its TileFetcher is.
type TileClient struct {
	ctx   context.Context
	cp    Checkpoint
	fetch TileFetcher
	hr    HashReader

	mu    sync.Mutex
	cache map[tlog.Tile][]byte // verified tiles
}

// NewTileClient returns a TileClient for the tree of checkpoint cp (which
// the caller has verified, see OpenCheckpoint) that fetches with fetch,
// passing ctx.
func NewTileClient(ctx context.Context, cp Checkpoint, fetch TileFetcher) *TileClient {
	c := &TileClient{ctx: ctx, cp: cp, fetch: fetch, cache: make(map[tlog.Tile][]byte)}
	c.hr = tlog.TileHashReader(tlog.Tree{N: cp.Size, Hash: cp.Root}, (*tileReader)(c))
	return c
}

// ReadHashes implements HashReader for the checkpoint's tree. Errors from
// fetching wrap ErrFetch; tiles that are malformed or inconsistent with the
// checkpoint give an error wrapping ErrProof.
func (c *TileClient) ReadHashes(indexes []int64) ([]Hash, error) {
	if c.cp.Size == 0 {
		if len(indexes) == 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("read stored hashes: %w: the tree is empty", ErrNotFound)
	}
	hs, err := c.hr.ReadHashes(indexes)
	if err != nil {
		var fe *fetchError
		if errors.As(err, &fe) {
			return nil, err
		}
		return nil, fmt.Errorf("tiles of %v: %w: %w", c.cp, ErrProof, err)
	}
	return hs, nil
}

// LeafHashes returns the leaf hashes of leaves [start, end) of the tree,
// proven by the tiles.
func (c *TileClient) LeafHashes(start, end int64) ([]Hash, error) {
	if start < 0 || start > end || end > c.cp.Size {
		return nil, fmt.Errorf("leaf hashes [%d, %d): %w of size %d", start, end, ErrNotFound, c.cp.Size)
	}
	idx := make([]int64, 0, end-start)
	for i := start; i < end; i++ {
		idx = append(idx, StoredHashIndex(0, i))
	}
	return c.ReadHashes(idx)
}

// Leaves fetches the entry bundles holding leaves [start, end) and returns
// those leaves, each checked against its leaf hash in the tiles.
func (c *TileClient) Leaves(start, end int64) ([][]byte, error) {
	hs, err := c.LeafHashes(start, end)
	if err != nil {
		return nil, err
	}
	leaves, err := FetchBundles(c.ctx, c.fetch, c.cp.Size, start, end)
	if err != nil {
		return nil, err
	}
	for i, l := range leaves {
		if LeafHash(l) != hs[i] {
			return nil, fmt.Errorf("leaf %d: %w: entry bundle does not match the tiles", start+int64(i), ErrProof)
		}
	}
	return leaves, nil
}

// ErrFetch marks errors from a TileFetcher or LeafFetcher: the log could
// not be read, which says nothing about whether it is intact.
var ErrFetch = errors.New("fetch")

type fetchError struct {
	path string
	err  error
}

func (e *fetchError) Error() string { return fmt.Sprintf("fetch %s: %v", e.path, e.err) }
func (e *fetchError) Unwrap() []error {
	return []error{ErrFetch, e.err}
}

// FetchBundles fetches the entry bundles of the tree of size leaves that
// hold leaves [start, end) and returns those leaves. It does not check them
// against any hash.
func FetchBundles(ctx context.Context, fetch TileFetcher, size, start, end int64) ([][]byte, error) {
	if start < 0 || start > end || end > size {
		return nil, fmt.Errorf("leaves [%d, %d): %w of size %d", start, end, ErrNotFound, size)
	}
	out := make([][]byte, 0, end-start)
	for n := start / TileWidth; n*TileWidth < end; n++ {
		t := Tile{Level: EntriesLevel, N: n, Width: int(min(TileWidth, size-n*TileWidth))}
		data, err := fetch(ctx, t.Path())
		if err != nil {
			return nil, &fetchError{t.Path(), err}
		}
		es, err := ParseEntryBundle(data, t.Width)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Path(), err)
		}
		lo, hi := max(start-n*TileWidth, 0), min(end-n*TileWidth, int64(t.Width))
		out = append(out, es[lo:hi]...)
	}
	return out, nil
}

// tileReader adapts TileClient to x/mod's TileReader.
type tileReader TileClient

func (r *tileReader) Height() int { return TileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		r.mu.Lock()
		data, ok := r.cache[t]
		r.mu.Unlock()
		if ok {
			out[i] = data
			continue
		}
		p := Tile{Level: t.L, N: t.N, Width: t.W}.Path()
		data, err := r.fetch(r.ctx, p)
		if err != nil {
			return nil, &fetchError{p, err}
		}
		if len(data) != t.W*HashSize {
			return nil, fmt.Errorf("tile %s: %w: %d bytes, want %d", p, ErrMalformed, len(data), t.W*HashSize)
		}
		out[i] = data
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, t := range tiles {
		r.cache[t] = data[i]
	}
}
