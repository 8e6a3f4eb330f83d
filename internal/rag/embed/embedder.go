// Package embed turns text into vectors: the chunks of articles at ingest,
// and questions at retrieval. The vectors go to the store of record's
// vector index. The built-in embedder is local and offline; a remote model
// (internal/rag/llm) implements the same interface.
package embed

import (
	"context"
	"math"
)

// Embedder turns texts into vectors. Implementations must return unit-length
// vectors of Dimension() entries, one per text and in the same order, and be
// safe for concurrent use.
type Embedder interface {
	// Name identifies the model (and its version) so that an index can tell
	// whether it was built with the same one.
	Name() string
	// Dimension is the length of every vector.
	Dimension() int
	// VectorWeight is how much the similarity of this embedder's vectors
	// weighs against BM25 when retrieval fuses the two (both normalised to
	// 1 at their best hit): what the vectors are worth.
	VectorWeight() float64
	// Embed embeds a batch of texts.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}

// ModelVectorWeight is the fusion weight of a real embedding model's
// vectors.
const ModelVectorWeight = 0.8

// Text is what gets embedded for a chunk: its article's title and its text.
func Text(title, chunk string) string { return title + ".\n" + chunk }

// Normalize scales v to unit length in place; a zero vector stays zero.
func Normalize(v []float32) {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 {
		return
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
}
