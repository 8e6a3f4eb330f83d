package weaviate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/store"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"
	"golang.org/x/sync/errgroup"
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

// newestFirst sorts by date, newest first, and ties by article ID.
var newestFirst = []graphql.Sort{{Path: []string{"date"}, Order: graphql.Desc}, {Path: []string{"articleId"}, Order: graphql.Asc}}

// Leads returns the first chunks of the newest articles of the period.
func (a *Archive) Leads(ctx context.Context, period dates.Period, n int) ([]store.Hit, error) {
	if n <= 0 {
		return nil, nil
	}
	first := filters.Where().WithPath([]string{"ordinal"}).WithOperator(filters.Equal).WithValueInt(0)
	rows, err := getRows[chunkRow](ctx, a, a.chunk, a.get(a.chunk).WithFields(chunkFields...).
		WithWhere(and(first, within(period))).WithSort(newestFirst...).WithLimit(n))
	if err != nil {
		return nil, fmt.Errorf("reading the newest articles' leads: %w", err)
	}
	out := make([]store.Hit, len(rows))
	for i, r := range rows {
		out[i] = r.hit(0)
	}
	return out, nil
}

// TermStats counts the chunks that hold each term in one Aggregate query
// for the terms not read in the last minute.
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

// Article reads an article with its body.
func (a *Archive) Article(ctx context.Context, id string) (corpus.Article, bool, error) {
	var objs []*models.Object
	err := a.on(ctx, a.cfg.Timeout, func(ctx context.Context, c *wv.Client) error {
		var err error
		objs, err = c.Data().ObjectsGetter().WithClassName(a.article).WithID(articleUUID(id)).WithConsistencyLevel(a.cfg.ReadConsistency).Do(ctx)
		if notFound(err) {
			objs, err = nil, nil
		}
		return describe(err)
	})
	if err != nil {
		return corpus.Article{}, false, fmt.Errorf("reading the article %s: %w", id, err)
	}
	if len(objs) == 0 {
		return corpus.Article{}, false, nil
	}
	var r articleRow
	if err := remarshal(objs[0].Properties, &r); err != nil {
		return corpus.Article{}, false, fmt.Errorf("reading the article %s: %w", id, err)
	}
	if r.ArticleID != id { // a UUIDv5 collision, or another writer's object
		return corpus.Article{}, false, nil
	}
	return r.article(), true, nil
}

func (r articleRow) article() corpus.Article {
	return corpus.Article{ID: r.ArticleID, Title: r.Title, URL: r.URL, Date: r.Date, Body: r.Body, Hash: r.Hash, Source: r.Source, Line: r.Line}
}

func (r articleRow) info() store.ArticleInfo {
	return store.ArticleInfo{ID: r.ArticleID, Title: r.Title, URL: r.URL, Source: r.Source, Date: r.Date, Chunks: r.Chunks}
}

func remarshal(from, to any) error {
	raw, err := json.Marshal(from)
	if err == nil {
		err = json.Unmarshal(raw, to)
	}
	return err
}

// Articles lists articles newest first. A short list is filtered, sorted
// and cut by Weaviate; a long or unbounded one is read whole with the
// cursor, without bodies, and filtered here.
func (a *Archive) Articles(ctx context.Context, q store.ArticleQuery) ([]store.ArticleInfo, error) {
	needle := strings.ToLower(q.TitleContains)
	if q.Limit > 0 && q.Limit <= sortedLimit && !strings.ContainsAny(needle, "*?") {
		var like *filters.WhereBuilder
		if needle != "" {
			like = filters.Where().WithPath([]string{"titleKey"}).WithOperator(filters.Like).WithValueText("*" + needle + "*")
		}
		b := a.get(a.article).WithFields(articleFields...).WithSort(newestFirst...).WithLimit(q.Limit)
		if where := and(within(q.Period), like); where != nil {
			b = b.WithWhere(where)
		}
		rows, err := getRows[articleRow](ctx, a, a.article, b)
		if err != nil {
			return nil, fmt.Errorf("listing articles: %w", err)
		}
		out := make([]store.ArticleInfo, len(rows))
		for i, r := range rows {
			out[i] = r.info()
		}
		return out, nil
	}
	var out []store.ArticleInfo
	err := scan(ctx, a, a.article, articleFields, func(r articleRow) error {
		if q.Period.Contains(r.Date) && strings.Contains(strings.ToLower(r.Title), needle) {
			out = append(out, r.info())
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing articles: %w", err)
	}
	slices.SortFunc(out, func(x, y store.ArticleInfo) int {
		if c := y.Date.Compare(x.Date); c != 0 {
			return c
		}
		return strings.Compare(x.ID, y.ID)
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

// scan reads every object of a collection with the cursor, a page at a
// time, and calls each with its row: the properties fs, the object's ID
// and what more of _additional is asked for.
func scan[T any](ctx context.Context, a *Archive, class string, fs []graphql.Field, each func(T) error, more ...string) error {
	after := ""
	fs = append(slices.Clip(fs), extra(append([]string{"id"}, more...)...))
	for {
		b := a.get(class).WithFields(fs...).WithLimit(page)
		if after != "" {
			b = b.WithAfter(after)
		}
		rows, err := getRows[T](ctx, a, class, b)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := each(r); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
		last, err := idOf(rows[len(rows)-1])
		if err != nil {
			return err
		}
		after = last
	}
}

// idOf is the object ID of a row read with _additional{id}.
func idOf(row any) (string, error) {
	switch r := row.(type) {
	case chunkRow:
		return r.Additional.ID, nil
	case articleRow:
		return r.Additional.ID, nil
	}
	return "", errors.New("a row without an object ID")
}

// Manifest reads every article's ID, hash and origin with the cursor.
func (a *Archive) Manifest(ctx context.Context) ([]store.Manifest, error) {
	var out []store.Manifest
	err := scan(ctx, a, a.article, fields("articleId", "hash", "source", "line"), func(r articleRow) error {
		out = append(out, store.Manifest{ID: r.ArticleID, Hash: r.Hash, Source: r.Source, Line: r.Line})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	return out, nil
}

// NearestDays asks for the newest article before the period and the
// oldest after it in one query.
func (a *Archive) NearestDays(ctx context.Context, period dates.Period) (before, after time.Time, err error) {
	var parts []string
	if !period.From.IsZero() {
		w := filters.Where().WithPath([]string{"date"}).WithOperator(filters.LessThan).WithValueDate(period.From)
		parts = append(parts, fmt.Sprintf("before:%s(%s, sort:[{path:[\"date\"], order:desc}], limit:1){date}", a.article, w.String()))
	}
	if !period.To.IsZero() {
		w := filters.Where().WithPath([]string{"date"}).WithOperator(filters.GreaterThanEqual).WithValueDate(period.To.AddDate(0, 0, 1))
		parts = append(parts, fmt.Sprintf("after:%s(%s, sort:[{path:[\"date\"], order:asc}], limit:1){date}", a.article, w.String()))
	}
	if len(parts) == 0 {
		return before, after, nil
	}
	var res struct {
		Get map[string][]articleRow `json:"Get"`
	}
	if err := a.graphql(ctx, "{Get{"+strings.Join(parts, " ")+"}}", &res); err != nil {
		return before, after, fmt.Errorf("finding the days with articles nearest %v: %w", period, err)
	}
	if rows := res.Get["before"]; len(rows) > 0 {
		before = dates.Day(rows[0].Date)
	}
	if rows := res.Get["after"]; len(rows) > 0 {
		after = dates.Day(rows[0].Date)
	}
	return before, after, nil
}

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
