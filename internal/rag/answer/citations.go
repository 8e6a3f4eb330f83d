package answer

import (
	"fmt"
	"strings"

	"github.com/herald-news/herald/internal/rag/retrieve"
)

// Citations numbers the articles of chosen sentences in order of first
// appearance: where every citation of an extractive answer or summary is
// made.
type Citations struct {
	byArticle map[string]int
	list      []Citation
}

// Cite returns the marker number of passage p's article, quoting sentence.
func (cs *Citations) Cite(p retrieve.Passage, sentence string) int {
	if cs.byArticle == nil {
		cs.byArticle = map[string]int{}
	}
	if n, ok := cs.byArticle[p.ArticleID]; ok {
		c := &cs.list[n-1]
		if !strings.Contains(c.Quote, sentence) {
			c.Quote += " … " + sentence
		}
		return n
	}
	n := len(cs.list) + 1
	cs.byArticle[p.ArticleID] = n
	cs.list = append(cs.list, Citation{N: n, ArticleID: p.ArticleID, Title: p.Title, Date: p.Date, URL: p.URL, Quote: sentence, ChunkID: p.ChunkID})
	return n
}

// List returns the citations made, numbered from 1.
func (cs *Citations) List() []Citation { return cs.list }

// Closest lists up to n distinct articles of the passages, as citations
// without quotes.
func Closest(passages []retrieve.Passage, n int) []Citation {
	var out []Citation
	seen := map[string]bool{}
	for _, p := range passages {
		if seen[p.ArticleID] {
			continue
		}
		seen[p.ArticleID] = true
		out = append(out, Citation{N: len(out) + 1, ArticleID: p.ArticleID, Title: p.Title, Date: p.Date, URL: p.URL, ChunkID: p.ChunkID})
		if len(out) == n {
			break
		}
	}
	return out
}

// NotCovered is the answer when the corpus does not answer: it says so
// and names the closest articles.
func NotCovered(question string, passages []retrieve.Passage) Answer {
	a := Answer{Question: question, Closest: Closest(passages, 3), Answerer: "extractive"}
	var b strings.Builder
	b.WriteString("The corpus does not seem to cover this question.")
	if len(a.Closest) > 0 {
		b.WriteString(" The closest articles are: ")
		for i, c := range a.Closest {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "“%s” (%s)", c.Title, c.Day())
		}
		b.WriteString(".")
	}
	a.Text = b.String()
	return a
}
