package library

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/embedded"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
)

// CopyReport sums up a copy.
type CopyReport struct {
	// Articles is how many the data directory's index holds; Copied were
	// written, Unchanged were there already, Removed were there and are
	// not in the index.
	Articles, Copied, Unchanged, Removed int
	// Chunks counts the chunks written.
	Chunks   int
	Duration time.Duration
}

// copyBatch is how many articles one write carries.
const copyBatch = 64

// ErrNoWeaviate means a copy was asked for with no Weaviate configured.
var ErrNoWeaviate = errors.New("no Weaviate cluster is configured to copy into")

// Copy mirrors the data directory's index (from) into the Weaviate
// collections of to, embedding nothing again: articles missing there or
// changed are written with their chunks, terms and vectors, articles there
// that the index does not hold are removed, the rest are left alone. The
// collections record the index's embedder and chunk length. progress, when
// set, is told how many of the index's articles have been seen.
func Copy(ctx context.Context, from, to Config, progress func(done, total int)) (CopyReport, error) {
	start := time.Now()
	var rep CopyReport
	from.defaults()
	to.defaults()
	if to.Weaviate == nil {
		return rep, ErrNoWeaviate
	}
	src, err := embedded.Open(ctx, from.SnapshotPath(), from.archiveOptions())
	if err != nil {
		return rep, err
	}
	to.ChunkWords = src.ChunkWords()
	dst, err := weaviate.Open(ctx, to.weaviateConfig())
	if err != nil {
		return rep, err
	}
	list, err := dst.Manifest(ctx)
	if err != nil {
		return rep, err
	}
	there := make(map[string]string, len(list))
	for _, m := range list {
		there[m.ID] = m.Hash
	}
	st, err := src.Stats(ctx)
	if err != nil {
		return rep, err
	}
	rep.Articles = st.Articles
	var batch []store.Entry
	write := func() error {
		if len(batch) == 0 {
			return nil
		}
		if err := dst.Put(ctx, batch); err != nil {
			return fmt.Errorf("copying %d articles: %w", len(batch), err)
		}
		rep.Copied += len(batch)
		batch = batch[:0]
		return nil
	}
	seen := 0
	err = src.Entries(ctx, func(e store.Entry) error {
		seen++
		hash, ok := there[e.Article.ID]
		delete(there, e.Article.ID)
		if ok && hash == e.Article.Hash {
			rep.Unchanged++
		} else {
			batch = append(batch, e)
			rep.Chunks += len(e.Chunks)
			if len(batch) == copyBatch {
				if err := write(); err != nil {
					return err
				}
			}
		}
		if progress != nil && (seen%1000 == 0 || seen == st.Articles) {
			progress(seen, st.Articles)
		}
		return nil
	})
	if err == nil {
		err = write()
	}
	if err != nil {
		return rep, err
	}
	gone := make([]string, 0, len(there))
	for id := range there {
		gone = append(gone, id)
	}
	if err := dst.Remove(ctx, gone); err != nil {
		return rep, fmt.Errorf("removing %d articles the index does not hold: %w", len(gone), err)
	}
	rep.Removed = len(gone)
	rep.Duration = time.Since(start)
	return rep, nil
}
