package rag_test

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
)

// questionSeeds seed FuzzAsk: odd questions, dates and hostile text. Run it
// for longer with
//
//	go test -run '^$' -fuzz FuzzAsk -fuzztime 10m ./internal/rag
var questionSeeds = []string{
	"What did the Bundesbank do in March 1987?", "What happened yesterday?", "news from 2026-02-01..2026-02-10",
	"between March 1 and March 5, 1987", "since Feb 4", "the past 3 days", "What did Putin say on 2026-13-45?",
	"February 30, 2026", "latest on trade", "in May", "of 2000 people", "4 February", "Feb 4th, 2026",
	"@everyone what is [x](javascript:1)?", strings.Repeat("in 1987 ", 200), "", "   ", "\u200b\u202e",
}

var reAnswerMarker = regexp.MustCompile(`\[(\d+)\]`)

// FuzzAsk asks fuzzed questions of the built-in sample corpus: an answer or
// a QuestionError, never another error or a panic, and every marker cites.
func FuzzAsk(f *testing.F) {
	for _, s := range questionSeeds {
		f.Add(s)
	}
	arts, err := corpus.Sample()
	if err != nil {
		f.Fatal(err)
	}
	lib, _, err := library.InMemory(context.Background(), library.Config{}, arts)
	if err != nil {
		f.Fatal(err)
	}
	eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{Now: func() time.Time { return time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC) }})
	f.Fuzz(func(t *testing.T, q string) {
		a, err := eng.Ask(context.Background(), q, rag.AskOptions{})
		var qe *rag.QuestionError
		if err != nil {
			if !errors.As(err, &qe) || err.Error() == "" {
				t.Fatalf("Ask(%q): %v", q, err)
			}
			return
		}
		if a.Text == "" {
			t.Fatalf("Ask(%q): an empty answer", q)
		}
		if !a.Found {
			return
		}
		for _, m := range reAnswerMarker.FindAllStringSubmatch(a.Text, -1) {
			n, _ := strconv.Atoi(m[1])
			if n < 1 || n > len(a.Citations) {
				t.Fatalf("Ask(%q): marker [%d] with %d citations: %q", q, n, len(a.Citations), a.Text)
			}
		}
		for _, c := range a.Citations {
			if c.Title == "" || c.Date.IsZero() || c.Quote == "" {
				t.Fatalf("Ask(%q): incomplete citation %+v", q, c)
			}
		}
	})
}
