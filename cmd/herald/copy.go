package main

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag/library"
)

// copyIndex copies the data directory's index into the Weaviate
// collections (WEAVIATE_URL and the HERALD_WEAVIATE_* settings), embedding
// nothing again: the operator's way up from one machine. Run again, it
// writes only what changed and removes what the index no longer holds.
func (a *app) copyIndex(ctx context.Context, args []string) error {
	fs := newFlagSet("copy", a.stderr, &a.cfg)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("herald copy takes no arguments: it copies --data DIR into the Weaviate cluster WEAVIATE_URL names")
	}
	from := a.libraryConfig()
	from.Weaviate = nil
	to := from
	to.Weaviate = a.cfg.weaviateConfig(a.log)
	if len(to.Weaviate.URLs) == 0 {
		return a.explain(library.ErrNoWeaviate)
	}
	last := time.Now()
	rep, err := library.Copy(ctx, from, to, func(done, total int) {
		if time.Since(last) >= 5*time.Second || done == total {
			last = time.Now()
			fmt.Fprintf(a.stderr, "copy: %d/%d articles\n", done, total)
		}
	})
	if err != nil {
		return a.explain(err)
	}
	fmt.Fprintf(a.stdout, "copied %s into %s: %d written (%s), %d unchanged, %d removed; %.2fs\n",
		from.Where(), to.Where(), rep.Copied, plural(rep.Chunks, "chunk"), rep.Unchanged, rep.Removed, rep.Duration.Seconds())
	return nil
}
