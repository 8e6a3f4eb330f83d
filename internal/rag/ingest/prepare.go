package ingest

import (
	"context"
	"fmt"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/store"
)

// prepare chunks, analyses and embeds a batch of articles, outside any
// lock, into the entries an archive stores.
func (p *Pipeline) prepare(ctx context.Context, arts []corpus.Article) ([]store.Entry, error) {
	out := make([]store.Entry, len(arts))
	var texts []string
	for i, a := range arts {
		out[i].Article = a
		titleTerms := p.analyzer.Terms(nil, a.Title)
		for _, c := range corpus.Chunks(a, corpus.ChunkOptions{Words: p.words}) {
			terms := append(make([]string, 0, len(titleTerms)+len(c.Text)/6), titleTerms...)
			out[i].Chunks = append(out[i].Chunks, store.Chunk{Ordinal: c.Ordinal, Start: c.Start, End: c.End, Terms: p.analyzer.Terms(terms, c.Text)})
			texts = append(texts, embed.Text(a.Title, c.Text))
		}
	}
	if len(texts) == 0 {
		return out, nil
	}
	vecs, err := p.embedder.Embed(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embedding %d chunks: %w", len(texts), err)
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("embedder %s returned %d vectors for %d chunks", p.embedder.Name(), len(vecs), len(texts))
	}
	k := 0
	for i := range out {
		for j := range out[i].Chunks {
			v := vecs[k]
			k++
			if len(v) != p.embedder.Dimension() {
				return nil, fmt.Errorf("embedder %s returned a vector of %d dimensions, want %d", p.embedder.Name(), len(v), p.embedder.Dimension())
			}
			embed.Normalize(v)
			out[i].Chunks[j].Vector = v
		}
	}
	return out, nil
}
