// Package summary writes cited summaries of one article, of a topic, or of
// the articles of a period: offline, by picking the most central sentences
// with maximal marginal relevance, or with a language model, map-reduce
// past a token budget. Requests come in from the engine (internal/rag);
// articles and passages from the store of record and retrieval; answers go
// back to the engine.
package summary

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
)

// Request says what to summarise: one article, a topic, a period, or a
// topic within a period.
type Request struct {
	// Article is an article ID or (part of) a title.
	Article string
	Topic   string
	Period  dates.Period
	// Sentences bounds the summary (default 5).
	Sentences int
}

// Errors of requests that cannot be summarised.
var (
	// ErrNoSuchArticle means no article matches a request's Article.
	ErrNoSuchArticle = errors.New("no such article")
	// ErrNothingToSummarize means a request names no article, topic or
	// period.
	ErrNothingToSummarize = errors.New("a summary needs an article, a topic or a date")
)

// DefaultTokens is the default budget of source text in one summarisation
// call; more material is summarised map-reduce.
const DefaultTokens = 3000

// Summarizer writes summaries over a retriever's archive.
type Summarizer struct {
	archive   store.Archive
	retriever *retrieve.Retriever
	analyzer  *analysis.Analyzer
	// model, when set, writes the summaries; tokens bounds the source text
	// of one call.
	model  answer.Model
	tokens int
}

// New returns a summarizer that writes with model when it is not nil
// (tokens of source text a call, DefaultTokens when ≤ 0), and offline
// otherwise or when the model fails.
func New(r *retrieve.Retriever, model answer.Model, tokens int) *Summarizer {
	if tokens <= 0 {
		tokens = DefaultTokens
	}
	return &Summarizer{archive: r.Archive(), retriever: r, analyzer: analysis.NewIndex(), model: model, tokens: tokens}
}

// Summarize writes a summary: the most central sentences, with redundancy
// removed, each cited; or the model's, grounded in the same material.
func (s *Summarizer) Summarize(ctx context.Context, req Request) (answer.Answer, error) {
	start := time.Now()
	if req.Sentences <= 0 {
		req.Sentences = 5
	}
	var a answer.Answer
	var err error
	switch {
	case req.Article != "":
		a, err = s.article(ctx, req)
	case req.Topic != "":
		a, err = s.topic(ctx, req)
	case !req.Period.IsZero():
		a, err = s.period(ctx, req)
	default:
		return answer.Answer{}, ErrNothingToSummarize
	}
	if err != nil {
		return answer.Answer{}, err
	}
	a.Answerer = "extractive"
	if s.model != nil && a.Found {
		a = s.byModel(ctx, req, a)
	}
	a.Period = req.Period
	a.Took = time.Since(start)
	return a, nil
}

// FindArticle resolves an article ID or title: an exact ID, an exact title
// (ignoring case), titles containing the text (the newest wins), or the
// title sharing most words with it. others lists further matches, newest
// first, when the reference was ambiguous.
func (s *Summarizer) FindArticle(ctx context.Context, ref string) (found corpus.Article, others []store.ArticleInfo, ok bool, err error) {
	ref = strings.TrimSpace(ref)
	if a, ok, err := s.archive.Article(ctx, ref); err != nil || ok {
		return a, nil, ok, err
	}
	matches, err := s.archive.Articles(ctx, store.ArticleQuery{TitleContains: ref})
	if err != nil {
		return corpus.Article{}, nil, false, err
	}
	for _, info := range matches {
		if strings.EqualFold(info.Title, ref) {
			a, ok, err := s.archive.Article(ctx, info.ID)
			return a, nil, ok, err
		}
	}
	if len(matches) > 0 {
		a, ok, err := s.archive.Article(ctx, matches[0].ID)
		return a, matches[1:], ok, err
	}
	all, err := s.archive.Articles(ctx, store.ArticleQuery{})
	if err != nil {
		return corpus.Article{}, nil, false, err
	}
	want := toSet(s.analyzer.Terms(nil, ref))
	bestID, best := "", 0.0
	for _, info := range all {
		if j := answer.Jaccard(want, toSet(s.analyzer.Terms(nil, info.Title))); j > best {
			bestID, best = info.ID, j
		}
	}
	if best >= 0.5 {
		a, ok, err := s.archive.Article(ctx, bestID)
		return a, nil, ok, err
	}
	return corpus.Article{}, nil, false, nil
}

func toSet(terms []string) map[string]bool {
	m := make(map[string]bool, len(terms))
	for _, t := range terms {
		m[t] = true
	}
	return m
}

// ledeBonus favours an article's first sentence in its summary.
const ledeBonus = 0.1

func (s *Summarizer) article(ctx context.Context, req Request) (answer.Answer, error) {
	art, others, ok, err := s.FindArticle(ctx, req.Article)
	if err != nil {
		return answer.Answer{}, fmt.Errorf("finding the article to summarise: %w", err)
	}
	if !ok {
		return answer.Answer{}, fmt.Errorf("%w: %q", ErrNoSuchArticle, req.Article)
	}
	p := retrieve.Passage{ArticleID: art.ID, Title: art.Title, URL: art.URL, Date: art.Date}
	pool := newPool(s.analyzer)
	for _, fragments := range []bool{false, true} {
		// Prose first; an article of tables only is summarised as it is.
		pool.fragments = fragments
		for i, sent := range analysis.Sentences(art.Body) {
			pool.add(sent, p, i)
		}
		if len(pool.items) > 0 {
			break
		}
	}
	if err := pool.weigh(ctx, s.archive); err != nil {
		return answer.Answer{}, err
	}
	rel := pool.centrality()
	for i := range rel {
		if pool.items[i].position == 0 {
			rel[i] += ledeBonus
		}
	}
	chosen := pool.mmr(rel, min(req.Sentences, max(2, len(pool.items)/3)))
	sort.Slice(chosen, func(i, j int) bool { return pool.items[chosen[i]].position < pool.items[chosen[j]].position })
	a := pool.answer(chosen)
	a.Heading = fmt.Sprintf("Summary of “%s” (%s)", art.Title, art.Date.Format(time.DateOnly))
	if len(others) > 0 {
		a.Note = ambiguityNote(req.Article, others)
	}
	return a, nil
}

// topicRelevance weighs a sentence's coverage of the topic against its
// centrality among the topic's passages.
const topicRelevance = 0.6

// topicPassages is how many passages a topic summary reads, at most
// topicPerArticle an article.
const (
	topicPassages   = 12
	topicPerArticle = 2
)

func (s *Summarizer) topic(ctx context.Context, req Request) (answer.Answer, error) {
	heading := fmt.Sprintf("Summary of “%s”", req.Topic)
	if !req.Period.IsZero() {
		heading += ", " + req.Period.String()
		covered, why, err := s.retriever.Covered(ctx, req.Period)
		if err != nil {
			return answer.Answer{}, err
		}
		if !covered {
			return answer.Answer{Heading: heading, Text: why, Period: req.Period}, nil
		}
	}
	res, err := s.retriever.Search(ctx, req.Topic, retrieve.Options{K: topicPassages, PerArticle: topicPerArticle, Period: req.Period})
	if err != nil {
		return answer.Answer{}, fmt.Errorf("summarising a topic: %w", err)
	}
	if retrieve.BestCoverage(res.Passages) < answer.DefaultMinCoverage {
		a := answer.NotCovered(req.Topic, res.Passages)
		a.Heading = heading
		return a, nil
	}
	pool := newPool(s.analyzer)
	for _, p := range res.Passages {
		if p.Coverage < answer.DefaultMinCoverage/2 {
			continue
		}
		for i, sent := range analysis.Sentences(p.Text) {
			pool.add(sent, p, i)
		}
	}
	if err := pool.weigh(ctx, s.archive); err != nil {
		return answer.Answer{}, err
	}
	cent := pool.centrality()
	rel := make([]float64, len(pool.items))
	for i, it := range pool.items {
		rel[i] = topicRelevance*retrieve.Coverage(res.IDF, it.terms) + (1-topicRelevance)*cent[i]
	}
	chosen := pool.mmr(rel, req.Sentences)
	pool.byDate(chosen)
	a := pool.answer(chosen)
	a.Heading = heading
	return a, nil
}

// ambiguityNote names the other articles a title reference matched.
func ambiguityNote(ref string, others []store.ArticleInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d articles match “%s”; this is the newest. Others:", len(others)+1, ref)
	for i, o := range others {
		if i == 3 {
			fmt.Fprintf(&b, " and %d more", len(others)-3)
			break
		}
		if i > 0 {
			b.WriteString(";")
		}
		fmt.Fprintf(&b, " “%s” (%s)", o.Title, o.Date.Format(time.DateOnly))
	}
	b.WriteString(".")
	return b.String()
}

// maxPeriodArticles bounds the articles a period summary reads; a longer
// period is sampled evenly across its days.
const maxPeriodArticles = 2000

// leadSentences is how many sentences of each article a period summary
// reads: the first two sentences of a news article carry its news.
const leadSentences = 2

func (s *Summarizer) period(ctx context.Context, req Request) (answer.Answer, error) {
	heading := "Summary of " + req.Period.String()
	infos, err := s.archive.Articles(ctx, store.ArticleQuery{Period: req.Period})
	if err != nil {
		return answer.Answer{}, fmt.Errorf("listing the articles of %s: %w", req.Period, err)
	}
	if len(infos) == 0 {
		_, why, err := s.retriever.Covered(ctx, req.Period)
		return answer.Answer{Heading: heading, Text: why}, err
	}
	note := fmt.Sprintf("%s dated %s.", countOf(len(infos), "article"), req.Period.String())
	if len(infos) > maxPeriodArticles {
		note = fmt.Sprintf("%d articles dated %s; %d of them, spread evenly over the period, were read.", len(infos), req.Period.String(), maxPeriodArticles)
		infos = sample(infos, maxPeriodArticles)
	}
	pool := newPool(s.analyzer)
	for _, info := range infos {
		art, ok, err := s.archive.Article(ctx, info.ID)
		if err != nil {
			return answer.Answer{}, fmt.Errorf("reading %s: %w", info.ID, err)
		}
		if !ok {
			continue
		}
		p := retrieve.Passage{ArticleID: art.ID, Title: art.Title, URL: art.URL, Date: art.Date}
		for i, sent := range analysis.Sentences(art.Body) {
			if i == leadSentences {
				break
			}
			pool.add(sent, p, i)
		}
	}
	if err := pool.weigh(ctx, s.archive); err != nil {
		return answer.Answer{}, err
	}
	chosen := pool.mmr(pool.centrality(), req.Sentences)
	pool.byDate(chosen)
	a := pool.answer(chosen)
	a.Heading, a.Note = heading, note
	return a, nil
}

// sample takes n items spread evenly over list.
func sample[T any](list []T, n int) []T {
	if len(list) <= n {
		return list
	}
	out := make([]T, 0, n)
	for i := 0; i < n; i++ {
		out = append(out, list[i*len(list)/n])
	}
	return out
}

// countOf formats a count with its noun: "1 article", "3 articles".
func countOf(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
