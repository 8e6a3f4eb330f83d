package weaviate

import (
	"context"
	"fmt"
	"math"

	"github.com/herald-news/herald/internal/corpus"
)

// unitTolerance is how far from 1 a vector's squared length may be.
const unitTolerance = 1e-3

// Check reads the whole archive with the cursor and verifies it: every
// chunk belongs to an article, lies within its body and has its ordinal's
// UUID, terms and a unit vector of the dimension; every article has all
// its chunks and no more. Weaviate indexes each object for BM25 and for
// vectors as it writes it, so a chunk with terms and a vector is in both.
func (a *Archive) Check(ctx context.Context) error {
	type seen struct {
		body, chunks, found int
		ordinals            map[int]bool
	}
	arts := map[string]*seen{}
	err := scan(ctx, a, a.article, fields("articleId", "body", "chunks"), func(r articleRow) error {
		if r.Additional.ID != articleUUID(r.ArticleID) {
			return fmt.Errorf("the article %s is stored under the ID %s, not its own", r.ArticleID, r.Additional.ID)
		}
		arts[r.ArticleID] = &seen{body: len(r.Body), chunks: r.Chunks, ordinals: map[int]bool{}}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking the articles: %w", err)
	}
	chunks := 0
	err = scan(ctx, a, a.chunk, fields("chunkId", "articleId", "ordinal", "start", "end", "terms"), func(r chunkRow) error {
		chunks++
		if r.Additional.ID != chunkUUID(r.ChunkID) || r.ChunkID != corpus.ChunkID(r.ArticleID, r.Ordinal) {
			return fmt.Errorf("chunk %s is stored under the ID %s, not its own", r.ChunkID, r.Additional.ID)
		}
		art, ok := arts[r.ArticleID]
		switch {
		case !ok:
			return fmt.Errorf("chunk %s has no article", r.ChunkID)
		case r.Ordinal < 0 || r.Ordinal >= art.chunks || art.ordinals[r.Ordinal]:
			return fmt.Errorf("chunk %s is not one of its article's %d", r.ChunkID, art.chunks)
		case r.Start < 0 || r.End > art.body || r.Start > r.End:
			return fmt.Errorf("chunk %s lies outside its article", r.ChunkID)
		case r.Terms == "":
			return fmt.Errorf("chunk %s has no index terms", r.ChunkID)
		}
		if err := a.checkVector(r.ChunkID, r.Additional.Vector); err != nil {
			return err
		}
		art.ordinals[r.Ordinal] = true
		art.found++
		return nil
	}, "vector")
	if err != nil {
		return fmt.Errorf("checking the chunks: %w", err)
	}
	for id, art := range arts {
		if art.found != art.chunks {
			return fmt.Errorf("the article %s has %d of its %d chunks", id, art.found, art.chunks)
		}
	}
	if n, err := a.count(ctx, a.chunk); err != nil || n != chunks {
		return fmt.Errorf("%d chunks read but %d counted (%v)", chunks, n, err)
	}
	return nil
}

// checkVector verifies a chunk's vector: the dimension, unit length.
func (a *Archive) checkVector(chunk string, v []float32) error {
	if len(v) != a.cfg.Dimension {
		return fmt.Errorf("chunk %s has a %d-dimension vector, want %d", chunk, len(v), a.cfg.Dimension)
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if math.IsNaN(n) || n != 0 && math.Abs(n-1) > unitTolerance {
		return fmt.Errorf("chunk %s has a vector of length %.4f, not 1", chunk, math.Sqrt(n))
	}
	return nil
}

// Sync has nothing to do: Weaviate has written what it acknowledged to its
// write-ahead log, on as many replicas as the write consistency asks.
func (a *Archive) Sync(ctx context.Context) error { return nil }
