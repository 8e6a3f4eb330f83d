package weaviate

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag/store"
)

// Stats counts articles and chunks and finds the oldest and newest dates
// in one query, trusted for a few seconds.
func (a *Archive) Stats(ctx context.Context) (store.Stats, error) {
	a.statsMu.Lock()
	if !a.statsAt.IsZero() && time.Since(a.statsAt) < statsTTL {
		st := a.stats
		a.statsMu.Unlock()
		return st, nil
	}
	a.statsMu.Unlock()
	q := fmt.Sprintf(`{Aggregate{articles:%[1]s{meta{count}} chunks:%[2]s{meta{count}}}
Get{oldest:%[1]s(sort:[{path:["date"], order:asc}], limit:1){date} newest:%[1]s(sort:[{path:["date"], order:desc}], limit:1){date}}}`, a.article, a.chunk)
	var res struct {
		counts
		Get map[string][]articleRow `json:"Get"`
	}
	if err := a.graphql(ctx, q, &res); err != nil {
		return store.Stats{}, fmt.Errorf("describing the archive: %w", err)
	}
	st := store.Stats{Embedder: a.cfg.Embedder, Dimension: a.cfg.Dimension, ChunkWords: a.cfg.ChunkWords}
	st.Articles, st.Chunks = res.of("articles"), res.of("chunks")
	if st.Articles > 0 {
		if rows := res.Get["oldest"]; len(rows) > 0 {
			st.Oldest = rows[0].Date
		}
		if rows := res.Get["newest"]; len(rows) > 0 {
			st.Newest = rows[0].Date
		}
	}
	a.statsMu.Lock()
	a.stats, a.statsAt = st, time.Now()
	a.statsMu.Unlock()
	return st, nil
}

// count counts a collection's objects.
func (a *Archive) count(ctx context.Context, class string) (int, error) {
	var res counts
	if err := a.graphql(ctx, "{Aggregate{"+class+"{meta{count}}}}", &res); err != nil {
		return 0, fmt.Errorf("counting the objects of %s: %w", class, err)
	}
	return res.of(class), nil
}

// counts is the answer to Aggregate queries of meta{count}, by alias.
type counts struct {
	Aggregate map[string][]struct {
		Meta struct {
			Count int `json:"count"`
		} `json:"meta"`
	} `json:"Aggregate"`
}

// of is the count under an alias (0 when absent).
func (c counts) of(alias string) int {
	if rows := c.Aggregate[alias]; len(rows) > 0 {
		return rows[0].Meta.Count
	}
	return 0
}
