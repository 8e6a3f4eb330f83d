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
	stems map[string]string
	// fold, when set, replaces words before stemming (demonyms).
	fold map[string]string
}

// New returns the plain analyzer, which folds no demonyms (the local
// embedder's: its vectors stay as they were).
func New() *Analyzer { return &Analyzer{stems: make(map[string]string, 1<<14)} }

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
		if stopWords[w] {
			return
		}
		if t := an.stem(w); t != "" {
			dst = append(dst, t)
		}
	})
	return dst
}

func (an *Analyzer) stem(w string) string {
	if f, ok := an.fold[w]; ok {
		w = f
	}
	an.mu.RLock()
	s, ok := an.stems[w]
	an.mu.RUnlock()
	if ok {
		return s
	}
	s = w
	if !isNumeric(w) {
		s = english.Stem(w, false)
	}
	an.mu.Lock()
	if len(an.stems) < 1<<20 {
		an.stems[w] = s
	}
	an.mu.Unlock()
	return s
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
			if !stopWords[w] {
				t = an.stem(w)
			}
			local[w] = t
		}
		if t != "" {
			dst = append(dst, t)
		}
	})
	return dst
}
