package rag

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/sharedtest"

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
// In the same run it times:
//   - chromem-go's own QueryEmbedding over the same vectors, for the same
//     questions (chromem-p50-ms), and the ratio of an ask to it;
//   - the same questions bound to March 1987 ("… in March 1987?"), as a
//     ratio to the unbound ones (filtered/unfiltered);
//   - the Go heap in use per chunk once the index is built.
func BenchmarkReutersAsk(b *testing.B) {
	ix, _ := reutersIndex(b)
	eng := NewEngine(ix, EngineOptions{})
	infos := ix.Articles(Period{})
	var questions []string
	for i := 0; len(questions) < 1000; i += len(infos)/1000 + 1 {
		questions = append(questions, "What about "+strings.ToLower(infos[i%len(infos)].Title))
	}
	ctx := context.Background()
	heap := heapInUse()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ask := askLatencies(b, eng, questions, "?")
		filtered := askLatencies(b, eng, questions, " in March 1987?")
		bare := chromemLatencies(b, ix, questions)
		b.ReportMetric(ms(ask[len(ask)/2]), "p50-ms")
		b.ReportMetric(ms(ask[len(ask)*99/100]), "p99-ms")
		b.ReportMetric(ms(filtered[len(filtered)/2]), "filtered-p50-ms")
		b.ReportMetric(ms(filtered[len(filtered)/2])/ms(ask[len(ask)/2]), "filtered/unfiltered")
		b.ReportMetric(ms(bare[len(bare)/2]), "chromem-p50-ms")
		b.ReportMetric(ms(ask[len(ask)/2])/ms(bare[len(bare)/2]), "ask/chromem")
	}
	b.StopTimer()
	st := ix.Stats()
	b.ReportMetric(float64(heap)/float64(st.Chunks), "heap-B/chunk")
	b.ReportMetric(float64(st.Chunks), "chunks")
	_ = ctx
}

// askLatencies asks each question with suffix appended and returns the
// sorted latencies.
func askLatencies(b *testing.B, eng *Engine, questions []string, suffix string) []time.Duration {
	b.Helper()
	ctx := context.Background()
	asOf := time.Date(1987, 10, 20, 0, 0, 0, 0, time.UTC)
	lat := make([]time.Duration, 0, len(questions))
	for _, q := range questions {
		start := time.Now()
		if _, err := eng.Ask(ctx, q+suffix, AskOptions{AsOf: asOf}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat
}

// chromemLatencies embeds each question and times a bare chromem-go
// QueryEmbedding of the candidate count over the same vectors.
func chromemLatencies(b *testing.B, ix *Index, questions []string) []time.Duration {
	b.Helper()
	store, ok := ix.store.(*ChromemStore)
	if !ok {
		b.Fatal("the index does not use a ChromemStore")
	}
	ctx := context.Background()
	lat := make([]time.Duration, 0, len(questions))
	for _, q := range questions {
		vecs, err := ix.embedder.Embed(ctx, []string{q})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := store.QueryChromem(ctx, vecs[0], minCandidates, Period{}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	return lat
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// heapInUse returns the bytes of Go heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkVectorQuery compares, over the full Reuters vectors, the store's
// scan with chromem-go's QueryEmbedding, for 64 nearest chunks.
func BenchmarkVectorQuery(b *testing.B) {
	ix, _ := reutersIndex(b)
	store := ix.store.(*ChromemStore)
	q, err := ix.embedder.Embed(context.Background(), []string{"bundesbank discount rate"})
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name  string
		query func(context.Context, []float32, int, Period) ([]VectorHit, error)
	}{{"scan", store.Nearest}, {"chromem", store.QueryChromem}} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := bm.query(context.Background(), q[0], minCandidates, Period{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGrowth measures ask latency and memory as the corpus grows:
// Reuters-21578 replicated with new IDs and dates shifted a year per copy,
// up to 10k, 50k and 200k chunks.
//
//	go test -run '^$' -bench Growth -benchtime 1x -timeout 30m ./internal/rag
func BenchmarkGrowth(b *testing.B) {
	for _, target := range []int{10_000, 50_000, 200_000} {
		b.Run(strconv.Itoa(target/1000)+"k", func(b *testing.B) {
			path := replicatedReuters(b, target)
			before := heapInUse()
			ix := NewIndex(IndexOptions{})
			if _, err := ix.Ingest(context.Background(), []string{path}, IngestOptions{}); err != nil {
				b.Fatal(err)
			}
			heap := heapInUse() - before
			eng := NewEngine(ix, EngineOptions{})
			infos := ix.Articles(Period{})
			var questions []string
			for i := 0; len(questions) < 300; i += len(infos)/300 + 1 {
				questions = append(questions, "What about "+strings.ToLower(infos[i%len(infos)].Title))
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lat := askLatencies(b, eng, questions, "?")
				b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
				b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
			}
			st := ix.Stats()
			b.ReportMetric(float64(st.Chunks), "chunks")
			b.ReportMetric(float64(heap)/(1<<20), "heap-MB")
			b.ReportMetric(float64(heap)/float64(st.Chunks), "heap-B/chunk")
		})
	}
}

// replicatedReuters writes Reuters-21578 records, copied with new IDs and
// dates a year later per copy, until about chunks chunks (at 1.18 chunks a
// ingested record; empty records are rejected), and returns the file's path.
func replicatedReuters(b *testing.B, chunks int) string {
	b.Helper()
	src := sharedtest.Path(b, "datasets/reuters21578/reuters21578.jsonl")
	raw, err := os.ReadFile(src)
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	records := int(float64(chunks) / 1.18)
	path := filepath.Join(b.TempDir(), "replicated.jsonl")
	out, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	for n := 0; n < records; n++ {
		copyNo, line := n/len(lines), lines[n%len(lines)]
		var rec map[string]any
		if err := json.Unmarshal(line, &rec); err != nil {
			b.Fatal(err)
		}
		if copyNo > 0 {
			rec["id"] = fmt.Sprintf("%v-copy%d", rec["id"], copyNo)
			if d, err := time.Parse(time.RFC3339, fmt.Sprint(rec["date"])); err == nil {
				rec["date"] = d.AddDate(copyNo, 0, 0).Format(time.RFC3339)
			}
		}
		enc, _ := json.Marshal(rec)
		w.Write(append(enc, '\n'))
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	return path
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
