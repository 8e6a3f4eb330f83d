package embedded

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/store"
)

// A snapshot file (version 3) is laid out as:
//
//	"HERALDIX" | uint32 version | uint32 len | header JSON
//	| articles, in date and ID order: strings ID, title, URL, body, source,
//	  hash; the date (time.MarshalBinary); uvarint line; uvarint chunks and
//	  per chunk uvarint ordinal, start, end
//	| float32 vectors, little-endian, in article and chunk order
//	| the BM25 postings (lexicon.writeTo)
//	| uint32 CRC-32C of everything before | "HERALDOK"
//
// where a string is a uvarint length and its bytes. It is written and read
// as a stream, so neither holds a second copy of the index in memory; it is
// written to a temporary file, fsynced, renamed over the old one and the
// directory fsynced, so a crash at any moment leaves either the old or the
// new snapshot, never a torn one, and a load accepts it only when its
// checksum holds. Versions 1 and 2 (a gob of the articles) still load.
const (
	snapshotMagic   = "HERALDIX"
	snapshotTrailer = "HERALDOK"
	snapshotVersion = 3
	// SnapshotFile is the snapshot's name inside a data directory.
	SnapshotFile = "index.herald"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// header records what built the archive.
type header struct {
	Embedder   string    `json:"embedder"`
	Dimension  int       `json:"dimension"`
	ChunkWords int       `json:"chunk_words"`
	Articles   int       `json:"articles"`
	Chunks     int       `json:"chunks"`
	Saved      time.Time `json:"saved"`
	// Analyzer names the text analysis behind the stored postings; when it
	// is not the running one, the postings are rebuilt from the text.
	Analyzer string `json:"analyzer,omitempty"`
}

// MismatchError means a snapshot was built by another embedder, or with
// another chunk length, than the one asked for: it must be rebuilt, or
// opened with what built it.
type MismatchError struct {
	Path                    string
	Built, Want             string
	BuiltDim, WantDim       int
	BuiltWords, WantedWords int
}

func (e *MismatchError) Error() string {
	if e.BuiltWords != e.WantedWords {
		return fmt.Sprintf("%s was built with chunks of %d words but %d are asked for", e.Path, e.BuiltWords, e.WantedWords)
	}
	return fmt.Sprintf("%s was built with embedder %s (%d dimensions) but %s (%d dimensions) is configured",
		e.Path, e.Built, e.BuiltDim, e.Want, e.WantDim)
}

// DamagedError means a snapshot cannot be read: it must be rebuilt.
type DamagedError struct {
	Path, Why string
}

func (e *DamagedError) Error() string { return fmt.Sprintf("%s is damaged (%s)", e.Path, e.Why) }

// VersionError means a snapshot was written by a Herald this one cannot
// read.
type VersionError struct {
	Path    string
	Version uint32
}

func (e *VersionError) Error() string {
	return fmt.Sprintf("%s is a snapshot of version %d; this Herald reads versions 1 to %d", e.Path, e.Version, snapshotVersion)
}

// Save writes a snapshot of the archive to path atomically. Writes to the
// archive wait while it runs; reads do not.
func (a *Archive) Save(path string) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.saveLocked(path, os.CreateTemp)
}

// createTempFunc opens the temporary file of a snapshot (a seam for tests).
type createTempFunc func(dir, pattern string) (*os.File, error)

func (a *Archive) saveLocked(path string, createTemp createTempFunc) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving the index: %w", err)
	}
	f, err := createTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving the index: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("saving the index to %s: %w", path, err)
	}
	crc := crc32.New(castagnoli)
	w := bufio.NewWriterSize(io.MultiWriter(f, crc), 1<<20)
	if err := a.encodeLocked(w); err != nil {
		return fail(err)
	}
	if err := w.Flush(); err != nil {
		return fail(err)
	}
	if err := binary.Write(f, binary.LittleEndian, crc.Sum32()); err != nil {
		return fail(err)
	}
	if _, err := io.WriteString(f, snapshotTrailer); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	// Readable by other local users (a bot may run as another account),
	// like any file the process would create.
	if err := f.Chmod(0o644); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving the index to %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving the index to %s: %w", path, err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}

// snapshotWriter writes the fields of a snapshot, remembering the first
// error.
type snapshotWriter struct {
	w       *bufio.Writer
	scratch [binary.MaxVarintLen64]byte
}

func (s *snapshotWriter) uvarint(v uint64) {
	n := binary.PutUvarint(s.scratch[:], v)
	s.w.Write(s.scratch[:n])
}

func (s *snapshotWriter) str(v string) {
	s.uvarint(uint64(len(v)))
	s.w.WriteString(v)
}

// sorted lists the live articles oldest first, then by ID: a stable order
// keeps snapshots reproducible. The caller holds the lock.
func (a *Archive) sorted() []*article {
	arts := make([]*article, 0, len(a.articles))
	for _, art := range a.articles {
		arts = append(arts, art)
	}
	slices.SortFunc(arts, func(x, y *article) int {
		if c := x.Date.Compare(y.Date); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	return arts
}

func (a *Archive) encodeLocked(bw *bufio.Writer) error {
	arts := a.sorted()
	head, err := json.Marshal(header{
		Embedder: a.opts.Embedder, Dimension: a.opts.Dimension, ChunkWords: a.opts.ChunkWords,
		Articles: len(arts), Chunks: a.live, Saved: time.Now().UTC(), Analyzer: analysis.IndexName,
	})
	if err != nil {
		return err
	}
	bw.WriteString(snapshotMagic)
	binary.Write(bw, binary.LittleEndian, uint32(snapshotVersion))
	binary.Write(bw, binary.LittleEndian, uint32(len(head)))
	bw.Write(head)
	sw := &snapshotWriter{w: bw}
	for _, art := range arts {
		for _, s := range []string{art.ID, art.Title, art.URL, art.Body, art.Source, art.Hash} {
			sw.str(s)
		}
		date, err := art.Date.MarshalBinary()
		if err != nil {
			return fmt.Errorf("encoding the date of %s: %w", art.ID, err)
		}
		sw.str(string(date))
		sw.uvarint(uint64(art.Line))
		sw.uvarint(uint64(len(art.slots)))
		for _, slot := range art.slots {
			c := a.chunks[slot]
			sw.uvarint(uint64(c.ordinal))
			sw.uvarint(uint64(c.start))
			sw.uvarint(uint64(c.end))
		}
	}
	// order maps a chunk's slot to its slot once loaded: its place in the
	// snapshot.
	order := make([]int32, len(a.chunks))
	next := int32(0)
	var buf [4]byte
	for _, art := range arts {
		for _, slot := range art.slots {
			order[slot] = next
			next++
			vec, err := a.vec.vector(slot, art.Date)
			if err != nil {
				return err
			}
			for _, x := range vec {
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
				bw.Write(buf[:])
			}
		}
	}
	return a.lex.writeTo(bw, order, int(next))
}

// Open reads the snapshot at path into a new archive, whose Sync writes
// back to path. The snapshot must have been built by the embedder opts name
// (else a *MismatchError); opts.ChunkWords, when set, must match. A missing
// snapshot is store.ErrEmpty; a damaged one a *DamagedError.
func Open(ctx context.Context, path string, opts Options) (*Archive, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("opening %s: %w", path, store.ErrEmpty)
	}
	if err != nil {
		return nil, fmt.Errorf("opening the index: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("opening the index: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("opening the index: %s is a directory", path)
	}
	r := &snapshotReader{path: path, f: f, size: info.Size()}
	a, err := r.read(ctx, opts)
	if err != nil {
		return nil, err
	}
	a.opts.Path = path
	return a, nil
}

// snapshotReader reads a snapshot as a stream, checksumming what it reads.
type snapshotReader struct {
	path string
	f    *os.File
	size int64
	br   *bufio.Reader
	crc  hash.Hash32
	err  error
}

func (r *snapshotReader) damaged(why string) error { return &DamagedError{Path: r.path, Why: why} }

func (r *snapshotReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(r.br)
	if err != nil {
		r.err = r.damaged("truncated")
	}
	return v
}

func (r *snapshotReader) bytes(max uint64) []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > max {
		r.err = r.damaged("a field is too long")
		return nil
	}
	b := make([]byte, n)
	if _, err := io.ReadFull(r.br, b); err != nil {
		r.err = r.damaged("truncated")
		return nil
	}
	return b
}

func (r *snapshotReader) read(ctx context.Context, opts Options) (*Archive, error) {
	tail := len(snapshotTrailer) + 4
	if r.size < int64(len(snapshotMagic)+8+tail) {
		return nil, r.damaged("not a Herald index")
	}
	end := make([]byte, tail)
	if _, err := r.f.ReadAt(end, r.size-int64(tail)); err != nil {
		return nil, r.damaged("unreadable")
	}
	if string(end[4:]) != snapshotTrailer {
		return nil, r.damaged("truncated")
	}
	r.crc = crc32.New(castagnoli)
	r.br = bufio.NewReaderSize(io.TeeReader(io.LimitReader(r.f, r.size-int64(tail)), r.crc), 1<<20)
	pre := make([]byte, len(snapshotMagic)+8)
	if _, err := io.ReadFull(r.br, pre); err != nil || string(pre[:len(snapshotMagic)]) != snapshotMagic {
		return nil, r.damaged("not a Herald index")
	}
	version := binary.LittleEndian.Uint32(pre[len(snapshotMagic):])
	if version < 1 || version > snapshotVersion {
		return nil, &VersionError{Path: r.path, Version: version}
	}
	hlen := binary.LittleEndian.Uint32(pre[len(snapshotMagic)+4:])
	if int64(hlen) > r.size {
		return nil, r.damaged("bad header length")
	}
	hb := make([]byte, hlen)
	var head header
	if _, err := io.ReadFull(r.br, hb); err != nil || json.Unmarshal(hb, &head) != nil {
		return nil, r.damaged("bad header")
	}
	if head.Embedder != opts.Embedder || head.Dimension != opts.Dimension {
		return nil, &MismatchError{Path: r.path, Built: head.Embedder, BuiltDim: head.Dimension, Want: opts.Embedder, WantDim: opts.Dimension}
	}
	if opts.ChunkWords > 0 && opts.ChunkWords != head.ChunkWords {
		return nil, &MismatchError{Path: r.path, BuiltWords: head.ChunkWords, WantedWords: opts.ChunkWords}
	}
	opts.ChunkWords = head.ChunkWords
	if head.Chunks < 0 || head.Articles < 0 || int64(head.Chunks)*int64(4*head.Dimension) > r.size {
		return nil, r.damaged("counts do not match the file")
	}
	a := New(opts)
	var err error
	if version >= 3 {
		err = r.readArticles(a, head)
	} else {
		err = r.readGobArticles(a, head)
	}
	if err != nil {
		return nil, err
	}
	if err := r.readVectors(a, head); err != nil {
		return nil, err
	}
	if version >= 2 && head.Analyzer == analysis.IndexName {
		lex, err := readLexicon(r.br, head.Chunks)
		if err != nil {
			return nil, r.damaged(err.Error())
		}
		a.lex = lex
	} else {
		// An older snapshot, or another analyzer: analyse the text again.
		a.lex = indexTerms(a)
		if _, err := io.Copy(io.Discard, r.br); err != nil {
			return nil, r.damaged("unreadable")
		}
	}
	if _, err := r.br.ReadByte(); err != io.EOF {
		return nil, r.damaged("trailing data")
	}
	if r.crc.Sum32() != binary.LittleEndian.Uint32(end[:4]) {
		return nil, r.damaged("checksum mismatch")
	}
	return a, ctx.Err()
}

// readArticles reads the article section of a version 3 snapshot.
func (r *snapshotReader) readArticles(a *Archive, head header) error {
	const maxField = 1 << 30
	a.chunks = make([]chunk, 0, head.Chunks)
	for i := 0; i < head.Articles && r.err == nil; i++ {
		var f [7][]byte
		for j := range f {
			f[j] = r.bytes(maxField)
		}
		art := &article{Article: corpus.Article{ID: string(f[0]), Title: string(f[1]), URL: string(f[2]), Body: string(f[3]), Source: string(f[4]), Hash: string(f[5])}}
		if r.err == nil && art.Date.UnmarshalBinary(f[6]) != nil {
			return r.damaged("bad date of " + art.ID)
		}
		art.Line = int(r.uvarint())
		n := r.uvarint()
		if n > uint64(head.Chunks) {
			return r.damaged("bad chunk count of " + art.ID)
		}
		for j := uint64(0); j < n && r.err == nil; j++ {
			ord, start, end := r.uvarint(), r.uvarint(), r.uvarint()
			if err := a.addChunk(art, int(ord), int(start), int(end), head.Chunks); err != nil {
				return r.damaged(err.Error())
			}
		}
		a.articles[art.ID] = art
	}
	if r.err != nil {
		return r.err
	}
	return a.counted(head)
}

// addChunk appends a chunk read from a snapshot.
func (a *Archive) addChunk(art *article, ordinal, start, end, max int) error {
	if len(a.chunks) >= max || start < 0 || end > len(art.Body) || start > end {
		return fmt.Errorf("bad chunk of %s", art.ID)
	}
	slot := int32(len(a.chunks))
	a.chunks = append(a.chunks, chunk{art: art, ordinal: int32(ordinal), start: int32(start), end: int32(end)})
	art.slots = append(art.slots, slot)
	a.live++
	return nil
}

// counted checks the articles and chunks read against the header.
func (a *Archive) counted(head header) error {
	if len(a.chunks) != head.Chunks || len(a.articles) != head.Articles {
		return fmt.Errorf("counts do not match the header")
	}
	return nil
}

// gobArticle and gobChunk are the article section of versions 1 and 2.
type gobArticle struct {
	ID, Title, URL, Body, Source, Hash string
	Date                               time.Time
	Line                               int
	Chunks                             []gobChunk
}

type gobChunk struct{ Ordinal, Start, End int }

// readGobArticles reads the article section of a version 1 or 2 snapshot.
func (r *snapshotReader) readGobArticles(a *Archive, head header) error {
	var lenBuf [8]byte
	if _, err := io.ReadFull(r.br, lenBuf[:]); err != nil {
		return r.damaged("short")
	}
	blen := binary.LittleEndian.Uint64(lenBuf[:])
	if blen > uint64(r.size) {
		return r.damaged("bad article section length")
	}
	var arts []gobArticle
	if err := gob.NewDecoder(bufio.NewReader(io.LimitReader(r.br, int64(blen)))).Decode(&arts); err != nil {
		return r.damaged("bad article section")
	}
	a.chunks = make([]chunk, 0, head.Chunks)
	for _, ga := range arts {
		art := &article{Article: corpus.Article{ID: ga.ID, Title: ga.Title, URL: ga.URL, Body: ga.Body, Source: ga.Source, Hash: ga.Hash, Date: ga.Date, Line: ga.Line}}
		for _, c := range ga.Chunks {
			if err := a.addChunk(art, c.Ordinal, c.Start, c.End, head.Chunks); err != nil {
				return r.damaged(err.Error())
			}
		}
		a.articles[art.ID] = art
	}
	if err := a.counted(head); err != nil {
		return r.damaged(err.Error())
	}
	return nil
}

// readVectors reads every chunk's vector into one block and hands them to
// the vector index.
func (r *snapshotReader) readVectors(a *Archive, head header) error {
	dim := head.Dimension
	slab := make([]float32, dim*head.Chunks)
	buf := make([]byte, 4*dim)
	for slot := range a.chunks {
		if _, err := io.ReadFull(r.br, buf); err != nil {
			return r.damaged("vector section size")
		}
		v := slab[slot*dim : (slot+1)*dim : (slot+1)*dim]
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		}
		c := a.chunks[slot]
		if err := a.vec.add(context.Background(), int32(slot), c.art.Date, v); err != nil {
			return r.damaged(fmt.Sprintf("vector of %s: %v", c.id(), err))
		}
	}
	return nil
}

// indexBatch is how many chunks are analysed at a time when postings are
// rebuilt: enough to keep every CPU busy, few enough to bound the term
// lists held at once.
const indexBatch = 4096

// indexTerms builds the lexical index of every chunk's terms, analysing
// the text on every CPU and adding the terms in slot order.
func indexTerms(a *Archive) *lexicon {
	an := analysis.NewIndex()
	lex := newLexicon()
	workers := runtime.GOMAXPROCS(0)
	caches := make([]map[string]string, workers)
	for w := range caches {
		caches[w] = make(map[string]string, 1<<15)
	}
	terms := make([][]string, indexBatch)
	for lo := 0; lo < len(a.chunks); lo += indexBatch {
		hi := min(lo+indexBatch, len(a.chunks))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo + w; i < hi; i += workers {
					c := a.chunks[i]
					terms[i-lo] = an.TermsCached(an.TermsCached(nil, c.art.Title, caches[w]), c.text(), caches[w])
				}
			}()
		}
		wg.Wait()
		for i := lo; i < hi; i++ {
			lex.add(int32(i), terms[i-lo])
			terms[i-lo] = nil
		}
	}
	return lex
}
