package rag_test

import (
	"context"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/openaitest"
	"github.com/herald-news/herald/internal/rag/store/embedded"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// Benchmarks over the full Reuters-21578 corpus (../shared). Run with
//
//	go test -run '^$' -bench Reuters -benchtime 1x ./internal/rag
//
// Each reports its figures as custom metrics.

// buildLibrary ingests the JSON Lines file at path into a data directory
// of b's and returns the library.
func buildLibrary(b *testing.B, path string) (*library.Library, library.Config) {
	b.Helper()
	cfg := library.Config{Dir: b.TempDir()}
	lib, _, err := library.Build(context.Background(), cfg, []string{path}, library.Mode{})
	if err != nil {
		b.Fatal(err)
	}
	return lib, cfg
}

// BenchmarkReutersIngest ingests all 20,837 records and writes the snapshot.
func BenchmarkReutersIngest(b *testing.B) {
	path, records := storetest.ReutersSubset(b, 1)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		cfg := library.Config{Dir: b.TempDir()}
		_, rep, err := library.Build(context.Background(), cfg, []string{path}, library.Mode{Reindex: true})
		if err != nil {
			b.Fatal(err)
		}
		secs := time.Since(start).Seconds()
		b.ReportMetric(float64(records)/secs, "records/s")
		b.ReportMetric(float64(rep.Added)/secs, "articles/s")
		b.ReportMetric(float64(rep.Chunks), "chunks")
	}
}

// BenchmarkReutersLoad opens the snapshot of the full corpus (cold start).
func BenchmarkReutersLoad(b *testing.B) {
	path, _ := storetest.ReutersSubset(b, 1)
	_, cfg := buildLibrary(b, path)
	local := embed.NewLocal(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := embedded.Open(context.Background(), cfg.SnapshotPath(), embedded.Options{Embedder: local.Name(), Dimension: local.Dimension()}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReutersAsk asks 1,000 questions built from article titles and
// reports the latency percentiles of retrieval plus the extractive answer.
// In the same run it times:
//   - the same questions bound to March 1987 ("… in March 1987?"), as a
//     ratio to the unbound ones (filtered/unfiltered);
//   - the Go heap in use per chunk once the index is loaded.
func BenchmarkReutersAsk(b *testing.B) {
	path, _ := storetest.ReutersSubset(b, 1)
	_, cfg := buildLibrary(b, path)
	before := heapInUse()
	lib, err := library.Open(context.Background(), library.Config{Dir: cfg.Dir, RequireIndex: true})
	if err != nil {
		b.Fatal(err)
	}
	heap := heapInUse() - before
	eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{})
	questions := storetest.TitleQuestions(b, lib.Archive(), 1000)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ask := storetest.Latencies(b, eng, questions, "?")
		filtered := storetest.Latencies(b, eng, questions, " in March 1987?")
		b.ReportMetric(ask.MS(50), "p50-ms")
		b.ReportMetric(ask.MS(99), "p99-ms")
		b.ReportMetric(filtered.MS(50), "filtered-p50-ms")
		b.ReportMetric(filtered.MS(99), "filtered-p99-ms")
		b.ReportMetric(filtered.MS(50)/ask.MS(50), "filtered/unfiltered")
	}
	b.StopTimer()
	st, _ := lib.Archive().Stats(context.Background())
	b.ReportMetric(float64(heap)/float64(st.Chunks), "heap-B/chunk")
	b.ReportMetric(float64(st.Chunks), "chunks")
}

// heapInUse returns the bytes of Go heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkGrowth measures ask latency and memory as the corpus grows:
// Reuters-21578 replicated with new IDs and dates shifted a year per copy,
// up to 10k, 50k and 200k chunks.
//
//	go test -run '^$' -bench Growth -benchtime 1x -timeout 30m ./internal/rag
func BenchmarkGrowth(b *testing.B) {
	for _, target := range []int{10_000, 50_000, 200_000} {
		b.Run(strconv.Itoa(target/1000)+"k", func(b *testing.B) {
			path := storetest.ReutersReplicated(b, int(float64(target)/1.18)) // 1.18 chunks an ingested record
			before := heapInUse()
			lib, _, err := library.InMemory(context.Background(), library.Config{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := lib.Ingest(context.Background(), []string{path}); err != nil {
				b.Fatal(err)
			}
			heap := heapInUse() - before
			eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{})
			questions := storetest.TitleQuestions(b, lib.Archive(), 300)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat := storetest.Latencies(b, eng, questions, "?")
				b.ReportMetric(lat.MS(50), "p50-ms")
				b.ReportMetric(lat.MS(99), "p99-ms")
			}
			st, _ := lib.Archive().Stats(context.Background())
			b.ReportMetric(float64(st.Chunks), "chunks")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
			b.ReportMetric(float64(heap)/float64(st.Chunks), "heap-B/chunk")
		})
	}
}

// BenchmarkLLMFallbackRates asks 10 questions under each fault of the fake
// OpenAI server, each with a 2.5 s deadline, and reports the share answered
// by the extractive fallback (every question gets a cited answer either way).
//
//	go test -run '^$' -bench LLMFallbackRates -benchtime 1x ./internal/rag
func BenchmarkLLMFallbackRates(b *testing.B) {
	faults := []struct {
		name  string
		fault openaitest.Fault
	}{
		{"ok", openaitest.OK}, {"429", openaitest.RateLimited}, {"500", openaitest.ServerError},
		{"slow-first-token", openaitest.SlowFirstToken}, {"dropped-stream", openaitest.DropMidStream},
		{"malformed-json", openaitest.MalformedJSON}, {"event-error", openaitest.EventError},
		{"keep-alives", openaitest.KeepAlives}, {"invented-citations", openaitest.BadCitations},
		{"injection", openaitest.FollowsInjection},
	}
	for _, f := range faults {
		b.Run(f.name, func(b *testing.B) {
			fake := openaitest.New()
			defer fake.Close()
			fake.SlowDelay = 3 * time.Second
			lib := memoryLibrary(b, newsCorpus(), nil)
			model := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", ChatModel: "fake-model", BreakerFailures: 1000})
			eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{Model: model})
			for i := 0; i < b.N; i++ {
				fallbacks, cited := 0, 0
				const questions = 10
				for q := 0; q < questions; q++ {
					fake.Faults(f.fault)
					ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
					a, err := eng.Ask(ctx, "How much trade did Russia and China do?", rag.AskOptions{})
					cancel()
					if err != nil {
						b.Fatal(err)
					}
					if a.Fallback != "" {
						fallbacks++
					}
					if len(a.Citations) > 0 {
						cited++
					}
				}
				b.ReportMetric(float64(fallbacks)/questions, "fallback-rate")
				b.ReportMetric(float64(cited)/questions, "cited-rate")
			}
		})
	}
}

// BenchmarkRemoteEmbeddings embeds 2,048 texts through the fake OpenAI
// server in batches of 64 with two requests at a time.
//
//	go test -run '^$' -bench RemoteEmbeddings ./internal/rag
func BenchmarkRemoteEmbeddings(b *testing.B) {
	fake := openaitest.New()
	defer fake.Close()
	emb, err := llm.NewEmbedder(context.Background(), llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", EmbedModel: "fake", EmbedDimensions: 384}), llm.EmbedderOptions{})
	if err != nil {
		b.Fatal(err)
	}
	texts := make([]string, 2048)
	for i := range texts {
		texts[i] = strings.Repeat("trade between russia and china ", 20) + strconv.Itoa(i)
	}
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := emb.Embed(context.Background(), texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/time.Since(start).Seconds(), "texts/s")
}
