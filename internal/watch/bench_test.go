package watch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/storetest"
	"github.com/herald-news/herald/internal/watch"
)

// BenchmarkFileDropToAnswerable drops 50 article files, one after the
// other, into the watched corpus of a library that holds Reuters-21578
// (19,040 articles), as herald serve runs it (1 s settle), and times each
// from the moment its file is written to the moment a question finds it.
//
//	go test -run '^$' -bench FileDropToAnswerable -benchtime 1x ./internal/watch
func BenchmarkFileDropToAnswerable(b *testing.B) {
	reuters, _ := storetest.ReutersSubset(b, 1)
	ctx := context.Background()
	for b.Loop() {
		corpusDir := b.TempDir()
		if err := os.Link(reuters, filepath.Join(corpusDir, "reuters.jsonl")); err != nil {
			b.Fatal(err)
		}
		lib, _, err := library.Build(ctx, library.Config{Dir: b.TempDir(), Corpus: []string{corpusDir}}, []string{corpusDir}, library.Mode{})
		if err != nil {
			b.Fatal(err)
		}
		eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{})
		w, err := watch.New(lib, watch.Options{Roots: []string{corpusDir}, Rescan: -1})
		if err != nil {
			b.Fatal(err)
		}
		wctx, cancel := context.WithCancel(ctx)
		go w.Run(wctx)
		var lags storetest.Sorted
		for i := range 50 {
			word := fmt.Sprintf("zephyrine%c%c", 'a'+i/26, 'a'+i%26)
			url := "https://example.org/drop/" + word
			start := time.Now()
			if err := os.WriteFile(filepath.Join(corpusDir, word+".txt"), []byte(storetest.SeedArticle("1987-10-19", url,
				"Report on "+word, "A report on "+word+" shipments was published today, traders said.")), 0o644); err != nil {
				b.Fatal(err)
			}
			lags = append(lags, untilFound(b, eng, "What about "+word+" shipments?", url, start))
		}
		cancel()
		w.Close()
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		b.ReportMetric(lags.MS(50), "p50-ms")
		b.ReportMetric(lags.MS(99), "p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
	}
}

// untilFound asks question until a source links to url, and returns how
// long after start that was.
func untilFound(b *testing.B, eng *rag.Engine, question, url string, start time.Time) time.Duration {
	b.Helper()
	for time.Since(start) < 30*time.Second {
		srcs, _, err := eng.Sources(context.Background(), question, rag.AskOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range srcs {
			if s.URL == url {
				return time.Since(start)
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.Fatalf("%q found no %s within 30 s", question, url)
	return 0
}
