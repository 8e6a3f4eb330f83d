package library

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gofrs/flock"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/store/embedded"
)

// A running bot keeps its library current three ways: Update reads the
// files a watcher saw change, Add writes the articles a feed brought, and
// Reload swaps in the snapshot another process (herald ingest) wrote. Each
// takes the data directory's lock, first loads any newer snapshot (so that
// no write of this process overwrites another's), writes, saves, and tells
// Config.Arrived which articles arrived.

// liveBatch is how many articles an update from a watcher or a feed
// writes in one Put: a question sees such a batch whole or not at all.
const liveBatch = 256

// Reload loads the data directory's snapshot when another process has
// written one since this library loaded or saved it, and swaps it in
// whole: questions under way finish on the archive they started on, and
// no question sees part of an ingest. While another ingest holds the
// directory's lock it does nothing (the next call reloads). It reports
// whether it reloaded. On Weaviate, every replica reads the same
// collections, and there is nothing to reload.
func (l *Library) Reload(ctx context.Context) (bool, error) {
	if l.live == nil {
		return false, nil
	}
	l.mu.Lock()
	unlock, err := lock(l.cfg)
	if errors.Is(err, ErrLocked) {
		l.mu.Unlock()
		return false, nil
	}
	if err != nil {
		l.mu.Unlock()
		return false, err
	}
	arrived, reloaded, err := l.reloadLocked(ctx)
	unlock()
	l.mu.Unlock()
	l.arrived(ctx, arrived)
	return reloaded, err
}

// Update brings the library in line with paths that changed under the
// corpus: files that exist are read (new, changed or moved articles),
// and paths that no longer exist have their articles removed.
func (l *Library) Update(ctx context.Context, paths []string) (ingest.Report, error) {
	return l.write(ctx, func(ctx context.Context) (ingest.Report, error) {
		return l.pipeline.Files(ctx, paths, ingest.Options{
			Corpus: corpus.Options{MaxFileBytes: l.cfg.MaxFileBytes}, Vanished: true, BatchSize: liveBatch,
		})
	})
}

// Add writes articles that came from elsewhere than the corpus files (a
// feed): new ones are added, changed ones replaced, the same ones skipped.
func (l *Library) Add(ctx context.Context, arts []corpus.Article) (ingest.Report, error) {
	return l.write(ctx, func(ctx context.Context) (ingest.Report, error) {
		return l.pipeline.Articles(ctx, arts, ingest.Options{BatchSize: liveBatch})
	})
}

// Reindex reads the library's corpus again into the live index, which
// keeps answering meanwhile, and saves it: the bot's /reindex, and the
// watcher's periodic rescan.
func (l *Library) Reindex(ctx context.Context) (ingest.Report, error) {
	if len(l.cfg.Corpus) == 0 {
		return ingest.Report{}, ErrNoCorpus
	}
	rep, err := l.write(ctx, func(ctx context.Context) (ingest.Report, error) {
		var opts ingest.Options
		l.checkpoints(&opts)
		return l.ingest(ctx, l.cfg.Corpus, opts)
	})
	for _, r := range rep.Rejected {
		l.cfg.Log.Warn("reindex rejected", "reason", r.Error())
	}
	return rep, err
}

// write runs one write of this process: with the directory's lock held
// (waiting for another ingest to finish, within ctx), on the newest
// snapshot, saved when it changed anything, even in part.
func (l *Library) write(ctx context.Context, run func(context.Context) (ingest.Report, error)) (ingest.Report, error) {
	l.mu.Lock()
	var arrived []string
	rep, err := func() (ingest.Report, error) {
		if l.live == nil {
			return run(ctx)
		}
		unlock, err := lockWait(ctx, l.cfg)
		if err != nil {
			return ingest.Report{}, err
		}
		defer unlock()
		if arrived, _, err = l.reloadLocked(ctx); err != nil {
			return ingest.Report{}, err
		}
		if l.sample {
			l.cfg.Log.Info("news arrived: the built-in sample corpus makes way for it", "data", l.cfg.Dir)
			l.live.swap(embedded.New(l.cfg.archiveOptions()))
			l.sample = false
		}
		rep, err := run(ctx)
		if rep.Changed() {
			if serr := l.archive.Sync(ctx); serr != nil {
				return rep, errors.Join(err, serr)
			}
			l.stamp, _ = os.Stat(l.cfg.SnapshotPath())
		}
		return rep, err
	}()
	l.mu.Unlock()
	l.arrived(ctx, append(arrived, rep.Arrived...))
	return rep, err
}

// reloadLocked loads the snapshot when it is not the one this library
// last loaded or saved, and swaps it in. It returns the articles that the
// snapshot added or changed. The caller holds mu and the directory's lock.
func (l *Library) reloadLocked(ctx context.Context) (arrived []string, reloaded bool, err error) {
	path := l.cfg.SnapshotPath()
	st, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the snapshot another ingest wrote: %w", err)
	}
	if l.stamp != nil && os.SameFile(l.stamp, st) && l.stamp.ModTime().Equal(st.ModTime()) && l.stamp.Size() == st.Size() {
		return nil, false, nil
	}
	start := time.Now()
	a, err := embedded.Open(ctx, path, l.cfg.archiveOptions())
	if err != nil {
		return nil, false, fmt.Errorf("reloading the snapshot another ingest wrote: %w", err)
	}
	before, err := l.live.Manifest(ctx)
	if err != nil {
		return nil, false, err
	}
	after, err := a.Manifest(ctx)
	if err != nil {
		return nil, false, err
	}
	known := make(map[string]string, len(before))
	if !l.sample {
		for _, m := range before {
			known[m.ID] = m.Hash
		}
	}
	for _, m := range after {
		if h, ok := known[m.ID]; !ok || h != m.Hash {
			arrived = append(arrived, m.ID)
		}
	}
	l.live.swap(a)
	l.pipeline = ingest.New(l.archive, l.cfg.Embedder, a.ChunkWords())
	l.stamp, l.sample = st, false
	l.cfg.Log.Info("reloaded the index another ingest wrote", "path", path, "articles", len(after), "arrived", len(arrived), "took", time.Since(start).Round(time.Millisecond))
	return arrived, true, nil
}

// arrived tells Config.Arrived of articles that arrived.
func (l *Library) arrived(ctx context.Context, ids []string) {
	if len(ids) > 0 && l.cfg.Arrived != nil {
		l.cfg.Arrived(ctx, ids)
	}
}

// lockWait takes the data directory's lock, waiting within ctx for
// another ingest to release it.
func lockWait(ctx context.Context, cfg Config) (unlock func(), err error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	fl := flock.New(cfg.lockPath())
	locked, err := fl.TryLockContext(ctx, 100*time.Millisecond)
	if err != nil || !locked {
		return nil, fmt.Errorf("waiting for another ingest into %s to finish: %w", cfg.Dir, errors.Join(err, ctx.Err()))
	}
	removeStaleTemps(cfg)
	return func() { fl.Unlock() }, nil
}
