package rag

import (
	"strings"
	"time"
	"unicode"

	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/dates"
)

// MaxQuestionRunes bounds a question; longer ones are refused.
const MaxQuestionRunes = 4000

// question reads a question: its text, checked, and what it says about
// time, taken against asOf (default: the engine's clock). This is where a
// question's dates become the period retrieval filters by.
func (e *Engine) question(text string, asOf time.Time) (Question, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Question{}, questionError(nil, "the question is empty")
	}
	if n := len([]rune(text)); n > MaxQuestionRunes {
		return Question{}, questionError(nil, "the question is %d characters long; the limit is %d", n, MaxQuestionRunes)
	}
	var known time.Time
	switch {
	case !asOf.IsZero():
		known = dates.Day(asOf)
	case e.replay:
		asOf = e.now()
		known = dates.Day(asOf)
	default:
		asOf = e.now()
	}
	in := dates.ParseIntent(text, asOf)
	if in.Invalid != "" {
		return Question{}, questionError(nil, "%q is not a valid date", in.Invalid)
	}
	q := Question{Text: text, Query: in.Query, Recent: in.Recent, Soft: in.Soft, DatePhrase: in.Phrase, Known: known}
	switch {
	case in.Month != "" && e.Searchable(in.Query):
		// "Brazil's trade surplus in February": reports that name the
		// month first.
		q.Query += " " + in.Month
		q.Month = in.Month
	case in.Month != "":
		// "What happened in March?" lists the month's own articles.
		in.Period.To = in.Period.From.AddDate(0, 1, -1)
	}
	q.Period = boundedBy(in.Period, known)
	return q, nil
}

// sentences returns the sentences of text with white space collapsed.
func sentences(text string) []string { return analysis.Sentences(text) }

// boundedBy bounds a period the question gives to the days up to known;
// a question with no period keeps none (its search is bounded by knownBy),
// and one that starts after known stays as asked, to be named in the
// answer (which reads nothing of it).
func boundedBy(p Period, known time.Time) Period {
	if p.IsZero() || (!known.IsZero() && p.From.After(known)) {
		return p
	}
	return knownBy(p, known)
}

// knownBy bounds a period to the days up to known (zero: no bound). A
// period that starts after known keeps its start, and so holds no day.
func knownBy(p Period, known time.Time) Period {
	if known.IsZero() {
		return p
	}
	if p.To.IsZero() || p.To.After(known) {
		p.To = known
	}
	return p
}

// NotEnglishNote is added to a refusal of a question that does not read as
// English: the index and its analysis are English.
const NotEnglishNote = "Herald reads questions in English: asked in English, this may find an answer."

// notEnglish reports whether a question is likely in another language:
// written in another script, or holding no English stop word ("the",
// "did", "what"…) but a function word of another language ("der", "las").
// A list of keywords ("Bundesbank March 1987") is English enough.
func notEnglish(text string) bool {
	for _, r := range text {
		if unicode.IsLetter(r) && !unicode.Is(unicode.Latin, r) {
			return true
		}
	}
	words, stop, foreign := 0, 0, 0
	analysis.ForEachWord(text, func(w string) {
		words++
		switch {
		case analysis.IsStopWord(w):
			stop++
		case foreignWords[w]:
			foreign++
		}
	})
	return words >= 3 && stop == 0 && foreign > 0
}

// foreignWords are function words of the languages users most often ask in
// besides English.
var foreignWords = map[string]bool{"der": true, "die": true, "das": true, "und": true, "ist": true, "von": true, "wer": true,
	"wie": true, "el": true, "los": true, "las": true, "por": true, "para": true, "que": true, "quien": true, "cuanto": true,
	"le": true, "les": true, "et": true, "est": true, "une": true, "qui": true, "des": true, "du": true, "il": true,
	"di": true, "che": true, "chi": true, "della": true, "em": true, "os": true, "quem": true}
