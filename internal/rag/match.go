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

// Match returns, of the articles ids, those that a question on topic
// finds and that would answer it without the partial-match note: the
// same retrieval as Ask (within the days the articles are dated), and the
// coverage under which an answer is flagged. So a followed topic is not
// matched by a passing word. Each match is one Source, best first, whose
// quote is the sentence of the article that best covers the topic.
func (e *Engine) Match(ctx context.Context, topic string, ids []string) ([]Source, error) {
	ctx = e.pin(ctx)
	if len(ids) == 0 {
		return nil, nil
	}
	q, err := e.question(topic, time.Time{})
	if err != nil {
		return nil, err
	}
	want := make(map[string]bool, len(ids))
	var period Period
	for _, id := range ids {
		a, ok, err := e.archive.Article(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("matching arrivals: %w", err)
		}
		if !ok {
			continue // removed since
		}
		want[id] = true
		day := dates.Day(a.Date)
		if period.IsZero() || day.Before(period.From) {
			period.From = day
		}
		if period.IsZero() || day.After(period.To) {
			period.To = day
		}
	}
	if len(want) == 0 {
		return nil, nil
	}
	so := e.searchOptions(q, AskOptions{K: matchK}, matchK, 1)
	so.Period, so.Recent = period, false
	res, err := e.retriever.Search(ctx, q.Query, so)
	if err != nil {
		return nil, fmt.Errorf("matching arrivals to %q: %w", topic, err)
	}
	weights := res.IDF
	var out []Source
	for _, p := range res.Passages {
		if !want[p.ArticleID] || p.Coverage < answer.PartialCoverage {
			continue
		}
		out = append(out, Source{
			Citation: Citation{N: len(out) + 1, ArticleID: p.ArticleID, Title: p.Title, Date: p.Date, URL: p.URL, ChunkID: p.ChunkID,
				Quote: e.bestSentence(p.Text, weights)},
			Passage: p.Text, Score: p.Score,
		})
	}
	return out, nil
}
