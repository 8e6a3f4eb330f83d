package rag

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/rag/dates"
)

// matchK is how many passages a topic's retrieval reads when matching
// arrivals.
const matchK = 50

// Arrivals are articles that arrived, as Match reads them: which they
// are, and the days they span. Make them once for all the topics a batch
// is matched against.
type Arrivals struct {
	ids    map[string]bool
	period Period
}

// Arrivals looks up the articles ids (those removed since are left out).
func (e *Engine) Arrivals(ctx context.Context, ids []string) (Arrivals, error) {
	ctx = e.pin(ctx)
	arr := Arrivals{ids: make(map[string]bool, len(ids))}
	for _, id := range ids {
		a, ok, err := e.archive.Article(ctx, id)
		if err != nil {
			return Arrivals{}, fmt.Errorf("reading the arrivals: %w", err)
		}
		if !ok {
			continue
		}
		arr.ids[id] = true
		day := dates.Day(a.Date)
		if arr.period.IsZero() || day.Before(arr.period.From) {
			arr.period.From = day
		}
		if arr.period.IsZero() || day.After(arr.period.To) {
			arr.period.To = day
		}
	}
	return arr, nil
}

// Match returns, of the arrivals, those that a question on topic finds
// and that would answer it without the partial-match note: the same
// retrieval as Ask (within the days the arrivals are dated), and the
// coverage under which an answer is flagged. So a followed topic is not
// matched by a passing word. Each match is one Source, best first, whose
// quote is the sentence of the article that best covers the topic.
func (e *Engine) Match(ctx context.Context, topic string, arr Arrivals) ([]Source, error) {
	ctx = e.pin(ctx)
	if len(arr.ids) == 0 {
		return nil, nil
	}
	q, err := e.question(topic, time.Time{})
	if err != nil {
		return nil, err
	}
	so := e.searchOptions(q, AskOptions{K: matchK}, matchK, 1)
	so.Period, so.Recent = arr.period, false
	res, err := e.retriever.Search(ctx, q.Query, so)
	if err != nil {
		return nil, fmt.Errorf("matching arrivals to %q: %w", topic, err)
	}
	var out []Source
	for _, p := range res.Passages {
		if !arr.ids[p.ArticleID] || p.Coverage < answer.PartialCoverage {
			continue
		}
		out = append(out, Source{
			Citation: Citation{N: len(out) + 1, ArticleID: p.ArticleID, Title: p.Title, Date: p.Date, URL: p.URL, ChunkID: p.ChunkID,
				Quote: e.bestSentence(p.Text, res.IDF)},
			Passage: p.Text, Score: p.Score, Lexical: p.Lexical, Similarity: p.Similarity,
		})
	}
	return out, nil
}

// Searchable reports whether text has words to search by (not only stop
// words), as a followed topic must.
func (e *Engine) Searchable(text string) bool { return len(e.retriever.Terms(text)) > 0 }
