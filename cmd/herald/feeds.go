package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/herald-news/herald/internal/feeds"
	"github.com/herald-news/herald/internal/rag/library"
)

// feeds lists each configured feed with its last fetch, outcome, item
// count and next poll, from the state the poller keeps in the data
// directory.
func (a *app) feeds(_ context.Context, args []string) error {
	fs := newFlagSet("feeds", a.stderr, &a.cfg)
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError("herald feeds takes no arguments: it lists the feeds of HERALD_FEEDS")
	}
	if len(a.cfg.Feeds) == 0 {
		return exitError{code: 2, msg: feeds.ErrNoFeeds.Error()}
	}
	state, err := feeds.LoadState(filepath.Join(a.cfg.DataDir, feeds.StateFile))
	if err != nil {
		return err
	}
	for _, f := range a.cfg.Feeds {
		st, ok := state.Feeds[f.URL]
		if !ok || st.LastFetch.IsZero() {
			fmt.Fprintf(a.stdout, "%s\n  never fetched; every %v\n", feeds.Redact(f.URL), f.Interval)
			continue
		}
		fmt.Fprintf(a.stdout, "%s\n  last fetch %s: %s, %d items (%d new, %d rejected); next poll %s\n",
			feeds.Redact(f.URL), st.LastFetch.UTC().Format(time.RFC3339), st.Outcome, st.Items, st.New, st.Rejected, st.NextPoll.UTC().Format(time.RFC3339))
		if st.Error != "" {
			fmt.Fprintf(a.stdout, "  error: %s\n", st.Error)
		}
	}
	return nil
}

// ingestFeeds polls every feed once into the library (herald ingest
// --feeds, for cron), and reports each poll.
func (a *app) ingestFeeds(ctx context.Context) error {
	if len(a.cfg.Feeds) == 0 {
		return exitError{code: 2, msg: feeds.ErrNoFeeds.Error()}
	}
	cfg := a.libraryConfig()
	cfg.RequireIndex = false
	lib, err := library.Open(ctx, cfg)
	if err != nil {
		return a.explain(err)
	}
	p, err := feeds.New(lib, feeds.Options{Feeds: a.cfg.Feeds, StatePath: filepath.Join(a.cfg.DataDir, feeds.StateFile),
		Timeout: a.cfg.FeedTimeout, MaxBytes: a.cfg.FeedMaxBytes, Log: a.log})
	if err != nil {
		a.log.Warn("the feeds' state could not be read: fetching every feed afresh", "err", err)
	}
	failed, added := 0, 0
	for _, poll := range p.PollAll(ctx) {
		line := fmt.Sprintf("%s: %s, %d items, %d new, %d rejected", poll.Feed, poll.Outcome, poll.Items, poll.New, poll.Rejected)
		if poll.Outcome == "not-modified" {
			line = fmt.Sprintf("%s: not modified since the last poll", poll.Feed)
		}
		if poll.Err != nil {
			failed++
			line += ": " + poll.Err.Error()
		}
		added += poll.New
		fmt.Fprintln(a.stdout, line)
	}
	fmt.Fprintf(a.stdout, "polled %s: %d new or changed items; %d failed\n", plural(len(a.cfg.Feeds), "feed"), added, failed)
	if failed == len(a.cfg.Feeds) {
		return exitError{code: 1, msg: "no feed could be fetched"}
	}
	return nil
}
