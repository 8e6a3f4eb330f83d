package answer

import (
	"context"
	"sort"
	"strconv"
	"strings"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/retrieve"
)

// Extractive answers by quoting the sentences of the retrieved passages that
// best answer the question. It needs no model and no network.
type Extractive struct {
	analyzer *analysis.Analyzer
	// MaxSentences bounds the answer (default 3).
	MaxSentences int
	// MinCoverage is the share of the question's term weight the best
	// passage must contain for the corpus to count as answering (default
	// DefaultMinCoverage).
	MinCoverage float64
	// Passages is how many of the top passages are read (default 5).
	Passages int
}

// DefaultMinCoverage is the calibrated relevance threshold: below it, the
// corpus is taken not to answer. On SQuAD v1.1 dev, 0.35 refuses 0.7 % of
// answerable questions (0.5 refused 5 %); between it and PartialCoverage
// the answer carries a warning.
const DefaultMinCoverage = 0.35

// PartialCoverage is the coverage under which an answer is flagged as
// matching only part of the question, with PartialMatchNote.
const PartialCoverage = 0.5

// PartialMatchNote is the note of an answer whose passages match only part
// of the question.
const PartialMatchNote = "These passages match only part of the question: check that they answer it."

// A supporting sentence, after the best one and its successor, needs
// minExtraCoverage of the question's term weight and minExtraScore of the
// best sentence's score. Both were set on SQuAD v1.1 dev (herald eval
// squad): looser values add nothing there and only pad news answers.
const (
	minExtraCoverage = 0.3
	minExtraScore    = 0.5
)

// The weights of a sentence's score, beside its coverage of the question.
const (
	// rankWeight / (rank+1) favours the sentences of the best passages.
	rankWeight = 0.25
	// passageScoreWeight times the passage's retrieval score.
	passageScoreWeight = 0.2
	// pairBonusWeight per question word pair the sentence keeps in order.
	pairBonusWeight = 0.1
	// anaphorWeight of the coverage an "It …" sentence gains with the
	// sentence before it.
	anaphorWeight = 0.8
	// shortPenalty for a sentence of fewer than shortWords words.
	shortPenalty = 0.15
	shortWords   = 5
	// fragmentPenalty for a table row or a heading.
	fragmentPenalty = 0.2
)

// NewExtractive returns an extractive answerer with the default settings.
func NewExtractive() *Extractive {
	return &Extractive{analyzer: analysis.NewIndex(), MaxSentences: 3, MinCoverage: DefaultMinCoverage, Passages: 5}
}

// candidate is a sentence that may go into an answer.
type candidate struct {
	text     string
	terms    map[string]bool
	passage  retrieve.Passage
	rank     int
	position int
	// paragraphStart is set when the sentence opens a paragraph.
	paragraphStart bool
	score          float64
	coverage       float64
}

// Answer picks up to MaxSentences sentences and cites each.
func (e *Extractive) Answer(ctx context.Context, q Question, passages []retrieve.Passage) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{}, err
	}
	switch {
	case len(passages) == 0:
		return NotCovered(q.Text, nil), nil
	case len(q.Terms) == 0 && q.Period.IsZero() && !q.Recent:
		a := NotCovered(q.Text, nil)
		a.Text = "The question has no words to search the corpus for: ask about a person, a place, an event or a date."
		return a, nil
	case len(q.Terms) == 0:
		return e.leads(q, passages), nil
	}
	best := retrieve.BestCoverage(passages)
	if best < e.MinCoverage {
		return NotCovered(q.Text, passages), nil
	}
	cands := e.candidates(q, passages)
	if len(cands) == 0 || cands[0].coverage == 0 {
		return NotCovered(q.Text, passages), nil
	}
	a := render(q, e.choose(cands))
	if best < PartialCoverage {
		a.Note = PartialMatchNote
	}
	return a, nil
}

// leads answers "What happened yesterday?": the lead sentence of the
// newest articles.
func (e *Extractive) leads(q Question, passages []retrieve.Passage) Answer {
	var cs Citations
	var parts []string
	for i, p := range passages {
		if i == e.MaxSentences {
			break
		}
		s := leadSentence(p.Text)
		parts = append(parts, s+" ["+strconv.Itoa(cs.Cite(p, s))+"]")
	}
	return Answer{Question: q.Text, Text: strings.Join(parts, " "), Found: true, Citations: cs.List(), Answerer: "extractive"}
}

// candidates scores every sentence of the first passages, best first.
func (e *Extractive) candidates(q Question, passages []retrieve.Passage) []candidate {
	weights := q.weights()
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
			terms := e.analyzer.Terms(nil, text)
			if strings.Contains(p.Text[prevEnd:sp.Start], "\n\n") {
				prev = nil // a new paragraph refers back to nothing
			}
			prevEnd = sp.End
			c := candidate{text: text, terms: toSet(terms), passage: p, rank: rank, position: i, paragraphStart: i == 0 || prev == nil}
			c.coverage = retrieve.Coverage(weights, terms)
			c.score = c.coverage + rankWeight/float64(rank+1) + passageScoreWeight*p.Score +
				pairBonusWeight*retrieve.PairBonus(q.Terms, terms) + cue.bonus(text, q.Text)
			if len(prev) > 0 && anaphoric(text) {
				// "It was founded in 1852." takes its subject from the
				// sentence before: count that sentence's words too.
				joint := retrieve.Coverage(weights, append(prev, terms...))
				c.score += anaphorWeight * (joint - c.coverage)
			}
			prev = terms
			if len(strings.Fields(text)) < shortWords {
				c.score -= shortPenalty
			}
			if !isProse(text) {
				c.score -= fragmentPenalty
			}
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })
	return cands
}

// choose picks the best sentence, the one after it when it carries on, and
// supporting sentences up to MaxSentences.
func (e *Extractive) choose(cands []candidate) []candidate {
	chosen := []candidate{cands[0]}
	// The sentence after the best one often carries the answer the best
	// one leads up to ("…a Committee of Independent Experts found…" "This
	// led to the creation of the European Anti-fraud Office."). It must
	// stand in the same paragraph and either share a word with the
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
	return chosen
}

// render writes the chosen sentences, each with its citation marker.
func render(q Question, chosen []candidate) Answer {
	var cs Citations
	parts := make([]string, len(chosen))
	for i, c := range chosen {
		parts[i] = c.text + " [" + strconv.Itoa(cs.Cite(c.passage, c.text)) + "]"
	}
	return Answer{Question: q.Text, Text: strings.Join(parts, " "), Found: true, Citations: cs.List(), Answerer: "extractive"}
}
