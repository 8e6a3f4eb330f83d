package llm

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/herald-news/herald/internal/rag/embed"
	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/sync/errgroup"
)

// Embedder embeds through an OpenAI-compatible /embeddings endpoint, in
// batches with bounded concurrency and retries, and caches question
// embeddings. It implements embed.Embedder.
type Embedder struct {
	client      *Client
	model       string
	dim         int
	batch       int
	concurrency int
	cache       *lru.Cache[string, []float32]
}

// EmbedderOptions shapes remote embedding.
type EmbedderOptions struct {
	// Batch is how many texts go in one request (default 64); Concurrency
	// how many requests run at once (default 2).
	Batch, Concurrency int
	// CacheSize bounds the cache of single-text (question) embeddings
	// (default 1024).
	CacheSize int
}

// ErrNoEmbedModel means the configuration names no embedding model.
var ErrNoEmbedModel = errors.New("no embedding model is configured")

// NewEmbedder returns an embedder for the client's EmbedModel. Without a
// configured dimension it asks the server once, to learn it.
func NewEmbedder(ctx context.Context, c *Client, opts EmbedderOptions) (*Embedder, error) {
	if c.cfg.EmbedModel == "" {
		return nil, ErrNoEmbedModel
	}
	if opts.Batch <= 0 {
		opts.Batch = 64
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 2
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = 1024
	}
	cache, err := lru.New[string, []float32](opts.CacheSize)
	if err != nil {
		return nil, fmt.Errorf("making the embedding cache: %w", err)
	}
	e := &Embedder{client: c, model: c.cfg.EmbedModel, dim: c.cfg.EmbedDimensions, batch: opts.Batch, concurrency: opts.Concurrency, cache: cache}
	if e.dim == 0 {
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		vecs, err := e.request(pctx, []string{"dimension probe"})
		if err != nil {
			return nil, fmt.Errorf("asking %s for its embedding size: %w", e.model, err)
		}
		e.dim = len(vecs[0])
	}
	return e, nil
}

// Name identifies the model and the requested size.
func (e *Embedder) Name() string {
	if e.client.cfg.EmbedDimensions > 0 {
		return fmt.Sprintf("openai-compatible:%s@%d", e.model, e.client.cfg.EmbedDimensions)
	}
	return "openai-compatible:" + e.model
}

// Dimension is the vector length.
func (e *Embedder) Dimension() int { return e.dim }

// VectorWeight returns embed.ModelVectorWeight: a real model's vectors
// weigh almost as much as BM25.
func (e *Embedder) VectorWeight() float64 { return embed.ModelVectorWeight }

// Embed embeds texts in batches; a single text is served from the cache
// when it was asked before.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 1 {
		if v, ok := e.cache.Get(texts[0]); ok {
			return [][]float32{v}, nil
		}
	}
	out := make([][]float32, len(texts))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.concurrency)
	for lo := 0; lo < len(texts); lo += e.batch {
		hi := min(lo+e.batch, len(texts))
		g.Go(func() error {
			vecs, err := e.request(gctx, texts[lo:hi])
			if err != nil {
				return err
			}
			copy(out[lo:hi], vecs)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, fmt.Errorf("embedding %d texts with %s: %w", len(texts), e.model, err)
	}
	if len(texts) == 1 {
		e.cache.Add(texts[0], out[0])
	}
	return out, nil
}

// request embeds one batch, retrying like Chat, and returns the vectors in
// input order, unit length, of the expected size.
func (e *Embedder) request(ctx context.Context, texts []string) ([][]float32, error) {
	var resp openai.EmbeddingResponse
	err := retry(ctx, e.client.cfg.Retries, func(ctx context.Context) (bool, error) {
		var err error
		resp, err = e.client.client.CreateEmbeddings(ctx, openai.EmbeddingRequestStrings{
			Input: texts, Model: openai.EmbeddingModel(e.model), Dimensions: e.client.cfg.EmbedDimensions,
		})
		return false, err
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Data) != len(texts) {
		return nil, fmt.Errorf("the server returned %d embeddings for %d texts", len(resp.Data), len(texts))
	}
	// Results can come back out of order.
	sort.Slice(resp.Data, func(i, j int) bool { return resp.Data[i].Index < resp.Data[j].Index })
	out := make([][]float32, len(texts))
	for i, d := range resp.Data {
		if d.Index != i {
			return nil, fmt.Errorf("the server's embedding indexes are not 0..%d", len(texts)-1)
		}
		if e.dim != 0 && len(d.Embedding) != e.dim {
			return nil, &DimensionError{Model: e.model, Got: len(d.Embedding), Want: e.dim}
		}
		embed.Normalize(d.Embedding)
		out[i] = d.Embedding
	}
	if resp.Usage.TotalTokens > 0 {
		e.client.budget.Settle(ctx, Reservation{}, resp.Usage.TotalTokens, e.client.now())
	}
	return out, nil
}

// DimensionError means the server returned vectors of another size than
// the index holds: the model changed, and the index must be rebuilt.
type DimensionError struct {
	Model     string
	Got, Want int
}

func (e *DimensionError) Error() string {
	return fmt.Sprintf("%s returned vectors of %d dimensions, want %d: the model changed, and the index must be rebuilt", e.Model, e.Got, e.Want)
}
