package rag

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// RemoteEmbedder embeds through an OpenAI-compatible /embeddings endpoint,
// in batches with bounded concurrency and retries, and caches question
// embeddings.
type RemoteEmbedder struct {
	llm         *LLM
	model       string
	dim         int
	batch       int
	concurrency int
	cache       *vectorCache
}

// RemoteEmbedderOptions shapes remote embedding.
type RemoteEmbedderOptions struct {
	// Batch is how many texts go in one request (default 64); Concurrency
	// how many requests run at once (default 2).
	Batch, Concurrency int
	// CacheSize bounds the cache of single-text (question) embeddings
	// (default 1024).
	CacheSize int
}

// NewRemoteEmbedder returns an embedder for llm's EmbedModel. Without a
// configured dimension it asks the server once, to learn it.
func NewRemoteEmbedder(ctx context.Context, llm *LLM, opts RemoteEmbedderOptions) (*RemoteEmbedder, error) {
	if llm.cfg.EmbedModel == "" {
		return nil, errors.New("no embedding model: set HERALD_EMBED_MODEL")
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
	e := &RemoteEmbedder{llm: llm, model: llm.cfg.EmbedModel, dim: llm.cfg.EmbedDimensions, batch: opts.Batch,
		concurrency: opts.Concurrency, cache: newVectorCache(opts.CacheSize)}
	if e.dim == 0 {
		pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		vecs, err := e.request(pctx, []string{"dimension probe"})
		if err != nil {
			return nil, fmt.Errorf("asking %s for its embedding size (set HERALD_EMBED_DIMENSIONS to start without asking): %w", e.model, err)
		}
		e.dim = len(vecs[0])
	}
	return e, nil
}

// Name identifies the model and the requested size.
func (e *RemoteEmbedder) Name() string {
	if e.llm.cfg.EmbedDimensions > 0 {
		return fmt.Sprintf("openai-compatible:%s@%d", e.model, e.llm.cfg.EmbedDimensions)
	}
	return "openai-compatible:" + e.model
}

// Dimension is the vector length.
func (e *RemoteEmbedder) Dimension() int { return e.dim }

// Embed embeds texts in batches; a single text is served from the cache
// when it was asked before.
func (e *RemoteEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) == 1 {
		if v, ok := e.cache.get(texts[0]); ok {
			return [][]float32{v}, nil
		}
	}
	out := make([][]float32, len(texts))
	type job struct{ lo, hi int }
	jobs := make(chan job)
	var wg sync.WaitGroup
	var once sync.Once
	var firstErr error
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for w := 0; w < e.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range jobs {
				vecs, err := e.request(ctx, texts[j.lo:j.hi])
				if err != nil {
					once.Do(func() { firstErr = err; cancel() })
					continue
				}
				copy(out[j.lo:j.hi], vecs)
			}
		}()
	}
	for lo := 0; lo < len(texts); lo += e.batch {
		select {
		case jobs <- job{lo, min(lo+e.batch, len(texts))}:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return nil, fmt.Errorf("embedding %d texts with %s: %w", len(texts), e.model, firstErr)
	}
	if len(texts) == 1 {
		e.cache.put(texts[0], out[0])
	}
	return out, nil
}

// request embeds one batch, retrying like Chat, and returns the vectors in
// input order, unit length, of the expected size.
func (e *RemoteEmbedder) request(ctx context.Context, texts []string) ([][]float32, error) {
	var resp openai.EmbeddingResponse
	var err error
	for attempt := 0; ; attempt++ {
		holder := &retryAfterHolder{}
		rctx := context.WithValue(ctx, retryAfterKey{}, holder)
		resp, err = e.llm.client.CreateEmbeddings(rctx, openai.EmbeddingRequestStrings{
			Input: texts, Model: openai.EmbeddingModel(e.model), Dimensions: e.llm.cfg.EmbedDimensions,
		})
		err = withRetryAfterErr(err, holder)
		if err == nil || attempt >= e.llm.cfg.Retries || !retryable(err) || ctx.Err() != nil {
			break
		}
		if werr := sleepCtx(ctx, backoff(attempt, retryAfterOf(err))); werr != nil {
			return nil, werr
		}
	}
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
			return nil, fmt.Errorf("the server returned %d dimensions, want %d: re-index with `herald ingest --reindex` if the model changed", len(d.Embedding), e.dim)
		}
		normalize(d.Embedding)
		out[i] = d.Embedding
	}
	if resp.Usage.TotalTokens > 0 {
		e.llm.budget.Settle(Reservation{}, resp.Usage.TotalTokens, e.llm.now())
	}
	return out, nil
}

func withRetryAfterErr(err error, h *retryAfterHolder) error {
	if err == nil {
		return nil
	}
	return withRetryAfter(err, h)
}

// vectorCache is a small LRU of text → vector.
type vectorCache struct {
	mu    sync.Mutex
	max   int
	order *list.List
	items map[string]*list.Element
}

type cached struct {
	key string
	vec []float32
}

func newVectorCache(max int) *vectorCache {
	return &vectorCache{max: max, order: list.New(), items: map[string]*list.Element{}}
}

func (c *vectorCache) get(k string) ([]float32, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToBack(el)
		return el.Value.(cached).vec, true
	}
	return nil, false
}

func (c *vectorCache) put(k string, v []float32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToBack(el)
		return
	}
	c.items[k] = c.order.PushBack(cached{k, v})
	for c.order.Len() > c.max {
		old := c.order.Remove(c.order.Front()).(cached)
		delete(c.items, old.key)
	}
}
