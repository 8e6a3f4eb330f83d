package rag

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
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
