package rag

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/summary"
)

// Engine answers questions and writes summaries over a store of record.
// It is safe for concurrent use.
type Engine struct {
	archive    store.Archive
	retriever  *retrieve.Retriever
	answerer   answer.Answerer
	summarizer *summary.Summarizer
	now        func() time.Time
	// replay is set when now is a given reference time, not the clock:
	// then articles dated after its day are not read.
	replay bool
	k      int
}

// Options configure an Engine.
type Options struct {
	// Model, when set, writes answers (held to the passages, with the
	// extractive answer as the fallback) and summaries (map-reduce past
	// SummaryTokens).
	Model         answer.Model
	SummaryTokens int
	// Answerer overrides what writes answers (default: Grounded over Model
	// when set, else Extractive).
	Answerer answer.Answerer
	// Now is the reference time for relative dates (default time.Now).
	// When set, it is also the last day whose articles are read (HERALD_NOW:
	// a replay of the past sees what was known then), as AskOptions.AsOf is.
	Now func() time.Time
	// K is how many passages a question retrieves (default DefaultK).
	K int
}

// DefaultK is how many passages a question retrieves by default.
const DefaultK = 8

// New returns an engine over archive, whose vectors embedder made.
func New(archive store.Archive, embedder embed.Embedder, opts Options) *Engine {
	if opts.Answerer == nil {
		opts.Answerer = answer.NewExtractive()
		if opts.Model != nil {
			opts.Answerer = answer.NewGrounded(opts.Model)
		}
	}
	replay := opts.Now != nil
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.K <= 0 {
		opts.K = DefaultK
	}
	r := retrieve.New(archive, embedder)
	return &Engine{archive: archive, retriever: r, answerer: opts.Answerer, summarizer: summary.New(r, opts.Model, opts.SummaryTokens),
		now: opts.Now, replay: replay, k: opts.K}
}

// pinner is an archive whose contents can change whole under a running
// engine (the library's live archive, when another process writes a
// snapshot): Pin makes every read made with the context read one version.
type pinner interface {
	Pin(ctx context.Context) context.Context
}

// pin makes one request read one version of the archive.
func (e *Engine) pin(ctx context.Context) context.Context {
	if p, ok := e.archive.(pinner); ok {
		return p.Pin(ctx)
	}
	return ctx
}

// Archive returns the engine's store of record.
func (e *Engine) Archive() store.Archive { return e.archive }

// AskOptions tunes one question.
type AskOptions struct {
	// K overrides the number of passages retrieved.
	K int
	// AsOf overrides the reference time of relative dates, and hides the
	// articles dated after its day.
	AsOf time.Time
	// Asker identifies who asks (for per-user LLM budgets).
	Asker string
	// OnDelta, when set, receives an LLM answer's text as it streams.
	OnDelta func(delta string)
	// Retrieval picks the search halves (default Hybrid); for evaluation.
	Retrieval Retrieval
}

// QuestionError is a mistake in a question or request (empty, too long, an
// impossible date, an unknown article): its message is meant for the person
// who asked.
type QuestionError struct {
	msg string
	err error
}

func (e *QuestionError) Error() string { return e.msg }

// Unwrap returns the underlying sentinel, such as ErrNoSuchArticle.
func (e *QuestionError) Unwrap() error { return e.err }

func questionError(err error, format string, args ...any) error {
	return &QuestionError{msg: fmt.Sprintf(format, args...), err: err}
}

// Ask answers a question with cited sentences. Date words in the question
// become a date filter or a recency preference; when the filter matches no
// article, the answer says so and names the nearest dates that have some.
func (e *Engine) Ask(ctx context.Context, question string, opts AskOptions) (Answer, error) {
	ctx = e.pin(ctx)
	start := time.Now()
	q, err := e.question(question, opts.AsOf)
	if err != nil {
		return Answer{}, err
	}
	q.Asker, q.OnDelta = opts.Asker, opts.OnDelta
	r, err := e.retrieve(ctx, q, e.searchOptions(q, opts, e.k, 2))
	if err != nil {
		return Answer{}, fmt.Errorf("answering: %w", err)
	}
	if r.empty != "" && r.mention == "" {
		return Answer{Question: question, Period: q.Period, Text: r.empty, Took: time.Since(start)}, nil
	}
	aq := r.question(q)
	a, err := e.answerer.Answer(ctx, aq, r.res.Passages)
	if err != nil {
		return Answer{}, fmt.Errorf("answering: %w", err)
	}
	a.Question, a.Period = question, q.Period
	if len(r.res.Terms) > 0 {
		// A question with no words of its own ("what happened
		// yesterday?") has no weight for a passage to cover.
		a.Coverage = retrieve.BestCoverage(r.res.Passages)
	}
	// The period is what was searched: none for passages that mention the
	// date, the wider one when a soft period was widened, and the as-of
	// day's bound when the question gave no dates.
	switch {
	case r.mention != "":
		a.Period = Period{}
	case !r.widened.IsZero():
		a.Period = r.widened
	case a.Period.IsZero() && !q.Known.IsZero():
		a.Period = Period{To: q.Known}
	}
	a.Note = strings.Join(append(r.notes(q), noteIf(a.Note)...), " ")
	if !a.Found && notEnglish(question) {
		a.Note = strings.TrimSpace(a.Note + " " + NotEnglishNote)
	}
	a.Took = time.Since(start)
	return a, nil
}

func noteIf(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// searchOptions are the retrieval options of a question: its K (opts', or
// def), its dates (never past the day it is asked as of), and its mode.
func (e *Engine) searchOptions(q Question, opts AskOptions, def, perArticle int) retrieve.Options {
	k := opts.K
	if k <= 0 {
		k = def
	}
	return retrieve.Options{K: k, PerArticle: perArticle, Period: knownBy(q.Period, q.Known), Recent: q.Recent, Mode: opts.Retrieval}
}

// Source is an article that matches a question, with its best passage.
type Source struct {
	Citation
	// Passage is the matching chunk and Score its retrieval score, relative
	// to the question's best hit. Lexical (BM25) and Similarity (cosine,
	// 0 when the vector half did not find it) are the raw scores, which
	// compare across questions.
	Passage    string
	Score      float64
	Lexical    float64
	Similarity float32
}

// Sources lists the articles that best match a question, one passage each,
// with the best sentence of that passage as the quote.
func (e *Engine) Sources(ctx context.Context, question string, opts AskOptions) ([]Source, Period, error) {
	ctx = e.pin(ctx)
	q, err := e.question(question, opts.AsOf)
	if err != nil {
		return nil, Period{}, err
	}
	r, err := e.retrieve(ctx, q, e.searchOptions(q, opts, 5, 1))
	if err != nil {
		return nil, q.Period, fmt.Errorf("finding sources: %w", err)
	}
	aq := r.question(q)
	weights := aq.IDF
	out := make([]Source, 0, len(r.res.Passages))
	for _, p := range r.res.Passages {
		if len(aq.Terms) > 0 && p.Coverage == 0 {
			continue
		}
		out = append(out, Source{
			Citation: Citation{N: len(out) + 1, ArticleID: p.ArticleID, Title: p.Title, Date: p.Date, URL: p.URL, ChunkID: p.ChunkID,
				Quote: e.bestSentence(p.Text, weights)},
			Passage: p.Text,
			Score:   p.Score, Lexical: p.Lexical, Similarity: p.Similarity,
		})
	}
	return out, aq.Period, nil
}

// bestSentence returns the sentence of text that covers most of weights.
func (e *Engine) bestSentence(text string, weights retrieve.Weights) string {
	best, bestCov := "", -1.0
	for _, s := range sentences(text) {
		if c := retrieve.Coverage(weights, e.retriever.Terms(s)); c > bestCov {
			best, bestCov = s, c
		}
	}
	return best
}

// Rank returns the articles that best match a question, best first, one
// passage each: the passages Ask and Sources draw on, without dropping weak
// matches. K defaults to 20.
func (e *Engine) Rank(ctx context.Context, question string, opts AskOptions) ([]Passage, error) {
	ctx = e.pin(ctx)
	q, err := e.question(question, opts.AsOf)
	if err != nil {
		return nil, err
	}
	r, err := e.retrieve(ctx, q, e.searchOptions(q, opts, 20, 1))
	if err != nil {
		return nil, fmt.Errorf("ranking articles: %w", err)
	}
	return r.res.Passages, nil
}

// Summarize writes a cited summary of an article, a topic or a period.
func (e *Engine) Summarize(ctx context.Context, req SummaryRequest) (Answer, error) {
	ctx = e.pin(ctx)
	a, err := e.summarizer.Summarize(ctx, req)
	switch {
	case errors.Is(err, summary.ErrNothingToSummarize):
		return Answer{}, questionError(err, "a summary needs an article, a topic or a date")
	case errors.Is(err, summary.ErrNoSuchArticle):
		return Answer{}, questionError(err, "no article matches %q: give an article ID or words of its title", req.Article)
	case err != nil:
		return Answer{}, fmt.Errorf("summarising: %w", err)
	}
	return a, nil
}
