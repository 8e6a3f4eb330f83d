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
	// WholeAnswer is the share whose whole answer contains a gold answer.
	WholeAnswer float64 `json:"whole_answer"`
	AnswerWords float64 `json:"answer_words"`
}

// readGold answers every item from its gold article alone, with IDF
// weights counted over the dataset's articles.
func readGold(ctx context.Context, ds Dataset, items []Item) (Reader, error) {
	an := analysis.NewIndex()
	stats := store.TermStats{DocFreq: map[string]int{}}
	byID := make(map[string]corpus.Article, len(ds.Articles))
	for _, a := range ds.Articles {
		byID[a.ID] = a
		stats.Chunks++
		seen := map[string]bool{}
		for _, t := range an.Terms(nil, a.Title+"\n"+a.Body) {
			if !seen[t] {
				seen[t] = true
				stats.DocFreq[t]++
			}
		}
	}
	ex := answer.NewExtractive()
	var r Reader
	var words, answered float64
	for _, it := range items {
		art, ok := byID[it.ArticleID]
		if !ok {
			return r, fmt.Errorf("question %s: no article %s", it.ID, it.ArticleID)
		}
		terms := an.Terms(nil, it.Question)
		idf := retrieve.IDFWeights(terms, stats)
		q := answer.Question{Text: it.Question, Query: it.Question, Terms: terms, IDF: idf, MaxIDF: stats.MaxIDF()}
		p := retrieve.Passage{ChunkID: art.ID + "#0", ArticleID: art.ID, Title: art.Title, Date: art.Date, Text: art.Body, Score: 1}
		p.Coverage = retrieve.Coverage(idf.ForCoverage(q.MaxIDF), an.Terms(nil, art.Title+"\n"+art.Body))
		a, err := ex.Answer(ctx, q, []retrieve.Passage{p})
		if err != nil {
			return r, fmt.Errorf("question %s: %w", it.ID, err)
		}
		r.Questions++
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
			r.ShortEM += ExactMatch(a.Short, it.Answers)
			r.ShortF1 += F1(a.Short, it.Answers)
		}
	}
	if n := float64(r.Questions); n > 0 {
		r.ShortEM, r.ShortF1, r.ShortGiven, r.WholeAnswer = r.ShortEM/n, r.ShortF1/n, r.ShortGiven/n, r.WholeAnswer/n
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
		gt := strings.Fields(Normalize(g))
		counts := map[string]int{}
		for _, t := range gt {
			counts[t]++
		}
		common := 0
		for _, t := range pt {
			if counts[t] > 0 {
				counts[t]--
				common++
			}
		}
		if common == 0 {
			continue
		}
		prec, rec := float64(common)/float64(len(pt)), float64(common)/float64(len(gt))
		best = max(best, 2*prec*rec/(prec+rec))
	}
	return best
}
