package store

import "math"

// IDF is the BM25 inverse document frequency of a term held by withTerm of
// chunks chunks; a term no chunk holds gets the highest value.
func IDF(chunks, withTerm int) float64 {
	return math.Log(1 + (float64(chunks)-float64(withTerm)+0.5)/(float64(withTerm)+0.5))
}

// IDF returns the inverse document frequency of term (the highest value
// for a term the statistics do not list).
func (s TermStats) IDF(term string) float64 { return IDF(s.Chunks, s.DocFreq[term]) }

// MaxIDF is the IDF of a term no chunk holds.
func (s TermStats) MaxIDF() float64 { return IDF(s.Chunks, 0) }
