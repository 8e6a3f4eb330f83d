package library_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// arrivals records what a library says arrived.
type arrivals struct {
	mu  sync.Mutex
	ids []string
}

func (a *arrivals) add(_ context.Context, ids []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = append(a.ids, ids...)
}

func (a *arrivals) take() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	ids := a.ids
	a.ids = nil
	slices.Sort(ids)
	return ids
}

// articles counts the articles a library's archive holds.
func articles(t *testing.T, ctx context.Context, lib *library.Library) int {
	t.Helper()
	st, err := lib.Archive().Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return st.Articles
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestTheBotSeesAnotherIngest runs an ingest as herald ingest does, beside
// a library open as herald serve holds it: the serving library reloads
// the new snapshot whole, says which articles arrived, keeps pinned
// questions on the old one, and its own next write keeps the other's.
func TestTheBotSeesAnotherIngest(t *testing.T) {
	ctx := context.Background()
	corpusDir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	dir := t.TempDir()
	if _, _, err := library.Build(ctx, library.Config{Dir: dir}, []string{corpusDir}, library.Mode{}); err != nil {
		t.Fatal(err)
	}
	var got arrivals
	served, err := library.Open(ctx, library.Config{Dir: dir, Arrived: got.add})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := served.Reload(ctx); ok || err != nil {
		t.Fatalf("reloading an unchanged snapshot: %v, %v", ok, err)
	}
	pinned := served.Archive().(interface {
		Pin(context.Context) context.Context
	}).Pin(ctx)

	// herald ingest, another process, adds an article.
	more := t.TempDir()
	write(t, filepath.Join(more, "gas.txt"), storetest.SeedArticle("2026-02-06", "https://example.org/gas", "Gas Pipeline Talks Resume", "Talks on the Power of Siberia 2 pipeline resumed in Beijing, officials said."))
	if _, _, err := library.Build(ctx, library.Config{Dir: dir}, []string{more}, library.Mode{}); err != nil {
		t.Fatal(err)
	}

	// While it holds the lock, nothing is reloaded.
	fl := flock.New(filepath.Join(dir, "herald.lock"))
	if ok, err := fl.TryLock(); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := served.Reload(ctx); ok || err != nil {
		t.Fatalf("reloading while an ingest holds the lock: %v, %v", ok, err)
	}
	fl.Unlock()

	if ok, err := served.Reload(ctx); !ok || err != nil {
		t.Fatalf("reloading a new snapshot: %v, %v", ok, err)
	}
	if ids := got.take(); !slices.Equal(ids, []string{"https://example.org/gas"}) {
		t.Errorf("arrived %v, want the gas article alone", ids)
	}
	if n := articles(t, ctx, served); n != 6 {
		t.Errorf("after the reload %d articles, want 6", n)
	}
	if n := articles(t, pinned, served); n != 5 {
		t.Errorf("a question pinned before the reload sees %d articles, want the 5 it started with", n)
	}

	// Another ingest, then a write of the bot's own: both are kept.
	write(t, filepath.Join(more, "oil.txt"), storetest.SeedArticle("2026-02-07", "https://example.org/oil", "Oil Deliveries Rise", "Russian oil deliveries to China rose in January, customs data showed."))
	if _, _, err := library.Build(ctx, library.Config{Dir: dir}, []string{more}, library.Mode{}); err != nil {
		t.Fatal(err)
	}
	watched := t.TempDir()
	drop := filepath.Join(watched, "wheat.txt")
	write(t, drop, storetest.SeedArticle("2026-02-08", "https://example.org/wheat", "Wheat Exports Grow", "Russian wheat exports to China grew, traders said."))
	rep, err := served.Update(ctx, []string{drop})
	if err != nil || rep.Added != 1 {
		t.Fatalf("update: %+v, %v", rep, err)
	}
	if ids := got.take(); len(ids) != 2 {
		t.Errorf("arrived %v, want the oil article (reloaded first) and the wheat one", ids)
	}
	reopened, err := library.Open(ctx, library.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if n := articles(t, ctx, reopened); n != 8 {
		t.Errorf("the snapshot holds %d articles, want 8: the bot's write must keep the other ingest's", n)
	}

	// A removed file takes its article with it.
	if err := os.Remove(drop); err != nil {
		t.Fatal(err)
	}
	rep, err = served.Update(ctx, []string{drop})
	if err != nil || rep.Removed != 1 {
		t.Fatalf("update after a removal: %+v, %v", rep, err)
	}
	if n := articles(t, ctx, served); n != 7 {
		t.Errorf("after the removal %d articles, want 7", n)
	}
}

// TestNewsReplacesTheSample adds a feed's articles to a bot that answered
// from the built-in sample: the sample makes way, and the news is saved.
func TestNewsReplacesTheSample(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	lib, err := library.Open(ctx, library.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !lib.Sample() {
		t.Fatal("an empty directory should answer from the sample")
	}
	item, rj := corpus.Article{Title: "Feed Item", Body: "A feed item about grain.", URL: "https://example.org/a",
		Date: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC), Source: "feed:https://example.org/rss"}.Finish()
	if rj != nil {
		t.Fatal(rj)
	}
	arts := []corpus.Article{item}
	rep, err := lib.Add(ctx, arts)
	if err != nil || rep.Added != 1 {
		t.Fatalf("add: %+v, %v", rep, err)
	}
	if lib.Sample() || articles(t, ctx, lib) != 1 {
		t.Errorf("sample %v, %d articles: want the feed's article alone", lib.Sample(), articles(t, ctx, lib))
	}
	reopened, err := library.Open(ctx, library.Config{Dir: dir, RequireIndex: true})
	if err != nil || articles(t, ctx, reopened) != 1 {
		t.Fatalf("the news was not saved: %v", err)
	}
	rep, err = lib.Add(ctx, arts)
	if err != nil || rep.Unchanged != 1 || len(rep.Arrived) != 0 {
		t.Errorf("the same item again: %+v, %v", rep, err)
	}
}
