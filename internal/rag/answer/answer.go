// Package answer writes Herald's answers from retrieved passages, every
// claim cited [n] to a dated article: offline, by quoting the sentences
// that best answer (Extractive), or with a language model held to the
// passages (Grounded). Questions and passages come in from the engine
// (internal/rag); answers go back to it, and on to the bot and the CLI.
package answer

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/retrieve"
)

// Question is a question ready for an Answerer.
type Question struct {
	// Text is the question as asked.
	Text string
	// Query is Text without its date words, as used for retrieval.
	Query string
	// Period and Recent are what the question said about time, and
	// DatePhrase the words that said it ("in March 1987").
	Period     dates.Period
	Recent     bool
	Soft       bool
	DatePhrase string
	// Month is the month word of "in February": Period holds the month
	// after it too, whose articles count only where they name the month
	// (February's figures, reported in March).
	Month string
	// Known is the last day whose articles may be read: the reference day
	// when one was given (a replay of the past sees what was known then),
	// zero for no limit. Period never reaches past it.
	Known time.Time
	// Terms are the index terms of the text retrieval searched for, IDF
	// their inverse document frequencies, and MaxIDF the IDF of a term no
	// chunk holds: how much each word of the question weighs.
	Terms  []string
	IDF    retrieve.Weights
	MaxIDF float64
	// Asker identifies who asks, for per-user token budgets ("" for none).
	Asker string
	// OnDelta, when set, receives an LLM answer's text as it streams.
	OnDelta func(delta string)
}

// weights is how much each of the question's terms counts toward coverage.
func (q Question) weights() retrieve.Weights { return q.IDF.ForCoverage(q.MaxIDF) }

// Answerer writes an answer from retrieved passages. Every claim of the
// answer must carry a [n] marker that matches one of its Citations.
type Answerer interface {
	Answer(ctx context.Context, q Question, passages []retrieve.Passage) (Answer, error)
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
	// Text holds the sentences, each followed by its [n] marker; when the
	// answer has a short answer it comes first, in bold: "**Short** — …".
	Text string
	// Short is the short answer: the name, number, amount or date the
	// question asks for, as the cited line ShortN writes it. It is empty
	// when the question asks for no such thing or no cited line holds one.
	Short  string
	ShortN int
	// Found is false when the corpus does not answer the question.
	Found     bool
	Citations []Citation
	// Closest names the nearest articles when nothing answered.
	Closest []Citation
	// Period is the date filter that was applied, if any.
	Period dates.Period
	// Note says something the reader should know about the search, such
	// as the dates it was limited to.
	Note string
	// Coverage is the share of the question's term weight that the best
	// passage holds (0 to 1): what "not covered" (below
	// DefaultMinCoverage) and the partial-match note (below
	// PartialCoverage) are decided on.
	Coverage float64
	// Answerer names what wrote the answer ("extractive", a model name…).
	Answerer string
	// Fallback, when set, says why a language model's answer was replaced
	// by the extractive one.
	Fallback string
	// FirstToken is the time to a streamed answer's first token.
	FirstToken time.Duration
	Took       time.Duration
}
