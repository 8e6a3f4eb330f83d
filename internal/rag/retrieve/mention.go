package retrieve

import (
	"context"
	"strings"

	"github.com/herald-news/herald/internal/rag/analysis"
)

// Mentioning keeps the passages that mention every one of the date words,
// in their title or text, and scores their coverage of query anew. With
// sentencesOnly set, each passage is narrowed to its sentences that mention
// them all, and its coverage counts those sentences alone. It keeps the
// first k.
func (r *Retriever) Mentioning(ctx context.Context, passages []Passage, query string, words []string, k int, sentencesOnly bool) ([]Passage, error) {
	want := r.Terms(strings.Join(words, " "))
	idf, maxIDF, err := r.Weights(ctx, query)
	if err != nil {
		return nil, err
	}
	weights := idf.ForCoverage(maxIDF)
	var out []Passage
	for _, p := range passages {
		if sentencesOnly {
			var kept []string
			for _, s := range analysis.Sentences(p.Text) {
				if hasAll(r.Terms(s), want) {
					kept = append(kept, s)
				}
			}
			p.Text = strings.Join(kept, " ")
		}
		scope := p.Title + "\n" + p.Text
		if sentencesOnly {
			scope = p.Text // the sentences must answer on their own
		}
		if p.Text == "" || !hasAll(r.Terms(scope), want) {
			continue
		}
		p.Coverage = Coverage(weights, r.Terms(scope))
		out = append(out, p)
		if len(out) == k {
			break
		}
	}
	return out, nil
}

// hasAll reports whether terms holds every one of want.
func hasAll(terms []string, want []string) bool {
	set := make(map[string]bool, len(terms))
	for _, t := range terms {
		set[t] = true
	}
	for _, t := range want {
		if !set[t] {
			return false
		}
	}
	return true
}
