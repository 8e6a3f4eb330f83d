package answer

import (
	"hash/maphash"
	"math"
	"math/rand/v2"
	"sort"
	"strings"
)

// A ReaderExample is a question, the lines an answer would quote for it,
// and which spans of them answer it.
type ReaderExample struct {
	Question string
	Terms    []string
	// Weights are how much each term counts (Question.IDF's coverage
	// weights); nil counts each alike.
	Weights map[string]float64
	Lines   []string
	Titles  []bool
	// IsGold reports whether a span's text is a right answer.
	IsGold func(text string) bool
}

// ReaderFit is what training a Reader saw.
type ReaderFit struct {
	Examples, Reachable, Features int
}

// Train learns the Reader's weights from examples by maximising the
// likelihood of the gold spans among each question's spans (a softmax over
// them), with AdaGrad steps and L2 shrinkage, over epochs passes in an
// order seeded by seed. A feature seen on fewer than minCount spans is
// left out: it says little and would swell the model. Questions none of whose spans is gold teach
// nothing and are skipped.
func (r *Reader) Train(examples []ReaderExample, epochs int, seed uint64, minCount int) ReaderFit {
	type item struct {
		spans [][]int
		gold  []bool
	}
	spans := make([][]readerSpan, len(examples))
	seen := map[string]int{}
	for i, ex := range examples {
		spans[i] = r.spans(r.question(ex.Question, ex.Terms, ex.Weights), ex.Lines, titleSet(ex.Titles))
		for _, sp := range spans[i] {
			for _, f := range sp.features {
				seen[f.String()]++
			}
		}
	}
	index := map[string]int{}
	for f, n := range seen {
		if n >= minCount {
			index[f] = len(index)
		}
	}
	var items []item
	for i, ex := range examples {
		it := item{}
		anyGold := false
		for _, sp := range spans[i] {
			ids := make([]int, 0, len(sp.features))
			for _, f := range sp.features {
				if id, ok := index[f.String()]; ok {
					ids = append(ids, id)
				}
			}
			g := ex.IsGold(sp.text)
			anyGold = anyGold || g
			it.spans, it.gold = append(it.spans, ids), append(it.gold, g)
		}
		if anyGold {
			items = append(items, it)
		}
	}
	w := make([]float64, len(index))
	g2 := make([]float64, len(index))
	const rate, l2 = 0.05, 1e-2
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	scores, grad := []float64{}, map[int]float64{}
	for range epochs {
		rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		for _, it := range items {
			scores = scores[:0]
			top := math.Inf(-1)
			for _, ids := range it.spans {
				s := 0.0
				for _, id := range ids {
					s += w[id]
				}
				scores = append(scores, s)
				top = math.Max(top, s)
			}
			var z, zg float64
			for i, s := range scores {
				e := math.Exp(s - top)
				z += e
				if it.gold[i] {
					zg += e
				}
			}
			clear(grad)
			for i, s := range scores {
				e := math.Exp(s-top) / z
				p := e
				if it.gold[i] {
					p -= e * z / zg // the gold spans' share of the target
				}
				if math.Abs(p) < 1e-6 {
					continue
				}
				for _, id := range it.spans[i] {
					grad[id] += p
				}
			}
			for id, gr := range grad {
				gr += l2 * w[id]
				g2[id] += gr * gr
				w[id] -= rate * gr / math.Sqrt(g2[id]+1e-8)
			}
		}
	}
	weights := make(map[string]float64, len(index))
	for f, id := range index {
		if math.Abs(w[id]) >= 1e-3 {
			weights[f] = w[id]
		}
	}
	r.setWeights(weights)
	return ReaderFit{Examples: len(examples), Reachable: len(items), Features: len(r.weights)}
}

// Weights returns the Reader's feature weights.
func (r *Reader) Weights() map[string]float64 { return r.weights }

func titleSet(titles []bool) map[int]bool {
	set := map[int]bool{}
	for i, t := range titles {
		if t {
			set[i] = true
		}
	}
	return set
}

// Best returns the Reader's short answer among the lines, the line it
// stands in, and the model's probability that it is right.
func (r *Reader) Best(question string, terms []string, weights map[string]float64, lines []string, titles []bool) (text string, line int, p float64) {
	q := r.question(question, terms, weights)
	if q.wh == "none" {
		return "", -1, 0 // no asking word: what would the span answer?
	}
	spans := r.spans(q, lines, titleSet(titles))
	if len(spans) == 0 {
		return "", -1, 0
	}
	top, best := math.Inf(-1), 0
	scores := make([]float64, len(spans))
	var h maphash.Hash
	h.SetSeed(r.seed)
	for i, sp := range spans {
		if scores[i] = r.score(sp, &h); scores[i] > top {
			top, best = scores[i], i
		}
	}
	z := 0.0
	for _, s := range scores {
		z += math.Exp(s - top)
	}
	// Of the likeliest spans, the one that overlaps the others most,
	// weighed by their probabilities: the expected F1 is highest.
	order := make([]int, len(spans))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return scores[order[i]] > scores[order[j]] })
	order = order[:min(len(order), mbrSpans)]
	bestGain := -1.0
	pick := best
	for _, i := range order {
		gain := 0.0
		for _, j := range order {
			gain += math.Exp(scores[j]-top) / z * overlapF1(spans[i].text, spans[j].text)
		}
		if gain > bestGain {
			bestGain, pick = gain, i
		}
	}
	return spans[pick].text, spans[pick].line, math.Exp(scores[pick]-top) / z
}

const mbrSpans = 10

// overlapF1 is the F1 of the words two spans share.
func overlapF1(a, b string) float64 {
	return TokenF1(strings.Fields(strings.ToLower(a)), strings.Fields(strings.ToLower(b)))
}

// TokenF1 is the F1 of the tokens a prediction shares with a reference,
// each token counted as often as both hold it (SQuAD's F1, given
// normalised tokens).
func TokenF1(prediction, reference []string) float64 {
	count := map[string]int{}
	for _, w := range reference {
		count[w]++
	}
	common := 0
	for _, w := range prediction {
		if count[w] > 0 {
			count[w]--
			common++
		}
	}
	if common == 0 {
		return 0
	}
	p, r := float64(common)/float64(len(prediction)), float64(common)/float64(len(reference))
	return 2 * p * r / (p + r)
}

// Reachable reports whether some span of the example's lines, as r reads
// them, is gold: the ceiling of any Reader on it.
func (r *Reader) Reachable(ex ReaderExample) bool {
	for _, sp := range r.spans(r.question(ex.Question, ex.Terms, ex.Weights), ex.Lines, titleSet(ex.Titles)) {
		if ex.IsGold(sp.text) {
			return true
		}
	}
	return false
}
