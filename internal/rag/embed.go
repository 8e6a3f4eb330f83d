package rag

import "context"

// Embedder turns texts into vectors. Implementations must return unit-length
// vectors of Dimension() entries, one per text and in the same order, and be
// safe for concurrent use.
type Embedder interface {
	// Name identifies the model (and its version) so that an index can tell
	// whether it was built with the same one.
	Name() string
	// Dimension is the length of every vector.
	Dimension() int
	// Embed embeds a batch of texts.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
}
