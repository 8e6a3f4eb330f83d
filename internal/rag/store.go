package rag

import (
	"context"
	"time"
)

// VectorStore holds chunk vectors and finds the nearest ones to a question.
// The built-in backend is chromem-go ([NewChromemStore]); a distributed
// engine can stand in for it.
type VectorStore interface {
	// Add stores vectors; an existing ID is replaced.
	Add(ctx context.Context, vectors []ChunkVector) error
	// Delete removes vectors (their Vector field may be nil).
	Delete(ctx context.Context, vectors []ChunkVector) error
	// Nearest returns up to k chunks most similar to query, best first,
	// dated within period (the zero Period means any date).
	Nearest(ctx context.Context, query []float32, k int, period Period) ([]VectorHit, error)
	// Len counts the stored vectors.
	Len() int
}

// ChunkVector is a chunk's vector with what a store needs to partition it.
type ChunkVector struct {
	ChunkID string
	Date    time.Time
	Vector  []float32
}

// VectorHit is a chunk found by similarity.
type VectorHit struct {
	ChunkID    string
	Similarity float32
}
