package rag_test

import (
	"context"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"

	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

var (
	writeCorpus = storetest.WriteCorpus
	seedArticle = storetest.SeedArticle
	newsCorpus  = storetest.NewsCorpus
)

// memoryLibrary ingests files (name → content) into a library in memory,
// with the local embedder unless emb is given.
func memoryLibrary(t testing.TB, files map[string]string, emb embed.Embedder) *library.Library {
	t.Helper()
	lib, _, err := library.InMemory(context.Background(), library.Config{Embedder: emb}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.Ingest(context.Background(), []string{writeCorpus(t, files)}); err != nil {
		t.Fatal(err)
	}
	return lib
}

// newsEngine answers from the news corpus, on 2026-02-10.
func newsEngine(t testing.TB) *rag.Engine {
	t.Helper()
	lib := memoryLibrary(t, newsCorpus(), nil)
	asOf := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	return rag.New(lib.Archive(), lib.Embedder(), rag.Options{Now: func() time.Time { return asOf }})
}
