package weaviate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/go-openapi/strfmt"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/store"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate/entities/models"
	"golang.org/x/sync/errgroup"
)

// batchObjects is how many objects one batch request carries.
const batchObjects = 256

// writeTries is how many times a write that failed in a way another try
// may mend (a timeout, a node down) is sent: with the same IDs, a write
// sent twice is written once.
const writeTries = 4

// Put writes articles: their chunks first (upserted by ID), then the
// chunks an older, longer version had beyond them are deleted, and the
// article objects — the manifest — last, so that the manifest never names
// an article whose chunks are not all there. On an error, each article is
// either as it was (its manifest entry unchanged) or as given, save for
// chunks of a newer version that the next ingest of the article rewrites.
func (a *Archive) Put(ctx context.Context, entries []store.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var chunks, articles []*models.Object
	var shrink []*filters.WhereBuilder
	for _, e := range entries {
		if e.Article.ID == "" {
			return fmt.Errorf("storing %d articles: an article without an ID", len(entries))
		}
		for _, c := range e.Chunks {
			if len(c.Vector) != a.cfg.Dimension {
				return fmt.Errorf("storing %d articles: chunk %d of %s has a vector of %d dimensions, want %d", len(entries), c.Ordinal, e.Article.ID, len(c.Vector), a.cfg.Dimension)
			}
			chunks = append(chunks, a.chunkObject(e.Article, c))
		}
		articles = append(articles, a.articleObject(e.Article, len(e.Chunks)))
		shrink = append(shrink, filters.Where().WithOperator(filters.And).WithOperands([]*filters.WhereBuilder{
			filters.Where().WithPath([]string{"articleId"}).WithOperator(filters.Equal).WithValueText(e.Article.ID),
			filters.Where().WithPath([]string{"ordinal"}).WithOperator(filters.GreaterThanEqual).WithValueInt(int64(len(e.Chunks))),
		}))
	}
	if err := a.upsert(ctx, chunks); err != nil {
		return fmt.Errorf("storing the chunks of %d articles: %w", len(entries), err)
	}
	for lo := 0; lo < len(shrink); lo += 50 {
		where := filters.Where().WithOperator(filters.Or).WithOperands(shrink[lo:min(lo+50, len(shrink))])
		if lo+1 == len(shrink) || len(shrink[lo:min(lo+50, len(shrink))]) == 1 {
			where = shrink[lo]
		}
		if err := a.deleteWhere(ctx, a.chunk, where); err != nil {
			return fmt.Errorf("removing the chunks older versions had beyond the new: %w", err)
		}
	}
	if err := a.upsert(ctx, articles); err != nil {
		return fmt.Errorf("storing %d articles: %w", len(entries), err)
	}
	a.forget()
	return nil
}

func (a *Archive) chunkObject(art corpus.Article, c store.Chunk) *models.Object {
	id := corpus.ChunkID(art.ID, c.Ordinal)
	return &models.Object{Class: a.chunk, ID: strfmt.UUID(chunkUUID(id)), Vector: c.Vector, Properties: map[string]any{
		"chunkId": id, "articleId": art.ID, "ordinal": c.Ordinal, "start": c.Start, "end": c.End,
		"title": art.Title, "url": art.URL, "date": art.Date.UTC().Format(time.RFC3339Nano),
		"text": art.Body[c.Start:c.End], "terms": strings.Join(c.Terms, " "),
	}}
}

func (a *Archive) articleObject(art corpus.Article, chunks int) *models.Object {
	return &models.Object{Class: a.article, ID: strfmt.UUID(articleUUID(art.ID)), Properties: map[string]any{
		"articleId": art.ID, "hash": art.Hash, "source": art.Source, "line": art.Line,
		"title": art.Title, "titleKey": strings.ToLower(art.Title), "url": art.URL,
		"date": art.Date.UTC().Format(time.RFC3339Nano), "body": art.Body, "chunks": chunks,
	}}
}

// upsert writes objects in batches, each sent again (same IDs) when a try
// failed in a way another may mend.
func (a *Archive) upsert(ctx context.Context, objs []*models.Object) error {
	for lo := 0; lo < len(objs); lo += batchObjects {
		batch := objs[lo:min(lo+batchObjects, len(objs))]
		err := a.retry(ctx, func(ctx context.Context) error {
			return a.on(ctx, a.cfg.WriteTimeout, func(ctx context.Context, c *wv.Client) error {
				res, err := c.Batch().ObjectsBatcher().WithObjects(batch...).WithConsistencyLevel(a.cfg.WriteConsistency).Do(ctx)
				if err != nil {
					return describe(err)
				}
				return batchErrors(res)
			})
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// batchErrors gathers the per-object errors of a batch.
func batchErrors(res []models.ObjectsGetResponse) error {
	var msgs []string
	for _, r := range res {
		if r.Result != nil && r.Result.Errors != nil {
			for _, e := range r.Result.Errors.Error {
				if e != nil {
					msgs = append(msgs, e.Message)
				}
			}
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	if len(msgs) > 3 {
		msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
	}
	return fmt.Errorf("%d objects refused: %s", len(msgs), strings.Join(msgs, "; "))
}

// retry sends a write again, after a pause, while it fails in a way
// another try may mend and time is left.
func (a *Archive) retry(ctx context.Context, write func(ctx context.Context) error) error {
	pause := 500 * time.Millisecond
	var err error
	for try := 1; ; try++ {
		if err = write(ctx); err == nil || try == writeTries || !transient(err) || ctx.Err() != nil {
			return err
		}
		a.cfg.Log.Warn("Weaviate: a write failed; sending it again with the same IDs", "try", try, "err", err)
		t := time.NewTimer(pause)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return err
		}
		pause *= 2
	}
}

// transient reports a failure another try may mend: a timeout, a node
// down, too few replicas for the consistency asked.
func transient(err error) bool {
	msg := strings.ToLower(err.Error())
	return nodeFault(err) || strings.Contains(msg, "deadline exceeded") || strings.Contains(msg, "timeout") ||
		strings.Contains(msg, "replica") || strings.Contains(msg, "consistency") || strings.Contains(msg, "broadcast")
}

// deleteWhere deletes the objects of a collection that where matches.
func (a *Archive) deleteWhere(ctx context.Context, class string, where *filters.WhereBuilder) error {
	return a.retry(ctx, func(ctx context.Context) error {
		return a.on(ctx, a.cfg.WriteTimeout, func(ctx context.Context, c *wv.Client) error {
			res, err := c.Batch().ObjectsBatchDeleter().WithClassName(class).WithWhere(where).WithConsistencyLevel(a.cfg.WriteConsistency).Do(ctx)
			if err != nil {
				return describe(err)
			}
			if res != nil && res.Results != nil && res.Results.Failed > 0 {
				return fmt.Errorf("%d of %d objects could not be deleted", res.Results.Failed, res.Results.Matches)
			}
			return nil
		})
	})
}

// idGroup is how many article IDs one delete names.
const idGroup = 100

// Remove deletes articles and their chunks: the articles first, so that
// the manifest never names an article whose chunks are going.
func (a *Archive) Remove(ctx context.Context, ids []string) error {
	for lo := 0; lo < len(ids); lo += idGroup {
		group := ids[lo:min(lo+idGroup, len(ids))]
		where := filters.Where().WithPath([]string{"articleId"}).WithOperator(filters.ContainsAny).WithValueText(group...)
		for _, class := range []string{a.article, a.chunk} {
			if err := a.deleteWhere(ctx, class, where); err != nil {
				return fmt.Errorf("removing %d articles: %w", len(group), err)
			}
		}
	}
	a.forget()
	return nil
}

// Relocate records new origins of unchanged articles.
func (a *Archive) Relocate(ctx context.Context, moved []store.Manifest) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, m := range moved {
		g.Go(func() error {
			return a.retry(gctx, func(ctx context.Context) error {
				return a.on(ctx, a.cfg.WriteTimeout, func(ctx context.Context, c *wv.Client) error {
					return describe(c.Data().Updater().WithClassName(a.article).WithID(articleUUID(m.ID)).WithMerge().
						WithProperties(map[string]any{"source": m.Source, "line": m.Line}).WithConsistencyLevel(a.cfg.WriteConsistency).Do(ctx))
				})
			})
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("recording %d moved articles: %w", len(moved), err)
	}
	return nil
}

// forget drops what is cached after this process wrote.
func (a *Archive) forget() {
	a.df.Purge()
	a.statsMu.Lock()
	a.statsAt = time.Time{}
	a.statsMu.Unlock()
}
