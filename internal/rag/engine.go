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
	var (
		a    Answer
		info SearchInfo
	)
	emptyAnswer, empty := e.emptyPeriod(q)
	if !empty {
		if a, info, err = e.answer(ctx, q, SearchOptions{K: k, Period: q.Period, Recent: q.Recent, Retrieval: opts.Retrieval}); err != nil {
			return Answer{}, err
		}
	}
	var notes []string
	period := q.Period
	if !a.Found && !q.Period.IsZero() {
		// A date may name when something happened rather than when it was
		// reported: look for articles of any date that mention it.
		ma, minfo, mentioned, err := e.answerFromMentions(ctx, q, k, opts.Retrieval)
		if err != nil {
			return Answer{}, err
		}
		switch {
		case mentioned != nil && empty:
			a, info, period = ma, minfo, Period{}
			notes = append(notes, "No article in the corpus is dated "+q.Period.String()+", so this answer comes from articles that mention "+mentioned.words+".")
		case mentioned != nil:
			a, info, period = ma, minfo, Period{}
			notes = append(notes, "No article dated "+q.Period.String()+" answers this, so this answer comes from articles of other dates that mention "+mentioned.words+".")
		case empty:
			emptyAnswer.Took = time.Since(start)
			return emptyAnswer, nil
		default:
			notes = append(notes, "Searched only articles dated "+q.Period.String()+".")
		}
	} else if !q.Period.IsZero() {
		notes = append(notes, "Searched only articles dated "+q.Period.String()+".")
	}
	a.Question, a.Period = question, period
	if info.VectorError != nil {
		notes = append(notes, "The embedding service is unavailable, so only keyword search was used.")
	}
	if a.Note != "" {
		notes = append(notes, a.Note)
	}
	a.Note = strings.Join(notes, " ")
	a.Took = time.Since(start)
	return a, nil
}

// answer retrieves passages for q and has the answerer write from them.
func (e *Engine) answer(ctx context.Context, q Question, so SearchOptions) (Answer, SearchInfo, error) {
	passages, info, err := e.index.SearchDetailed(ctx, q.Query, so)
	if err != nil {
		return Answer{}, info, fmt.Errorf("answering: %w", err)
	}
	a, err := e.answerer.Answer(ctx, q, passages)
	if err != nil {
		return Answer{}, info, fmt.Errorf("answering: %w", err)
	}
	return a, info, nil
}

// mention says which date words an answer from other dates mentions.
type mention struct{ words string }

// answerFromMentions answers q from articles of any date whose passages
// mention the years (and months) of its date phrase, searching with the date
// words kept. It reports nil when the phrase names no year or nothing
// mentions it.
func (e *Engine) answerFromMentions(ctx context.Context, q Question, k int, r Retrieval) (Answer, SearchInfo, *mention, error) {
	words := mentionWords(q.DatePhrase)
	if len(words) == 0 {
		return Answer{}, SearchInfo{}, nil, nil
	}
	want := e.index.Terms(strings.Join(words, " "))
	passages, info, err := e.index.SearchDetailed(ctx, q.Text, SearchOptions{K: 4 * k, Retrieval: r})
	if err != nil {
		return Answer{}, info, nil, fmt.Errorf("answering from mentions of %s: %w", q.DatePhrase, err)
	}
	kept := passages[:0]
	for _, p := range passages {
		if hasAll(toSet(e.index.Terms(p.Title+"\n"+p.Text)), want) {
			kept = append(kept, p)
		}
	}
	if len(kept) > k {
		kept = kept[:k]
	}
	if len(kept) == 0 {
		return Answer{}, info, nil, nil
	}
	mq := q
	mq.Query, mq.Period = q.Text, Period{}
	a, err := e.answerer.Answer(ctx, mq, kept)
	if err != nil {
		return Answer{}, info, nil, fmt.Errorf("answering from mentions of %s: %w", q.DatePhrase, err)
	}
	if !a.Found {
		return Answer{}, info, nil, nil
	}
	return a, info, &mention{words: strings.Join(words, " ")}, nil
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
	passages, err := e.index.Search(ctx, q.Query, SearchOptions{K: k, PerArticle: 1, Period: q.Period, Recent: q.Recent, Retrieval: opts.Retrieval})
	if err != nil {
		return nil, q.Period, fmt.Errorf("finding sources: %w", err)
	}
	qterms := e.index.Terms(q.Query)
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
	return out, q.Period, nil
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
// passage each: the ranking that [Engine.Sources] quotes from, without
// dropping weak matches. K defaults to 20.
func (e *Engine) Rank(ctx context.Context, question string, opts AskOptions) ([]Passage, error) {
	q, err := e.question(question, opts.AsOf)
	if err != nil {
		return nil, err
	}
	k := opts.K
	if k <= 0 {
		k = 20
	}
	so := SearchOptions{K: k, PerArticle: 1, Period: q.Period, Recent: q.Recent, Retrieval: opts.Retrieval}
	query := q.Query
	if _, empty := e.emptyPeriod(q); empty {
		// As Ask does, take the date as words to look for.
		if len(mentionWords(q.DatePhrase)) == 0 {
			return nil, nil
		}
		query, so.Period = q.Text, Period{}
	}
	ps, err := e.index.Search(ctx, query, so)
	if err != nil {
		return nil, fmt.Errorf("ranking articles: %w", err)
	}
	return ps, nil
}
