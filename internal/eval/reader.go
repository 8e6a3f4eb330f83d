package eval

import (
	"context"
	"fmt"
	"strings"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
)

// Reader holds the figures of the extractive answerer given each
// question's gold paragraph, as the SQuAD paper's readers are measured:
// no retrieval, one passage, the short answer scored by exact match and
// token F1 against the gold spans.
type Reader struct {
	Questions int `json:"questions"`
	// ShortEM and ShortF1 score the short answer (0 when none is given);
	// ShortGiven is the share of questions that got one.
	ShortEM    float64 `json:"short_em"`
	ShortF1    float64 `json:"short_f1"`
	ShortGiven float64 `json:"short_given"`
	// HeldOutEM and HeldOutF1 are the same on the questions of SQuAD's odd
	// pages only, which the embedded Reader was not trained on: the
	// figures to compare with other readers.
	HeldOutEM float64 `json:"held_out_short_em"`
	HeldOutF1 float64 `json:"held_out_short_f1"`
	// WholeAnswer is the share whose whole answer contains a gold answer.
	WholeAnswer float64 `json:"whole_answer"`
	AnswerWords float64 `json:"answer_words"`
}

// goldReader asks questions of their gold paragraphs alone, with IDF
// weights counted over the dataset's articles.
type goldReader struct {
	an    *analysis.Analyzer
	stats store.TermStats
	byID  map[string]corpus.Article
	pages map[string]int
	ex    *answer.Extractive
}

func newGoldReader(ds Dataset) *goldReader {
	g := &goldReader{an: analysis.NewIndex(), stats: store.TermStats{DocFreq: map[string]int{}},
		byID: make(map[string]corpus.Article, len(ds.Articles)), pages: map[string]int{}, ex: answer.NewExtractive()}
	for _, a := range ds.Articles {
		g.byID[a.ID] = a
		if _, ok := g.pages[page(a.ID)]; !ok {
			g.pages[page(a.ID)] = len(g.pages)
		}
		g.stats.Chunks++
		seen := map[string]bool{}
		for _, t := range g.an.Terms(nil, a.Title+"\n"+a.Body) {
			if !seen[t] {
				seen[t] = true
				g.stats.DocFreq[t]++
			}
		}
	}
	return g
}

// page is the SQuAD page an article (a paragraph) belongs to.
func page(articleID string) string { return articleID[:max(0, strings.LastIndexByte(articleID, ':'))] }

// heldOut reports whether an item's page is one of the odd pages, which
// the embedded Reader was not trained on.
func (g *goldReader) heldOut(it Item) bool { return g.pages[page(it.ArticleID)]%2 == 1 }

// question is an item's question, ready for the answerer, and its gold
// paragraph as the one passage.
func (g *goldReader) question(it Item) (answer.Question, []retrieve.Passage, error) {
	art, ok := g.byID[it.ArticleID]
	if !ok {
		return answer.Question{}, nil, fmt.Errorf("question %s: no article %s", it.ID, it.ArticleID)
	}
	terms := g.an.Terms(nil, it.Question)
	idf := retrieve.IDFWeights(terms, g.stats)
	q := answer.Question{Text: it.Question, Query: it.Question, Terms: terms, IDF: idf, MaxIDF: g.stats.MaxIDF()}
	p := retrieve.Passage{ChunkID: art.ID + "#0", ArticleID: art.ID, Title: art.Title, Date: art.Date, Text: art.Body, Score: 1}
	p.Coverage = retrieve.Coverage(idf.ForCoverage(q.MaxIDF), g.an.Terms(nil, art.Title+"\n"+art.Body))
	return q, []retrieve.Passage{p}, nil
}

// readGold answers every item from its gold paragraph alone.
func readGold(ctx context.Context, ds Dataset, items []Item) (Reader, error) {
	g := newGoldReader(ds)
	var r Reader
	var words, answered, heldOut float64
	for _, it := range items {
		q, p, err := g.question(it)
		if err != nil {
			return r, err
		}
		a, err := g.ex.Answer(ctx, q, p)
		if err != nil {
			return r, fmt.Errorf("question %s: %w", it.ID, err)
		}
		r.Questions++
		if g.heldOut(it) {
			heldOut++
		}
		if !a.Found {
			continue
		}
		answered++
		sentences := AnswerSentences(a.Text)
		words += float64(len(strings.Fields(strings.Join(sentences, " "))))
		if ContainsAny(strings.Join(sentences, " "), it.Answers) {
			r.WholeAnswer++
		}
		if a.Short != "" {
			r.ShortGiven++
			em, f1 := ExactMatch(a.Short, it.Answers), F1(a.Short, it.Answers)
			r.ShortEM += em
			r.ShortF1 += f1
			if g.heldOut(it) {
				r.HeldOutEM += em
				r.HeldOutF1 += f1
			}
		}
	}
	if n := float64(r.Questions); n > 0 {
		r.ShortEM, r.ShortF1, r.ShortGiven, r.WholeAnswer = r.ShortEM/n, r.ShortF1/n, r.ShortGiven/n, r.WholeAnswer/n
	}
	if heldOut > 0 {
		r.HeldOutEM, r.HeldOutF1 = r.HeldOutEM/heldOut, r.HeldOutF1/heldOut
	}
	if answered > 0 {
		r.AnswerWords = words / answered
	}
	return r, nil
}

// ExactMatch is 1 when the prediction equals a gold answer once both are
// normalised as SQuAD does, else 0.
func ExactMatch(prediction string, golds []string) float64 {
	p := Normalize(prediction)
	for _, g := range golds {
		if Normalize(g) == p {
			return 1
		}
	}
	return 0
}

// F1 is SQuAD's token F1 of the prediction against its best gold answer.
func F1(prediction string, golds []string) float64 {
	pt := strings.Fields(Normalize(prediction))
	best := 0.0
	for _, g := range golds {
		best = max(best, answer.TokenF1(pt, strings.Fields(Normalize(g))))
	}
	return best
}
