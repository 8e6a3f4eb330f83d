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
		storetest.Run(t, func(t *testing.T, emb embed.Embedder, words int) store.Archive {
			return New(Options{Embedder: emb.Name(), Dimension: emb.Dimension(), ChunkWords: words})
		})
	})
}

// TestEntriesAreWhatWasPut exports an archive into another and compares
// them: the same articles, chunks, terms and vectors.
func TestEntriesAreWhatWasPut(t *testing.T) {
	ctx := context.Background()
	s := storetest.New(t, func(t *testing.T, emb embed.Embedder, words int) store.Archive {
		return New(Options{Embedder: emb.Name(), Dimension: emb.Dimension(), ChunkWords: words})
	}, 0)
	s.Ingest(t, storetest.WriteCorpus(t, storetest.NewsCorpus()))
	from := s.Archive.(*Archive)
	to := New(Options{Embedder: s.Embedder.Name(), Dimension: s.Embedder.Dimension()})
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
	vecs, _ := s.Embedder.Embed(ctx, []string{"Bundesbank rate"})
	q.Vector = vecs[0]
	want, _ := from.Candidates(ctx, q)
	got, _ := to.Candidates(ctx, q)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("candidates differ:\n%v\n%v", got, want)
	}
}
