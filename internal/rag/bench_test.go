package rag

import (
	"context"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/openaitest"
)

// Benchmarks over the full Reuters-21578 corpus (../shared). Run with
//
//	go test -run '^$' -bench Reuters -benchtime 1x ./internal/rag
//
// Each reports its figures as custom metrics.

func reutersIndex(b *testing.B) (*Index, string) {
	b.Helper()
	path, _ := reutersSubset(b, 1)
	ix := NewIndex(IndexOptions{})
	if _, err := ix.Ingest(context.Background(), []string{path}, IngestOptions{}); err != nil {
		b.Fatal(err)
	}
	return ix, path
}

// BenchmarkReutersIngest ingests all 20,837 records and writes the snapshot.
func BenchmarkReutersIngest(b *testing.B) {
	path, records := reutersSubset(b, 1)
	snap := filepath.Join(b.TempDir(), SnapshotFile)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		ix := NewIndex(IndexOptions{})
		rep, err := ix.Ingest(context.Background(), []string{path}, IngestOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := ix.Save(snap); err != nil {
			b.Fatal(err)
		}
		secs := time.Since(start).Seconds()
		b.ReportMetric(float64(records)/secs, "records/s")
		b.ReportMetric(float64(rep.Added)/secs, "articles/s")
		b.ReportMetric(float64(rep.Chunks), "chunks")
	}
}

// BenchmarkReutersLoad loads the snapshot of the full corpus (cold start).
func BenchmarkReutersLoad(b *testing.B) {
	ix, _ := reutersIndex(b)
	snap := filepath.Join(b.TempDir(), SnapshotFile)
	if err := ix.Save(snap); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Load(context.Background(), snap, IndexOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReutersAsk asks 1,000 questions built from article titles and
// reports the latency percentiles of retrieval plus the extractive answer.
func BenchmarkReutersAsk(b *testing.B) {
	ix, _ := reutersIndex(b)
	eng := NewEngine(ix, EngineOptions{})
	infos := ix.Articles(Period{})
	var questions []string
	for i := 0; len(questions) < 1000; i += len(infos)/1000 + 1 {
		questions = append(questions, "What about "+strings.ToLower(infos[i%len(infos)].Title)+"?")
	}
	ctx := context.Background()
	b.ResetTimer()
	var lat []time.Duration
	for i := 0; i < b.N; i++ {
		for _, q := range questions {
			start := time.Now()
			if _, err := eng.Ask(ctx, q, AskOptions{}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
		}
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
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
			ix := NewIndex(IndexOptions{})
			if _, err := ix.Ingest(context.Background(), []string{writeCorpus(b, newsCorpus())}, IngestOptions{}); err != nil {
				b.Fatal(err)
			}
			eng := NewEngine(ix, EngineOptions{Answerer: NewGrounded(NewLLM(LLMConfig{BaseURL: fake.URL, APIKey: "k", ChatModel: "fake-model", BreakerFailures: 1000}), ix)})
			for i := 0; i < b.N; i++ {
				fallbacks, cited := 0, 0
				const questions = 10
				for q := 0; q < questions; q++ {
					fake.Faults(f.fault)
					ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
					a, err := eng.Ask(ctx, "How much trade did Russia and China do?", AskOptions{})
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
	emb, err := NewRemoteEmbedder(context.Background(), NewLLM(LLMConfig{BaseURL: fake.URL, APIKey: "k", EmbedModel: "fake", EmbedDimensions: 384}), RemoteEmbedderOptions{})
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
