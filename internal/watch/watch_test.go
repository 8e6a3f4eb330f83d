package watch_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/storetest"
	"github.com/herald-news/herald/internal/watch"
)

// recorder is a library that remembers what each update rejected.
type recorder struct {
	*library.Library
	mu       sync.Mutex
	rejected []string
	updates  int
}

func (r *recorder) Update(ctx context.Context, paths []string) (ingest.Report, error) {
	rep, err := r.Library.Update(ctx, paths)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates++
	for _, rj := range rep.Rejected {
		r.rejected = append(r.rejected, rj.Error())
	}
	return rep, err
}

// titles lists the titles the library holds.
func (r *recorder) titles(t *testing.T) map[string]string {
	t.Helper()
	list, err := r.Archive().Manifest(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range list {
		a, _, err := r.Archive().Article(context.Background(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		out[a.Title] = filepath.Base(m.Source)
	}
	return out
}

// eventually waits up to 10 s for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after 10 s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func article(date, slug, title, body string) string {
	return storetest.SeedArticle(date, "https://example.org/"+slug, title, body)
}

func TestTheWatcherFollowsTheCorpus(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	corpusDir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(corpusDir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("trade.txt", article("2026-02-04", "trade", "Trade Tops $200 Billion", "Trade between Russia and China stayed above $200 billion."))
	lib, _, err := library.Build(ctx, library.Config{Dir: t.TempDir(), Corpus: []string{corpusDir}}, []string{corpusDir}, library.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Library: lib}
	// A root that is not there (an unmounted share) is no reason to stop.
	w, err := watch.New(rec, watch.Options{Roots: []string{corpusDir, filepath.Join(t.TempDir(), "not-mounted")}, Settle: 400 * time.Millisecond, Rescan: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go w.Run(ctx)
	has := func(title, file string) func() bool {
		return func() bool { return rec.titles(t)[title] == file }
	}
	gone := func(title string) func() bool {
		return func() bool { _, ok := rec.titles(t)[title]; return !ok }
	}

	// Created, then changed.
	write("gas.txt", article("2026-02-05", "gas", "Gas Talks Resume", "Talks on the pipeline resumed."))
	eventually(t, "a new file is read", has("Gas Talks Resume", "gas.txt"))
	write("gas.txt", article("2026-02-05", "gas", "Gas Talks Stall", "Talks on the pipeline stalled."))
	eventually(t, "a changed file is read again", has("Gas Talks Stall", "gas.txt"))
	if _, old := rec.titles(t)["Gas Talks Resume"]; old {
		t.Error("the old version of a changed article is still there")
	}

	// Renamed: the same article, from its new file.
	if err := os.Rename(filepath.Join(corpusDir, "gas.txt"), filepath.Join(corpusDir, "pipeline.txt")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a renamed file is followed", has("Gas Talks Stall", "pipeline.txt"))

	// Removed.
	if err := os.Remove(filepath.Join(corpusDir, "pipeline.txt")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a removed file's article is removed", gone("Gas Talks Stall"))

	// Editors' backup and swap files are not articles.
	write("gas.txt~", article("2026-02-05", "gas-backup", "Backup Copy", "An editor's backup."))
	write(".gas.txt.swp", article("2026-02-05", "gas-swap", "Swap Copy", "An editor's swap file."))

	// A new subfolder, and a file in it.
	write("wire/2026/oil.txt", article("2026-02-06", "oil", "Oil Deliveries Rise", "Oil deliveries rose in January."))
	eventually(t, "a file in a new subfolder is read", has("Oil Deliveries Rise", "oil.txt"))
	write("wire/2026/coal.txt", article("2026-02-07", "coal", "Coal Imports Fall", "Coal imports fell."))
	eventually(t, "the new subfolder is watched", has("Coal Imports Fall", "coal.txt"))

	// Written in several steps, slower than the settle time in all but
	// the last: never read half.
	f, err := os.Create(filepath.Join(corpusDir, "wire.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	record := `{"id":"w-1","title":"Grain Deal Signed","date":"2026-02-08","body":"A grain deal was signed in Moscow."}` + "\n"
	for i := 0; i < len(record); i += 20 {
		f.WriteString(record[i:min(i+20, len(record))])
		time.Sleep(150 * time.Millisecond)
	}
	f.Close()
	eventually(t, "a file written in steps is read", has("Grain Deal Signed", "wire.jsonl"))
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.rejected) > 0 {
		t.Errorf("a file was read before it was whole: %v", rec.rejected)
	}
	titles := rec.titles(t)
	if _, ok := titles["Trade Tops $200 Billion"]; !ok {
		t.Error("an untouched file's article was lost")
	}
	if _, ok := titles["Backup Copy"]; ok {
		t.Error("an editor's backup file was read")
	}
}

// TestTheRescanCatchesWhatWasMissed changes the corpus of a library
// whose watcher sees no events (a network mount): the rescan reads it.
func TestTheRescanCatchesWhatWasMissed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	corpusDir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	lib, _, err := library.Build(ctx, library.Config{Dir: t.TempDir(), Corpus: []string{corpusDir}}, []string{corpusDir}, library.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{Library: lib}
	// The watcher watches another folder, so it hears nothing of this one.
	w, err := watch.New(rec, watch.Options{Roots: []string{t.TempDir()}, Rescan: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go w.Run(ctx)
	if err := os.Remove(filepath.Join(corpusDir, "cocoa.md")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the rescan removes a file's article", func() bool {
		_, ok := rec.titles(t)["Cocoa Rains Help Bahia Crop"]
		return !ok
	})
}
