package retrieve

import (
	"slices"

	"github.com/herald-news/herald/internal/rag/store"
)

// Weights maps each distinct term of a question to its weight.
type Weights map[string]float64

// IDFWeights weighs each of terms by its IDF.
func IDFWeights(terms []string, st store.TermStats) Weights {
	w := make(Weights, len(terms))
	for _, t := range terms {
		w[t] = st.IDF(t)
	}
	return w
}

// ForCoverage turns IDF weights into the weights used to judge coverage:
// 1 + idf/maxIDF, between 1 and 2. Every word of a question counts, and
// rare ones count up to twice as much; in a small corpus, where a word
// found in every article has an IDF near zero, the question's main
// subjects still count. maxIDF is the IDF of a term no article has.
func (w Weights) ForCoverage(maxIDF float64) Weights {
	out := make(Weights, len(w))
	for t, v := range w {
		if maxIDF > 0 {
			out[t] = 1 + v/maxIDF
		} else {
			out[t] = 1
		}
	}
	return out
}

// Coverage is the share of the weight of w whose terms appear in terms.
func Coverage(w Weights, terms []string) float64 {
	total, found := w.total(), 0.0
	if total == 0 {
		return 0
	}
	seen := make(map[string]bool, len(w))
	for _, t := range terms {
		if v, ok := w[t]; ok && !seen[t] {
			seen[t] = true
			found += v
		}
	}
	return found / total
}

// total sums the weights in the order of their terms: summed in a map's
// order, the last bits of a coverage changed from run to run, and with
// them which of two equal sentences came first.
// The terms are sorted in a buffer on the stack: a question has a few, and
// this runs for every sentence the rerank and the answerer read.
func (w Weights) total() float64 {
	var buf [16]string
	terms := buf[:0]
	for t := range w {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	var total float64
	for _, t := range terms {
		total += w[t]
	}
	return total
}

// BestCoverage is the highest coverage among passages (0 for none).
func BestCoverage(passages []Passage) float64 {
	best := 0.0
	for _, p := range passages {
		best = max(best, p.Coverage)
	}
	return best
}

// PairBonus counts adjacent question-term pairs that also stand together
// in the sentence, capped at 2.
func PairBonus(qterms, terms []string) float64 {
	pairs := make(map[[2]string]bool, len(terms))
	for i := 1; i < len(terms); i++ {
		pairs[[2]string{terms[i-1], terms[i]}] = true
	}
	n := 0
	for i := 1; i < len(qterms) && n < 2; i++ {
		if pairs[[2]string{qterms[i-1], qterms[i]}] {
			n++
		}
	}
	return float64(n)
}
