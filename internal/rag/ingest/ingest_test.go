package ingest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/embedded"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

var local = embed.NewLocal(0)

// TestFirstCheckpointComesEarly: with checkpoints an hour apart, a first
// checkpoint due at once still comes, once.
func TestFirstCheckpointComesEarly(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 200; i++ {
		files[fmt.Sprintf("%03d.txt", i)] = storetest.SeedArticle("2026-02-04", fmt.Sprintf("https://example.org/%d", i), fmt.Sprintf("Article %d", i), "Grain and energy talks went on.")
	}
	a := embedded.New(embedded.Options{Embedder: local.Name(), Dimension: local.Dimension()})
	saves := 0
	_, err := ingest.New(a, local, 0).Files(context.Background(), []string{storetest.WriteCorpus(t, files)}, ingest.Options{BatchSize: 16,
		Checkpoint: func() error { saves++; return nil }, CheckpointEvery: time.Hour, FirstCheckpoint: time.Nanosecond})
	if err != nil || saves != 1 {
		t.Fatalf("%d checkpoints, %v; want 1", saves, err)
	}
}

// slowArchive takes 20 ms over every call, as a remote store might, and
// counts the writes.
type slowArchive struct {
	store.Archive
	puts atomic.Int64
}

const slowCall = 20 * time.Millisecond

func (s *slowArchive) Put(ctx context.Context, e []store.Entry) error {
	s.puts.Add(1)
	time.Sleep(slowCall)
	return s.Archive.Put(ctx, e)
}

func (s *slowArchive) Candidates(ctx context.Context, q store.Query) (store.Candidates, error) {
	time.Sleep(slowCall)
	return s.Archive.Candidates(ctx, q)
}

func (s *slowArchive) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	time.Sleep(slowCall)
	return s.Archive.TermStats(ctx, terms)
}

// TestSearchesDoNotWaitForASlowStore ingests 199 articles, in batches of
// 8, into a store that takes 20 ms a call while questions are asked: the
// store is written once per batch, outside any lock that searches wait
// for, so no search
// waits more than 100 ms beyond its own two calls (1.37 s before the
// store of record took whole batches).
func TestSearchesDoNotWaitForASlowStore(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 199; i++ {
		files[fmt.Sprintf("%03d.txt", i)] = storetest.SeedArticle("2026-02-04", fmt.Sprintf("https://example.org/%d", i), fmt.Sprintf("Article %d", i),
			fmt.Sprintf("Article %d reports on grain exports, pipeline talks and the price of wheat in the region.", i))
	}
	dir := storetest.WriteCorpus(t, files)
	slow := &slowArchive{Archive: embedded.New(embedded.Options{Embedder: local.Name(), Dimension: local.Dimension()})}
	r := retrieve.New(slow, local)
	done, stop := make(chan struct{}), make(chan struct{})
	var worst time.Duration
	searches := 0
	go func() {
		defer close(done)
		for {
			start := time.Now()
			if _, err := r.Search(context.Background(), "wheat prices and grain exports", retrieve.Options{}); err != nil {
				t.Error(err)
				return
			}
			worst = max(worst, time.Since(start))
			searches++
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	rep, err := ingest.New(slow, local, 0).Files(context.Background(), []string{dir}, ingest.Options{BatchSize: 8})
	close(stop)
	<-done
	if err != nil || rep.Added != 199 {
		t.Fatalf("ingest: %+v, %v", rep, err)
	}
	if n := slow.puts.Load(); n != 25 {
		t.Errorf("%d writes for 199 articles, want 25 batches of at most 8", n)
	}
	t.Logf("%d searches during the ingest, the slowest %v", searches, worst)
	if worst > 2*slowCall+100*time.Millisecond {
		t.Errorf("a search waited %v during the ingest", worst)
	}
}

// countingEmbedder counts the texts it embeds.
type countingEmbedder struct {
	embed.Embedder
	texts atomic.Int64
}

func (c *countingEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	c.texts.Add(int64(len(texts)))
	return c.Embedder.Embed(ctx, texts)
}

// TestDryRunsAndRewrites: a dry run reports what an ingest would do and
// writes and embeds nothing; a rewrite writes every article again.
func TestDryRunsAndRewrites(t *testing.T) {
	ctx := context.Background()
	dir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	emb := &countingEmbedder{Embedder: local}
	a := embedded.New(embedded.Options{Embedder: local.Name(), Dimension: local.Dimension()})
	p := ingest.New(a, emb, 0)
	tests := []struct {
		name                         string
		opts                         ingest.Options
		added, updated, unchanged    int
		articlesAfter, embeddedAfter int
	}{
		{"a dry run into an empty archive", ingest.Options{DryRun: true}, 5, 0, 0, 0, 0},
		{"the ingest", ingest.Options{}, 5, 0, 0, 5, 5},
		{"a dry run of the same", ingest.Options{DryRun: true}, 0, 0, 5, 5, 5},
		{"a rewrite", ingest.Options{Rewrite: true}, 0, 5, 0, 5, 10},
		{"a dry rewrite", ingest.Options{Rewrite: true, DryRun: true}, 0, 5, 0, 5, 10},
	}
	for _, tt := range tests {
		rep, err := p.Files(ctx, []string{dir}, tt.opts)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		st, _ := a.Stats(ctx)
		if rep.Added != tt.added || rep.Updated != tt.updated || rep.Unchanged != tt.unchanged || st.Articles != tt.articlesAfter || int(emb.texts.Load()) != tt.embeddedAfter {
			t.Errorf("%s: report %+v, %d articles, %d texts embedded", tt.name, rep, st.Articles, emb.texts.Load())
		}
		if tt.opts.DryRun && rep.ChunksEmbedded != 0 {
			t.Errorf("%s: %d chunks embedded", tt.name, rep.ChunksEmbedded)
		}
	}
	// A dry run counts what would be removed, and removes nothing.
	os.Remove(filepath.Join(dir, "cocoa.md"))
	rep, err := p.Files(ctx, []string{dir}, ingest.Options{DryRun: true})
	if st, _ := a.Stats(ctx); err != nil || rep.Removed != 1 || st.Articles != 5 {
		t.Errorf("a dry run after a deletion: %+v, %d articles, %v", rep, st.Articles, err)
	}
}
