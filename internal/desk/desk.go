// Package desk is Herald's news desk: channels that follow a topic get
// each new article that matches it, with a cited sentence, soon after it
// arrives; channels with a digest get a cited summary of the day's news
// at a set time in their time zone. It batches arrivals, keeps to a
// posting rate per channel, posts an article once per channel however
// often it arrives, pauses what it can no longer post and tells whoever
// set it up, once. Follows and digests persist in the data directory.
package desk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/rag"
)

// Engine matches arrivals to topics and writes summaries: *rag.Engine is
// one.
type Engine interface {
	Arrivals(ctx context.Context, ids []string) (rag.Arrivals, error)
	Match(ctx context.Context, topic string, arr rag.Arrivals) ([]rag.Source, error)
	Searchable(text string) bool
	Summarize(ctx context.Context, req rag.SummaryRequest) (rag.Answer, error)
}

// Poster delivers the desk's messages: the bot is one.
type Poster interface {
	// PostArrivals posts new articles on followed topics in a channel;
	// more counts the matches left out for length.
	PostArrivals(ctx context.Context, channelID string, news []News, more int) error
	// PostDigest posts a digest's summary.
	PostDigest(ctx context.Context, d Digest, a rag.Answer) error
	// Tell sends a user a direct message.
	Tell(ctx context.Context, userID, text string) error
}

// ErrNoAccess means Herald can no longer post in a channel (it was
// removed, or lost the permission): what posts there is paused.
var ErrNoAccess = errors.New("no access to the channel")

// News is an arrival that matches a followed topic.
type News struct {
	Topic  string
	Source rag.Source
}

// Follow is a channel's standing order for news on a topic.
type Follow struct {
	GuildID   string    `json:"guild_id"`
	ChannelID string    `json:"channel_id"`
	Topic     string    `json:"topic"`
	By        string    `json:"by"`
	Since     time.Time `json:"since"`
	// Paused says why the follow no longer posts ("" while it does).
	Paused string `json:"paused,omitempty"`
}

// Digest is a channel's daily summary.
type Digest struct {
	GuildID   string `json:"guild_id"`
	ChannelID string `json:"channel_id"`
	// Topic narrows the digest to a topic ("" summarises all the news).
	Topic string `json:"topic,omitempty"`
	// At is the local time of day, HH:MM, in Zone (an IANA time zone).
	At     string    `json:"at"`
	Zone   string    `json:"zone"`
	By     string    `json:"by"`
	Since  time.Time `json:"since"`
	Last   time.Time `json:"last,omitzero"`
	Paused string    `json:"paused,omitempty"`
}

// Options configures a Desk.
type Options struct {
	// Path is the file that keeps follows and digests ("" keeps them in
	// memory only).
	Path   string
	Engine Engine
	// Batch is how long arrivals gather before they are matched (default
	// 2 s), so that a burst makes one message.
	Batch time.Duration
	// PostEvery is the least time between two posts in one channel
	// (default 30 s); what arrives meanwhile waits, and goes in one
	// message.
	PostEvery time.Duration
	// MaxNews is the most articles one message lists (default 10).
	MaxNews int
	// Timeout bounds one match, summary or post (default 60 s).
	Timeout time.Duration
	// Now is the clock of the digests' schedule and of the records kept
	// (default time.Now); batches and posting rates run on the wall clock.
	Now func() time.Time
	// Observe, when set, is told of each post: kind "follow" or "digest",
	// outcome "posted", "failed" or "paused".
	Observe func(kind, outcome string)
	Log     *slog.Logger
}

func (o *Options) defaults() {
	if o.Batch <= 0 {
		o.Batch = 2 * time.Second
	}
	if o.PostEvery <= 0 {
		o.PostEvery = 30 * time.Second
	}
	if o.MaxNews <= 0 {
		o.MaxNews = 10
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Observe == nil {
		o.Observe = func(string, string) {}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Desk keeps the follows and digests and posts for them.
type Desk struct {
	opts   Options
	poster Poster // set by Run

	mu   sync.Mutex
	book book
	// arrivals wait here for the next batch; since is when the first came.
	arrivals []string
	since    time.Time
	// queued news waits for its channel's next post.
	queued   map[string][]News
	lastPost map[string]time.Time
	wake     chan struct{}
}

// Open returns a desk with the follows and digests its file holds.
func Open(opts Options) (*Desk, error) {
	opts.defaults()
	if opts.Engine == nil {
		return nil, errors.New("desk: Engine is required")
	}
	bk, err := loadBook(opts.Path)
	if err != nil {
		return nil, err
	}
	return &Desk{opts: opts, book: bk, queued: map[string][]News{}, lastPost: map[string]time.Time{}, wake: make(chan struct{}, 1)}, nil
}

// Arrived queues articles that arrived for matching; it never blocks.
func (d *Desk) Arrived(_ context.Context, ids []string) {
	if len(ids) == 0 {
		return
	}
	d.mu.Lock()
	if len(d.arrivals) == 0 {
		d.since = time.Now()
	}
	d.arrivals = append(d.arrivals, ids...)
	d.mu.Unlock()
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run matches arrivals, posts through p, and runs digests until ctx ends.
func (d *Desk) Run(ctx context.Context, p Poster) error {
	d.poster = p
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		case <-d.wake:
		}
		d.step(ctx)
	}
}

// step does what is due now: match a batch that has gathered, post what
// each channel may post, run the digests whose time has come.
func (d *Desk) step(ctx context.Context) {
	wall := time.Now()
	d.mu.Lock()
	var batch []string
	if len(d.arrivals) > 0 && wall.Sub(d.since) >= d.opts.Batch {
		batch, d.arrivals = d.arrivals, nil
	}
	d.mu.Unlock()
	if len(batch) > 0 {
		d.match(ctx, batch)
	}
	d.post(ctx, wall)
	d.digests(ctx, d.opts.Now())
}

// match finds, for each active follow, the arrivals that match its topic
// and have not been posted in its channel, and queues them.
func (d *Desk) match(ctx context.Context, ids []string) {
	follows := d.activeFollows()
	if len(follows) == 0 {
		return
	}
	actx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	arr, err := d.opts.Engine.Arrivals(actx, ids)
	cancel()
	if err != nil {
		d.opts.Log.Error("reading arrivals for the follows", "articles", len(ids), "err", err)
		return
	}
	for _, f := range follows {
		mctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
		found, err := d.opts.Engine.Match(mctx, f.Topic, arr)
		cancel()
		if err != nil {
			d.opts.Log.Error("matching arrivals to a follow", "channel", f.ChannelID, "err", err)
			continue
		}
		d.mu.Lock()
		for _, s := range found {
			key := postedKey(f.ChannelID, s.Citation)
			if _, done := d.book.Posted[key]; done || d.isQueued(f.ChannelID, key) {
				continue
			}
			d.queued[f.ChannelID] = append(d.queued[f.ChannelID], News{Topic: f.Topic, Source: s})
		}
		d.mu.Unlock()
	}
}

// isQueued reports whether an article waits for the channel already. The
// caller holds mu.
func (d *Desk) isQueued(channel, key string) bool {
	for _, n := range d.queued[channel] {
		if postedKey(channel, n.Source.Citation) == key {
			return true
		}
	}
	return false
}

// postedKey identifies an article posted in a channel: by its link, so
// that the same story from a feed and from a file is posted once.
func postedKey(channel string, c rag.Citation) string {
	if c.URL != "" {
		return channel + " " + c.URL
	}
	return channel + " id:" + c.ArticleID
}

// post sends each channel's queued news, when its posting rate allows (on
// the wall clock, now), in one message.
func (d *Desk) post(ctx context.Context, now time.Time) {
	d.mu.Lock()
	var channels []string
	for ch, news := range d.queued {
		if len(news) > 0 && now.Sub(d.lastPost[ch]) >= d.opts.PostEvery {
			channels = append(channels, ch)
		}
	}
	d.mu.Unlock()
	sort.Strings(channels)
	for _, ch := range channels {
		d.mu.Lock()
		news := d.queued[ch]
		delete(d.queued, ch)
		d.lastPost[ch] = now
		d.mu.Unlock()
		shown := news[:min(len(news), d.opts.MaxNews)]
		pctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
		err := d.poster.PostArrivals(pctx, ch, shown, len(news)-len(shown))
		cancel()
		switch {
		case errors.Is(err, ErrNoAccess):
			d.opts.Observe("follow", "paused")
			d.lost(ctx, ch, err)
		case err != nil:
			d.opts.Observe("follow", "failed")
			d.opts.Log.Error("posting news to a following channel", "channel", ch, "articles", len(news), "err", err)
			d.mu.Lock()
			d.queued[ch] = append(news, d.queued[ch]...) // try again at the next turn
			d.mu.Unlock()
		default:
			d.opts.Observe("follow", "posted")
			d.opts.Log.Info("posted news to a following channel", "channel", ch, "articles", len(news))
			d.mu.Lock()
			at := d.opts.Now()
			for _, n := range news {
				d.book.Posted[postedKey(ch, n.Source.Citation)] = at
			}
			d.book.prune(at)
			d.saveLocked()
			d.mu.Unlock()
		}
	}
}

// lost pauses what posts in a channel Herald can no longer post in, and
// tells whoever set each up, once.
func (d *Desk) lost(ctx context.Context, channel string, cause error) {
	reason := fmt.Sprintf("Herald lost access to the channel (%v)", cause)
	tell := map[string][]string{} // user → what was paused
	d.mu.Lock()
	for i := range d.book.Follows {
		if f := &d.book.Follows[i]; f.ChannelID == channel && f.Paused == "" {
			f.Paused = reason
			tell[f.By] = append(tell[f.By], fmt.Sprintf("the follow of “%s”", f.Topic))
		}
	}
	for i := range d.book.Digests {
		if g := &d.book.Digests[i]; g.ChannelID == channel && g.Paused == "" {
			g.Paused = reason
			tell[g.By] = append(tell[g.By], "the daily digest")
		}
	}
	delete(d.queued, channel)
	d.saveLocked()
	d.mu.Unlock()
	d.opts.Log.Warn("paused what posts in a channel Herald can no longer post in", "channel", channel, "err", cause)
	for user, what := range tell {
		text := fmt.Sprintf("Herald can no longer post in <#%s>, so it has paused %s there. Give it back the View Channel and Send Messages permissions, then run /follow or /digest in that channel again to resume.", channel, strings.Join(what, " and "))
		tctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
		if err := d.poster.Tell(tctx, user, text); err != nil {
			d.opts.Log.Warn("telling an admin that a channel was paused", "channel", channel, "err", err)
		}
		cancel()
	}
}

// activeFollows returns the follows that are not paused.
func (d *Desk) activeFollows() []Follow {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Follow
	for _, f := range d.book.Follows {
		if f.Paused == "" {
			out = append(out, f)
		}
	}
	return out
}

// saveLocked writes the book, logging a failure (the desk keeps working
// from memory). The caller holds mu.
func (d *Desk) saveLocked() {
	if err := d.book.save(d.opts.Path); err != nil {
		d.opts.Log.Error("saving follows and digests", "err", err)
	}
}
