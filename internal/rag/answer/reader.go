package answer

import (
	"hash/maphash"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/herald-news/herald/internal/rag/analysis"
)

// A Reader picks the short answer of a question from the lines an answer
// quotes, by a log-linear model over every span of up to maxSpanWords
// words: what shape the span has for what the question asks, what stands
// beside it, how near the question's words it stands, and whether the
// question already says it. Its weights are learnt (Train) from questions
// with gold answers; DefaultReader has those learnt on SQuAD. This file
// reads; reader_train.go learns; reader_model.go stores. A Reader is safe
// for concurrent use.
type Reader struct {
	an      *analysis.Analyzer
	weights map[string]float64
	// seed and hashed key the weights by the features' hashes, which
	// scoring computes without building names.
	seed   maphash.Seed
	hashed map[uint64]float64
}

// NewReader returns a reader with the given feature weights.
func NewReader(weights map[string]float64) *Reader {
	r := &Reader{an: analysis.NewIndex(), seed: maphash.MakeSeed()}
	r.setWeights(weights)
	return r
}

func (r *Reader) setWeights(weights map[string]float64) {
	r.weights, r.hashed = weights, make(map[uint64]float64, len(weights))
	var h maphash.Hash
	h.SetSeed(r.seed)
	for f, w := range weights {
		h.Reset()
		h.WriteString(f)
		r.hashed[h.Sum64()] = w
	}
}

// maxSpanWords is the longest short answer a Reader considers: SQuAD's
// gold answers are of five words or fewer in four cases out of five.
const maxSpanWords = 5

// reToken is a word ("U.S", "1,000", "Rolls-Royce", "O'Neill") or one mark.
var reToken = regexp.MustCompile(`[\p{L}\p{N}]+(?:['’.,&/-][\p{L}\p{N}]+)*|[^\s\p{L}\p{N}]`)

// token is a word or a mark of a line, with its index term ("" for a stop
// word or a mark) and byte offsets.
type token struct {
	text       string
	term       string
	start, end int
	word       bool
	// lower, shape and closed are the token lower-cased, its shape
	// and its closed-class form (a stop word itself, another word its
	// shape), read once; stop is set for a stop word.
	lower, shape, closed string
	stop                 bool
}

// readerQuestion is what a Reader needs of a question.
type readerQuestion struct {
	// wh is its asking words ("when", "how many", "what"), whNext that
	// and the word after ("what year", "what is").
	wh, whNext string
	// focus is the term of the first content word after "what" or
	// "which" ("team" of "What team won…?").
	focus string
	terms map[string]bool
	// weight is how much each term counts (its IDF share); total their sum.
	weight map[string]float64
	total  float64
	words  map[string]bool
	text   string
	kind   questionKind
}

// A readerSpan is a candidate short answer: a run of words of a line, and
// what the Reader weighs about it.
type readerSpan struct {
	line, start, end int // line index, token range [start, end)
	text             string
	features         []feature
}

// A feature is a fact about a span, in a group (the question's asking
// words, or the kind of answer expected) with which it is weighed:
// "when|left=in".
type feature struct{ group, name, value string }

// String is the feature as the model names it: "group|name=value".
func (f feature) String() string { return f.group + "|" + f.name + "=" + f.value }

// hash is the feature's key among the Reader's weights, computed without
// building its name.
func (f feature) hash(h *maphash.Hash) uint64 {
	h.Reset()
	h.WriteString(f.group)
	h.WriteByte('|')
	h.WriteString(f.name)
	h.WriteByte('=')
	h.WriteString(f.value)
	return h.Sum64()
}

// tokens splits a line into its words and marks, each read once.
func (r *Reader) tokens(s string) []token {
	var out []token
	var terms []string
	for _, m := range reToken.FindAllStringIndex(s, -1) {
		t := token{text: s[m[0]:m[1]], start: m[0], end: m[1]}
		t.word = unicode.IsLetter([]rune(t.text)[0]) || unicode.IsDigit([]rune(t.text)[0])
		if t.word {
			if terms = r.an.Terms(terms[:0], t.text); len(terms) > 0 {
				t.term = terms[0]
			}
		}
		t.lower = strings.ToLower(t.text)
		t.shape = shape(t)
		t.closed, t.stop = t.shape, analysis.IsStopWord(t.lower)
		if t.stop {
			t.closed = t.lower // a stop word is itself
		}
		out = append(out, t)
	}
	return out
}

var whWords = map[string]bool{"what": true, "which": true, "who": true, "whom": true, "whose": true, "when": true, "where": true, "why": true, "how": true}

func (r *Reader) question(text string, terms []string, weight map[string]float64) readerQuestion {
	q := readerQuestion{text: text, terms: toSet(terms), words: wordSet(text), kind: questionCue(text), wh: "none", whNext: "none", weight: weight}
	for _, t := range slices.Sorted(maps.Keys(q.terms)) {
		q.total += q.termWeight(t) // in one order: the same sum every time
	}
	toks := r.tokens(text)
	for i, t := range toks {
		w := strings.ToLower(t.text)
		if !whWords[w] {
			continue
		}
		q.wh, q.whNext = w, w
		if i+1 < len(toks) && toks[i+1].word {
			next := strings.ToLower(toks[i+1].text)
			q.whNext = w + " " + next
			if w == "how" {
				q.wh = q.whNext
			}
		}
		if w == "what" || w == "which" {
			for _, n := range toks[i+1:] {
				if n.term != "" {
					q.focus = n.term
					break
				}
			}
		}
		break
	}
	return q
}

// termWeight is how much a term of the question counts: 1 when the
// question came with no weights.
func (q readerQuestion) termWeight(t string) float64 {
	if w, ok := q.weight[t]; ok {
		return w
	}
	return 1
}

// shape is the form of a word: a year, a number, a month, a capitalised
// word, a stop word or a lower-case word.
func shape(t token) string {
	w := t.text
	r := []rune(w)
	switch {
	case !t.word:
		return w
	case len(w) == 4 && (strings.HasPrefix(w, "1") || strings.HasPrefix(w, "20")) && strings.Trim(w, "0123456789") == "":
		return "y"
	case unicode.IsDigit(r[0]):
		return "d"
	case reMonthWord.MatchString(w):
		return "m"
	case analysis.IsStopWord(strings.ToLower(w)):
		return "s"
	case unicode.IsUpper(r[0]):
		return "C"
	}
	return "c"
}

// isCurrency reports whether s is a currency mark, with which a span may
// begin ("$200 billion"); "%" may end one.
func isCurrency(s string) bool { return strings.ContainsAny(s, "$£€¥") && len([]rune(s)) == 1 }

// spans returns every candidate span of the lines, with its features.
func (r *Reader) spans(q readerQuestion, lines []string, titles map[int]bool) []readerSpan {
	var out []readerSpan
	for li, line := range lines {
		toks := r.tokens(line)
		// Where the question's terms stand in the line.
		var anchors []int
		for i, t := range toks {
			if t.term != "" && q.terms[t.term] {
				anchors = append(anchors, i)
			}
		}
		rules := q.kind.spans(line, q.text)
		for i := range toks {
			if !toks[i].word && !isCurrency(toks[i].text) {
				continue
			}
			words := 0
			for j := i; j < len(toks) && words < maxSpanWords; j++ {
				t := toks[j]
				if !t.word && !(j > i && t.text == "%") && !(j == i && isCurrency(t.text)) {
					break
				}
				if t.word {
					words++
				}
				if !t.word && j == i {
					continue // "$" alone
				}
				sp := readerSpan{line: li, start: i, end: j + 1, text: line[toks[i].start:t.end]}
				sp.features = r.features(q, toks, anchors, rules, sp, li, titles[li])
				out = append(out, sp)
			}
		}
	}
	return out
}

// features names what a Reader weighs about a span: each conjoined with
// the question's asking words, and the most telling with the word after.
func (r *Reader) features(q readerQuestion, toks []token, anchors []int, rules []span, sp readerSpan, line int, title bool) []feature {
	in := toks[sp.start:sp.end]
	first, last := in[0], in[len(in)-1]
	n := len(in)
	var shapes strings.Builder
	inQ := 0
	hasFocus := false
	for _, t := range in {
		s := t.shape
		if shapes.Len() == 0 || !strings.HasSuffix(shapes.String(), s) {
			shapes.WriteString(s)
		}
		if t.term != "" && q.terms[t.term] || t.word && q.words[t.lower] && !t.stop {
			inQ++
		}
		if q.focus != "" && t.term == q.focus {
			hasFocus = true
		}
	}
	left, right := "<s>", "</s>"
	leftQ, rightQ, leftFocus, rightFocus := false, false, false, false
	if sp.start > 0 {
		t := toks[sp.start-1]
		left = t.lower
		leftQ = t.term != "" && q.terms[t.term]
		leftFocus = q.focus != "" && t.term == q.focus
	}
	if sp.end < len(toks) {
		t := toks[sp.end]
		right = t.lower
		rightQ = t.term != "" && q.terms[t.term]
		rightFocus = q.focus != "" && t.term == q.focus
	}
	// Where the question's words stand around the span: the nearest, how
	// many within three and six words, the words between the span and the
	// nearest on either side as far as four ("anchor was [span]", "[span] ,
	// which anchor"), and the share of the question's weight within six.
	dist, near, near5 := 99, 0, 0
	betweenL, betweenR := "none", "none"
	var seenNear []string
	wnear := 0.0
	for _, a := range anchors {
		var d int // words from the span to the anchor, 1 when beside it
		switch {
		case a < sp.start:
			d = sp.start - a
			if d <= 4 {
				betweenL = joinLower(toks[a+1 : sp.start])
			}
		case a >= sp.end:
			d = a - sp.end + 1
			if d <= 4 && betweenR == "none" {
				betweenR = joinLower(toks[sp.end:a])
			}
		default:
			continue // inside the span
		}
		dist = min(dist, d)
		if d <= 3 {
			near++
		}
		if d <= 6 {
			near5++
			if t := toks[a].term; !slices.Contains(seenNear, t) {
				seenNear = append(seenNear, t)
				wnear += q.termWeight(t)
			}
		}
	}
	rule := "none"
	for _, rs := range rules {
		switch {
		case rs.start == first.start && strings.HasSuffix(strings.TrimSuffix(rs.text, "."), strings.TrimSuffix(sp.text, ".")) && rs.start+len(rs.text) >= last.end-1:
			rule = "exact"
		case rule == "none" && rs.start <= first.start && last.end <= rs.end:
			rule = "inside"
		}
	}
	allQ := inQ == countWords(in)
	if q.total > 0 {
		wnear /= q.total
	}
	share := 0
	if len(q.terms) > 0 {
		share = 4 * len(anchors) / len(q.terms)
	}
	pv := func(name, value string) feature { return feature{name: name, value: value} }
	length, shp := pv("len", strconv.Itoa(n)), pv("shape", shapes.String())
	firstShape, lastShape := pv("first", first.shape), pv("last", last.shape)
	leftWord, rightWord := pv("left", left), pv("right", right)
	ruled, inq := pv("rule", rule), pv("inq", strconv.Itoa(min(inQ, 2)))
	betweenl, betweenr := pv("betweenl", betweenL), pv("betweenr", betweenR)
	firstWord := pv("firstword", first.lower)
	f := []feature{
		length, shp, firstShape, lastShape,
		pv("firstw", first.closed), pv("lastw", last.closed),
		inq, pv("allq", strconv.FormatBool(allQ)),
		leftWord, rightWord,
		pv("leftshape", shapeOf(toks, sp.start-1)), pv("rightshape", shapeOf(toks, sp.end)),
		pv("leftq", strconv.FormatBool(leftQ)), pv("rightq", strconv.FormatBool(rightQ)),
		pv("dist", distBin(dist)), pv("near", strconv.Itoa(min(near, 3))),
		ruled,
		pv("line", strconv.Itoa(min(line, 3))),
		pv("title", strconv.FormatBool(title)),
		pv("focus", strconv.FormatBool(hasFocus)),
		pv("leftfocus", strconv.FormatBool(leftFocus)), pv("rightfocus", strconv.FormatBool(rightFocus)),
		pv("atstart", strconv.FormatBool(sp.start == 0)),
		pv("near5", strconv.Itoa(min(near5, 4))),
		pv("share", strconv.Itoa(min(share, 4))),
		betweenl, betweenr,
		pv("wnear", strconv.Itoa(int(5*wnear))),
		firstWord, pv("lastword", last.lower),
	}
	out := make([]feature, 0, 2*len(f)+20)
	for _, x := range f {
		x.group = q.wh
		out = append(out, x)
	}
	// The most telling, also with the word after the asking word ("what
	// year") and with the kind of answer the rules expect.
	for _, x := range []feature{shp, firstShape, lastShape, leftWord, rightWord, ruled, betweenl, betweenr, firstWord} {
		x.group = q.whNext
		out = append(out, x)
	}
	kind := "k" + strconv.Itoa(int(q.kind.kind)) + strconv.FormatBool(q.kind.org)
	for _, x := range []feature{shp, firstShape, lastShape, leftWord, rightWord, ruled, inq} {
		x.group = kind
		out = append(out, x)
	}
	return append(out,
		feature{q.wh, "dist+inq", distBin(dist) + "+" + strconv.Itoa(min(inQ, 2))},
		feature{q.wh, "line+share", strconv.Itoa(min(line, 3)) + "+" + strconv.Itoa(min(share, 4))},
		feature{q.whNext, "dist", distBin(dist)})
}

func joinLower(ts []token) string {
	var b strings.Builder
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.lower)
	}
	return b.String()
}

func countWords(ts []token) int {
	n := 0
	for _, t := range ts {
		if t.word {
			n++
		}
	}
	return n
}

func shapeOf(toks []token, i int) string {
	if i < 0 || i >= len(toks) {
		return "edge"
	}
	return toks[i].shape
}

func distBin(d int) string {
	switch {
	case d <= 1:
		return strconv.Itoa(d)
	case d <= 3:
		return "2-3"
	case d <= 7:
		return "4-7"
	case d < 99:
		return "8+"
	}
	return "none"
}

// score is a span's weight under the model.
func (r *Reader) score(sp readerSpan, h *maphash.Hash) float64 {
	s := 0.0
	for _, f := range sp.features {
		s += r.hashed[f.hash(h)]
	}
	return s
}
