package analysis

import (
	"strings"

	"github.com/herald-news/herald/internal/corpus"
)

// Sentences returns the sentences of text with white space collapsed.
func Sentences(text string) []string {
	spans := corpus.SplitSentences(text)
	out := make([]string, 0, len(spans))
	for _, sp := range spans {
		out = append(out, strings.Join(strings.Fields(text[sp.Start:sp.End]), " "))
	}
	return out
}
