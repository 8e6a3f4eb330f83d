package eval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
)

// Options shapes an evaluation run.
type Options struct {
	// Limit asks only this many questions, drawn at random with Seed
	// (0: all of them).
	Limit int
	Seed  uint64
	// Retrievals are the modes measured (default: bm25, vector, hybrid).
	Retrievals []rag.Retrieval
	// Workers asks questions in parallel (default GOMAXPROCS).
	Workers int
	// Embedder embeds the dataset and the questions (default: the local
	// embedder).
	Embedder embed.Embedder
	// Weaviate, when set, builds the dataset's index in collections of its
	// own on this cluster, dropped at the end, rather than in memory.
	Weaviate *weaviate.Config
	// Progress, when set, is told how many questions of how many are done.
	Progress func(done, total int)
	// Unanswerable also measures how often Herald answers a question whose
	// article is not in the index: it indexes half the dataset's pages and
	// asks the questions of the other half (hybrid retrieval).
	Unanswerable bool
}

// Report holds the figures of a run.
type Report struct {
	Dataset   string `json:"dataset"`
	Articles  int    `json:"articles"`
	Chunks    int    `json:"chunks"`
	Questions int    `json:"questions"`
	Limit     int    `json:"limit"`
	Seed      uint64 `json:"seed"`
	Embedder  string `json:"embedder"`
	// Store is the backend the index was built in: embedded or weaviate.
	Store string `json:"store"`
	// IngestSeconds is the time taken to build the index.
	IngestSeconds float64 `json:"ingest_seconds"`
	Modes         []Mode  `json:"modes"`
	// Unanswerable is set when Options.Unanswerable asked for it.
	Unanswerable *Unanswerable `json:"unanswerable,omitempty"`
	// Reader is the answerer given each question's gold paragraph.
	Reader Reader `json:"reader"`
}

// Unanswerable tells how Herald treats questions the index cannot answer:
// those of pages left out of it.
type Unanswerable struct {
	Questions int `json:"questions"`
	// Answered is the share that got an answer rather than "the corpus does
	// not cover this"; Flagged the share answered with the warning that the
	// passages match only part of the question.
	Answered float64 `json:"answered"`
	Flagged  float64 `json:"flagged"`
}

// Mode holds the figures of one retrieval mode. Shares are between 0 and 1.
type Mode struct {
	Retrieval string `json:"retrieval"`
	// RecallAt1, 5 and 20 are the shares of questions whose gold article
	// ranks in the first 1, 5 or 20; MRR is the mean reciprocal rank (0 when
	// not in the first 20).
	RecallAt1  float64 `json:"recall_at_1"`
	RecallAt5  float64 `json:"recall_at_5"`
	RecallAt20 float64 `json:"recall_at_20"`
	MRR        float64 `json:"mrr"`
	// BestSentence is the share of answers whose first (best) sentence
	// contains a gold answer; WholeAnswer the share whose whole answer does.
	BestSentence float64 `json:"best_sentence"`
	WholeAnswer  float64 `json:"whole_answer"`
	// NoAnswer is the share of questions Herald said the corpus does not
	// answer.
	NoAnswer float64 `json:"no_answer"`
	// AnswerWords is the mean length of the answers given, in words.
	AnswerWords float64 `json:"answer_words"`
	// ShortEM and ShortF1 score the short answers against the gold spans
	// (a question without one scores 0), end to end from the whole index.
	ShortEM float64 `json:"short_em"`
	ShortF1 float64 `json:"short_f1"`
	// AskP50Ms and AskP99Ms are the latencies of Engine.Ask, in
	// milliseconds, with Options.Workers questions in flight at once.
	AskP50Ms float64 `json:"ask_p50_ms"`
	AskP99Ms float64 `json:"ask_p99_ms"`
}

// evalAsOf is the reference time of relative dates in questions: the day
// of every article, so that "today" finds them.
var evalAsOf = squadDate

// Run ingests the dataset's articles into a fresh index and asks the
// questions in each retrieval mode.
func Run(ctx context.Context, ds Dataset, opts Options) (Report, error) {
	if len(opts.Retrievals) == 0 {
		opts.Retrievals = []rag.Retrieval{rag.KeywordsOnly, rag.VectorsOnly, rag.Hybrid}
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	items := Sample(ds.Items, opts.Limit, opts.Seed)
	start := time.Now()
	engine, st, drop, err := build(ctx, opts, ds.Articles)
	if err != nil {
		return Report{}, fmt.Errorf("ingesting %s: %w", ds.Name, err)
	}
	defer drop()
	rep := Report{
		Dataset: ds.Name, Articles: st.Articles, Chunks: st.Chunks, Questions: len(items),
		Limit: opts.Limit, Seed: opts.Seed, Embedder: st.Embedder, Store: "embedded",
		IngestSeconds: time.Since(start).Seconds(),
	}
	if opts.Weaviate != nil {
		rep.Store = "weaviate"
	}
	total := len(items) * len(opts.Retrievals)
	done := 0
	for _, r := range opts.Retrievals {
		m, err := runMode(ctx, engine, items, r, opts.Workers, func() {
			done++
			if opts.Progress != nil {
				opts.Progress(done, total)
			}
		})
		if err != nil {
			return Report{}, err
		}
		rep.Modes = append(rep.Modes, m)
	}
	if rep.Reader, err = readGold(ctx, ds, items); err != nil {
		return Report{}, err
	}
	if opts.Unanswerable {
		u, err := unanswerable(ctx, ds, items, opts)
		if err != nil {
			return Report{}, err
		}
		rep.Unanswerable = &u
	}
	return rep, nil
}

// build ingests articles into an index of their own (in memory, or on
// Weaviate) and returns an engine over it, with the evaluation's reference
// time, and what drops the index.
func build(ctx context.Context, opts Options, arts []corpus.Article) (*rag.Engine, rag.Stats, func(), error) {
	lib, _, drop, err := library.Scratch(ctx, library.Config{Embedder: opts.Embedder, Weaviate: opts.Weaviate}, arts)
	if err != nil {
		return nil, rag.Stats{}, nil, err
	}
	st, err := lib.Archive().Stats(ctx)
	if err != nil {
		drop()
		return nil, rag.Stats{}, nil, err
	}
	return rag.New(lib.Archive(), lib.Embedder(), rag.Options{Now: func() time.Time { return evalAsOf }}), st, drop, nil
}

// unanswerable indexes the articles of every other page and asks the
// questions of the pages left out.
func unanswerable(ctx context.Context, ds Dataset, items []Item, opts Options) (Unanswerable, error) {
	page := func(articleID string) string { return articleID[:strings.LastIndexByte(articleID, ':')] }
	pages := map[string]int{}
	for _, a := range ds.Articles {
		if _, ok := pages[page(a.ID)]; !ok {
			pages[page(a.ID)] = len(pages)
		}
	}
	var kept []corpus.Article
	for _, a := range ds.Articles {
		if pages[page(a.ID)]%2 == 0 {
			kept = append(kept, a)
		}
	}
	engine, _, drop, err := build(ctx, opts, kept)
	if err != nil {
		return Unanswerable{}, fmt.Errorf("ingesting half of %s: %w", ds.Name, err)
	}
	defer drop()
	var u Unanswerable
	var answered, flagged int
	for _, it := range items {
		if pages[page(it.ArticleID)]%2 == 0 {
			continue
		}
		a, err := engine.Ask(ctx, it.Question, rag.AskOptions{})
		if err != nil {
			return u, fmt.Errorf("question %s: %w", it.ID, err)
		}
		u.Questions++
		if a.Found {
			answered++
			if strings.Contains(a.Note, rag.PartialMatchNote) {
				flagged++
			}
		}
	}
	if u.Questions > 0 {
		u.Answered = float64(answered) / float64(u.Questions)
		u.Flagged = float64(flagged) / float64(u.Questions)
	}
	return u, nil
}

// Sample returns limit items drawn at random with seed, in a stable order;
// all of them when limit is 0 or covers them all.
func Sample(items []Item, limit int, seed uint64) []Item {
	if limit <= 0 || limit >= len(items) {
		return items
	}
	idx := rand.New(rand.NewPCG(seed, 0x5eed)).Perm(len(items))[:limit]
	sort.Ints(idx)
	out := make([]Item, limit)
	for i, j := range idx {
		out[i] = items[j]
	}
	return out
}

// outcome is what one question scored.
type outcome struct {
	rank        int // 1-based rank of the gold article; 0 when not in the top 20
	best, whole bool
	found       bool
	words       int
	em, f1      float64
	took        time.Duration
}

func runMode(ctx context.Context, engine *rag.Engine, items []Item, r rag.Retrieval, workers int, tick func()) (Mode, error) {
	outs := make([]outcome, len(items))
	errs := make(chan error, workers)
	next := make(chan int)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				o, err := ask(ctx, engine, items[i], r)
				if err != nil {
					errs <- err
					return
				}
				outs[i] = o
				mu.Lock()
				tick()
				mu.Unlock()
			}
		}()
	}
	var err error
feed:
	for i := range items {
		select {
		case next <- i:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	if err != nil {
		return Mode{}, fmt.Errorf("evaluating %s retrieval: %w", r, err)
	}
	return summarise(r, outs), nil
}

// ask puts one question to the engine twice: for the ranking of articles
// and for the answer a user would get.
func ask(ctx context.Context, engine *rag.Engine, it Item, r rag.Retrieval) (outcome, error) {
	var o outcome
	ranked, err := engine.Rank(ctx, it.Question, rag.AskOptions{K: 20, Retrieval: r})
	if err != nil {
		return o, fmt.Errorf("question %s: %w", it.ID, err)
	}
	for i, p := range ranked {
		if p.ArticleID == it.ArticleID {
			o.rank = i + 1
			break
		}
	}
	start := time.Now()
	a, err := engine.Ask(ctx, it.Question, rag.AskOptions{Retrieval: r})
	if err != nil {
		return o, fmt.Errorf("question %s: %w", it.ID, err)
	}
	o.took = time.Since(start)
	o.found = a.Found
	if a.Found {
		sentences := AnswerSentences(a.Text)
		o.words = len(strings.Fields(strings.Join(sentences, " ")))
		if len(sentences) > 0 {
			o.best = ContainsAny(sentences[0], it.Answers)
		}
		o.whole = ContainsAny(strings.Join(sentences, " "), it.Answers)
		if a.Short != "" {
			o.em, o.f1 = ExactMatch(a.Short, it.Answers), F1(a.Short, it.Answers)
		}
	}
	return o, nil
}

func summarise(r rag.Retrieval, outs []outcome) Mode {
	m := Mode{Retrieval: r.String()}
	if len(outs) == 0 {
		return m
	}
	var took []time.Duration
	var words, answered float64
	for _, o := range outs {
		if o.found {
			words += float64(o.words)
			answered++
		}
		if o.rank == 1 {
			m.RecallAt1++
		}
		if o.rank >= 1 && o.rank <= 5 {
			m.RecallAt5++
		}
		if o.rank >= 1 {
			m.RecallAt20++
			m.MRR += 1 / float64(o.rank)
		}
		if o.best {
			m.BestSentence++
		}
		if o.whole {
			m.WholeAnswer++
		}
		if !o.found {
			m.NoAnswer++
		}
		m.ShortEM += o.em
		m.ShortF1 += o.f1
		took = append(took, o.took)
	}
	n := float64(len(outs))
	for _, f := range []*float64{&m.RecallAt1, &m.RecallAt5, &m.RecallAt20, &m.MRR, &m.BestSentence, &m.WholeAnswer, &m.NoAnswer, &m.ShortEM, &m.ShortF1} {
		*f /= n
	}
	if answered > 0 {
		m.AnswerWords = words / answered
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	m.AskP50Ms = ms(took[len(took)/2])
	m.AskP99Ms = ms(took[min(len(took)-1, len(took)*99/100)])
	return m
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// reMarker matches a citation marker and the space around it.
var reMarker = regexp.MustCompile(`\s*\[\d+\]\s*`)

// AnswerSentences splits an extractive answer into its cited sentences.
func AnswerSentences(text string) []string {
	var out []string
	for _, s := range reMarker.Split(text, -1) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// ContainsAny reports whether text contains one of the answers, compared as
// SQuAD does: lower-cased, without punctuation, articles or extra space.
func ContainsAny(text string, answers []string) bool {
	t := " " + Normalize(text) + " "
	for _, a := range answers {
		if n := Normalize(a); n != "" && strings.Contains(t, " "+n+" ") {
			return true
		}
	}
	return false
}

// Normalize lower-cases s, drops punctuation and the articles a, an and the,
// and collapses white space: SQuAD's answer normalisation.
func Normalize(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	words := strings.Fields(s)
	out := words[:0]
	for _, w := range words {
		if w != "a" && w != "an" && w != "the" {
			out = append(out, w)
		}
	}
	return strings.Join(out, " ")
}
