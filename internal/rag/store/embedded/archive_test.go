package embedded

import (
	"context"
	"fmt"
	"testing"

	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// TestConformance runs the store of record's conformance suite against the
// embedded archive in memory. (Snapshots have tests of their own in
// snapshot_test.go; the suite does not yet run through one.)
func TestConformance(t *testing.T) {
	t.Run("in memory", func(t *testing.T) {
		storetest.Run(t, inMemory)
	})
}

// inMemory opens an embedded archive in memory for the suite.
func inMemory(t *testing.T, emb embed.Embedder, words int) store.Archive {
	return New(Options{Embedder: emb.Name(), Dimension: emb.Dimension(), ChunkWords: words})
}

// TestEntriesAreWhatWasPut exports an archive into another and compares
// them: the same articles, chunks, terms and vectors.
func TestEntriesAreWhatWasPut(t *testing.T) {
	ctx := context.Background()
	from, _ := newsArchive(t)
	to := New(localOptions())
	var n int
	err := from.Entries(ctx, func(e store.Entry) error {
		n++
		return to.Put(ctx, []store.Entry{e})
	})
	if err != nil || n != 5 {
		t.Fatalf("%d entries, %v", n, err)
	}
	if err := to.Check(ctx); err != nil {
		t.Fatal(err)
	}
	q := store.Query{Terms: []string{"bundesbank", "rate"}, N: 10}
	vecs, _ := local.Embed(ctx, []string{"Bundesbank rate"})
	q.Vector = vecs[0]
	want, _ := from.Candidates(ctx, q)
	got, _ := to.Candidates(ctx, q)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("candidates differ:\n%v\n%v", got, want)
	}
}

// TestAFailedWriteLeavesTheArchiveAsItWas stores a new version of an
// article whose second chunk cannot be stored (a vector of the wrong
// dimension, past the checks of Put): the write fails, and the archive is
// as it was, the older version searchable, nothing half-written.
func TestAFailedWriteLeavesTheArchiveAsItWas(t *testing.T) {
	ctx := context.Background()
	a, _ := newsArchive(t)
	before, err := a.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var old store.Entry
	if err := a.Entries(ctx, func(e store.Entry) error {
		if old.Article.ID == "" {
			old = e
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	bad := store.Entry{Article: old.Article}
	bad.Article.Title = "A newer version that cannot be stored"
	good := old.Chunks[0]
	broken := good
	broken.Ordinal, broken.Vector = 1, good.Vector[:len(good.Vector)-1]
	bad.Chunks = []store.Chunk{good, broken}
	a.mu.Lock()
	err = a.putLocked(bad)
	a.mu.Unlock()
	if err == nil {
		t.Fatal("a vector of the wrong dimension was stored")
	}
	if err := a.Check(ctx); err != nil {
		t.Fatalf("the archive is inconsistent after a failed write: %v", err)
	}
	after, err := a.Stats(ctx)
	if err != nil || after.Articles != before.Articles || after.Chunks != before.Chunks {
		t.Fatalf("stats %+v after the failed write, %+v before (%v)", after, before, err)
	}
	if got, ok, err := a.Article(ctx, old.Article.ID); err != nil || !ok || got.Title != old.Article.Title {
		t.Fatalf("the article is %q (found %v, %v), want the older version %q", got.Title, ok, err, old.Article.Title)
	}
	cands, err := a.Candidates(ctx, store.Query{Terms: good.Terms[:min(3, len(good.Terms))], Vector: good.Vector, N: 5})
	if err != nil || len(cands.Lexical) == 0 || len(cands.Vector) == 0 {
		t.Fatalf("the older version is not searchable: %+v, %v", cands, err)
	}
	for _, h := range append(cands.Lexical, cands.Vector...) {
		if h.Title == bad.Article.Title {
			t.Errorf("a chunk of the failed version is searchable: %s", h.ChunkID)
		}
	}
}
