package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store"
)

// check loads the index snapshot (or reads the Weaviate collections) and
// verifies its integrity on demand:
// every chunk has its article and lies within it, every vector has the
// embedder's dimension and unit length, and the lexical and vector halves
// hold the same chunks. It exits 1 when the snapshot is missing, damaged or
// inconsistent.
func (a *app) check(ctx context.Context, args []string) error {
	fs := newFlagSet("check", a.stderr, &a.cfg)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError("herald check takes no arguments, only --data DIR")
	}
	start := time.Now()
	cfg := a.libraryConfig()
	st, err := library.Check(ctx, cfg)
	if errors.Is(err, store.ErrEmpty) {
		return fmt.Errorf("no index to check in %s: run 'herald ingest --data %s PATH…' first", a.cfg.DataDir, a.cfg.DataDir)
	}
	var mismatch *embeddedMismatch
	var damaged *embeddedDamaged
	var version *embeddedVersion
	if errors.As(err, &mismatch) || errors.As(err, &damaged) || errors.As(err, &version) || errors.Is(err, library.ErrInconsistent) {
		return fmt.Errorf("checking %s: %w: rebuild it with 'herald ingest --reindex PATH…'", cfg.Where(), err)
	}
	if err != nil {
		return fmt.Errorf("checking %s: %w", cfg.Where(), a.explain(err))
	}
	fmt.Fprintf(a.stdout, "%s is sound: %s, %s (%s to %s), embedder %s (%d dimensions); checked in %.2f s\n",
		cfg.Where(), plural(st.Articles, "article"), plural(st.Chunks, "chunk"),
		st.Oldest.Format(time.DateOnly), st.Newest.Format(time.DateOnly), st.Embedder, st.Dimension, time.Since(start).Seconds())
	return nil
}
