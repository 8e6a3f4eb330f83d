// Package ingest brings articles into the store of record. It reads article
// files (internal/corpus), compares them with the archive's manifest, and
// for what is new or changed chunks the text, analyses the chunks' terms
// and embeds them outside any lock, then writes them to the archive once
// per batch. Unchanged articles are skipped, moved ones relocated, and
// those gone from the paths read are removed.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/store"
)

// Pipeline ingests into one archive, one ingest at a time.
type Pipeline struct {
	archive  store.Archive
	embedder embed.Embedder
	analyzer *analysis.Analyzer
	words    int
	mu       sync.Mutex // one ingest at a time
}

// New returns a pipeline that chunks articles into chunks of about
// chunkWords words (corpus.DefaultChunkWords when ≤ 0), embeds them with
// embedder and writes them to archive.
func New(archive store.Archive, embedder embed.Embedder, chunkWords int) *Pipeline {
	if chunkWords <= 0 {
		chunkWords = corpus.DefaultChunkWords
	}
	return &Pipeline{archive: archive, embedder: embedder, analyzer: analysis.NewIndex(), words: chunkWords}
}

// Options controls an ingest.
type Options struct {
	Corpus corpus.Options
	// BatchSize is how many articles are chunked and embedded together
	// (default 64).
	BatchSize int
	// Checkpoint, when set, is called about every CheckpointEvery while the
	// ingest runs, and persists progress. Writes are held while it runs.
	// The first comes after FirstCheckpoint when that is set and shorter, so
	// that a long ingest cut short early still leaves an index.
	Checkpoint      func() error
	CheckpointEvery time.Duration
	FirstCheckpoint time.Duration
	// Progress, when set, is called after each file.
	Progress func(Progress)
	// Rewrite writes every article read, changed or not: a rebuild in
	// place, for an archive that cannot be built afresh beside the old.
	Rewrite bool
	// DryRun reads and compares, and writes nothing: the report says what
	// the ingest would do. Nothing is embedded.
	DryRun bool
	// Vanished takes a root that does not exist for one removed, with the
	// articles read from it, rather than for a path that could not be read
	// (which protects them): for a watcher naming the files that changed.
	Vanished bool
}

// progressEvery is how many articles pass between progress reports within
// a file.
const progressEvery = 500

// Progress tells how far an ingest has come; it is reported after each
// file and every few hundred articles.
type Progress struct {
	File               corpus.FileResult
	FilesDone, Files   int
	BytesDone, Bytes   int64
	Articles, Rejected int
}

// Report sums up an ingest.
type Report struct {
	Files     int
	Added     int
	Updated   int
	Unchanged int
	Removed   int
	// Relocated counts unchanged articles found in another file or line
	// than before.
	Relocated int
	// Rejected lists every rejected file or record, in reading order.
	Rejected []*corpus.Rejection
	// Chunks counts the chunks in the index after the ingest, and
	// ChunksEmbedded those embedded by it.
	// Arrived lists the IDs of the articles added or updated, in the
	// order they were written.
	Arrived        []string
	Chunks         int
	ChunksEmbedded int
	Duration       time.Duration
}

// Changed reports whether the ingest added, replaced or removed anything.
func (r Report) Changed() bool { return r.Added+r.Updated+r.Removed+r.Relocated > 0 }

// Ingested counts the articles the ingest read successfully.
func (r Report) Ingested() int { return r.Added + r.Updated + r.Unchanged }

// Files reads the article files under roots (files or directories) and
// brings the archive in line with them: new articles are added, changed
// ones replaced, unchanged ones skipped, and articles that came from under
// these roots but are no longer there are removed. Bad files and records
// are reported in the report and never stop the rest. Articles of a file
// that could not be read whole are kept.
func (p *Pipeline) Files(ctx context.Context, roots []string, opts Options) (Report, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	var rep Report
	reject := func(r *corpus.Rejection) { rep.Rejected = append(rep.Rejected, r) }

	absRoots, err := resolve(roots)
	if err != nil {
		return rep, err
	}
	present, vanished := absRoots, []string(nil)
	if opts.Vanished {
		present, vanished = splitVanished(absRoots)
	}
	files := corpus.Files(present, reject)
	rep.Files = len(files)
	var totalBytes int64
	for _, f := range files {
		if info, err := os.Stat(f); err == nil {
			totalBytes += info.Size()
		}
	}
	run, err := p.start(ctx, opts, &rep)
	if err != nil {
		return rep, err
	}
	progress := Progress{Files: len(files), Bytes: totalBytes}
	var filesBytes int64 // bytes of the files done
	report := func() {
		if opts.Progress != nil {
			progress.Rejected = len(rep.Rejected)
			opts.Progress(progress)
		}
	}
	err = corpus.Walk(ctx, files, opts.Corpus, corpus.Handler{
		Article: func(a corpus.Article) error {
			progress.Articles++
			if progress.Articles%progressEvery == 0 {
				progress.BytesDone = filesBytes + a.End
				report()
			}
			return run.add(ctx, a)
		},
		Reject: reject,
		FileDone: func(f corpus.FileResult) {
			filesBytes += f.Bytes
			progress.File = f
			progress.FilesDone++
			progress.BytesDone = filesBytes
			report()
		},
	})
	if err == nil {
		err = run.flush(ctx)
	}
	if err == nil {
		err = run.removeGone(ctx, absRoots, files, vanished)
	}
	if err != nil {
		return rep, fmt.Errorf("ingesting %s: %w", strings.Join(roots, ", "), err)
	}
	return rep, run.finish(ctx, start)
}

// resolve makes roots absolute, following a root that is a symbolic link.
func resolve(roots []string) ([]string, error) {
	out := make([]string, 0, len(roots))
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return nil, fmt.Errorf("resolving %s: %w", r, err)
		}
		if resolved, err := filepath.EvalSymlinks(abs); err == nil {
			abs = resolved
		}
		out = append(out, abs)
	}
	return out, nil
}

// splitVanished separates the roots that exist from those that do not.
func splitVanished(roots []string) (present, vanished []string) {
	for _, r := range roots {
		if _, err := os.Lstat(r); errors.Is(err, fs.ErrNotExist) {
			vanished = append(vanished, r)
			continue
		}
		present = append(present, r)
	}
	return present, vanished
}

// Articles adds or replaces articles already in memory (such as the
// built-in sample corpus, or a feed's items). Nothing is removed. Of
// opts, only BatchSize counts.
func (p *Pipeline) Articles(ctx context.Context, arts []corpus.Article, opts Options) (Report, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	start := time.Now()
	var rep Report
	run, err := p.start(ctx, Options{BatchSize: opts.BatchSize}, &rep)
	if err != nil {
		return rep, err
	}
	for _, a := range arts {
		if err := run.add(ctx, a); err != nil {
			return rep, err
		}
	}
	if err := run.flush(ctx); err != nil {
		return rep, err
	}
	return rep, run.finish(ctx, start)
}

// run is one ingest: the archive's manifest when it started, what the
// ingest has read, and the batch waiting to be written.
type run struct {
	p              *Pipeline
	opts           Options
	rep            *Report
	known          map[string]store.Manifest // the archive's articles
	seen           map[string]string         // article ID → where it was read
	batch          []corpus.Article
	moved          []store.Manifest
	lastCheckpoint time.Time
	checkpointed   bool
}

func (p *Pipeline) start(ctx context.Context, opts Options, rep *Report) (*run, error) {
	list, err := p.archive.Manifest(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the index's manifest: %w", err)
	}
	known := make(map[string]store.Manifest, len(list))
	for _, m := range list {
		known[m.ID] = m
	}
	return &run{p: p, opts: opts, rep: rep, known: known, seen: map[string]string{}, lastCheckpoint: time.Now()}, nil
}

func (r *run) add(ctx context.Context, a corpus.Article) error {
	where := fmt.Sprintf("%s:%d", a.Source, a.Line)
	if first, dup := r.seen[a.ID]; dup {
		r.rep.Rejected = append(r.rep.Rejected, &corpus.Rejection{Path: a.Source, Line: a.Line, Field: "id",
			Reason: fmt.Sprintf("duplicate article ID %q (first read at %s)", a.ID, first)})
		return nil
	}
	r.seen[a.ID] = where
	if old, ok := r.known[a.ID]; ok && old.Hash == a.Hash && !r.opts.Rewrite {
		r.rep.Unchanged++
		if old.Source != a.Source || old.Line != a.Line {
			r.moved = append(r.moved, store.Manifest{ID: a.ID, Hash: a.Hash, Source: a.Source, Line: a.Line})
			r.rep.Relocated++
		}
		return nil
	}
	r.batch = append(r.batch, a)
	size := r.opts.BatchSize
	if size <= 0 {
		size = 64
	}
	if len(r.batch) >= size {
		return r.flush(ctx)
	}
	return nil
}

// flush writes the pending batch, prepared outside any lock, in one Put,
// records the moves, then checkpoints when due.
func (r *run) flush(ctx context.Context) error {
	if len(r.batch) > 0 && r.opts.DryRun {
		for _, a := range r.batch {
			if _, ok := r.known[a.ID]; ok {
				r.rep.Updated++
			} else {
				r.rep.Added++
			}
		}
		r.batch = r.batch[:0]
	}
	if len(r.batch) > 0 {
		entries, err := r.p.prepare(ctx, r.batch)
		if err != nil {
			return err
		}
		if err := r.p.archive.Put(ctx, entries); err != nil {
			return err
		}
		for _, e := range entries {
			if _, ok := r.known[e.Article.ID]; ok {
				r.rep.Updated++
			} else {
				r.rep.Added++
			}
			r.rep.Arrived = append(r.rep.Arrived, e.Article.ID)
			r.known[e.Article.ID] = store.Manifest{ID: e.Article.ID, Hash: e.Article.Hash, Source: e.Article.Source, Line: e.Article.Line}
			r.rep.ChunksEmbedded += len(e.Chunks)
		}
		r.batch = r.batch[:0]
	}
	if r.opts.DryRun {
		r.moved = r.moved[:0]
	}
	if len(r.moved) > 0 {
		if err := r.p.archive.Relocate(ctx, r.moved); err != nil {
			return fmt.Errorf("recording moved articles: %w", err)
		}
		r.moved = r.moved[:0]
	}
	due := r.opts.CheckpointEvery
	if !r.checkpointed && r.opts.FirstCheckpoint > 0 {
		due = min(due, r.opts.FirstCheckpoint)
	}
	if r.opts.Checkpoint != nil && !r.opts.DryRun && time.Since(r.lastCheckpoint) >= due {
		if err := r.opts.Checkpoint(); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		r.lastCheckpoint, r.checkpointed = time.Now(), true
	}
	return nil
}

// removeGone removes the articles that came from under roots and were not
// read again. Nothing is removed from under a path that could not be read
// (a file, a directory or a whole root), nor from under a root that held
// no article file at all: a missing mount should not empty the index.
func (r *run) removeGone(ctx context.Context, roots, files, vanished []string) error {
	var protected []string
	for _, rj := range r.rep.Rejected {
		protected = append(protected, rj.Path)
	}
	for _, root := range roots {
		if !underAnyOf(root, files) && !slices.Contains(vanished, root) {
			protected = append(protected, root)
		}
	}
	var gone []string
	for id, m := range r.known {
		if _, ok := r.seen[id]; ok || !underAny(m.Source, roots) || underAny(m.Source, protected) {
			continue
		}
		gone = append(gone, id)
	}
	if len(gone) == 0 {
		return nil
	}
	if r.opts.DryRun {
		r.rep.Removed += len(gone)
		return nil
	}
	if err := r.p.archive.Remove(ctx, gone); err != nil {
		return fmt.Errorf("removing %d articles: %w", len(gone), err)
	}
	r.rep.Removed += len(gone)
	return nil
}

// finish counts the chunks in the archive and times the ingest.
func (r *run) finish(ctx context.Context, start time.Time) error {
	st, err := r.p.archive.Stats(ctx)
	if err != nil {
		return fmt.Errorf("counting the index: %w", err)
	}
	r.rep.Chunks = st.Chunks
	r.rep.Duration = time.Since(start)
	return nil
}

// underAnyOf reports whether root is one of paths or holds one of them.
func underAnyOf(root string, paths []string) bool {
	for _, p := range paths {
		if underAny(p, []string{root}) {
			return true
		}
	}
	return false
}

// underAny reports whether path is one of roots or inside one of them.
func underAny(path string, roots []string) bool {
	for _, r := range roots {
		if path == r || strings.HasPrefix(path, strings.TrimSuffix(r, string(filepath.Separator))+string(filepath.Separator)) {
			return true
		}
	}
	return false
}
