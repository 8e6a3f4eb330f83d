package dates

import (
	"strings"
	"testing"
	"time"
)

// Fuzz targets for the date expressions of questions and of the /summary
// date option. CI runs the seed corpora; run one for longer with
//
//	go test -run '^$' -fuzz FuzzParseDateIntent -fuzztime 10m ./internal/rag/dates

var questionSeeds = []string{
	"What did the Bundesbank do in March 1987?", "What happened yesterday?", "news from 2026-02-01..2026-02-10",
	"between March 1 and March 5, 1987", "since Feb 4", "the past 3 days", "What did Putin say on 2026-13-45?",
	"February 30, 2026", "latest on trade", "in May", "of 2000 people", "4 February", "Feb 4th, 2026",
	"@everyone what is [x](javascript:1)?", strings.Repeat("in 1987 ", 200), "", "   ", "\u200b\u202e",
}

// FuzzParseDateIntent keeps its name so that its corpus in testdata stays
// with it.
func FuzzParseDateIntent(f *testing.F) {
	for _, s := range questionSeeds {
		f.Add(s)
	}
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, q string) {
		in := ParseIntent(q, now)
		p := in.Period
		if !p.From.IsZero() && !p.To.IsZero() && p.To.Before(p.From) {
			t.Fatalf("ParseIntent(%q): period %v ends before it starts", q, p)
		}
		// The query is the question with date words blanked out: nothing
		// is added.
		if squashed := strings.Join(strings.Fields(in.Query), ""); !isSubsequence(squashed, q) {
			t.Fatalf("ParseIntent(%q): query %q is not taken from the question", q, in.Query)
		}
		if in.Invalid != "" && !strings.Contains(q, in.Invalid) {
			t.Fatalf("ParseIntent(%q): invalid date %q is not in the question", q, in.Invalid)
		}
		if (p.IsZero() && !in.Recent) != (in.Phrase == "") {
			t.Fatalf("ParseIntent(%q): phrase %q with period %v, recent %v", q, in.Phrase, p, in.Recent)
		}
	})
}

// isSubsequence reports whether a's bytes appear in b in order.
func isSubsequence(a, b string) bool {
	i := 0
	for j := 0; j < len(b) && i < len(a); j++ {
		if a[i] == b[j] {
			i++
		}
	}
	return i == len(a)
}

// FuzzParsePeriod fuzzes the date option of /summary and --date.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range []string{"2026-02-04", "2026-02-01..2026-02-28", "March 1987", "1987", "last week", "yesterday", "", "2026-13-45", "Feb 30", "..", "2026-02-04..", "between March 1 and March 5, 1987"} {
		f.Add(s)
	}
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := ParsePeriod(s, now)
		if !ok {
			return
		}
		if !p.From.IsZero() && !p.To.IsZero() && p.To.Before(p.From) {
			t.Fatalf("ParsePeriod(%q) = %v: ends before it starts", s, p)
		}
		if p.String() == "" {
			t.Fatalf("ParsePeriod(%q) = %v has no name", s, p)
		}
	})
}
