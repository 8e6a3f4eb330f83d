package rag

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Question is a question ready for an Answerer.
type Question struct {
	// Text is the question as asked.
	Text string
	// Query is Text without its date words, as used for retrieval.
	Query string
	// Period and Recent are what the question said about time, and
	// DatePhrase the words that said it ("in March 1987").
	Period     Period
	Recent     bool
	DatePhrase string
	// Asker identifies who asks, for per-user token budgets ("" for none).
	Asker string
	// OnDelta, when set, receives an LLM answer's text as it streams.
	OnDelta func(delta string)
}

// Answerer writes an answer from retrieved passages. Every claim of the
// answer must carry a [n] marker that matches one of its Citations.
type Answerer interface {
	Answer(ctx context.Context, q Question, passages []Passage) (Answer, error)
}

// Citation ties a numbered marker [N] to the article it quotes.
type Citation struct {
	N         int
	ArticleID string
	Title     string
	Date      time.Time
	URL       string
	// Quote is the cited passage: the sentence or sentences the answer
	// took from the article, joined by " … ".
	Quote string
	// ChunkID names the retrieved passage the first quoted sentence came
	// from; it is empty when the quote was taken from the whole article
	// (summaries of an article or a period).
	ChunkID string
}

// Day returns the citation's date as YYYY-MM-DD.
func (c Citation) Day() string { return c.Date.Format(time.DateOnly) }

// String formats the citation as "[n] Title — YYYY-MM-DD — URL".
func (c Citation) String() string {
	s := fmt.Sprintf("[%d] %s — %s", c.N, c.Title, c.Day())
	if c.URL != "" {
		s += " — " + c.URL
	}
	return s
}

// Answer is Herald's reply to a question or a summary request.
type Answer struct {
	Question string
	// Heading titles a summary ("Summary of …"); empty for answers.
	Heading string
	// Text holds the sentences, each followed by its [n] marker.
	Text string
	// Found is false when the corpus does not answer the question.
	Found     bool
	Citations []Citation
	// Closest names the nearest articles when nothing answered.
	Closest []Citation
	// Period is the date filter that was applied, if any.
	Period Period
	// Note says something the reader should know about the search, such
	// as the dates it was limited to.
	Note string
	// Answerer names what wrote the answer ("extractive", a model name…).
	Answerer string
	// Fallback, when set, says why a language model's answer was replaced
	// by the extractive one.
	Fallback string
	// FirstToken is the time to a streamed answer's first token.
	FirstToken time.Duration
	Took       time.Duration
}

// citations numbers the articles of the chosen sentences in order of first
// appearance and builds the answer text.
type citations struct {
	byArticle map[string]int
	list      []Citation
}

func (cs *citations) cite(p Passage, sentence string) int {
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

// closest lists up to n distinct articles of the passages, as citations
// without quotes.
func closest(passages []Passage, n int) []Citation {
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

// notCovered is the answer when the corpus does not answer.
func notCovered(q Question, passages []Passage) Answer {
	a := Answer{Question: q.Text, Closest: closest(passages, 3), Answerer: "extractive"}
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
