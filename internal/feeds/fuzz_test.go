package feeds_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/feeds"
	"github.com/mmcdole/gofeed"
)

// FuzzItemToArticle feeds arbitrary documents through the feed parser and
// the item → article conversion: nothing panics, and every article that
// comes out is dated, linked, and has text.
//
//	go test -run '^$' -fuzz FuzzItemToArticle -fuzztime 5m ./internal/feeds
func FuzzItemToArticle(f *testing.F) {
	for _, seed := range []string{rss, atomFeed, jsonFeed,
		`<rss><channel><item><title>t</title><link>javascript:alert(1)</link><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate><description>&lt;script&gt;x&lt;/script&gt;body</description></item></channel></rss>`,
		`{"version":"https://jsonfeed.org/version/1","items":[{"id":"http://x.example/1","content_text":"text","date_modified":"0001-01-01T00:00:00Z"}]}`,
	} {
		f.Add(seed)
	}
	parser := gofeed.NewParser()
	f.Fuzz(func(t *testing.T, doc string) {
		feed, err := parser.ParseString(doc)
		if err != nil {
			return
		}
		for i, item := range feed.Items {
			a, rj := feeds.Article("https://feed.example/rss", feed, item, i+1, now)
			if rj != nil {
				if rj.Reason == "" || rj.Path != "https://feed.example/rss" || rj.Line != i+1 {
					t.Fatalf("a rejection that does not say where or why: %+v", rj)
				}
				continue
			}
			u, err := url.Parse(a.URL)
			switch {
			case err != nil || (u.Scheme != "http" && u.Scheme != "https") || a.ID != a.URL:
				t.Fatalf("article linked to %q (ID %q)", a.URL, a.ID)
			case a.Date.IsZero() || a.Date.After(now.Add(24*time.Hour)) || a.Date.Year() < 1900:
				t.Fatalf("article dated %v", a.Date)
			case strings.TrimSpace(a.Body) == "" || a.Hash == "" || a.Title == "":
				t.Fatalf("article without text, title or hash: %+v", a)
			}
		}
	})
}
