package weaviate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/rag/store"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"golang.org/x/sync/errgroup"
)

// Candidates runs the BM25 query over the chunks' terms and the vector
// query at once, each filtered by the period inside Weaviate.
func (a *Archive) Candidates(ctx context.Context, q store.Query) (store.Candidates, error) {
	var out store.Candidates
	if q.N <= 0 {
		return out, nil
	}
	where := within(q.Period)
	g, gctx := errgroup.WithContext(ctx)
	if terms := distinct(q.Terms); len(terms) > 0 {
		g.Go(func() error {
			b := a.get(a.chunk).WithFields(append(chunkFields, extra("score"))...).WithLimit(q.N).
				WithBM25((&graphql.BM25ArgumentBuilder{}).WithQuery(strings.Join(terms, " ")).WithProperties("terms"))
			if where != nil {
				b = b.WithWhere(where)
			}
			rows, err := getRows[chunkRow](gctx, a, a.chunk, b)
			if err != nil {
				return fmt.Errorf("searching the chunks' terms: %w", err)
			}
			out.Lexical = make([]store.Hit, 0, len(rows))
			for _, r := range rows {
				out.Lexical = append(out.Lexical, r.hit(float64(r.Additional.Score)))
			}
			return nil
		})
	}
	if len(q.Vector) > 0 {
		g.Go(func() error {
			b := a.get(a.chunk).WithFields(append(chunkFields, extra("distance"))...).WithLimit(q.N).
				WithNearVector((&graphql.NearVectorArgumentBuilder{}).WithVector(q.Vector))
			if where != nil {
				b = b.WithWhere(where)
			}
			rows, err := getRows[chunkRow](gctx, a, a.chunk, b)
			if err != nil {
				return fmt.Errorf("searching the chunks' vectors: %w", err)
			}
			out.Vector = make([]store.Hit, 0, len(rows))
			for _, r := range rows {
				// Cosine distance is one minus the similarity.
				out.Vector = append(out.Vector, r.hit(1-float64(r.Additional.Distance)))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return store.Candidates{}, err
	}
	return out, nil
}

// distinct drops repeated terms, which BM25 in Weaviate would weigh again
// and Herald's does not.
func distinct(terms []string) []string {
	seen := make(map[string]bool, len(terms))
	var out []string
	for _, t := range terms {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// TermStats counts the chunks that hold each term in one Aggregate query
// for the terms not read in the last ten minutes (dfTTL).
func (a *Archive) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	ts := store.TermStats{DocFreq: make(map[string]int, len(terms))}
	now := time.Now()
	ask := []string{allChunks}
	for _, t := range distinct(terms) {
		if c, ok := a.df.Get(t); ok && now.Sub(c.at) < dfTTL {
			ts.DocFreq[t] = c.n
			continue
		}
		ask = append(ask, t)
	}
	if c, ok := a.df.Get(allChunks); ok && now.Sub(c.at) < dfTTL {
		ts.Chunks = c.n
		ask = ask[1:]
	}
	if len(ask) == 0 {
		return ts, nil
	}
	var q strings.Builder
	q.WriteString("{Aggregate{")
	for i, t := range ask {
		where := ""
		if t != allChunks {
			where = fmt.Sprintf(`(where:{path:["terms"],operator:Equal,valueText:%s})`, quote(t))
		}
		fmt.Fprintf(&q, "t%d:%s%s{meta{count}} ", i, a.chunk, where)
	}
	q.WriteString("}}")
	var res counts
	if err := a.graphql(ctx, q.String(), &res); err != nil {
		return store.TermStats{}, fmt.Errorf("counting the chunks that hold %d terms: %w", len(ask), err)
	}
	for i, t := range ask {
		n := res.of("t" + strconv.Itoa(i))
		a.df.Add(t, cachedDF{n: n, at: now})
		if t == allChunks {
			ts.Chunks = n
		} else {
			ts.DocFreq[t] = n
		}
	}
	return ts, nil
}

// allChunks is the cache key of the chunk count (no term is empty).
const allChunks = ""

// quote writes a GraphQL string.
func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
