package weaviate

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/store"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/filters"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
	"github.com/weaviate/weaviate/entities/models"
)

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

// Leads returns the first chunks of the newest articles of the period.
func (a *Archive) Leads(ctx context.Context, period dates.Period, n int) ([]store.Hit, error) {
	first := filters.Where().WithPath([]string{"ordinal"}).WithOperator(filters.Equal).WithValueInt(0)
	rows, err := byDate[chunkRow](ctx, a, a.chunk, chunkFields, first, period, n, newestFirst)
	if err != nil {
		return nil, fmt.Errorf("reading the newest articles' leads: %w", err)
	}
	out := make([]store.Hit, len(rows))
	for i, r := range rows {
		out[i] = r.hit(0)
	}
	return out, nil
}

// Articles lists articles newest first. A short list is filtered, sorted
// and cut by Weaviate, a window of dates at a time (byDate); a long or
// unbounded one is read whole with the cursor, without bodies, and
// filtered and sorted here.
func (a *Archive) Articles(ctx context.Context, q store.ArticleQuery) ([]store.ArticleInfo, error) {
	needle := strings.ToLower(q.TitleContains)
	if q.Limit > 0 && q.Limit <= sortedLimit && !strings.ContainsAny(needle, "*?") {
		var like *filters.WhereBuilder
		if needle != "" {
			like = filters.Where().WithPath([]string{"titleKey"}).WithOperator(filters.Like).WithValueText("*" + needle + "*")
		}
		rows, err := byDate[articleRow](ctx, a, a.article, articleFields, like, q.Period, q.Limit, newestFirst)
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

// NearestDays finds the newest article before the period and the oldest
// after it, each a window of dates at a time.
func (a *Archive) NearestDays(ctx context.Context, period dates.Period) (before, after time.Time, err error) {
	date := fields("date", "articleId")
	if !period.From.IsZero() {
		rows, err := byDate[articleRow](ctx, a, a.article, date, nil, dates.Period{To: period.From.AddDate(0, 0, -1)}, 1, newestFirst)
		if err != nil {
			return before, after, fmt.Errorf("finding the day with articles nearest before %v: %w", period, err)
		}
		if len(rows) > 0 {
			before = dates.Day(rows[0].Date)
		}
	}
	if !period.To.IsZero() {
		rows, err := byDate[articleRow](ctx, a, a.article, date, nil, dates.Period{From: period.To.AddDate(0, 0, 1)}, 1, oldestFirst)
		if err != nil {
			return before, after, fmt.Errorf("finding the day with articles nearest after %v: %w", period, err)
		}
		if len(rows) > 0 {
			after = dates.Day(rows[0].Date)
		}
	}
	return before, after, nil
}

// The orders of byDate: by date, ties by article ID.
var (
	newestFirst = []graphql.Sort{{Path: []string{"date"}, Order: graphql.Desc}, {Path: []string{"articleId"}, Order: graphql.Asc}}
	oldestFirst = []graphql.Sort{{Path: []string{"date"}, Order: graphql.Asc}, {Path: []string{"articleId"}, Order: graphql.Asc}}
)

// firstWindow is the first window of dates byDate reads, and windowGrowth
// how much longer each next one is.
const (
	firstWindow  = 24 * time.Hour
	windowGrowth = 8
)

// byDate reads up to limit rows of class that match where within the
// period, in order (newestFirst or oldestFirst), a window of dates at a
// time: a day from the period's near end, then eight times longer each
// time, until limit rows are read or the period (bounded by the archive's
// oldest and newest dates) is covered. Weaviate sorts every row that
// matches a query, which takes seconds for a long period of a large
// archive; a window holds few.
func byDate[T any](ctx context.Context, a *Archive, class string, fs []graphql.Field, where *filters.WhereBuilder, period dates.Period, limit int, order []graphql.Sort) ([]T, error) {
	if limit <= 0 {
		return nil, nil
	}
	st, err := a.Stats(ctx)
	if err != nil || st.Articles == 0 {
		return nil, err
	}
	// [lo, hi): the period's days, within the archive's dates.
	lo, hi := st.Oldest, st.Newest.Add(time.Nanosecond)
	if !period.From.IsZero() && period.From.After(lo) {
		lo = period.From
	}
	if !period.To.IsZero() {
		if end := period.To.AddDate(0, 0, 1); end.Before(hi) {
			hi = end
		}
	}
	descending := order[0].Order == graphql.Desc
	var out []T
	width := firstWindow
	for done := false; !done && len(out) < limit && lo.Before(hi); width *= windowGrowth {
		from, to := lo, hi
		if descending {
			from = hi.Add(-width)
			if !from.After(lo) {
				from, done = lo, true
			}
		} else {
			to = lo.Add(width)
			if !to.Before(hi) {
				to, done = hi, true
			}
		}
		window := and(where,
			filters.Where().WithPath([]string{"date"}).WithOperator(filters.GreaterThanEqual).WithValueDate(from),
			filters.Where().WithPath([]string{"date"}).WithOperator(filters.LessThan).WithValueDate(to))
		rows, err := getRows[T](ctx, a, class, a.get(class).WithFields(fs...).WithWhere(window).WithSort(order...).WithLimit(limit-len(out)))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if descending {
			hi = from
		} else {
			lo = to
		}
	}
	return out, nil
}
