package embedded

import (
	"context"
	"fmt"
	"slices"

	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/store"
)

// Entries calls each with every article and its chunks, their index terms
// and vectors, oldest first: what Put needs to write the archive into
// another backend without embedding anything again (herald copy). Writes
// wait until it returns.
func (a *Archive) Entries(ctx context.Context, each func(store.Entry) error) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	an := analysis.NewIndex()
	for _, art := range a.sorted() {
		if err := ctx.Err(); err != nil {
			return err
		}
		e := store.Entry{Article: art.Article, Chunks: make([]store.Chunk, 0, len(art.slots))}
		title := an.Terms(nil, art.Title)
		for _, slot := range art.slots {
			c := a.chunks[slot]
			vec, err := a.vec.vector(slot, art.Date)
			if err != nil {
				return fmt.Errorf("exporting %s: %w", c.id(), err)
			}
			e.Chunks = append(e.Chunks, store.Chunk{
				Ordinal: int(c.ordinal), Start: int(c.start), End: int(c.end),
				Terms:  an.Terms(slices.Clip(title), c.text()),
				Vector: slices.Clone(vec), // chromem-go's slice is its own
			})
		}
		if err := each(e); err != nil {
			return err
		}
	}
	return nil
}
