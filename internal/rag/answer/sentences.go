package answer

import (
	"strings"

	"github.com/herald-news/herald/internal/rag/analysis"
)

// isProse reports whether a sentence reads as prose: it ends with terminal
// punctuation and has at least five words. Table rows and headings do not.
func isProse(s string) bool {
	s = strings.TrimRight(s, `"'”’)]`)
	if s == "" || !strings.ContainsAny(s[len(s)-1:], ".!?") {
		return false
	}
	return len(strings.Fields(s)) >= 5
}

// IsProse reports whether a sentence reads as prose (see isProse): for
// summaries, which leave out table rows and headings too.
func IsProse(s string) bool { return isProse(s) }

func leadSentence(text string) string {
	if ss := analysis.Sentences(text); len(ss) > 0 {
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

// redundant reports whether c mostly repeats a chosen sentence.
func redundant(c candidate, chosen []candidate) bool {
	for _, o := range chosen {
		if Jaccard(c.terms, o.terms) > 0.5 {
			return true
		}
	}
	return false
}

// Jaccard is the overlap of two term sets: shared terms over all terms.
func Jaccard(a, b map[string]bool) float64 {
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
