package rag

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Engine answers questions and writes summaries over an Index.
type Engine struct {
	index    *Index
	answerer Answerer
	now      func() time.Time
	k        int
	// llm writes summaries when set; summaryTokens bounds the source text
	// of one call.
	llm           *LLM
	summaryTokens int
}

// EngineOptions configures an Engine.
type EngineOptions struct {
	// Answerer writes answers (default: an Extractive answerer).
	Answerer Answerer
	// Now is the reference time for relative dates (default time.Now).
	Now func() time.Time
	// K is how many passages a question retrieves (default 8).
	K int
	// LLM, when set, writes summaries (map-reduce past SummaryTokens,
	// default DefaultSummaryTokens); the extractive summary is the fallback.
	LLM           *LLM
	SummaryTokens int
}

// NewEngine returns an engine over ix.
func NewEngine(ix *Index, opts EngineOptions) *Engine {
	if opts.Answerer == nil {
		opts.Answerer = NewExtractive(ix)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.K <= 0 {
		opts.K = 8
	}
	if opts.SummaryTokens <= 0 {
		opts.SummaryTokens = DefaultSummaryTokens
	}
	return &Engine{index: ix, answerer: opts.Answerer, now: opts.Now, k: opts.K, llm: opts.LLM, summaryTokens: opts.SummaryTokens}
}

// Index returns the engine's index.
func (e *Engine) Index() *Index { return e.index }

// AskOptions tunes one question.
type AskOptions struct {
	// K overrides the number of passages retrieved.
	K int
	// AsOf overrides the reference time of relative dates.
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

// MaxQuestionRunes bounds a question; longer ones are refused.
const MaxQuestionRunes = 4000

// Ask answers a question with cited sentences. Date words in the question
// become a date filter or a recency preference; when the filter matches no
// article, the answer says so and names the nearest dates that have some.
func (e *Engine) Ask(ctx context.Context, question string, opts AskOptions) (Answer, error) {
	start := time.Now()
	q, err := e.question(question, opts.AsOf)
	if err != nil {
		return Answer{}, err
	}
	q.Asker, q.OnDelta = opts.Asker, opts.OnDelta
	k := opts.K
	if k <= 0 {
		k = e.k
	}
	r, err := e.retrieve(ctx, q, SearchOptions{K: k, Period: q.Period, Recent: q.Recent, Retrieval: opts.Retrieval})
	if err != nil {
		return Answer{}, fmt.Errorf("answering: %w", err)
	}
	if r.empty && r.mention == nil {
		a := r.emptyAnswer
		a.Took = time.Since(start)
		return a, nil
	}
	aq := q
	if r.mention != nil {
		aq.Query, aq.Period = q.Text, Period{}
	}
	a, err := e.answerer.Answer(ctx, aq, r.passages)
	if err != nil {
		return Answer{}, fmt.Errorf("answering: %w", err)
	}
	var notes []string
	a.Question, a.Period = question, q.Period
	switch {
	case r.mention != nil && r.empty:
		a.Period = Period{}
		notes = append(notes, "No article in the corpus is dated "+q.Period.String()+", so this answer comes from articles that mention "+r.mention.words+".")
	case r.mention != nil:
		a.Period = Period{}
		notes = append(notes, "No article dated "+q.Period.String()+" answers this, so this answer comes from articles of other dates that mention "+r.mention.words+".")
	case !q.Period.IsZero():
		notes = append(notes, "Searched only articles dated "+q.Period.String()+".")
	}
	if r.info.VectorError != nil {
		notes = append(notes, "The embedding service is unavailable, so only keyword search was used.")
	}
	if a.Note != "" {
		notes = append(notes, a.Note)
	}
	a.Note = strings.Join(notes, " ")
	a.Took = time.Since(start)
	return a, nil
}

// retrieval is what a question retrieved, and from where.
type retrieval struct {
	passages []Passage
	info     SearchInfo
	// empty is set when no article is dated within the question's period;
	// emptyAnswer then says so and names the nearest dates.
	empty       bool
	emptyAnswer Answer
	// mention is set when the passages come from articles of other dates
	// that mention the question's date.
	mention *mention
}

// mention names the date words that passages from other dates mention.
type mention struct{ words string }

// retrieve finds the passages for q, the one decision behind Ask, Sources
// and Rank. A date may say when something happened rather than when it was
// reported. When it names a year and no article is dated within it, the
// passages are those of any date that mention the year (and month),
// searched with the date words kept. When articles of the period exist but
// none covers the question, they are narrowed to the sentences that mention
// it, so that the answer quotes the date.
func (e *Engine) retrieve(ctx context.Context, q Question, so SearchOptions) (retrieval, error) {
	var r retrieval
	r.emptyAnswer, r.empty = e.emptyPeriod(q)
	if !r.empty {
		ps, info, err := e.index.SearchDetailed(ctx, q.Query, so)
		if err != nil {
			return r, err
		}
		r.passages, r.info = ps, info
		if q.Period.IsZero() || bestCoverage(ps) >= DefaultMinCoverage {
			return r, nil
		}
	}
	words := mentionWords(q.DatePhrase, q.Period)
	if len(words) == 0 {
		return r, nil
	}
	mso := so
	mso.K, mso.Period, mso.Recent = 4*so.K, Period{}, false
	ps, info, err := e.index.SearchDetailed(ctx, q.Text, mso)
	if err != nil {
		return r, fmt.Errorf("searching articles that mention %s: %w", strings.Join(words, " "), err)
	}
	// No article is dated then, so the date cannot be a publication date
	// here: passages that name it may answer. When articles of that date
	// exist but do not answer, only sentences of other articles that name
	// it may.
	mentioned := e.index.mentioning(ps, q.Text, words, so.K, !r.empty)
	if bestCoverage(mentioned) < DefaultMinCoverage {
		return r, nil
	}
	r.passages, r.info, r.mention = mentioned, info, &mention{words: strings.Join(words, " ")}
	return r, nil
}

func (e *Engine) question(text string, asOf time.Time) (Question, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Question{}, questionError(nil, "the question is empty")
	}
	if n := len([]rune(text)); n > MaxQuestionRunes {
		return Question{}, questionError(nil, "the question is %d characters long; the limit is %d", n, MaxQuestionRunes)
	}
	if asOf.IsZero() {
		asOf = e.now()
	}
	in := ParseDateIntent(text, asOf)
	if in.Invalid != "" {
		return Question{}, questionError(nil, "%q is not a valid date", in.Invalid)
	}
	return Question{Text: text, Query: in.Query, Period: in.Period, Recent: in.Recent, DatePhrase: in.Phrase}, nil
}

// emptyPeriod answers when the question's period holds no article.
func (e *Engine) emptyPeriod(q Question) (Answer, bool) {
	if q.Period.IsZero() || e.index.HasArticles(q.Period) {
		return Answer{}, false
	}
	return Answer{Question: q.Text, Period: q.Period, Text: e.noArticlesText(q.Period)}, true
}

func (e *Engine) noArticlesText(p Period) string {
	before, after := e.index.NearestDays(p)
	var near []string
	if !before.IsZero() {
		near = append(near, before.Format(time.DateOnly)+" (before)")
	}
	if !after.IsZero() {
		near = append(near, after.Format(time.DateOnly)+" (after)")
	}
	msg := "No article in the corpus is dated " + p.String() + "."
	switch len(near) {
	case 0:
		msg += " The corpus has no articles yet."
	case 1:
		msg += " The nearest date with articles is " + near[0] + "."
	default:
		msg += " The nearest dates with articles are " + near[0] + " and " + near[1] + "."
	}
	return msg
}

// Source is an article that matches a question, with its best passage.
type Source struct {
	Citation
	// Passage is the matching chunk and Score its retrieval score.
	Passage string
	Score   float64
}

// Sources lists the articles that best match a question, one passage each,
// with the best sentence of that passage as the quote.
func (e *Engine) Sources(ctx context.Context, question string, opts AskOptions) ([]Source, Period, error) {
	q, err := e.question(question, opts.AsOf)
	if err != nil {
		return nil, Period{}, err
	}
	k := opts.K
	if k <= 0 {
		k = 5
	}
	r, err := e.retrieve(ctx, q, SearchOptions{K: k, PerArticle: 1, Period: q.Period, Recent: q.Recent, Retrieval: opts.Retrieval})
	if err != nil {
		return nil, q.Period, fmt.Errorf("finding sources: %w", err)
	}
	passages, query, period := r.passages, q.Query, q.Period
	if r.mention != nil {
		query, period = q.Text, Period{}
	}
	qterms := e.index.Terms(query)
	weights := termWeights{}
	for _, t := range qterms {
		weights[t] = e.index.IDF(t)
	}
	out := make([]Source, 0, len(passages))
	for i, p := range passages {
		if len(qterms) > 0 && p.Coverage == 0 {
			continue
		}
		out = append(out, Source{
			Citation: Citation{N: i + 1, ArticleID: p.ArticleID, Title: p.Title, Date: p.Date, URL: p.URL, ChunkID: p.ChunkID, Quote: e.bestSentence(p.Text, weights)},
			Passage:  p.Text,
			Score:    p.Score,
		})
	}
	for i := range out {
		out[i].N = i + 1
	}
	return out, period, nil
}

// bestSentence returns the sentence of text that covers most of weights.
func (e *Engine) bestSentence(text string, weights termWeights) string {
	best, bestCov := "", -1.0
	for _, s := range sentences(text) {
		if c := coverage(weights, e.index.Terms(s)); c > bestCov {
			best, bestCov = s, c
		}
	}
	return best
}

// Rank returns the articles that best match a question, best first, one
// passage each: the passages Ask and Sources draw on, without dropping weak
// matches. K defaults to 20.
func (e *Engine) Rank(ctx context.Context, question string, opts AskOptions) ([]Passage, error) {
	q, err := e.question(question, opts.AsOf)
	if err != nil {
		return nil, err
	}
	k := opts.K
	if k <= 0 {
		k = 20
	}
	r, err := e.retrieve(ctx, q, SearchOptions{K: k, PerArticle: 1, Period: q.Period, Recent: q.Recent, Retrieval: opts.Retrieval})
	if err != nil {
		return nil, fmt.Errorf("ranking articles: %w", err)
	}
	return r.passages, nil
}
