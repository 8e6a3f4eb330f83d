package weaviate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/store"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"
)

// page is how many objects one cursor request reads.
const page = 1000

// sortedLimit is the largest limited article list asked of Weaviate sorted
// and filtered; longer lists are read with the cursor and sorted here,
// which no QUERY_MAXIMUM_RESULTS bounds.
const sortedLimit = 1000

// chunkRow is a chunk as GraphQL returns it.
type chunkRow struct {
	ChunkID    string     `json:"chunkId"`
	ArticleID  string     `json:"articleId"`
	Ordinal    int        `json:"ordinal"`
	Start      int        `json:"start"`
	End        int        `json:"end"`
	Title      string     `json:"title"`
	URL        string     `json:"url"`
	Date       time.Time  `json:"date"`
	Text       string     `json:"text"`
	Terms      string     `json:"terms"`
	Additional additional `json:"_additional"`
}

// articleRow is an article as GraphQL or the REST API returns it.
type articleRow struct {
	ArticleID  string     `json:"articleId"`
	Hash       string     `json:"hash"`
	Source     string     `json:"source"`
	Line       int        `json:"line"`
	Title      string     `json:"title"`
	URL        string     `json:"url"`
	Date       time.Time  `json:"date"`
	Body       string     `json:"body"`
	Chunks     int        `json:"chunks"`
	Additional additional `json:"_additional"`
}

// additional is what GraphQL says of an object beyond its properties.
type additional struct {
	ID       string    `json:"id"`
	Score    number    `json:"score"`
	Distance number    `json:"distance"`
	Vector   []float32 `json:"vector"`
}

// number reads a JSON number that may come as a string (BM25 scores do).
type number float64

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*n = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("reading a number: %w", err)
	}
	*n = number(f)
	return nil
}

var (
	chunkFields   = fields("chunkId", "articleId", "ordinal", "start", "end", "title", "url", "date", "text")
	articleFields = fields("articleId", "hash", "source", "line", "title", "url", "date", "chunks")
)

func fields(names ...string) []graphql.Field {
	out := make([]graphql.Field, len(names))
	for i, n := range names {
		out[i] = graphql.Field{Name: n}
	}
	return out
}

func extra(names ...string) graphql.Field {
	return graphql.Field{Name: "_additional", Fields: fields(names...)}
}

// get starts a Get query of a collection, read at the configured
// consistency when it has replicas (GraphQL knows no consistency
// otherwise).
func (a *Archive) get(class string) *graphql.GetBuilder {
	b := a.nodes[0].GraphQL().Get().WithClassName(class)
	if a.replicated {
		b = b.WithConsistencyLevel(a.cfg.ReadConsistency)
	}
	return b
}

// graphql runs a query and decodes its data into out.
func (a *Archive) graphql(ctx context.Context, query string, out any) error {
	var data map[string]models.JSONObject
	err := a.on(ctx, a.cfg.Timeout, func(ctx context.Context, c *wv.Client) error {
		resp, err := c.GraphQL().Raw().WithQuery(query).Do(ctx)
		if err != nil {
			return describe(err)
		}
		if len(resp.Errors) > 0 {
			var msgs []string
			for _, e := range resp.Errors {
				if e != nil {
					msgs = append(msgs, e.Message)
				}
			}
			return fmt.Errorf("the query was refused: %s", strings.Join(msgs, "; "))
		}
		data = resp.Data
		return nil
	})
	if err != nil {
		return err
	}
	raw, err := json.Marshal(data)
	if err == nil {
		err = json.Unmarshal(raw, out)
	}
	if err != nil {
		return fmt.Errorf("reading Weaviate's answer: %w", err)
	}
	return nil
}

// getRows runs a Get query of one collection and returns its rows.
func getRows[T any](ctx context.Context, a *Archive, class string, b *graphql.GetBuilder) ([]T, error) {
	var res struct {
		Get map[string][]T `json:"Get"`
	}
	if err := a.graphql(ctx, b.Build(), &res); err != nil {
		return nil, err
	}
	return res.Get[class], nil
}

// within is the where filter of a period on the date property (nil for
// any date).
func within(p dates.Period) *filters.WhereBuilder {
	var ops []*filters.WhereBuilder
	if !p.From.IsZero() {
		ops = append(ops, filters.Where().WithPath([]string{"date"}).WithOperator(filters.GreaterThanEqual).WithValueDate(p.From))
	}
	if !p.To.IsZero() {
		ops = append(ops, filters.Where().WithPath([]string{"date"}).WithOperator(filters.LessThan).WithValueDate(p.To.AddDate(0, 0, 1)))
	}
	return and(ops...)
}

// and joins filters (nil ones are skipped; nil when none is left).
func and(ops ...*filters.WhereBuilder) *filters.WhereBuilder {
	ops = slices.DeleteFunc(ops, func(w *filters.WhereBuilder) bool { return w == nil })
	switch len(ops) {
	case 0:
		return nil
	case 1:
		return ops[0]
	}
	return filters.Where().WithOperator(filters.And).WithOperands(ops)
}

func (r chunkRow) hit(score float64) store.Hit {
	return store.Hit{ChunkID: r.ChunkID, ArticleID: r.ArticleID, Title: r.Title, URL: r.URL, Date: r.Date, Text: r.Text, Score: score}
}
