package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/mmcdole/gofeed"
	"golang.org/x/sync/errgroup"
)

// Sink is where the articles of new and changed items go:
// *library.Library is one.
type Sink interface {
	Add(ctx context.Context, arts []corpus.Article) (ingest.Report, error)
}

// Options configures a Poller.
type Options struct {
	Feeds []Feed
	// StatePath is the state file (in the data directory); "" keeps the
	// state in memory only.
	StatePath string
	// Client makes the requests (default: a client of its own); deadlines
	// come from Timeout, not from the client.
	Client *http.Client
	// Timeout bounds one fetch of a feed or page (default 30 s).
	Timeout time.Duration
	// MaxBytes bounds one response (default 5 MiB).
	MaxBytes int64
	// Concurrency is how many feeds are fetched at once (default 4).
	Concurrency int
	// MaxBackoff bounds the wait after failures (default 6 h).
	MaxBackoff time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Observe, when set, is told of every poll.
	Observe func(Poll)
	Log     *slog.Logger
}

func (o *Options) defaults() {
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 5 << 20
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 6 * time.Hour
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Poll is what one poll of a feed did.
type Poll struct {
	Feed string
	// Feed is the feed's URL, credentials redacted (see Redact).
	// Outcome is ok, not-modified, rate-limited or error.
	Outcome string
	Status  int
	// Items in the feed, New of them new or changed, Rejected unreadable.
	Items, New, Rejected int
	// Lags are, for each new item, the time from its publication to its
	// being answerable.
	Lags []time.Duration
	Took time.Duration
	Next time.Time
	Err  error
}

// Poller polls feeds into a sink.
type Poller struct {
	sink   Sink
	opts   Options
	parser *gofeed.Parser

	mu       sync.Mutex
	state    State
	inFlight map[string]bool
	// mine are the URLs of the feeds this poller polls.
	mine map[string]bool
}

// New returns a poller, with the state its StatePath holds (an unreadable
// state file is reported, and the feeds are fetched afresh).
func New(sink Sink, opts Options) (*Poller, error) {
	opts.defaults()
	p := &Poller{sink: sink, opts: opts, parser: gofeed.NewParser(), inFlight: map[string]bool{}, mine: map[string]bool{}}
	for _, f := range opts.Feeds {
		p.mine[f.URL] = true
	}
	var err error
	if opts.StatePath != "" {
		p.state, err = LoadState(opts.StatePath)
	} else {
		p.state = State{Feeds: map[string]*FeedState{}}
	}
	return p, err
}

// State returns a copy of what the poller knows of each feed.
func (p *Poller) State() map[string]FeedState {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]FeedState, len(p.state.Feeds))
	for u, f := range p.state.Feeds {
		c := *f
		c.Seen = nil
		out[u] = c
	}
	return out
}

// Run polls every feed when it is due until ctx ends. A feed never polled
// is polled at once (spread over a few seconds); the others when their
// next poll, kept across restarts, comes.
func (p *Poller) Run(ctx context.Context) error {
	now := p.opts.Now()
	p.mu.Lock()
	for i, f := range p.opts.Feeds {
		st := p.feedState(f.URL)
		if st.NextPoll.IsZero() {
			st.NextPoll = now.Add(time.Duration(i) * 200 * time.Millisecond)
		}
	}
	p.mu.Unlock()
	sem := make(chan struct{}, p.opts.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		for _, f := range p.due() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return nil
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				p.poll(ctx, f)
			}()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// due returns the feeds whose poll is due and not under way, and marks
// them under way.
func (p *Poller) due() []Feed {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.opts.Now()
	var out []Feed
	for _, f := range p.opts.Feeds {
		if st := p.feedState(f.URL); !p.inFlight[f.URL] && !now.Before(st.NextPoll) {
			p.inFlight[f.URL] = true
			out = append(out, f)
		}
	}
	return out
}

// PollAll polls every feed once, now, a few at a time (herald ingest
// --feeds), and returns what each poll did, in the feeds' order.
func (p *Poller) PollAll(ctx context.Context) []Poll {
	polls := make([]Poll, len(p.opts.Feeds))
	g := errgroup.Group{}
	g.SetLimit(p.opts.Concurrency)
	for i, f := range p.opts.Feeds {
		p.mu.Lock()
		p.inFlight[f.URL] = true
		p.mu.Unlock()
		g.Go(func() error {
			polls[i] = p.poll(ctx, f)
			return nil
		})
	}
	g.Wait()
	return polls
}

// feedState returns the state of a feed, creating it. The caller holds mu.
func (p *Poller) feedState(url string) *FeedState {
	st, ok := p.state.Feeds[url]
	if !ok {
		st = &FeedState{Seen: map[string]Seen{}}
		p.state.Feeds[url] = st
	}
	if st.Seen == nil {
		st.Seen = map[string]Seen{}
	}
	return st
}

// poll fetches one feed, writes its new and changed items, schedules its
// next poll, saves the state and logs one line.
func (p *Poller) poll(ctx context.Context, f Feed) Poll {
	start := p.opts.Now()
	p.mu.Lock()
	st := p.feedState(f.URL)
	etag, lastMod := st.ETag, st.LastModified
	p.mu.Unlock()

	res := Poll{Feed: Redact(f.URL)}
	fctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	resp, err := fetch(fctx, p.opts.Client, f.URL, etag, lastMod, p.opts.MaxBytes, start)
	cancel()
	res.Status = resp.status
	var arts []corpus.Article
	var keys map[string]itemKeys
	var feed *gofeed.Feed
	switch {
	case err != nil:
	case resp.status == http.StatusNotModified:
		res.Outcome = "not-modified"
	default:
		feed, err = p.parser.Parse(bytes.NewReader(resp.body))
		if err != nil {
			err = fmt.Errorf("reading %s: not an RSS, Atom or JSON feed: %w", Redact(f.URL), err)
			break
		}
		res.Items = len(feed.Items)
		arts, keys, res.Rejected = p.fresh(ctx, f, feed, start)
	}
	if err == nil && len(arts) > 0 {
		wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		_, err = p.sink.Add(wctx, arts)
		cancel()
		if err != nil {
			err = fmt.Errorf("indexing %d items of %s: %w", len(arts), Redact(f.URL), err)
		}
	}
	done := p.opts.Now()
	if err == nil && res.Outcome == "" {
		res.Outcome, res.New = "ok", len(arts)
		for _, a := range arts {
			res.Lags = append(res.Lags, max(done.Sub(a.Date), 0))
		}
	}

	p.mu.Lock()
	st.LastFetch = start
	st.Error = ""
	switch {
	case err != nil:
		st.Failures++
		res.Outcome = "error"
		if resp.status == http.StatusTooManyRequests || resp.status == http.StatusServiceUnavailable {
			res.Outcome = "rate-limited"
		}
		st.Error = err.Error()
	default:
		st.Failures = 0
		if resp.status != http.StatusNotModified {
			st.ETag, st.LastModified = resp.etag, resp.lastModified
			st.Items, st.Rejected = res.Items, res.Rejected
			for _, a := range arts {
				ik := keys[a.ID]
				for _, k := range ik.keys {
					st.Seen[k] = Seen{ID: a.ID, Hash: ik.hash, At: start}
				}
			}
			st.forget(start)
		}
		st.New = res.New
	}
	st.Outcome = res.Outcome
	st.NextPoll = done.Add(p.wait(f, st.Failures, resp.retryAfter))
	res.Next, res.Err, res.Took = st.NextPoll, err, done.Sub(start)
	if p.opts.StatePath != "" {
		if serr := p.state.save(p.opts.StatePath, p.mine); serr != nil {
			p.opts.Log.Error("saving the feeds' state", "err", serr)
		}
	}
	delete(p.inFlight, f.URL)
	p.mu.Unlock()

	attrs := []any{"feed", Redact(f.URL), "outcome", res.Outcome, "status", res.Status, "items", res.Items, "new", res.New,
		"rejected", res.Rejected, "took", res.Took.Round(time.Millisecond), "next", res.Next.Format(time.RFC3339)}
	if err != nil {
		p.opts.Log.Warn("polled a feed", append(attrs, "err", err)...)
	} else {
		p.opts.Log.Info("polled a feed", attrs...)
	}
	if p.opts.Observe != nil {
		p.opts.Observe(res)
	}
	return res
}

// itemKeys are what an item is remembered by (its GUID and its link), and
// the hash of the article its feed gave.
type itemKeys struct {
	keys []string
	hash string
}

// fresh turns the feed's items into articles, keeping those not read
// before (by GUID or link) or changed since, and counts the rejected.
func (p *Poller) fresh(ctx context.Context, f Feed, feed *gofeed.Feed, now time.Time) (arts []corpus.Article, keys map[string]itemKeys, rejected int) {
	keys = map[string]itemKeys{}
	p.mu.Lock()
	seen := p.state.Feeds[f.URL].Seen
	p.mu.Unlock()
	for i, item := range feed.Items {
		a, rj := Article(f.URL, feed, item, i+1, now)
		if rj != nil {
			rejected++
			p.opts.Log.Warn("rejected a feed item", "reason", rj.Error())
			continue
		}
		if _, dup := keys[a.ID]; dup {
			continue // the same link twice in one feed
		}
		ks := []string{key(item, a.ID), "link:" + a.ID}
		p.mu.Lock()
		old, ok := seen[ks[0]]
		if !ok {
			old, ok = seen[ks[1]]
		}
		if ok && old.Hash == a.Hash {
			for _, k := range ks {
				seen[k] = Seen{ID: old.ID, Hash: old.Hash, At: now}
			}
			p.mu.Unlock()
			continue
		}
		p.mu.Unlock()
		keys[a.ID] = itemKeys{keys: ks, hash: a.Hash}
		if f.FullText {
			if text, err := p.fullText(ctx, a.URL); err != nil {
				p.opts.Log.Warn("fetching an item's page: indexing the feed's text", "url", a.URL, "err", err)
			} else if text != "" {
				full := a
				full.Body = text
				if fa, rj := full.Finish(); rj == nil {
					a = fa
				}
			}
		}
		arts = append(arts, a)
	}
	return arts, keys, rejected
}

// wait is how long until the next poll: the interval with ±10 % jitter,
// doubled for each failure in a row up to MaxBackoff, and at least what
// the server asked for.
func (p *Poller) wait(f Feed, failures int, retryAfter time.Duration) time.Duration {
	d := f.Interval
	for i := 0; i < failures && d < p.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, p.opts.MaxBackoff)
	d += time.Duration((rand.Float64()*0.2 - 0.1) * float64(d))
	return max(d, retryAfter)
}

// ErrNoFeeds means no feed is configured.
var ErrNoFeeds = errors.New("no feed is configured: set HERALD_FEEDS (URLs, or the path of a feeds file)")
