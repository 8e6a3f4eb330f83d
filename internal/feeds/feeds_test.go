package feeds_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/feeds"
	"github.com/herald-news/herald/internal/rag/ingest"
)

// sink records the articles a poller writes.
type sink struct {
	mu   sync.Mutex
	arts map[string]corpus.Article
	adds int
	fail error
}

func (s *sink) Add(_ context.Context, arts []corpus.Article) (ingest.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return ingest.Report{}, s.fail
	}
	if s.arts == nil {
		s.arts = map[string]corpus.Article{}
	}
	s.adds++
	for _, a := range arts {
		s.arts[a.ID] = a
	}
	return ingest.Report{Added: len(arts)}, nil
}

func (s *sink) get(id string) (corpus.Article, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.arts[id]
	return a, ok
}

var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

const rss = `<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>
<title>Wire</title><link>https://news.example/</link>
<item><title>Putin and Xi Talk Trade</title><link>https://news.example/a</link><guid>a</guid>
<pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate>
<description>short summary</description>
<content:encoded><![CDATA[<p>Trade between Russia and China rose, <a href="https://evil.example">officials said</a>.</p><script>alert(1)</script><iframe src="https://x.example">frame text</iframe><p>Second paragraph.</p>]]></content:encoded></item>
<item><title>Updated Only</title><link>/b</link><guid>b</guid><description>Dated by its update.</description>
<atom:updated xmlns:atom="http://www.w3.org/2005/Atom">2026-03-01T10:00:00Z</atom:updated></item>
<item><title>No Date</title><link>https://news.example/c</link><description>Undated.</description></item>
<item><title>Future</title><link>https://news.example/d</link><pubDate>Sat, 02 Mar 2030 08:00:00 GMT</pubDate><description>Too early.</description></item>
<item><title>Impossible</title><link>https://news.example/e</link><pubDate>Mon, 30 Feb 2026 08:00:00 GMT</pubDate><description>No such day.</description></item>
<item><title>Twice</title><link>https://news.example/f</link><guid>f</guid><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate><description>Once.</description></item>
<item><title>Twice</title><link>https://news.example/f</link><guid>f</guid><pubDate>Mon, 02 Mar 2026 09:00:00 GMT</pubDate><description>Once.</description></item>
</channel></rss>`

const atomFeed = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Wire</title><link href="https://atom.example/"/>
<entry><title>Gas Talks Resume</title><link href="https://atom.example/gas"/><id>urn:gas</id>
<published>2026-03-02T07:00:00Z</published><content type="html">&lt;p&gt;Talks on the pipeline resumed.&lt;/p&gt;</content></entry>
</feed>`

const jsonFeed = `{"version":"https://jsonfeed.org/version/1.1","title":"JSON Wire","home_page_url":"https://json.example/",
"items":[{"id":"j1","url":"https://json.example/oil","title":"Oil Deliveries Rise","date_published":"2026-03-02T06:00:00Z","content_html":"<p>Oil deliveries rose in January.</p>"}]}`

// poller returns a poller of fs into s, with its state in a file of its
// own, a short timeout and a small size limit.
func poller(t *testing.T, s *sink, fs ...feeds.Feed) (*feeds.Poller, string) {
	t.Helper()
	state := filepath.Join(t.TempDir(), feeds.StateFile)
	p, err := feeds.New(s, feeds.Options{Feeds: fs, StatePath: state,
		Timeout: 500 * time.Millisecond, MaxBytes: 64 << 10, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return p, state
}

func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestEachFormatBecomesArticles(t *testing.T) {
	tests := []struct {
		name, body, id, title, date, text string
		items, rejected                   int
	}{
		{"RSS 2.0", rss, "https://news.example/a", "Putin and Xi Talk Trade", "2026-03-02", "Trade between Russia and China rose, officials said.\n\nSecond paragraph.", 7, 3},
		{"Atom", atomFeed, "https://atom.example/gas", "Gas Talks Resume", "2026-03-02", "Talks on the pipeline resumed.", 1, 0},
		{"JSON Feed", jsonFeed, "https://json.example/oil", "Oil Deliveries Rise", "2026-03-02", "Oil deliveries rose in January.", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, tt.body) })
			s := &sink{}
			p, _ := poller(t, s, feeds.Feed{URL: url, Interval: time.Minute})
			polls := p.PollAll(context.Background())
			if polls[0].Err != nil || polls[0].Items != tt.items || polls[0].Rejected != tt.rejected {
				t.Fatalf("poll: %+v", polls[0])
			}
			a, ok := s.get(tt.id)
			if !ok {
				t.Fatalf("no article %s in %v", tt.id, s.arts)
			}
			if a.Title != tt.title || a.Day() != tt.date || a.URL != tt.id || a.Body != tt.text || a.Source != feeds.Source(url) {
				t.Errorf("article %+v", a)
			}
		})
	}
}

func TestItemsAreReadOnceAndUpdatedWhenChanged(t *testing.T) {
	var body atomic.Value
	body.Store(rss)
	var conditional atomic.Int32
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		b := body.Load().(string)
		etag := fmt.Sprintf(`"%d"`, len(b))
		if r.Header.Get("If-None-Match") == etag {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		if !strings.HasPrefix(r.Header.Get("User-Agent"), "Herald/") {
			t.Errorf("User-Agent %q does not name Herald", r.Header.Get("User-Agent"))
		}
		w.Header().Set("ETag", etag)
		fmt.Fprint(w, b)
	})
	s := &sink{}
	p, state := poller(t, s, feeds.Feed{URL: url, Interval: time.Minute})
	ctx := context.Background()
	first := p.PollAll(ctx)[0]
	if first.New != 3 || len(s.arts) != 3 {
		t.Fatalf("first poll: %+v, %d articles (want a, b and f once)", first, len(s.arts))
	}
	if b, ok := s.get("https://news.example/b"); !ok || b.Day() != "2026-03-01" {
		t.Errorf("an item dated by its update only: %+v", b)
	}
	if second := p.PollAll(ctx)[0]; second.Outcome != "not-modified" || conditional.Load() != 1 {
		t.Errorf("second poll: %+v (want a 304)", second)
	}
	// The feed changes one item; the others are not written again.
	body.Store(strings.Replace(rss, "Second paragraph.", "A new second paragraph.", 1))
	third := p.PollAll(ctx)[0]
	if third.New != 1 || !strings.Contains(s.arts["https://news.example/a"].Body, "A new second") {
		t.Errorf("third poll: %+v", third)
	}
	// A restart reads the state and does not fetch everything again.
	s2 := &sink{}
	p2, err := feeds.New(s2, feeds.Options{Feeds: []feeds.Feed{{URL: url, Interval: time.Minute}}, StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	if after := p2.PollAll(ctx)[0]; after.Outcome != "not-modified" || len(s2.arts) != 0 {
		t.Errorf("after a restart: %+v, %d articles", after, len(s2.arts))
	}
}

func TestServersThatMisbehave(t *testing.T) {
	// One failure doubles the minute's interval, less up to 10 % jitter.
	const backoff = 108 * time.Second
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	tests := []struct {
		name    string
		h       http.HandlerFunc
		outcome string
		err     string
		wait    time.Duration // at least this until the next poll
	}{
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, "error", "500", backoff},
		{"429 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(http.StatusTooManyRequests)
		}, "rate-limited", "429", time.Hour},
		{"503 with an HTTP date", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", now.Add(2*time.Hour).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		}, "rate-limited", "503", 2*time.Hour - time.Second},
		{"a stall", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-stall:
			case <-r.Context().Done():
			}
		}, "error", "in time", backoff},
		{"a body that never ends", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<?xml version="1.0"?><rss><channel>`)
			w.(http.Flusher).Flush()
			select {
			case <-stall:
			case <-r.Context().Done():
			}
		}, "error", "in time", backoff},
		{"malformed XML", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `<rss><channel><item><title>x</titl`) }, "error", "not an RSS, Atom or JSON feed", backoff},
		{"over the size limit", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<?xml version="1.0"?><rss><channel>`+strings.Repeat("<!-- padding -->", 10000))
		}, "error", "size limit", backoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &sink{}
			p, _ := poller(t, s, feeds.Feed{URL: serve(t, tt.h), Interval: time.Minute})
			start := time.Now()
			got := p.PollAll(context.Background())[0]
			if got.Outcome != tt.outcome || got.Err == nil || !strings.Contains(got.Err.Error(), tt.err) {
				t.Errorf("poll: outcome %q, err %v; want %q, %q", got.Outcome, got.Err, tt.outcome, tt.err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("the poll took %v", took)
			}
			if wait := got.Next.Sub(now); wait < tt.wait {
				t.Errorf("next poll in %v, want at least %v", wait, tt.wait)
			}
			if len(s.arts) > 0 {
				t.Errorf("articles from a failed poll: %v", s.arts)
			}
		})
	}
}

func TestAFailedWriteIsFetchedAgain(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"1"`)
		if r.Header.Get("If-None-Match") == `"1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		fmt.Fprint(w, atomFeed)
	})
	s := &sink{fail: fmt.Errorf("disk full")}
	p, _ := poller(t, s, feeds.Feed{URL: url, Interval: time.Minute})
	if got := p.PollAll(context.Background())[0]; got.Outcome != "error" {
		t.Fatalf("poll with a failing index: %+v", got)
	}
	s.fail = nil
	if got := p.PollAll(context.Background())[0]; got.New != 1 {
		t.Errorf("the next poll must fetch in full, not get a 304: %+v", got)
	}
}

func TestFullTextIsBounded(t *testing.T) {
	stall := make(chan struct{})
	t.Cleanup(func() { close(stall) })
	mux := http.NewServeMux()
	var base string
	mux.HandleFunc("/feed", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<?xml version="1.0"?><rss><channel>
<item><title>Good Page</title><link>%[1]s/good</link><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate><description>Feed summary of good.</description></item>
<item><title>Huge Page</title><link>%[1]s/huge</link><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate><description>Feed summary of huge.</description></item>
<item><title>Endless Page</title><link>%[1]s/endless</link><pubDate>Mon, 02 Mar 2026 08:00:00 GMT</pubDate><description>Feed summary of endless.</description></item>
</channel></rss>`, base)
	})
	mux.HandleFunc("/good", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><head><title>Good</title><script>var x=1;</script></head><body><nav>Menu Home About</nav><article><h1>Good Page</h1>`+
			strings.Repeat(`<p>The full text of the article tells of trade between Russia and China, which grew again this year, officials said.</p>`, 6)+`</article><footer>Copyright</footer></body></html>`)
	})
	mux.HandleFunc("/huge", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body>"+strings.Repeat("<p>padding words</p>", 20000))
	})
	mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<html><body><p>start")
		w.(http.Flusher).Flush()
		select {
		case <-stall:
		case <-r.Context().Done():
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base = srv.URL
	s := &sink{}
	start := time.Now()
	p, _ := poller(t, s, feeds.Feed{URL: base + "/feed", Interval: time.Minute, FullText: true})
	got := p.PollAll(context.Background())[0]
	if got.New != 3 || time.Since(start) > 5*time.Second {
		t.Fatalf("poll: %+v after %v", got, time.Since(start))
	}
	good, _ := s.get(base + "/good")
	if !strings.Contains(good.Body, "The full text of the article") || strings.Contains(good.Body, "var x") || strings.Contains(good.Body, "Menu Home") {
		t.Errorf("the good page's text: %q", good.Body)
	}
	for _, slug := range []string{"/huge", "/endless"} {
		if a, _ := s.get(base + slug); !strings.HasPrefix(a.Body, "Feed summary of") {
			t.Errorf("%s: want the feed's summary when the page is out of bounds, got %.80q", slug, a.Body)
		}
	}
}

func TestFeedLists(t *testing.T) {
	tests := []struct {
		list string
		want []feeds.Feed
		err  string
	}{
		{"https://a.example/rss, https://b.example/atom interval=30m fulltext", []feeds.Feed{
			{URL: "https://a.example/rss", Interval: feeds.DefaultInterval},
			{URL: "https://b.example/atom", Interval: 30 * time.Minute, FullText: true}}, ""},
		{"ftp://a.example/rss", nil, "not an http(s) URL"},
		{"https://a.example/rss interval=1s", nil, "at least"},
		{"https://a.example/rss colour=blue", nil, "unknown setting"},
		{"https://a.example/rss https://a.example/rss", nil, "listed twice"},
	}
	for _, tt := range tests {
		got, err := feeds.Parse(tt.list, "HERALD_FEEDS")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "HERALD_FEEDS") {
				t.Errorf("%q: err %v, want %q", tt.list, err, tt.err)
			}
			continue
		}
		if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%q: %v, %v", tt.list, got, err)
		}
	}
}

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain  text\n here", "plain text here"},
		{"<p>One</p><p>Two <b>bold</b>er</p>", "One\n\nTwo bolder"},
		{`<p>Read <a href="https://evil.example">the report</a> &amp; more</p>`, "Read the report & more"},
		{"<script>alert(1)</script><style>p{}</style><iframe>x</iframe>Text", "Text"},
		{"Line<br>break", "Line break"},
		{"<p>unclosed <i>tags", "unclosed tags"},
	}
	for _, tt := range tests {
		if got := feeds.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFeedURLsAreRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:s3cret@news.example/rss?token=abc": "https://redacted@news.example/rss?…",
		"https://news.example/rss":                       "https://news.example/rss",
	} {
		if got := feeds.Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
	// Nor do they reach a poll's error or outcome.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", 500) }))
	defer srv.Close()
	secret := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/rss?token=abc123"
	p, _ := poller(t, &sink{}, feeds.Feed{URL: secret, Interval: time.Minute})
	got := p.PollAll(context.Background())[0]
	if shown := fmt.Sprint(got.Feed, got.Err); strings.Contains(shown, "s3cret") || strings.Contains(shown, "abc123") {
		t.Errorf("a secret is shown: %s", shown)
	}
	// Nor when the server cannot be reached at all.
	p, _ = poller(t, &sink{}, feeds.Feed{URL: "http://user:s3cret@127.0.0.1:1/rss?token=abc123", Interval: time.Minute})
	if got := p.PollAll(context.Background())[0]; strings.Contains(got.Err.Error(), "s3cret") || strings.Contains(got.Err.Error(), "abc123") {
		t.Errorf("a secret is shown: %v", got.Err)
	}
}

func TestAmbiguousItemDatesAreRejected(t *testing.T) {
	doc := `{"version":"https://jsonfeed.org/version/1.1","items":[` +
		`{"id":"a","url":"https://json.example/a","title":"A","date_published":"03/02/2026","content_text":"Ambiguous."},` +
		`{"id":"b","url":"https://json.example/b","title":"B","date_published":"2026-03-02T06:00:00Z","content_text":"Clear."}]}`
	url := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, doc) })
	s := &sink{}
	p, _ := poller(t, s, feeds.Feed{URL: url, Interval: time.Minute})
	if got := p.PollAll(context.Background())[0]; got.New != 1 || got.Rejected != 1 {
		t.Errorf("poll: %+v", got)
	}
	if _, ok := s.get("https://json.example/a"); ok {
		t.Error("an item dated 03/02/2026 was indexed")
	}
}

// TestTwoPollersShareTheStateFile has herald ingest --feeds poll a feed
// of its own beside a bot's poller on the same state file, and a poller
// save its state into a data directory that does not exist yet.
func TestTwoPollersShareTheStateFile(t *testing.T) {
	a := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, atomFeed) })
	b := serve(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, jsonFeed) })
	state := filepath.Join(t.TempDir(), "not", "yet", feeds.StateFile)
	bot, err := feeds.New(&sink{}, feeds.Options{Feeds: []feeds.Feed{{URL: a, Interval: time.Minute}}, StatePath: state})
	if err != nil {
		t.Fatal(err)
	}
	cron, _ := feeds.New(&sink{}, feeds.Options{Feeds: []feeds.Feed{{URL: b, Interval: time.Minute}}, StatePath: state})
	ctx := context.Background()
	bot.PollAll(ctx)
	cron.PollAll(ctx)
	bot.PollAll(ctx)
	got, err := feeds.LoadState(state)
	if err != nil {
		t.Fatal(err)
	}
	if got.Feeds[a] == nil || got.Feeds[b] == nil || got.Feeds[b].Items != 1 {
		t.Errorf("the state holds %v; want both feeds", got.Feeds)
	}
}
