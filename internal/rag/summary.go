package rag

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
)

// SummaryRequest says what to summarise: one article, a topic, a period, or
// a topic within a period.
type SummaryRequest struct {
	// Article is an article ID or (part of) a title.
	Article string
	Topic   string
	Period  Period
	// Sentences bounds the summary (default 5).
	Sentences int
}

// ErrNoSuchArticle means no article matches a summary request.
var ErrNoSuchArticle = fmt.Errorf("no such article")

// Summarize writes an extractive summary: the most central sentences, with
// redundancy removed, each cited.
func (e *Engine) Summarize(ctx context.Context, req SummaryRequest) (Answer, error) {
	start := time.Now()
	if req.Sentences <= 0 {
		req.Sentences = 5
	}
	var a Answer
	var err error
	switch {
	case req.Article != "":
		a, err = e.summarizeArticle(req)
	case req.Topic != "":
		a, err = e.summarizeTopic(ctx, req)
	case !req.Period.IsZero():
		a = e.summarizePeriod(req)
	default:
		return Answer{}, questionError(nil, "a summary needs an article, a topic or a date")
	}
	if err != nil {
		return Answer{}, err
	}
	a.Answerer = "extractive"
	if e.llm != nil && a.Found {
		a = e.summaryByLLM(ctx, req, a)
	}
	a.Period = req.Period
	a.Took = time.Since(start)
	return a, nil
}

// summaryByLLM rewrites an extractive summary with the model, from the
// articles it drew on (whole articles, or the passages found for a topic).
// On failure the extractive summary stays, marked as a fallback.
func (e *Engine) summaryByLLM(ctx context.Context, req SummaryRequest, extractive Answer) Answer {
	var sources []Passage
	switch {
	case req.Article != "":
		if art, _, ok := e.index.FindArticle(req.Article); ok {
			sources = append(sources, Passage{ArticleID: art.ID, Title: art.Title, URL: art.URL, Date: art.Date, Text: art.Body})
		}
	case req.Topic != "":
		ps, err := e.index.Search(ctx, req.Topic, SearchOptions{K: 12, PerArticle: 2, Period: req.Period})
		if err == nil {
			byArticle := map[string]int{}
			for _, p := range ps {
				if p.Coverage < DefaultMinCoverage/2 {
					continue
				}
				if i, ok := byArticle[p.ArticleID]; ok {
					sources[i].Text += " " + p.Text
					continue
				}
				byArticle[p.ArticleID] = len(sources)
				sources = append(sources, p)
			}
		}
	default:
		infos := e.index.Articles(req.Period)
		if len(infos) > maxPeriodArticles {
			infos = infos[:maxPeriodArticles]
		}
		for _, info := range infos {
			if art, ok := e.index.Article(info.ID); ok {
				lead := strings.Join(sentences(art.Body)[:min(3, len(sentences(art.Body)))], " ")
				sources = append(sources, Passage{ArticleID: art.ID, Title: art.Title, URL: art.URL, Date: art.Date, Text: lead})
			}
		}
	}
	if len(sources) == 0 {
		return extractive
	}
	heading := strings.TrimPrefix(extractive.Heading, "Summary of ")
	a, err := e.summarizeLLM(ctx, heading, sources)
	if err != nil {
		extractive.Answerer = "extractive (fallback)"
		extractive.Fallback = fallbackReason(err)
		extractive.Note = strings.TrimSpace(extractive.Note + " The language model " + extractive.Fallback + ", so this is Herald's offline extractive summary.")
		return extractive
	}
	a.Heading, a.Question = extractive.Heading, extractive.Question
	if extractive.Note != "" {
		a.Note = extractive.Note + " " + a.Note
	}
	return a
}

// FindArticle resolves an article ID or title: an exact ID, an exact title
// (ignoring case), titles containing the text (the newest wins), or the
// title sharing most words with it. others lists further matches, newest
// first, when the reference was ambiguous.
func (ix *Index) FindArticle(ref string) (found corpus.Article, others []ArticleInfo, ok bool) {
	ref = strings.TrimSpace(ref)
	if a, ok := ix.Article(ref); ok {
		return a, nil, true
	}
	lower := strings.ToLower(ref)
	all := ix.Articles(Period{})
	for _, info := range all {
		if strings.ToLower(info.Title) == lower {
			a, ok := ix.Article(info.ID)
			return a, nil, ok
		}
	}
	var matches []ArticleInfo
	for _, info := range all {
		if strings.Contains(strings.ToLower(info.Title), lower) {
			matches = append(matches, info)
		}
	}
	if len(matches) > 0 {
		a, ok := ix.Article(matches[0].ID)
		return a, matches[1:], ok
	}
	want := toSet(ix.Terms(ref))
	bestID, best := "", 0.0
	for _, info := range all {
		if s := jaccard(want, toSet(ix.Terms(info.Title))); s > best {
			bestID, best = info.ID, s
		}
	}
	if best >= 0.5 {
		a, ok := ix.Article(bestID)
		return a, nil, ok
	}
	return corpus.Article{}, nil, false
}

func (e *Engine) summarizeArticle(req SummaryRequest) (Answer, error) {
	art, others, ok := e.index.FindArticle(req.Article)
	if !ok {
		return Answer{}, questionError(ErrNoSuchArticle, "no article matches %q: give an article ID or words of its title", req.Article)
	}
	p := Passage{ArticleID: art.ID, Title: art.Title, URL: art.URL, Date: art.Date}
	pool := e.newPool()
	for _, fragments := range []bool{false, true} {
		// Prose first; an article of tables only is summarised as it is.
		pool.fragments = fragments
		for i, s := range sentences(art.Body) {
			pool.add(s, p, i)
		}
		if len(pool.items) > 0 {
			break
		}
	}
	rel := pool.centrality()
	for i := range rel {
		if pool.items[i].position == 0 {
			rel[i] += 0.1 // the lede
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

func (e *Engine) summarizeTopic(ctx context.Context, req SummaryRequest) (Answer, error) {
	q := Question{Text: req.Topic, Query: req.Topic, Period: req.Period}
	heading := fmt.Sprintf("Summary of “%s”", req.Topic)
	if !req.Period.IsZero() {
		heading += ", " + req.Period.String()
		if a, empty := e.emptyPeriod(q); empty {
			a.Heading = heading
			return a, nil
		}
	}
	passages, err := e.index.Search(ctx, req.Topic, SearchOptions{K: 12, PerArticle: 2, Period: req.Period})
	if err != nil {
		return Answer{}, fmt.Errorf("summarising a topic: %w", err)
	}
	best := bestCoverage(passages)
	if best < DefaultMinCoverage {
		a := notCovered(q, passages)
		a.Heading = heading
		return a, nil
	}
	weights := termWeights{}
	for _, t := range e.index.Terms(req.Topic) {
		weights[t] = e.index.IDF(t)
	}
	pool := e.newPool()
	for _, p := range passages {
		if p.Coverage < DefaultMinCoverage/2 {
			continue
		}
		for i, s := range sentences(p.Text) {
			pool.add(s, p, i)
		}
	}
	cent := pool.centrality()
	rel := make([]float64, len(pool.items))
	for i, it := range pool.items {
		rel[i] = 0.6*coverage(weights, it.terms) + 0.4*cent[i]
	}
	chosen := pool.mmr(rel, req.Sentences)
	pool.byDate(chosen)
	a := pool.answer(chosen)
	a.Heading = heading
	return a, nil
}

// ambiguityNote names the other articles a title reference matched.
func ambiguityNote(ref string, others []ArticleInfo) string {
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

func (e *Engine) summarizePeriod(req SummaryRequest) Answer {
	infos := e.index.Articles(req.Period)
	heading := "Summary of " + req.Period.String()
	if len(infos) == 0 {
		return Answer{Heading: heading, Text: e.noArticlesText(req.Period)}
	}
	note := fmt.Sprintf("%s dated %s.", countOf(len(infos), "article"), req.Period.String())
	if len(infos) > maxPeriodArticles {
		note = fmt.Sprintf("%d articles dated %s; %d of them, spread evenly over the period, were read.", len(infos), req.Period.String(), maxPeriodArticles)
		sampled := make([]ArticleInfo, 0, maxPeriodArticles)
		for i := 0; i < maxPeriodArticles; i++ {
			sampled = append(sampled, infos[i*len(infos)/maxPeriodArticles])
		}
		infos = sampled
	}
	pool := e.newPool()
	for _, info := range infos {
		art, ok := e.index.Article(info.ID)
		if !ok {
			continue
		}
		p := Passage{ArticleID: art.ID, Title: art.Title, URL: art.URL, Date: art.Date}
		// The first two sentences of a news article carry its news.
		for i, s := range sentences(art.Body) {
			if i == 2 {
				break
			}
			pool.add(s, p, i)
		}
	}
	chosen := pool.mmr(pool.centrality(), req.Sentences)
	pool.byDate(chosen)
	a := pool.answer(chosen)
	a.Heading, a.Note = heading, note
	return a
}

// sentences returns the sentences of text with white space collapsed.
func sentences(text string) []string {
	spans := corpus.SplitSentences(text)
	out := make([]string, 0, len(spans))
	for _, sp := range spans {
		out = append(out, strings.Join(strings.Fields(text[sp.Start:sp.End]), " "))
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

// sentencePool holds candidate sentences as TF-IDF vectors.
type sentencePool struct {
	idf   func(string) float64
	terms func(string) []string
	items []poolItem
	// fragments admits sentences that are not prose (table rows, headings).
	fragments bool
}

type poolItem struct {
	text     string
	terms    []string
	vec      map[string]float64
	norm     float64
	passage  Passage
	position int
}

func (e *Engine) newPool() *sentencePool {
	idf := map[string]float64{}
	return &sentencePool{
		terms: e.index.Terms,
		idf: func(t string) float64 {
			v, ok := idf[t]
			if !ok {
				v = e.index.IDF(t)
				idf[t] = v
			}
			return v
		},
	}
}

func (sp *sentencePool) add(text string, p Passage, position int) {
	if !sp.fragments && !isProse(text) {
		return // table rows, headings, datelines
	}
	terms := sp.terms(text)
	if len(terms) < 3 {
		return
	}
	vec := map[string]float64{}
	for _, t := range terms {
		vec[t] += sp.idf(t)
	}
	var norm float64
	for _, v := range vec {
		norm += v * v
	}
	sp.items = append(sp.items, poolItem{text: text, terms: terms, vec: vec, norm: math.Sqrt(norm), passage: p, position: position})
}

func cosine(a, b poolItem) float64 {
	if a.norm == 0 || b.norm == 0 {
		return 0
	}
	if len(a.vec) > len(b.vec) {
		a, b = b, a
	}
	var dot float64
	for t, v := range a.vec {
		dot += v * b.vec[t]
	}
	return dot / (a.norm * b.norm)
}

// centrality scores each sentence by its cosine to the pool's centroid.
func (sp *sentencePool) centrality() []float64 {
	centroid := poolItem{vec: map[string]float64{}}
	for _, it := range sp.items {
		for t, v := range it.vec {
			centroid.vec[t] += v / it.norm
		}
	}
	for _, v := range centroid.vec {
		centroid.norm += v * v
	}
	centroid.norm = math.Sqrt(centroid.norm)
	out := make([]float64, len(sp.items))
	for i, it := range sp.items {
		out[i] = cosine(it, centroid)
	}
	return out
}

// mmr picks k sentences by maximal marginal relevance: relevant, and unlike
// those already picked.
func (sp *sentencePool) mmr(rel []float64, k int) []int {
	const lambda = 0.7
	var chosen []int
	used := make([]bool, len(sp.items))
	for len(chosen) < k {
		best, bestScore := -1, math.Inf(-1)
		for i := range sp.items {
			if used[i] {
				continue
			}
			maxSim := 0.0
			for _, j := range chosen {
				maxSim = max(maxSim, cosine(sp.items[i], sp.items[j]))
			}
			if maxSim > 0.6 {
				continue // near-duplicate
			}
			if s := lambda*rel[i] - (1-lambda)*maxSim; s > bestScore {
				best, bestScore = i, s
			}
		}
		if best < 0 {
			break
		}
		used[best] = true
		chosen = append(chosen, best)
	}
	return chosen
}

// byDate orders chosen sentences by article date, then position.
func (sp *sentencePool) byDate(chosen []int) {
	sort.SliceStable(chosen, func(i, j int) bool {
		a, b := sp.items[chosen[i]], sp.items[chosen[j]]
		if !a.passage.Date.Equal(b.passage.Date) {
			return a.passage.Date.Before(b.passage.Date)
		}
		if a.passage.ArticleID != b.passage.ArticleID {
			return a.passage.ArticleID < b.passage.ArticleID
		}
		return a.position < b.position
	})
}

// answer renders chosen sentences as cited bullet lines.
func (sp *sentencePool) answer(chosen []int) Answer {
	var cs citations
	lines := make([]string, len(chosen))
	for i, idx := range chosen {
		it := sp.items[idx]
		lines[i] = fmt.Sprintf("- %s [%d]", it.text, cs.cite(it.passage, it.text))
	}
	return Answer{Text: strings.Join(lines, "\n"), Found: len(lines) > 0, Citations: cs.list}
}
