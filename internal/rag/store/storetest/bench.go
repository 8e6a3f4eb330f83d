package storetest

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/store"
)

// TitleQuestions makes n questions "What about <title>" from titles
// spread over the archive, for benchmarks.
func TitleQuestions(t testing.TB, a store.Archive, n int) []string {
	t.Helper()
	infos, err := a.Articles(context.Background(), store.ArticleQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var questions []string
	for i := 0; len(questions) < n; i += len(infos)/n + 1 {
		questions = append(questions, "What about "+strings.ToLower(infos[i%len(infos)].Title))
	}
	return questions
}

// Latencies asks each question with suffix appended (" in March 1987?"
// binds it to a month), as of 1987-10-20, and returns the latencies
// sorted.
func Latencies(t testing.TB, eng *rag.Engine, questions []string, suffix string) Sorted {
	t.Helper()
	ctx := context.Background()
	asOf := time.Date(1987, 10, 20, 0, 0, 0, 0, time.UTC)
	lat := make(Sorted, 0, len(questions))
	for _, q := range questions {
		start := time.Now()
		if _, err := eng.Ask(ctx, q+suffix, rag.AskOptions{AsOf: asOf}); err != nil {
			t.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat
}

// Sorted are latencies, shortest first.
type Sorted []time.Duration

// MS is the p-th percentile in milliseconds (50: the median).
func (s Sorted) MS(p int) float64 {
	return float64(s[len(s)*p/100].Microseconds()) / 1000
}
