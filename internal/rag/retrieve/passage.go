// Package retrieve finds the passages that answer a question, the same way
// over every backend of the store of record: it asks the archive for
// lexical and vector candidates within the question's period, fuses their
// scores, favours recent articles when asked, reranks the first candidates
// by their best sentence, caps the passages of one article and measures how
// much of the question each passage covers. Questions come in from the
// engine (internal/rag); passages go to the answerers and summaries.
package retrieve

import (
	"fmt"
	"strings"
	"time"
)

// Passage is a retrieved chunk with its scores.
type Passage struct {
	ChunkID   string
	ArticleID string
	Title     string
	URL       string
	Date      time.Time
	Text      string
	// Score is the fused ranking score; Lexical the BM25 score and
	// Similarity the vector similarity (0 when that half did not find it).
	Score      float64
	Lexical    float64
	Similarity float32
	// Coverage is the share of the question's term weight (IDF) found in
	// the passage or its title, from 0 to 1.
	Coverage float64
}

// Mode says which halves of the hybrid search run.
type Mode int

// The retrieval modes. Only Hybrid serves users; the others exist to measure
// each half on its own.
const (
	Hybrid Mode = iota
	KeywordsOnly
	VectorsOnly
)

// String names the mode as "hybrid", "bm25" or "vector".
func (m Mode) String() string {
	switch m {
	case KeywordsOnly:
		return "bm25"
	case VectorsOnly:
		return "vector"
	}
	return "hybrid"
}

// ParseMode reads a mode name written by [Mode.String].
func ParseMode(s string) (Mode, error) {
	for _, m := range []Mode{Hybrid, KeywordsOnly, VectorsOnly} {
		if strings.EqualFold(s, m.String()) {
			return m, nil
		}
	}
	return Hybrid, fmt.Errorf("unknown retrieval mode %q: want hybrid, bm25 or vector", s)
}
