package rag

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/sharedtest"
)

// reutersSubset writes every nth record of the Reuters-21578 JSON Lines file
// to a temp file, as it is, and returns its path and record count.
func reutersSubset(t testing.TB, every int) (string, int) {
	t.Helper()
	src := sharedtest.Path(t, "datasets/reuters21578/reuters21578.jsonl")
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(t.TempDir(), "reuters.jsonl")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for i := 0; sc.Scan(); i++ {
		if i%every == 0 {
			out.Write(append(sc.Bytes(), '\n'))
			n++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return path, n
}

func TestReutersDateBoundQuestion(t *testing.T) {
	ctx := context.Background()
	path, records := reutersSubset(t, 4)
	ix := NewIndex(IndexOptions{})
	rep, err := ix.Ingest(ctx, []string{path}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added+len(rep.Rejected) != records || rep.Added < records*8/10 {
		t.Fatalf("ingested %d and rejected %d of %d records", rep.Added, len(rep.Rejected), records)
	}
	for _, r := range rep.Rejected {
		if r.Reason != "empty body" || r.Line == 0 {
			t.Errorf("unexpected rejection %v", r)
		}
	}
	if err := ix.Check(); err != nil {
		t.Fatal(err)
	}

	eng := NewEngine(ix, EngineOptions{})
	a, err := eng.Ask(ctx, "What did the Bundesbank do in March 1987?", AskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Found || len(a.Citations) == 0 {
		t.Fatalf("no answer: %s", a.Text)
	}
	for _, c := range a.Citations {
		if c.Date.Year() != 1987 || c.Date.Month() != time.March {
			t.Errorf("citation [%d] %s is dated %s, outside March 1987", c.N, c.Title, c.Day())
		}
	}
	srcs, _, err := eng.Sources(ctx, "Bundesbank in March 1987", AskOptions{K: 10})
	if err != nil || len(srcs) == 0 {
		t.Fatalf("sources: %v, %v", srcs, err)
	}
	for _, s := range srcs {
		if s.Date.Month() != time.March {
			t.Errorf("source %s dated %s", s.Title, s.Day())
		}
	}

	rep, err = ix.Ingest(ctx, []string{path}, IngestOptions{})
	if err != nil || rep.Changed() || rep.Unchanged != records-len(rep.Rejected) {
		t.Fatalf("second ingest: %+v, %v", rep, err)
	}
}
