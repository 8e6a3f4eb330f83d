package rag

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
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
)

// A snapshot file is laid out as:
//
//	"HERALDIX" | uint32 version | uint32 len | header JSON | uint64 len | gob []snapArticle
//	| float32 vectors, little-endian, in article and chunk order
//	| lexicon (version 2): the BM25 postings, so that loading need not
//	  analyse the text again (see encodeLexicon)
//	| uint32 CRC-32C of everything before | "HERALDOK"
//
// It is written to a temporary file, fsynced, renamed over the old one and
// the directory fsynced, so a crash at any moment leaves either the old or
// the new snapshot, never a torn one.
const (
	snapshotMagic   = "HERALDIX"
	snapshotTrailer = "HERALDOK"
	snapshotVersion = 2
	// SnapshotFile is the snapshot's name inside a data directory.
	SnapshotFile = "index.herald"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapshotHeader records what built the index.
type snapshotHeader struct {
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

type snapArticle struct {
	ID, Title, URL, Body, Source, Hash string
	Date                               time.Time
	Line                               int
	Chunks                             []snapChunk
}

type snapChunk struct {
	Ordinal, Start, End int
}

// ErrNoIndex means the data directory holds no snapshot yet.
var ErrNoIndex = errors.New("no index")

// EmbedderMismatchError means a snapshot was built by another embedder.
type EmbedderMismatchError struct {
	Path              string
	Built, Want       string
	BuiltDim, WantDim int
}

func (e *EmbedderMismatchError) Error() string {
	return fmt.Sprintf("%s was built with embedder %s (%d dimensions) but %s (%d dimensions) is configured: re-index with `herald ingest --reindex PATH…`, or configure the original embedder",
		e.Path, e.Built, e.BuiltDim, e.Want, e.WantDim)
}

// Save writes a snapshot of the index to path atomically. Writes to the
// index wait while it runs.
func (ix *Index) Save(path string) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.saveLocked(path, os.CreateTemp)
}

// createTempFunc opens the temporary file of a snapshot (a seam for tests).
type createTempFunc func(dir, pattern string) (*os.File, error)

func (ix *Index) saveLocked(path string, createTemp createTempFunc) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("saving index: %w", err)
	}
	f, err := createTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("saving index: %w", err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("saving index to %s: %w", path, err)
	}
	crc := crc32.New(castagnoli)
	w := &countingWriter{w: io.MultiWriter(f, crc)}
	if err := ix.encodeLocked(w); err != nil {
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
		return fmt.Errorf("saving index to %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("saving index to %s: %w", path, err)
	}
	return syncDir(dir)
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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

func (ix *Index) encodeLocked(w io.Writer) error {
	arts := make([]snapArticle, 0, len(ix.articles))
	for _, a := range ix.articles {
		sa := snapArticle{ID: a.ID, Title: a.Title, URL: a.URL, Body: a.Body, Source: a.Source, Hash: a.Hash, Date: a.Date, Line: a.Line}
		for _, slot := range a.slots {
			c := ix.chunks[slot]
			sa.Chunks = append(sa.Chunks, snapChunk{Ordinal: c.ordinal, Start: c.start, End: c.end})
		}
		arts = append(arts, sa)
	}
	// Oldest first, then by ID: a stable order keeps snapshots reproducible.
	sortSnap(arts)
	head, err := json.Marshal(snapshotHeader{
		Embedder: ix.embedder.Name(), Dimension: ix.embedder.Dimension(), ChunkWords: ix.chunkWords,
		Articles: len(arts), Chunks: len(ix.chunkSlot), Saved: time.Now().UTC(), Analyzer: analyzerName,
	})
	if err != nil {
		return err
	}
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(arts); err != nil {
		return fmt.Errorf("encoding articles: %w", err)
	}
	var pre bytes.Buffer
	pre.WriteString(snapshotMagic)
	binary.Write(&pre, binary.LittleEndian, uint32(snapshotVersion))
	binary.Write(&pre, binary.LittleEndian, uint32(len(head)))
	pre.Write(head)
	binary.Write(&pre, binary.LittleEndian, uint64(body.Len()))
	if _, err := w.Write(pre.Bytes()); err != nil {
		return err
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		return err
	}
	buf := make([]byte, 0, 4*ix.embedder.Dimension()*64)
	// order maps a chunk's slot to its slot once loaded: its place in the
	// snapshot.
	order := make([]int32, len(ix.chunks))
	next := int32(0)
	for _, sa := range arts {
		a := ix.articles[sa.ID]
		for _, slot := range a.slots {
			order[slot] = next
			next++
			for _, x := range ix.chunks[slot].vector {
				buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(x))
			}
			if len(buf) >= cap(buf)-4*ix.embedder.Dimension() {
				if _, err := w.Write(buf); err != nil {
					return err
				}
				buf = buf[:0]
			}
		}
	}
	if _, err := w.Write(buf); err != nil {
		return err
	}
	_, err = w.Write(ix.lex.encode(order, int(next)))
	return err
}

func sortSnap(arts []snapArticle) {
	slices.SortFunc(arts, func(a, b snapArticle) int {
		if c := a.Date.Compare(b.Date); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Load reads the snapshot at path into a new index. The snapshot must have
// been built by the configured embedder; otherwise it returns an
// *EmbedderMismatchError. A missing snapshot is ErrNoIndex.
func Load(ctx context.Context, path string, opts IndexOptions) (*Index, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("loading %s: %w", path, ErrNoIndex)
	}
	if err != nil {
		return nil, fmt.Errorf("loading index: %w", err)
	}
	corrupt := func(why string) error {
		return fmt.Errorf("loading %s: the snapshot is damaged (%s): rebuild it with `herald ingest --reindex PATH…`", path, why)
	}
	n := len(data)
	if n < len(snapshotMagic)+8+4+len(snapshotTrailer) || string(data[:len(snapshotMagic)]) != snapshotMagic {
		return nil, corrupt("not a Herald index")
	}
	if string(data[n-len(snapshotTrailer):]) != snapshotTrailer {
		return nil, corrupt("truncated")
	}
	payload := data[:n-len(snapshotTrailer)-4]
	if crc32.Checksum(payload, castagnoli) != binary.LittleEndian.Uint32(data[len(payload):]) {
		return nil, corrupt("checksum mismatch")
	}
	p := payload[len(snapshotMagic):]
	version := binary.LittleEndian.Uint32(p)
	if version != 1 && version != snapshotVersion {
		return nil, fmt.Errorf("loading %s: snapshot version %d is not supported (want %d): re-index with `herald ingest --reindex PATH…`", path, version, snapshotVersion)
	}
	hlen := int(binary.LittleEndian.Uint32(p[4:]))
	p = p[8:]
	if hlen > len(p) {
		return nil, corrupt("bad header length")
	}
	var head snapshotHeader
	if err := json.Unmarshal(p[:hlen], &head); err != nil {
		return nil, corrupt("bad header")
	}
	p = p[hlen:]

	ix := NewIndex(opts)
	if head.Embedder != ix.embedder.Name() || head.Dimension != ix.embedder.Dimension() {
		return nil, &EmbedderMismatchError{Path: path, Built: head.Embedder, BuiltDim: head.Dimension, Want: ix.embedder.Name(), WantDim: ix.embedder.Dimension()}
	}
	switch {
	case opts.ChunkWords <= 0:
		ix.chunkWords = head.ChunkWords
	case opts.ChunkWords != head.ChunkWords:
		return nil, fmt.Errorf("%s was built with chunks of %d words but %d are configured: re-index with `herald ingest --reindex PATH…`, or configure %d", path, head.ChunkWords, opts.ChunkWords, head.ChunkWords)
	}
	if len(p) < 8 {
		return nil, corrupt("short")
	}
	blen := binary.LittleEndian.Uint64(p)
	p = p[8:]
	if blen > uint64(len(p)) {
		return nil, corrupt("bad article section length")
	}
	var arts []snapArticle
	if err := gob.NewDecoder(bytes.NewReader(p[:blen])).Decode(&arts); err != nil {
		return nil, corrupt("bad article section")
	}
	p = p[blen:]
	dim := head.Dimension
	if len(p) < 4*dim*head.Chunks || (version == 1 && len(p) != 4*dim*head.Chunks) {
		return nil, corrupt("vector section size")
	}
	lexSection := p[4*dim*head.Chunks:]
	slab := make([]float32, dim*head.Chunks)
	for i := range slab {
		slab[i] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*i:]))
	}
	var lex *lexicon
	if version >= 2 && head.Analyzer == analyzerName {
		if lex, err = decodeLexicon(lexSection, head.Chunks); err != nil {
			return nil, corrupt(err.Error())
		}
	}
	data, payload, p, lexSection = nil, nil, nil, nil

	vectors := make([]ChunkVector, 0, head.Chunks)
	next := 0
	for _, sa := range arts {
		a := &article{Article: corpus.Article{ID: sa.ID, Title: sa.Title, URL: sa.URL, Body: sa.Body, Source: sa.Source, Hash: sa.Hash, Date: sa.Date, Line: sa.Line}}
		for _, sc := range sa.Chunks {
			if next >= head.Chunks || sc.Start < 0 || sc.End > len(a.Body) || sc.Start > sc.End {
				return nil, corrupt("bad chunk of " + a.ID)
			}
			slot := int32(len(ix.chunks))
			c := &chunk{slot: slot, id: corpus.ChunkID(a.ID, sc.Ordinal), art: a, ordinal: sc.Ordinal, start: sc.Start, end: sc.End,
				vector: slab[next*dim : (next+1)*dim : (next+1)*dim]}
			next++
			ix.chunks = append(ix.chunks, c)
			ix.chunkSlot[c.id] = slot
			a.slots = append(a.slots, slot)
			vectors = append(vectors, ChunkVector{ChunkID: c.id, Date: a.Date, Vector: c.vector})
		}
		ix.articles[a.ID] = a
	}
	if next != head.Chunks || len(arts) != head.Articles {
		return nil, corrupt("counts do not match the header")
	}
	if lex != nil {
		ix.lex = lex
	} else {
		ix.indexTermsParallel() // an older snapshot, or another analyzer
	}
	if err := ix.store.Add(ctx, vectors); err != nil {
		return nil, fmt.Errorf("loading %s into the vector store: %w", path, err)
	}
	return ix, nil
}

// loadBatch is how many chunks are analysed at a time while loading: enough
// to keep every CPU busy, few enough to bound the term lists held at once.
const loadBatch = 4096

// indexTermsParallel fills the lexical index with every chunk's terms,
// analysing the text on every CPU and adding the terms in slot order. The
// lexicon is rebuilt rather than stored: the text is in the snapshot anyway.
func (ix *Index) indexTermsParallel() {
	workers := runtime.GOMAXPROCS(0)
	caches := make([]map[string]string, workers)
	for w := range caches {
		caches[w] = make(map[string]string, 1<<15)
	}
	terms := make([][]string, loadBatch)
	for lo := 0; lo < len(ix.chunks); lo += loadBatch {
		hi := min(lo+loadBatch, len(ix.chunks))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := lo + w; i < hi; i += workers {
					c := ix.chunks[i]
					terms[i-lo] = ix.an.termsCached(ix.an.termsCached(nil, c.art.Title, caches[w]), c.text(), caches[w])
				}
			}()
		}
		wg.Wait()
		for i := lo; i < hi; i++ {
			ix.lex.add(int32(i), terms[i-lo])
			terms[i-lo] = nil
		}
	}
}
