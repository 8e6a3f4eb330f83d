package rag

import (
	"time"

	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/summary"
)

// The types of the engine's answers and requests, as the bot and the
// command line use them.
type (
	// Answer is Herald's reply to a question or a summary request.
	Answer = answer.Answer
	// Citation ties a numbered marker [N] to the article it quotes.
	Citation = answer.Citation
	// Question is a question ready for an Answerer.
	Question = answer.Question
	// Answerer writes an answer from retrieved passages.
	Answerer = answer.Answerer
	// Passage is a retrieved chunk with its scores.
	Passage = retrieve.Passage
	// Period is an inclusive range of calendar days.
	Period = dates.Period
	// SummaryRequest says what to summarise.
	SummaryRequest = summary.Request
	// Retrieval says which halves of the hybrid search run.
	Retrieval = retrieve.Mode
	// Stats describes the store of record.
	Stats = store.Stats
	// ArticleInfo is an article's metadata, without its body.
	ArticleInfo = store.ArticleInfo
	// ArticleQuery selects articles.
	ArticleQuery = store.ArticleQuery
	// BudgetUsage is a day's use of the language model.
	BudgetUsage = llm.BudgetUsage
	// IngestReport sums up an ingest.
	IngestReport = ingest.Report
)

// The retrieval modes. Only Hybrid serves users; the others exist to
// measure each half on its own.
const (
	Hybrid       = retrieve.Hybrid
	KeywordsOnly = retrieve.KeywordsOnly
	VectorsOnly  = retrieve.VectorsOnly
)

// PartialMatchNote is the note of an answer whose passages match only part
// of the question.
const PartialMatchNote = answer.PartialMatchNote

// ErrNoSuchArticle means no article matches a summary request.
var ErrNoSuchArticle = summary.ErrNoSuchArticle

// ParsePeriod reads a date or range given on its own, as to /summary or
// --date: "2026-02-04", "2026-02-01..2026-02-28", "March 1987", "1987",
// "last week".
func ParsePeriod(s string, now time.Time) (Period, bool) { return dates.ParsePeriod(s, now) }

// ParseRetrieval reads a retrieval mode name: hybrid, bm25 or vector.
func ParseRetrieval(s string) (Retrieval, error) { return retrieve.ParseMode(s) }
