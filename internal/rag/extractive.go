package rag

import (
	"context"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/herald-news/herald/internal/corpus"
)

// Extractive answers by quoting the sentences of the retrieved passages that
// best answer the question. It needs no model and no network.
type Extractive struct {
	terms termSource
	// MaxSentences bounds the answer (default 3).
	MaxSentences int
	// MinCoverage is the share of the question's term weight the best
	// passage must contain for the corpus to count as answering (default
	// DefaultMinCoverage).
	MinCoverage float64
	// Passages is how many of the top passages are read (default 5).
	Passages int
}

// termSource gives index terms and their weights; *Index is one.
type termSource interface {
	Terms(text string) []string
	IDF(term string) float64
}

// A supporting sentence, after the best one and its successor, needs
// minExtraCoverage of the question's term weight and minExtraScore of the
// best sentence's score. Both were set on SQuAD v1.1 dev (herald eval squad):
// looser values add nothing there and only pad news answers.
const (
	minExtraCoverage = 0.3
	minExtraScore    = 0.5
)

// DefaultMinCoverage is the calibrated relevance threshold: below it, the
// corpus is taken not to answer. On SQuAD v1.1 dev, 0.35 refuses 0.7 % of
// answerable questions (0.5 refused 5 %); between it and
// partialCoverage the answer carries a warning.
const DefaultMinCoverage = 0.35

// partialCoverage is the coverage under which an answer is flagged as
// matching only part of the question, with PartialMatchNote.
const partialCoverage = 0.5

// PartialMatchNote is the note of an answer whose passages match only part of
// the question.
const PartialMatchNote = "These passages match only part of the question: check that they answer it."

// NewExtractive returns an extractive answerer that weighs terms with ts
// (usually the Index).
func NewExtractive(ts termSource) *Extractive {
	return &Extractive{terms: ts, MaxSentences: 3, MinCoverage: DefaultMinCoverage, Passages: 5}
}

// candidate is a sentence that may go into an answer.
type candidate struct {
	text     string
	terms    map[string]bool
	passage  Passage
	rank     int
	position int
	// paragraphStart is set when the sentence opens a paragraph.
	paragraphStart bool
	score          float64
	coverage       float64
}

// Answer picks up to MaxSentences sentences and cites each.
func (e *Extractive) Answer(ctx context.Context, q Question, passages []Passage) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	qterms := e.terms.Terms(q.Query)
	if len(passages) == 0 {
		return notCovered(q, nil), nil
	}
	if len(qterms) == 0 && q.Period.IsZero() && !q.Recent {
		a := notCovered(q, nil)
		a.Text = "The question has no words to search the corpus for: ask about a person, a place, an event or a date."
		return a, nil
	}
	if len(qterms) == 0 {
		// "What happened yesterday?": the lead of the newest articles.
		var cs citations
		var parts []string
		for i, p := range passages {
			if i == e.MaxSentences {
				break
			}
			s := leadSentence(p.Text)
			parts = append(parts, s+" ["+strconv.Itoa(cs.cite(p, s))+"]")
		}
		return Answer{Question: q.Text, Text: strings.Join(parts, " "), Found: true, Citations: cs.list, Answerer: "extractive"}, nil
	}
	weights := termWeights{}
	for _, t := range qterms {
		weights[t] = e.terms.IDF(t)
	}
	weights = weights.forCoverage(e.terms.IDF(""))
	best := bestCoverage(passages)
	if best < e.MinCoverage {
		return notCovered(q, passages), nil
	}

	cue := questionCue(q.Text)
	var cands []candidate
	for rank, p := range passages {
		if rank == e.Passages {
			break
		}
		if p.Coverage < e.MinCoverage/2 {
			continue
		}
		var prev []string
		prevEnd := 0
		for i, sp := range corpus.SplitSentences(p.Text) {
			text := strings.Join(strings.Fields(p.Text[sp.Start:sp.End]), " ")
			terms := e.terms.Terms(text)
			if strings.Contains(p.Text[prevEnd:sp.Start], "\n\n") {
				prev = nil // a new paragraph refers back to nothing
			}
			prevEnd = sp.End
			c := candidate{text: text, terms: toSet(terms), passage: p, rank: rank, position: i, paragraphStart: i == 0 || prev == nil}
			c.coverage = coverage(weights, terms)
			c.score = c.coverage + 0.25/float64(rank+1) + 0.2*p.Score + 0.1*pairBonus(qterms, terms) + cue.bonus(text, q.Text)
			if len(prev) > 0 && anaphoric(text) {
				// "It was founded in 1852." takes its subject from the
				// sentence before: count that sentence's words too.
				joint := coverage(weights, append(prev, terms...))
				c.score += 0.8 * (joint - c.coverage)
			}
			prev = terms
			if n := len(strings.Fields(text)); n < 5 {
				c.score -= 0.15
			}
			if !isProse(text) {
				c.score -= 0.2 // a table row or a heading
			}
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	if len(cands) == 0 || cands[0].coverage == 0 {
		return notCovered(q, passages), nil
	}
	chosen := []candidate{cands[0]}
	// The sentence after the best one often carries the answer the best
	// one leads up to ("…a Committee of Independent Experts found…" "This
	// led to the creation of the European Anti-fraud Office.").
	// It must stand in the same paragraph and either share a word with the
	// question or refer back ("This led to…").
	for _, c := range cands[1:] {
		if c.passage.ChunkID == cands[0].passage.ChunkID && c.position == cands[0].position+1 {
			if !c.paragraphStart && isProse(c.text) && (c.coverage > 0 || anaphoric(c.text)) && !redundant(c, chosen) {
				chosen = append(chosen, c)
			}
			break
		}
	}
	for _, c := range cands[1:] {
		if len(chosen) >= e.MaxSentences {
			break
		}
		if c.score < minExtraScore*cands[0].score || c.coverage < minExtraCoverage || redundant(c, chosen) || isChosen(c, chosen) {
			continue
		}
		chosen = append(chosen, c)
	}
	var cs citations
	parts := make([]string, len(chosen))
	for i, c := range chosen {
		parts[i] = c.text + " [" + strconv.Itoa(cs.cite(c.passage, c.text)) + "]"
	}
	a := Answer{Question: q.Text, Text: strings.Join(parts, " "), Found: true, Citations: cs.list, Answerer: "extractive"}
	if best < partialCoverage {
		a.Note = PartialMatchNote
	}
	return a, nil
}

// hasAll reports whether terms holds every one of want.
func hasAll(terms map[string]bool, want []string) bool {
	for _, t := range want {
		if !terms[t] {
			return false
		}
	}
	return true
}

// isProse reports whether a sentence reads as prose: it ends with terminal
// punctuation and has at least five words. Table rows and headings do not.
func isProse(s string) bool {
	s = strings.TrimRight(s, `"'”’)]`)
	if s == "" || !strings.ContainsAny(s[len(s)-1:], ".!?") {
		return false
	}
	return len(strings.Fields(s)) >= 5
}

func leadSentence(text string) string {
	if ss := sentences(text); len(ss) > 0 {
		return ss[0]
	}
	return strings.Join(strings.Fields(text), " ")
}

func toSet(terms []string) map[string]bool {
	m := make(map[string]bool, len(terms))
	for _, t := range terms {
		m[t] = true
	}
	return m
}

// pairBonus counts adjacent question-term pairs that also stand together in
// the sentence, capped at 2.
func pairBonus(qterms, terms []string) float64 {
	pairs := map[[2]string]bool{}
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

// redundant reports whether c mostly repeats a chosen sentence.
func redundant(c candidate, chosen []candidate) bool {
	for _, o := range chosen {
		if jaccard(c.terms, o.terms) > 0.5 {
			return true
		}
	}
	return false
}

func jaccard(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	inter := 0
	for t := range a {
		if b[t] {
			inter++
		}
	}
	return float64(inter) / float64(len(a)+len(b)-inter)
}

// cueKind is the kind of answer a question asks for.
type cueKind int

const (
	cueNone cueKind = iota
	cueQuantity
	cueTime
	cuePerson
	cuePlace
	cueReason
)

var (
	reQuantityQ = regexp.MustCompile(`(?i)\b(how\s+(much|many|large|big|long|far|old|high|low)|what\s+(percentage|percent|share|amount|price|number|value|rate|size|total)|by\s+how)\b`)
	reTimeQ     = regexp.MustCompile(`(?i)\b(when|what\s+(year|date|day|month|time)|which\s+(year|date|day|month))\b`)
	rePersonQ   = regexp.MustCompile(`(?i)^\s*(who|whom|whose)\b|\b(which|what)\s+(person|president|minister|leader|company|official)\b`)
	rePlaceQ    = regexp.MustCompile(`(?i)^\s*where\b|\b(which|what)\s+(country|city|place|region|state)\b`)
	reReasonQ   = regexp.MustCompile(`(?i)^\s*why\b|\bwhat\s+(caused|led\s+to)\b`)

	reNumber = regexp.MustCompile(`\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|trillion|dozen|half)\b`)
	reDate   = regexp.MustCompile(`(?i)\b(1[6-9]\d\d|20\d\d|jan(uary)?|feb(ruary)?|march|april|may|june|july|august|sept(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|century|decade)\b`)
	reReason = regexp.MustCompile(`(?i)\b(because|due\s+to|owing\s+to|as\s+a\s+result|in\s+order\s+to|so\s+that|since|reason|caused|led\s+to)\b`)
	rePlace  = regexp.MustCompile(`\b(in|at|from|near)\s+(the\s+)?[A-Z]`)
)

type questionKind struct{ kind cueKind }

func questionCue(q string) questionKind {
	switch {
	case reQuantityQ.MatchString(q):
		return questionKind{cueQuantity}
	case reTimeQ.MatchString(q):
		return questionKind{cueTime}
	case rePersonQ.MatchString(q):
		return questionKind{cuePerson}
	case rePlaceQ.MatchString(q):
		return questionKind{cuePlace}
	case reReasonQ.MatchString(q):
		return questionKind{cueReason}
	}
	return questionKind{cueNone}
}

// bonus rewards a sentence that holds the kind of thing the question asks for.
func (k questionKind) bonus(sentence, question string) float64 {
	switch k.kind {
	case cueQuantity:
		if reNumber.MatchString(sentence) {
			return 0.2
		}
	case cueTime:
		if reDate.MatchString(sentence) {
			return 0.2
		}
	case cuePerson:
		if hasNewName(sentence, question) {
			return 0.1
		}
	case cuePlace:
		if rePlace.MatchString(sentence) {
			return 0.1
		}
	case cueReason:
		if reReason.MatchString(sentence) {
			return 0.1
		}
	}
	return 0
}

// hasNewName reports whether the sentence has a capitalised word, past its
// first, that the question does not mention.
func hasNewName(sentence, question string) bool {
	lowerQ := strings.ToLower(question)
	for i, w := range strings.Fields(sentence) {
		if i == 0 {
			continue
		}
		w = strings.Trim(w, `.,;:!?"'()“”’`)
		if w == "" {
			continue
		}
		if r := []rune(w)[0]; unicode.IsUpper(r) && !strings.Contains(lowerQ, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// anaphors are words that, opening a sentence, refer back to the sentence
// before ("It was founded…", "This led to…", "However, …").
var anaphors = map[string]bool{
	"it": true, "its": true, "this": true, "these": true, "those": true, "he": true, "she": true,
	"his": true, "her": true, "they": true, "their": true, "them": true, "there": true, "such": true,
	"however": true, "instead": true, "meanwhile": true, "still": true,
}

// connectives may come before an anaphor ("But it…", "And this…").
var connectives = map[string]bool{"and": true, "but": true, "so": true, "yet": true, "also": true, "then": true, "later": true}

// anaphoric reports whether s opens by referring back: with an anaphor, or
// with a connective and an anaphor.
func anaphoric(s string) bool {
	words := strings.Fields(s)
	for i := 0; i < len(words) && i < 2; i++ {
		w := strings.ToLower(strings.Trim(words[i], `,.;:"'()“”’`))
		if anaphors[w] {
			return true
		}
		if !connectives[w] {
			return false
		}
	}
	return false
}

// isChosen reports whether c's sentence is already in the answer.
func isChosen(c candidate, chosen []candidate) bool {
	for _, o := range chosen {
		if o.text == c.text {
			return true
		}
	}
	return false
}
