// Package analysis turns text into the terms Herald indexes and searches
// for: lower-cased words and numbers, stop words dropped, demonyms folded
// into their country, stemmed. Article text comes in at ingest, question
// text at retrieval; the terms go to the store of record's lexical index,
// to the term statistics behind coverage, and to the local embedder.
package analysis

import (
	"sync"

	"github.com/kljensen/snowball/english"
)

// IndexName identifies the analysis of NewIndex; change it whenever the
// terms it makes change, so that stored postings are rebuilt.
const IndexName = "words-stop-demonyms-snowball-en-v4"

// Analyzer turns text into index terms: lower-cased words and numbers, stop
// words dropped, words stemmed with the Snowball English stemmer. Stems are
// cached, so an analyzer is cheap to call again on the same vocabulary. It
// is safe for concurrent use.
type Analyzer struct {
	mu    sync.RWMutex
	terms map[string]string // word → term, "" for a stop word
	// fold, when set, replaces words before stemming (demonyms).
	fold map[string]string
}

// New returns the plain analyzer, which folds no demonyms (the local
// embedder's: its vectors stay as they were).
func New() *Analyzer { return &Analyzer{terms: make(map[string]string, 1<<14)} }

// NewIndex returns the analyzer of the lexical index and of questions,
// which also folds demonyms into their country ("Russian" → "russia"), so
// that a question about Russian trade finds an article about Russia's
// trade.
func NewIndex() *Analyzer {
	an := New()
	an.fold = demonyms
	return an
}

// Terms appends the index terms of text to dst.
func (an *Analyzer) Terms(dst []string, text string) []string {
	ForEachWord(text, func(w string) {
		if t := an.term(w); t != "" {
			dst = append(dst, t)
		}
	})
	return dst
}

// term is a word's index term, "" for a stop word. Terms are cached by
// word (one lookup for the stop list, the folding and the stem), except
// for numbers and words of one or two letters, which cost less to make
// than to look up in a large cache.
func (an *Analyzer) term(w string) string {
	if len(w) <= 2 || isNumeric(w) {
		return an.makeTerm(w)
	}
	an.mu.RLock()
	t, ok := an.terms[w]
	an.mu.RUnlock()
	if ok {
		return t
	}
	t = an.makeTerm(w)
	an.mu.Lock()
	if len(an.terms) < 1<<20 {
		an.terms[w] = t
	}
	an.mu.Unlock()
	return t
}

// makeTerm makes a word's term without the cache: "" for a stop word,
// else the word folded, then stemmed unless it is a number.
func (an *Analyzer) makeTerm(w string) string {
	if stopWords[w] {
		return ""
	}
	if f, ok := an.fold[w]; ok {
		w = f
	}
	if isNumeric(w) {
		return w
	}
	return english.Stem(w, false)
}

func isNumeric(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return w[i] == '.' || w[i] == ','
		}
	}
	return true
}

// TermsCached is Terms with a caller-owned cache of word → term ("" for a
// stop word) in front of the shared one, for many goroutines analysing a
// large vocabulary at once without contending.
func (an *Analyzer) TermsCached(dst []string, text string, local map[string]string) []string {
	forEachWordBytes(text, func(b []byte) {
		t, ok := local[string(b)]
		if !ok {
			w := string(b)
			t = an.term(w)
			local[w] = t
		}
		if t != "" {
			dst = append(dst, t)
		}
	})
	return dst
}
