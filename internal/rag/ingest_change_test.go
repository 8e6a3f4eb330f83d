package rag

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestCorpusChangesDuringIngest removes one file and rewrites another while
// an ingest runs: the ingest finishes, says what it could not read, loses
// nothing it read, and the next ingest catches up with the change.
func TestCorpusChangesDuringIngest(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 6; i++ {
		files[fmt.Sprintf("%02d.txt", i)] = seedArticle("2026-02-04", fmt.Sprintf("https://example.org/%d", i), fmt.Sprintf("Article %d", i),
			fmt.Sprintf("Article %d reports on grain exports and pipeline talks.", i))
	}
	dir := writeCorpus(t, files)
	ctx := context.Background()
	ix := NewIndex(IndexOptions{})
	changed := false
	rep, err := ix.Ingest(ctx, []string{dir}, IngestOptions{Progress: func(p IngestProgress) {
		if changed || p.FilesDone != 1 {
			return
		}
		changed = true
		// Files are read in name order: 03 and 04 are still to come.
		os.Remove(filepath.Join(dir, "03.txt"))
		os.WriteFile(filepath.Join(dir, "04.txt"), []byte(seedArticle("2026-02-05", "https://example.org/4", "Article 4, Revised",
			"Article 4 now reports on wheat tariffs.")), 0o644)
	}})
	if err != nil {
		t.Fatalf("the ingest failed: %v", err)
	}
	if !changed {
		t.Fatal("the corpus was not changed during the ingest")
	}
	if err := ix.Check(); err != nil {
		t.Fatal(err)
	}
	if rep.Added != 5 || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Error(), "03.txt") {
		t.Fatalf("report %+v, rejections %v", rep, rep.Rejected)
	}
	t.Logf("the vanished file: %v", rep.Rejected[0])
	if a, ok := ix.Article("https://example.org/4"); !ok || a.Title != "Article 4, Revised" {
		t.Errorf("the rewritten file: %+v", a)
	}
	// The next ingest sees 03.txt gone for good and keeps the rest.
	rep, err = ix.Ingest(ctx, []string{dir}, IngestOptions{})
	if err != nil || rep.Unchanged != 5 || rep.Added+rep.Updated+rep.Removed != 0 || len(rep.Rejected) != 0 {
		t.Fatalf("the next ingest: %+v, %v", rep, err)
	}
	if st := ix.Stats(); st.Articles != 5 {
		t.Errorf("%d articles", st.Articles)
	}
}

// TestFirstCheckpointComesEarly: with checkpoints an hour apart, a first
// checkpoint due at once still comes, once.
func TestFirstCheckpointComesEarly(t *testing.T) {
	files := map[string]string{}
	for i := 0; i < 200; i++ {
		files[fmt.Sprintf("%03d.txt", i)] = seedArticle("2026-02-04", fmt.Sprintf("https://example.org/%d", i), fmt.Sprintf("Article %d", i), "Grain and energy talks went on.")
	}
	ix := NewIndex(IndexOptions{})
	saves := 0
	_, err := ix.Ingest(context.Background(), []string{writeCorpus(t, files)}, IngestOptions{BatchSize: 16,
		Checkpoint: func() error { saves++; return nil }, CheckpointEvery: time.Hour, FirstCheckpoint: time.Nanosecond})
	if err != nil || saves != 1 {
		t.Fatalf("%d checkpoints, %v; want 1", saves, err)
	}
}
