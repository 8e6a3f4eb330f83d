// Package store defines Herald's store of record, the Archive: every
// article, its chunks with their index terms and vectors, the lexical and
// vector indexes over them, and their term statistics. Articles come in
// from ingest (internal/rag/ingest), already chunked, analysed and
// embedded; retrieval (internal/rag/retrieve) asks it for candidates and
// statistics, and fuses, reranks and caps them itself, so that every
// backend answers alike. The embedded backend (store/embedded) keeps it in
// the process; storetest is the conformance suite every backend passes.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/dates"
)

// Archive is the store of record. Every method is safe for concurrent use.
// Writes do not block reads for longer than it takes to apply them.
type Archive interface {
	// Put adds articles with their chunks, or replaces them (same ID). It
	// never leaves an article half written: on an error, each article of
	// the batch is either as it was or as given, and Manifest tells which.
	Put(ctx context.Context, entries []Entry) error
	// Remove deletes articles and their chunks; unknown IDs are ignored.
	Remove(ctx context.Context, ids []string) error
	// Relocate records that unchanged articles were read from another
	// file or line, without writing their chunks again.
	Relocate(ctx context.Context, moved []Manifest) error
	// Manifest lists every article's ID, content hash and origin, which
	// make ingest incremental and idempotent.
	Manifest(ctx context.Context) ([]Manifest, error)

	// Candidates returns the chunks that best match a query: BM25 hits for
	// its terms and nearest neighbours of its vector, each best first and
	// dated within its period.
	Candidates(ctx context.Context, q Query) (Candidates, error)
	// Leads returns the first chunk of the n newest articles dated within
	// the period, newest first.
	Leads(ctx context.Context, period dates.Period, n int) ([]Hit, error)
	// TermStats counts the chunks, and the chunks that hold each term.
	TermStats(ctx context.Context, terms []string) (TermStats, error)
	// Article returns an article with its body; ok is false when there is
	// none with that ID.
	Article(ctx context.Context, id string) (a corpus.Article, ok bool, err error)
	// Articles lists articles without their bodies, newest first (ties by
	// ID).
	Articles(ctx context.Context, q ArticleQuery) ([]ArticleInfo, error)
	// NearestDays returns the closest days with articles before and after
	// the period (zero when there is none on that side).
	NearestDays(ctx context.Context, period dates.Period) (before, after time.Time, err error)
	// Stats describes the archive.
	Stats(ctx context.Context) (Stats, error)

	// Sync makes the writes so far durable (the embedded backend writes a
	// snapshot; a database may have nothing to do).
	Sync(ctx context.Context) error
	// Check verifies the archive's integrity: every chunk has its article
	// and lies within it, every vector has the dimension and unit length,
	// and the lexical and vector indexes hold the same chunks.
	Check(ctx context.Context) error
}

// Entry is an article with its chunks, as Put writes it.
type Entry struct {
	Article corpus.Article
	Chunks  []Chunk
}

// Chunk is a chunk as the archive holds it: where it lies in its article's
// body, its index terms, and its vector.
type Chunk struct {
	Ordinal    int
	Start, End int
	// Terms are the index terms of the article's title and of the chunk's
	// text (analysis.NewIndex), BM25's input.
	Terms []string
	// Vector is the chunk's embedding, of unit length.
	Vector []float32
}

// Manifest is what ingest needs to know of an article to decide whether it
// must be read again: its content hash and where it came from.
type Manifest struct {
	ID, Hash, Source string
	Line             int
}

// Query asks for candidates.
type Query struct {
	// Terms are the question's index terms; none skips the lexical half.
	Terms []string
	// Vector is the question's embedding; nil skips the vector half.
	Vector []float32
	// N is how many hits each half returns at most.
	N int
	// Period keeps only chunks of articles dated within it.
	Period dates.Period
}

// Hit is a chunk found by a query, with what retrieval needs of it.
type Hit struct {
	ChunkID   string
	ArticleID string
	Title     string
	URL       string
	Date      time.Time
	Text      string
	// Score is the BM25 score of a lexical hit, or the cosine similarity
	// of a vector hit.
	Score float64
}

// Candidates are the hits of both halves of a search, each best first.
type Candidates struct {
	Lexical []Hit
	Vector  []Hit
}

// TermStats are the document frequencies behind IDF.
type TermStats struct {
	// Chunks counts the chunks in the archive.
	Chunks int
	// DocFreq counts, for each term asked about, the chunks that hold it.
	DocFreq map[string]int
}

// ArticleQuery selects articles.
type ArticleQuery struct {
	// Period keeps articles dated within it.
	Period dates.Period
	// TitleContains keeps articles whose title holds it, ignoring case.
	TitleContains string
	// Limit bounds the list (0: no bound).
	Limit int
}

// ArticleInfo is an article's metadata, without its body.
type ArticleInfo struct {
	ID, Title, URL, Source string
	Date                   time.Time
	Chunks                 int
}

// Stats describes an archive.
type Stats struct {
	Articles int
	Chunks   int
	// Oldest and Newest are the article dates at either end (zero when
	// empty).
	Oldest, Newest time.Time
	// Embedder and Dimension name what made the vectors, and ChunkWords
	// the chunk length, recorded when the archive was built.
	Embedder   string
	Dimension  int
	ChunkWords int
}

// ErrEmpty means an archive holds no articles yet (a data directory with no
// index, a collection not created).
var ErrEmpty = errors.New("no index")

// BM25 parameters, shared by every backend so that scores and thresholds
// mean the same. k1 0.9 and b 0.4 beat the textbook 1.2 and 0.75 on SQuAD
// v1.1 dev (recall@1 0.794 against 0.791; herald eval squad).
const (
	BM25K1 = 0.9
	BM25B  = 0.4
)
