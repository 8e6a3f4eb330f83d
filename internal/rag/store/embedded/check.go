package embedded

import (
	"context"
	"fmt"
	"math"
)

// Check verifies the archive's integrity: every chunk belongs to a live
// article and lies within its body, every vector has the dimension and
// unit length, and the lexical and vector indexes hold exactly the same
// chunks.
func (a *Archive) Check(ctx context.Context) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	live := 0
	for slot, c := range a.chunks {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("checking the index: %w", err)
		}
		if c.art == nil {
			if int(slot) < len(a.lex.alive) && a.lex.alive[slot] {
				return fmt.Errorf("a removed chunk (slot %d) is still in the lexical index", slot)
			}
			continue
		}
		live++
		if got, ok := a.articles[c.art.ID]; !ok || got != c.art {
			return fmt.Errorf("chunk %s has no article", c.id())
		}
		if c.start < 0 || int(c.end) > len(c.art.Body) || c.start > c.end {
			return fmt.Errorf("chunk %s lies outside its article", c.id())
		}
		vec, err := a.vec.vector(int32(slot), c.art.Date)
		if err != nil {
			return fmt.Errorf("chunk %s has no vector: %w", c.id(), err)
		}
		if len(vec) != a.opts.Dimension {
			return fmt.Errorf("chunk %s has a %d-dimension vector, want %d", c.id(), len(vec), a.opts.Dimension)
		}
		if n := squaredNorm(vec); math.IsNaN(n) || n != 0 && (n < 1-unitTolerance || n > 1+unitTolerance) {
			return fmt.Errorf("chunk %s has a vector of length %.4f, not 1", c.id(), math.Sqrt(n))
		}
		if slot >= len(a.lex.alive) || !a.lex.alive[slot] {
			return fmt.Errorf("chunk %s is missing from the lexical index", c.id())
		}
	}
	for _, art := range a.articles {
		for _, slot := range art.slots {
			if a.chunks[slot].art != art {
				return fmt.Errorf("article %s lists a missing chunk", art.ID)
			}
		}
	}
	if live != a.live || live != a.lex.live {
		return fmt.Errorf("%d chunks, %d counted, %d in the lexical index", live, a.live, a.lex.live)
	}
	if n := a.vec.count(); n != live {
		return fmt.Errorf("%d chunks but %d vectors in the vector index", live, n)
	}
	return nil
}
