package summary

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
)

// pool holds candidate sentences as TF-IDF vectors.
type pool struct {
	analyzer *analysis.Analyzer
	items    []item
	// fragments admits sentences that are not prose (table rows, headings).
	fragments bool
	weighed   bool
}

type item struct {
	text     string
	terms    []string
	vec      map[string]float64
	norm     float64
	passage  retrieve.Passage
	position int
}

func newPool(an *analysis.Analyzer) *pool { return &pool{analyzer: an} }

// add offers a sentence of passage p at position (its order in p).
func (sp *pool) add(text string, p retrieve.Passage, position int) {
	if !sp.fragments && !answer.IsProse(text) {
		return // table rows, headings, datelines
	}
	terms := sp.analyzer.Terms(nil, text)
	if len(terms) < 3 {
		return
	}
	sp.items = append(sp.items, item{text: text, terms: terms, passage: p, position: position})
}

// weigh turns every sentence into a TF-IDF vector, with one read of the
// archive's term statistics.
func (sp *pool) weigh(ctx context.Context, archive store.Archive) error {
	var all []string
	for _, it := range sp.items {
		all = append(all, it.terms...)
	}
	stats, err := archive.TermStats(ctx, all)
	if err != nil {
		return fmt.Errorf("reading term statistics: %w", err)
	}
	for i := range sp.items {
		it := &sp.items[i]
		it.vec = map[string]float64{}
		for _, t := range it.terms {
			it.vec[t] += stats.IDF(t)
		}
		var norm float64
		for _, v := range it.vec {
			norm += v * v
		}
		it.norm = math.Sqrt(norm)
	}
	sp.weighed = true
	return nil
}

func cosine(a, b item) float64 {
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
func (sp *pool) centrality() []float64 {
	centroid := item{vec: map[string]float64{}}
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

// The maximal marginal relevance of a sentence: mmrLambda of its relevance
// against the rest of its greatest similarity to one already picked;
// one more similar than nearDuplicate is never picked.
const (
	mmrLambda     = 0.7
	nearDuplicate = 0.6
)

// mmr picks k sentences by maximal marginal relevance: relevant, and unlike
// those already picked.
func (sp *pool) mmr(rel []float64, k int) []int {
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
			if maxSim > nearDuplicate {
				continue
			}
			if s := mmrLambda*rel[i] - (1-mmrLambda)*maxSim; s > bestScore {
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
func (sp *pool) byDate(chosen []int) {
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
func (sp *pool) answer(chosen []int) answer.Answer {
	var cs answer.Citations
	lines := make([]string, len(chosen))
	for i, idx := range chosen {
		it := sp.items[idx]
		lines[i] = fmt.Sprintf("- %s [%d]", it.text, cs.Cite(it.passage, it.text))
	}
	return answer.Answer{Text: strings.Join(lines, "\n"), Found: len(lines) > 0, Citations: cs.List()}
}
