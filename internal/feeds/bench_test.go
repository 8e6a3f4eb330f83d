package feeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/feeds"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// liveFeed is an RSS feed whose items are added while it is served.
type liveFeed struct {
	mu    sync.Mutex
	items []string
}

func (f *liveFeed) add(item string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append([]string{item}, f.items...)
}

func (f *liveFeed) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>%s</channel></rss>`, strings.Join(f.items, ""))
}

func rssItem(word string, at time.Time) string {
	return fmt.Sprintf(`<item><title>Report on %[1]s</title><link>https://wire.example/%[1]s</link><guid>%[1]s</guid><pubDate>%[2]s</pubDate>`+
		`<description>A report on %[1]s shipments was published today, traders said.</description></item>`, word, at.Format(time.RFC1123Z))
}

// BenchmarkFeedItemToAnswerable serves a feed polled every 5 s (the
// shortest interval allowed) into a library holding Reuters-21578, adds
// an item every second for 50 s, and times each from its appearance in
// the feed to the moment the library reports it arrived (after it is in
// the live index and saved: an upper bound of when it is answerable; each
// is then checked to be found by a question). The wait for the next poll
// is most of it: with the default 15 min interval, expect up to 15 min.
//
//	go test -run '^$' -bench FeedItemToAnswerable -benchtime 1x ./internal/feeds
func BenchmarkFeedItemToAnswerable(b *testing.B) {
	reuters, _ := storetest.ReutersSubset(b, 1)
	ctx := context.Background()
	for b.Loop() {
		var mu sync.Mutex
		arrived := map[string]time.Time{}
		cfg := library.Config{Dir: b.TempDir(), Arrived: func(_ context.Context, ids []string) {
			mu.Lock()
			defer mu.Unlock()
			for _, id := range ids {
				arrived[id] = time.Now()
			}
		}}
		lib, _, err := library.Build(ctx, cfg, []string{reuters}, library.Mode{})
		if err != nil {
			b.Fatal(err)
		}
		eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{})
		feed := &liveFeed{}
		srv := httptest.NewServer(feed)
		p, err := feeds.New(lib, feeds.Options{Feeds: []feeds.Feed{{URL: srv.URL, Interval: feeds.MinInterval}}})
		if err != nil {
			b.Fatal(err)
		}
		pctx, cancel := context.WithCancel(ctx)
		go p.Run(pctx)
		added := map[string]time.Time{}
		for i := range 50 {
			word := fmt.Sprintf("zephyrine%c%c", 'a'+i/26, 'a'+i%26)
			added[word] = time.Now()
			feed.add(rssItem(word, added[word]))
			time.Sleep(time.Second)
		}
		time.Sleep(2 * feeds.MinInterval)
		cancel()
		srv.Close()
		var lags storetest.Sorted
		for word, at := range added {
			url := "https://wire.example/" + word
			mu.Lock()
			got, ok := arrived[url]
			mu.Unlock()
			if !ok {
				b.Fatalf("%s never arrived", word)
			}
			srcs, _, err := eng.Sources(ctx, "What about "+word+" shipments?", rag.AskOptions{})
			if err != nil || !slices.ContainsFunc(srcs, func(s rag.Source) bool { return s.URL == url }) {
				b.Fatalf("%s is not found by a question: %v %v", word, srcs, err)
			}
			lags = append(lags, got.Sub(at))
		}
		sort.Slice(lags, func(i, j int) bool { return lags[i] < lags[j] })
		b.ReportMetric(lags.MS(50), "p50-ms")
		b.ReportMetric(lags.MS(99), "p99-ms")
		b.ReportMetric(float64(lags[len(lags)-1].Microseconds())/1000, "max-ms")
	}
}

// discard is a sink that keeps nothing, for the poller's own memory.
type discard struct{}

func (discard) Add(_ context.Context, arts []corpus.Article) (ingest.Report, error) {
	return ingest.Report{Added: len(arts)}, nil
}

// BenchmarkPollerMemory polls 100 feeds of 50 items each (about 25 KB a
// feed) once, into a sink that keeps nothing, and reports the poller's
// heap once they are polled, and the size of its state file.
//
//	go test -run '^$' -bench PollerMemory -benchtime 1x ./internal/feeds
func BenchmarkPollerMemory(b *testing.B) {
	now := time.Now()
	var items []string
	for i := range 50 {
		items = append(items, rssItem(fmt.Sprintf("item%02d", i), now.Add(-time.Duration(i)*time.Hour)))
	}
	feed := &liveFeed{items: items}
	var list []feeds.Feed
	var servers []*httptest.Server
	for range 100 {
		srv := httptest.NewServer(feed)
		servers = append(servers, srv)
		list = append(list, feeds.Feed{URL: srv.URL + "/rss", Interval: feeds.DefaultInterval})
	}
	defer func() {
		for _, s := range servers {
			s.Close()
		}
	}()
	for b.Loop() {
		state := filepath.Join(b.TempDir(), feeds.StateFile)
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		p, err := feeds.New(discard{}, feeds.Options{Feeds: list, StatePath: state})
		if err != nil {
			b.Fatal(err)
		}
		polls := p.PollAll(context.Background())
		for _, pl := range polls {
			if pl.Err != nil || pl.New != 50 {
				b.Fatalf("poll: %+v", pl)
			}
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		info, _ := os.Stat(state)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MB")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "allocated-MB")
		b.ReportMetric(float64(info.Size())/1024, "state-KB")
		runtime.KeepAlive(p)
	}
}
