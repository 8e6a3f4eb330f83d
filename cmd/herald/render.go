package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/rag"
)

// citationJSON is one citation in JSON output.
type citationJSON struct {
	N         int    `json:"n"`
	Title     string `json:"title"`
	Date      string `json:"date"`
	URL       string `json:"url"`
	ArticleID string `json:"article_id"`
	Quote     string `json:"quote,omitempty"`
}

// periodJSON is a date filter in JSON output; an open side is empty.
type periodJSON struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// answerOutput is the JSON of an answer or summary, documented in README.md.
type answerOutput struct {
	Question string `json:"question,omitempty"`
	Heading  string `json:"heading,omitempty"`
	Answer   string `json:"answer"`
	// ShortAnswer is the name, number, amount or date asked for, as
	// citation ShortCitation writes it; the answer starts with it.
	ShortAnswer   string         `json:"short_answer,omitempty"`
	ShortCitation int            `json:"short_citation,omitempty"`
	Found         bool           `json:"found"`
	Citations     []citationJSON `json:"citations"`
	Closest       []citationJSON `json:"closest,omitempty"`
	Period        *periodJSON    `json:"period,omitempty"`
	Note          string         `json:"note,omitempty"`
	// Coverage is the share of the question's weight the best passage
	// holds: under 0.35 the corpus is taken not to answer.
	Coverage float64 `json:"coverage"`
	Answerer string  `json:"answerer,omitempty"`
	// Fallback says why a language model's answer was replaced by the
	// extractive one.
	Fallback string  `json:"fallback,omitempty"`
	TookMS   float64 `json:"took_ms"`
}

func toCitationJSON(cs []rag.Citation) []citationJSON {
	out := make([]citationJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, citationJSON{N: c.N, Title: c.Title, Date: c.Day(), URL: c.URL, ArticleID: c.ArticleID, Quote: c.Quote})
	}
	return out
}

func toPeriodJSON(p rag.Period) *periodJSON {
	if p.IsZero() {
		return nil
	}
	var out periodJSON
	if !p.From.IsZero() {
		out.From = p.From.Format(time.DateOnly)
	}
	if !p.To.IsZero() {
		out.To = p.To.Format(time.DateOnly)
	}
	return &out
}

func answerJSON(a rag.Answer) answerOutput {
	out := answerOutput{
		Question: a.Question, Heading: a.Heading, Answer: a.Text, ShortAnswer: a.Short, ShortCitation: a.ShortN, Found: a.Found,
		Citations: toCitationJSON(a.Citations), Period: toPeriodJSON(a.Period), Note: a.Note, Coverage: a.Coverage, Answerer: a.Answerer, Fallback: a.Fallback,
		TookMS: float64(a.Took.Microseconds()) / 1000,
	}
	if len(a.Closest) > 0 {
		out.Closest = toCitationJSON(a.Closest)
	}
	return out
}

type sourceJSON struct {
	citationJSON
	// Score is fused and relative to the question's best hit; Lexical
	// (BM25) and Similarity (cosine) are raw, comparable across questions.
	Score      float64 `json:"score"`
	Lexical    float64 `json:"lexical"`
	Similarity float32 `json:"similarity"`
	Passage    string  `json:"passage"`
}

type sourcesOutput struct {
	Question string       `json:"question"`
	Period   *periodJSON  `json:"period,omitempty"`
	Sources  []sourceJSON `json:"sources"`
}

func sourcesJSON(question string, period rag.Period, srcs []rag.Source) sourcesOutput {
	out := sourcesOutput{Question: question, Period: toPeriodJSON(period), Sources: []sourceJSON{}}
	for _, s := range srcs {
		out.Sources = append(out.Sources, sourceJSON{
			citationJSON: citationJSON{N: s.N, Title: s.Title, Date: s.Day(), URL: s.URL, ArticleID: s.ArticleID, Quote: s.Quote},
			Score:        s.Score, Lexical: s.Lexical, Similarity: s.Similarity,
			Passage: strings.Join(strings.Fields(s.Passage), " "),
		})
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// renderAnswer formats an answer or summary for a terminal.
func renderAnswer(a rag.Answer) string {
	var b strings.Builder
	if a.Heading != "" {
		b.WriteString(a.Heading + "\n\n")
	}
	if a.Text != "" {
		b.WriteString(a.Text + "\n")
	}
	if len(a.Citations) > 0 {
		b.WriteString("\nSources:\n")
		for _, c := range a.Citations {
			b.WriteString(c.String() + "\n")
			if c.Quote != "" {
				fmt.Fprintf(&b, "    “%s”\n", c.Quote)
			}
		}
	}
	if len(a.Closest) > 0 {
		b.WriteString("\nClosest articles:\n")
		for _, c := range a.Closest {
			b.WriteString(c.String() + "\n")
		}
	}
	if a.Note != "" {
		b.WriteString("\n" + a.Note + "\n")
	}
	return b.String()
}

func renderSources(srcs []rag.Source, period rag.Period) string {
	var b strings.Builder
	if len(srcs) == 0 {
		b.WriteString("No article matches this question.\n")
	}
	for _, s := range srcs {
		fmt.Fprintf(&b, "%s  (score %.3f)\n    “%s”\n", s.Citation.String(), s.Score, s.Quote)
	}
	if !period.IsZero() {
		fmt.Fprintf(&b, "\nSearched only articles dated %s.\n", period)
	}
	return b.String()
}
