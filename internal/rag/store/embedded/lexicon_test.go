package embedded

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
)

// TestLexiconMatchesBruteForce checks BM25 search against a plain scoring
// of every chunk, with removed chunks, a filter and repeated searches (the
// scratch is reused), for k from one to more than match.
func TestLexiconMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l := newLexicon()
	const n = 500
	docs := make([][]string, n)
	for i := range docs {
		for range 5 + rng.IntN(30) {
			docs[i] = append(docs[i], fmt.Sprintf("w%d", int(rng.ExpFloat64()*8)))
		}
		l.add(int32(i), docs[i])
	}
	for i := 0; i < n; i += 7 {
		l.remove(int32(i))
	}
	even := func(d int32) bool { return d%2 == 0 }
	for round := range 40 {
		query := []string{fmt.Sprintf("w%d", rng.IntN(12)), fmt.Sprintf("w%d", rng.IntN(30)), "w0", "nowhere"}
		allow := map[bool]func(int32) bool{false: nil, true: even}[round%2 == 1]
		k := []int{1, 5, 64, 1000}[round%4]
		got := l.search(query, k, allow, nil)
		want := bruteBM25(l, docs, query, allow)
		want = want[:min(k, len(want))]
		if len(got) != len(want) {
			t.Fatalf("round %d (%v, k=%d): %d hits, want %d", round, query, k, len(got), len(want))
		}
		for i := range got {
			if got[i].doc != want[i].doc || abs(float32(got[i].score-want[i].score)) > 1e-9 {
				t.Fatalf("round %d (%v, k=%d): hit %d is %+v, want %+v", round, query, k, i, got[i], want[i])
			}
		}
	}
}

func bruteBM25(l *lexicon, docs [][]string, query []string, allow func(int32) bool) []scoredDoc {
	avg := float64(l.totalLen) / float64(l.live)
	seen := map[string]bool{}
	var uniq []string
	for _, q := range query {
		if !seen[q] {
			seen[q] = true
			uniq = append(uniq, q)
		}
	}
	var out []scoredDoc
	for d, words := range docs {
		if !l.alive[d] || (allow != nil && !allow(int32(d))) {
			continue
		}
		var score float64
		for _, q := range uniq {
			tf := 0.0
			for _, w := range words {
				if w == q {
					tf++
				}
			}
			if tf == 0 {
				continue
			}
			norm := bm25K1 * (1 - bm25B + bm25B*float64(len(words))/avg)
			score += l.idf(q) * tf * (bm25K1 + 1) / (tf + norm)
		}
		if score > 0 {
			out = append(out, scoredDoc{int32(d), score})
		}
	}
	byScore := worstFirst{before: func(a, b int32) bool { return a < b }}
	sort.Slice(out, func(i, j int) bool { return byScore.better(out[i], out[j]) })
	return out
}
