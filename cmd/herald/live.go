package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/herald-news/herald/internal/bot"
	"github.com/herald-news/herald/internal/desk"
	"github.com/herald-news/herald/internal/feeds"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/watch"
)

// live is what keeps a serving bot's news current: the desk (follows and
// digests), the feed poller, the corpus watcher and the snapshot reloader.
// Each runs until its context ends.
type live struct {
	desk    *desk.Desk
	poller  *feeds.Poller
	watcher *watch.Watcher
	lib     *library.Library
	every   time.Duration
	log     *slog.Logger
	// to forwards events to the desk and the bot's metrics, which are made
	// after the library that reports them.
	to *relay
}

// relay forwards the library's arrivals to the desk and the live news's
// events to the bot's metrics, once they exist (they are set before
// anything runs).
type relay struct {
	desk *desk.Desk
	bot  *bot.Bot
}

func (r *relay) arrived(ctx context.Context, ids []string) {
	if r.desk != nil {
		r.desk.Arrived(ctx, ids)
	}
}

func (r *relay) polled(p feeds.Poll) {
	if r.bot != nil {
		r.bot.FeedPolled(p)
	}
}

func (r *relay) watched(kind string) {
	if r.bot != nil {
		r.bot.WatchEvent(kind)
	}
}

func (r *relay) posted(kind, outcome string) {
	if r.bot != nil {
		r.bot.DeskPosted(kind, outcome)
	}
}

// newLive prepares the live news of a serving bot over lib; it does not
// start anything.
func (a *app) newLive(lib *library.Library, eng *rag.Engine, to *relay) (*live, error) {
	l := &live{lib: lib, every: a.cfg.ReloadEvery, log: a.log, to: to}
	var err error
	l.desk, err = desk.Open(desk.Options{Path: filepath.Join(a.cfg.DataDir, desk.File), Engine: eng, PostEvery: a.cfg.PostEvery, Observe: to.posted, Log: a.log})
	if err != nil {
		return nil, err
	}
	to.desk = l.desk
	// Replicas share one store: shard 0 alone polls the feeds.
	if len(a.cfg.Feeds) > 0 && a.cfg.ShardID == 0 {
		l.poller, err = feeds.New(lib, feeds.Options{Feeds: a.cfg.Feeds, StatePath: filepath.Join(a.cfg.DataDir, feeds.StateFile),
			Timeout: a.cfg.FeedTimeout, MaxBytes: a.cfg.FeedMaxBytes, Observe: to.polled, Log: a.log})
		if err != nil {
			a.log.Warn("the feeds' state could not be read: fetching every feed afresh", "err", err)
		}
	}
	if len(a.cfg.Corpus) > 0 && a.cfg.Watch {
		l.watcher, err = watch.New(lib, watch.Options{Roots: a.cfg.Corpus, Rescan: a.cfg.RescanEvery, Observe: to.watched, Log: a.log})
		if err != nil {
			return nil, err
		}
	}
	return l, nil
}

// runs returns what to run while the bot b serves.
func (l *live) runs(b *bot.Bot) []func(context.Context) {
	l.to.bot = b
	runs := []func(context.Context){
		func(ctx context.Context) { l.desk.Run(ctx, b) },
		l.reload,
	}
	if l.poller != nil {
		runs = append(runs, func(ctx context.Context) { l.poller.Run(ctx) })
	}
	if l.watcher != nil {
		runs = append(runs, func(ctx context.Context) { l.watcher.Run(ctx); l.watcher.Close() })
	}
	return runs
}

// reload swaps in the snapshot another process wrote (herald ingest beside
// the bot), checking every few seconds.
func (l *live) reload(ctx context.Context) {
	tick := time.NewTicker(l.every)
	defer tick.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		_, err := l.lib.Reload(ctx)
		switch {
		case err != nil && err.Error() != last:
			last = err.Error()
			l.log.Error("reloading the index another ingest wrote; answering from the one loaded", "err", err)
		case err == nil:
			last = ""
		}
	}
}
