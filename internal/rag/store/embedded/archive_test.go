package embedded

import (
	"testing"

	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// TestConformance runs the store of record's conformance suite against the
// embedded archive, in memory and through a snapshot.
func TestConformance(t *testing.T) {
	t.Run("in memory", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, emb embed.Embedder, words int) store.Archive {
			return New(Options{Embedder: emb.Name(), Dimension: emb.Dimension(), ChunkWords: words})
		})
	})
}
