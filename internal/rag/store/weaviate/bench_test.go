package weaviate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/embedded"
	"github.com/herald-news/herald/internal/rag/store/storetest"
	"github.com/herald-news/herald/internal/rag/store/weaviate/weaviatetest"
)

// BenchmarkStores ingests Reuters-21578 ×1 and ×4 (../shared; new IDs and
// dates a year later per copy) into the embedded backend, one Weaviate
// node, and a 3-node Weaviate cluster (three replicas, QUORUM writes, ONE
// reads), side by side in one run, and asks 300 questions of each, without
// and with a date filter ("… in March 1987?"). It reports the import rate
// and the latencies of Ask (retrieval and the extractive answer).
//
//	go test -run '^$' -bench Stores -benchtime 1x -timeout 120m ./internal/rag/store/weaviate
func BenchmarkStores(b *testing.B) {
	_, records := storetest.ReutersSubset(b, 1)
	emb := embed.NewLocal(0)
	backends := []struct {
		name string
		open func(b *testing.B) store.Archive
	}{
		{"embedded", func(*testing.B) store.Archive {
			return embedded.New(embedded.Options{Embedder: emb.Name(), Dimension: emb.Dimension()})
		}},
		{"weaviate", func(b *testing.B) store.Archive {
			return open(b, config([]string{weaviatetest.Server(b).URL}, emb, 0))
		}},
		{"weaviate-3-nodes", func(b *testing.B) store.Archive {
			var urls []string
			for _, n := range weaviatetest.Cluster(b, 3) {
				urls = append(urls, n.URL)
			}
			cfg := config(urls, emb, 0)
			cfg.Replicas = 3
			return open(b, cfg)
		}},
	}
	for _, copies := range []int{1, 4} {
		path := storetest.ReutersReplicated(b, copies*records)
		for _, be := range backends {
			b.Run(fmt.Sprintf("reuters-x%d/%s", copies, be.name), func(b *testing.B) {
				ctx := context.Background()
				archive := be.open(b)
				start := time.Now()
				rep, err := ingest.New(archive, emb, 0).Files(ctx, []string{path}, ingest.Options{})
				if err != nil {
					b.Fatal(err)
				}
				secs := time.Since(start).Seconds()
				timed := &timedArchive{Archive: archive}
				eng := rag.New(timed, emb, rag.Options{})
				questions := storetest.TitleQuestions(b, archive, 300)
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ask := storetest.Latencies(b, eng, questions, "?")
					filtered := storetest.Latencies(b, eng, questions, " in March 1987?")
					b.ReportMetric(ask.MS(50), "p50-ms")
					b.ReportMetric(ask.MS(99), "p99-ms")
					b.ReportMetric(filtered.MS(50), "filtered-p50-ms")
					b.ReportMetric(filtered.MS(99), "filtered-p99-ms")
				}
				asked := float64(2 * len(questions) * b.N)
				b.ReportMetric(timed.termStats.Seconds()*1000/asked, "termstats-ms/ask")
				b.ReportMetric(timed.candidates.Seconds()*1000/asked, "candidates-ms/ask")
				b.ReportMetric(float64(rep.Added)/secs, "articles/s")
				b.ReportMetric(float64(rep.Chunks)/secs, "chunks/s")
				b.ReportMetric(float64(rep.Chunks), "chunks")
			})
		}
	}
}

// timedArchive adds up the time spent in the archive's term statistics and
// candidates (asks run one at a time).
type timedArchive struct {
	store.Archive
	termStats, candidates time.Duration
}

func (t *timedArchive) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	start := time.Now()
	defer func() { t.termStats += time.Since(start) }()
	return t.Archive.TermStats(ctx, terms)
}

func (t *timedArchive) Candidates(ctx context.Context, q store.Query) (store.Candidates, error) {
	start := time.Now()
	defer func() { t.candidates += time.Since(start) }()
	return t.Archive.Candidates(ctx, q)
}
