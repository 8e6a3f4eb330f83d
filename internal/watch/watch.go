// Package watch keeps the running bot's index in line with the corpus
// folders: files created, changed, moved or removed under them are read
// (or their articles removed) within a few seconds, once they have stopped
// changing, so that a file still being written is never read half; new
// subfolders are watched as they appear; and a periodic rescan catches
// what the operating system's notifications miss (network mounts, a
// queue overflow).
package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/ingest"
)

// Library is what the watcher updates: *library.Library is one.
type Library interface {
	// Update reads the paths that changed; those that no longer exist
	// have their articles removed.
	Update(ctx context.Context, paths []string) (ingest.Report, error)
	// Reindex reads the whole corpus again.
	Reindex(ctx context.Context) (ingest.Report, error)
}

// Options configures a Watcher.
type Options struct {
	// Roots are the corpus's files and folders.
	Roots []string
	// Settle is how long a file must stay unchanged before it is read
	// (default 1 s). A writer that pauses longer should write a hidden
	// file (.name) and rename it into place.
	Settle time.Duration
	// Rescan is how often the whole corpus is read again, as a safety net
	// (default 10 min; negative turns it off).
	Rescan time.Duration
	// Timeout bounds one update (default 5 min).
	Timeout time.Duration
	// Observe, when set, is told of each event ("create", "write",
	// "remove", "rename", "overflow") and each update's outcome ("ok",
	// "error").
	Observe func(kind string)
	Log     *slog.Logger
}

func (o *Options) defaults() {
	if o.Settle <= 0 {
		o.Settle = time.Second
	}
	if o.Rescan == 0 {
		o.Rescan = 10 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Observe == nil {
		o.Observe = func(string) {}
	}
}

// Watcher watches the corpus and updates the library.
type Watcher struct {
	lib   Library
	opts  Options
	roots []string // absolute
	// files are the roots that are files, not folders.
	files map[string]bool
	fs    *fsnotify.Watcher
	// pending holds the paths that changed, with what was seen of them
	// last and when they last changed.
	pending map[string]seen
}

// seen is what a pending path looked like when last looked at.
type seen struct {
	at      time.Time
	size    int64
	mod     time.Time
	missing bool
}

// New starts watching the roots. Call Run to process what it sees, and
// Close when done.
func New(lib Library, opts Options) (*Watcher, error) {
	opts.defaults()
	w := &Watcher{lib: lib, opts: opts, pending: map[string]seen{}, files: map[string]bool{}}
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching the corpus: %w", err)
	}
	w.fs = fw
	for _, r := range opts.Roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			fw.Close()
			return nil, fmt.Errorf("watching %s: %w", r, err)
		}
		w.roots = append(w.roots, abs)
		info, err := os.Stat(abs)
		switch {
		case err != nil:
			// A mount that is not there yet: the rescan reads it once it is.
			opts.Log.Warn("not watching a corpus path that cannot be read; the rescan will read it when it can", "path", r, "err", err)
		case info.IsDir():
			if err := w.addTree(abs); err != nil {
				fw.Close()
				return nil, err
			}
		default: // a file: watch its folder, and keep only its events
			w.files[abs] = true
			if err := fw.Add(filepath.Dir(abs)); err != nil {
				fw.Close()
				return nil, fmt.Errorf("watching %s: %w", r, err)
			}
		}
	}
	return w, nil
}

// Close stops watching.
func (w *Watcher) Close() error { return w.fs.Close() }

// addTree watches dir and every folder under it, and returns the files
// found there (for a folder that appeared with files already in it).
func (w *Watcher) addTree(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			w.opts.Log.Warn("watching the corpus", "path", path, "err", err)
			return nil
		}
		if path != dir && corpus.Ignored(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if err := w.fs.Add(path); err != nil {
				return fmt.Errorf("watching %s: %w", path, err)
			}
		}
		return nil
	})
}

// watched reports whether a path belongs to the corpus: under a folder
// root, or a file root itself, and not ignored (hidden files, editors'
// swap and backup files: corpus.Ignored).
func (w *Watcher) watched(path string) bool {
	for _, r := range w.roots {
		if path == r {
			return true
		}
		rel, err := filepath.Rel(r, path)
		if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
			continue
		}
		if w.files[r] {
			continue
		}
		for _, part := range strings.Split(rel, string(filepath.Separator)) {
			if corpus.Ignored(part) {
				return false
			}
		}
		return true
	}
	return false
}

// Run processes events until ctx ends.
func (w *Watcher) Run(ctx context.Context) error {
	tick := time.NewTicker(min(w.opts.Settle/4, 250*time.Millisecond))
	defer tick.Stop()
	var rescan <-chan time.Time
	if w.opts.Rescan > 0 {
		t := time.NewTicker(w.opts.Rescan)
		defer t.Stop()
		rescan = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.fs.Events:
			if !ok {
				return nil
			}
			w.event(ev)
		case err, ok := <-w.fs.Errors:
			if !ok {
				return nil
			}
			if errors.Is(err, fsnotify.ErrEventOverflow) {
				w.opts.Observe("overflow")
				w.opts.Log.Warn("the watcher missed events: reading the corpus again", "err", err)
				w.reindex(ctx)
				continue
			}
			w.opts.Log.Warn("watching the corpus", "err", err)
		case <-tick.C:
			w.flush(ctx)
		case <-rescan:
			w.reindex(ctx)
		}
	}
}

// event records a change, and watches a folder that appeared.
func (w *Watcher) event(ev fsnotify.Event) {
	path := filepath.Clean(ev.Name)
	if !w.watched(path) {
		return
	}
	switch {
	case ev.Has(fsnotify.Create):
		w.opts.Observe("create")
		if info, err := os.Stat(path); err == nil && info.IsDir() {
			if err := w.addTree(path); err != nil {
				w.opts.Log.Warn("watching a new folder", "path", path, "err", err)
			}
		}
	case ev.Has(fsnotify.Write):
		w.opts.Observe("write")
	case ev.Has(fsnotify.Remove):
		w.opts.Observe("remove")
	case ev.Has(fsnotify.Rename):
		w.opts.Observe("rename")
	default: // chmod: nothing to read
		return
	}
	w.pending[path] = look(path, time.Now())
}

// look describes a path as it is now.
func look(path string, at time.Time) seen {
	info, err := os.Stat(path)
	if err != nil {
		return seen{at: at, missing: true}
	}
	return seen{at: at, size: info.Size(), mod: info.ModTime()}
}

// flush updates the library with the paths that have settled: unchanged
// since their last event for Settle, and still the same size and time.
func (w *Watcher) flush(ctx context.Context) {
	now := time.Now()
	var ready []string
	for path, s := range w.pending {
		if now.Sub(s.at) < w.opts.Settle {
			continue
		}
		if cur := look(path, s.at); cur != s {
			w.pending[path] = look(path, now) // still being written
			continue
		}
		ready = append(ready, path)
	}
	if len(ready) == 0 {
		return
	}
	for _, p := range ready {
		delete(w.pending, p)
	}
	ready = outermost(ready)
	uctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	start := time.Now()
	rep, err := w.lib.Update(uctx, ready)
	if err != nil {
		w.opts.Observe("error")
		w.opts.Log.Error("reading what changed in the corpus", "paths", len(ready), "err", err)
		// Try again at the next settle: the lock may have been busy.
		for _, p := range ready {
			w.pending[p] = look(p, time.Now())
		}
		return
	}
	w.opts.Observe("ok")
	w.logReport("read what changed in the corpus", rep, start, "paths", len(ready))
}

// outermost sorts paths and drops those inside another of them: a new
// folder is read whole, its files once.
func outermost(paths []string) []string {
	slices.Sort(paths)
	var out []string
	for _, p := range paths {
		if n := len(out); n > 0 && strings.HasPrefix(p, out[n-1]+string(filepath.Separator)) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// reindex reads the whole corpus again.
func (w *Watcher) reindex(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, w.opts.Timeout)
	defer cancel()
	start := time.Now()
	rep, err := w.lib.Reindex(rctx)
	if err != nil {
		w.opts.Observe("error")
		w.opts.Log.Error("rescanning the corpus", "err", err)
		return
	}
	w.opts.Observe("ok")
	w.logReport("rescanned the corpus", rep, start)
}

func (w *Watcher) logReport(msg string, rep ingest.Report, start time.Time, attrs ...any) {
	attrs = append(attrs, "added", rep.Added, "updated", rep.Updated, "removed", rep.Removed,
		"rejected", len(rep.Rejected), "took", time.Since(start).Round(time.Millisecond))
	level := slog.LevelDebug
	if rep.Changed() || len(rep.Rejected) > 0 {
		level = slog.LevelInfo
	}
	w.opts.Log.Log(context.Background(), level, msg, attrs...)
	for _, r := range rep.Rejected {
		w.opts.Log.Warn("rejected", "reason", r.Error())
	}
}
