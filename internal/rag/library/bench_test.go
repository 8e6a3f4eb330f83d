package library_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// BenchmarkAnswersDuringAnIngest serves Reuters-21578 (19,040 articles)
// from a data directory, as herald serve does, asks questions without a
// pause, and meanwhile ingests 20,837 more records (19,040 articles, a
// year later) into the same directory as herald ingest does, then reloads
// the new snapshot. The ingest runs in the same process, so it competes
// for the CPU and the collector harder than a separate herald ingest
// would. "watched" instead has the serving library read the same file as
// if dropped into its watched folder (written in batches of 256 into the
// live index). It reports the answers' usual latency (idle p50), their
// p50, p99 and worst during the ingest and the reload, and the worst
// stall: the worst latency beyond the idle p50.
//
//	go test -run '^$' -bench AnswersDuringAnIngest -benchtime 1x ./internal/rag/library
func BenchmarkAnswersDuringAnIngest(b *testing.B) {
	all := storetest.ReutersReplicated(b, 2*20837)
	raw, err := os.ReadFile(all)
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.SplitAfter(raw, []byte("\n"))
	dir := b.TempDir()
	base, more := filepath.Join(dir, "base.jsonl"), filepath.Join(dir, "more.jsonl")
	os.WriteFile(base, bytes.Join(lines[:20837], nil), 0o644)
	os.WriteFile(more, bytes.Join(lines[20837:], nil), 0o644)
	ctx := context.Background()
	data := filepath.Join(dir, "data")
	if _, _, err := library.Build(ctx, library.Config{Dir: data}, []string{base}, library.Mode{}); err != nil {
		b.Fatal(err)
	}
	snapshot, err := os.ReadFile(filepath.Join(data, "index.herald"))
	if err != nil {
		b.Fatal(err)
	}
	for _, mode := range []string{"beside", "watched"} {
		b.Run(mode, func(b *testing.B) { answersDuring(b, mode, data, more, snapshot) })
	}
}

// answersDuring runs one mode of BenchmarkAnswersDuringAnIngest; every
// run starts from snapshot, Reuters alone.
func answersDuring(b *testing.B, mode, data, more string, snapshot []byte) {
	ctx := context.Background()
	for b.Loop() {
		if err := os.WriteFile(filepath.Join(data, "index.herald"), snapshot, 0o644); err != nil {
			b.Fatal(err)
		}
		served, err := library.Open(ctx, library.Config{Dir: data})
		if err != nil {
			b.Fatal(err)
		}
		eng := rag.New(served.Archive(), served.Embedder(), rag.Options{})
		questions := storetest.TitleQuestions(b, served.Archive(), 500)
		asOf := time.Date(1987, 10, 20, 0, 0, 0, 0, time.UTC)
		ask := func(q string) time.Duration {
			start := time.Now()
			if _, err := eng.Ask(ctx, q, rag.AskOptions{AsOf: asOf}); err != nil {
				b.Fatal(err)
			}
			return time.Since(start)
		}
		idle := make(storetest.Sorted, 0, len(questions))
		for _, q := range questions {
			idle = append(idle, ask(q))
		}
		sort.Slice(idle, func(i, j int) bool { return idle[i] < idle[j] })

		// herald ingest, beside the bot; the bot looks for a new snapshot
		// every 200 ms, as serve does (every 2 s by default).
		var busy storetest.Sorted
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				busy = append(busy, ask(questions[i%len(questions)]))
			}
		}()
		start := time.Now()
		if mode == "watched" {
			if _, err := served.Update(ctx, []string{more}); err != nil {
				b.Fatal(err)
			}
		} else {
			if _, _, err := library.Build(ctx, library.Config{Dir: data}, []string{more}, library.Mode{}); err != nil {
				b.Fatal(err)
			}
		}
		ingest := time.Since(start)
		for reloaded := mode == "watched"; !reloaded; {
			time.Sleep(200 * time.Millisecond)
			if reloaded, err = served.Reload(ctx); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(time.Second) // answers from the new snapshot
		close(done)
		wg.Wait()
		sort.Slice(busy, func(i, j int) bool { return busy[i] < busy[j] })
		st, _ := served.Archive().Stats(ctx)
		if st.Articles < 38000 {
			b.Fatalf("the reloaded index holds %d articles", st.Articles)
		}
		b.ReportMetric(idle.MS(50), "idle-p50-ms")
		b.ReportMetric(busy.MS(50), "busy-p50-ms")
		b.ReportMetric(busy.MS(99), "busy-p99-ms")
		worst := busy[len(busy)-1]
		b.ReportMetric(float64(worst.Microseconds())/1000, "busy-max-ms")
		b.ReportMetric(float64((worst-idle[len(idle)/2]).Microseconds())/1000, "stall-ms")
		b.ReportMetric(ingest.Seconds(), "ingest-s")
		b.ReportMetric(float64(len(busy)), "answers")
	}
}
