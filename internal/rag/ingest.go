package rag

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
)

// IngestOptions controls an ingest.
type IngestOptions struct {
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
	Progress func(IngestProgress)
}

// progressEvery is how many articles pass between progress reports within
// a file.
const progressEvery = 500

// IngestProgress tells how far an ingest has come; it is reported after
// each file and every few hundred articles.
type IngestProgress struct {
	File               corpus.FileResult
	FilesDone, Files   int
	BytesDone, Bytes   int64
	Articles, Rejected int
}

// IngestReport sums up an ingest.
type IngestReport struct {
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
	Chunks         int
	ChunksEmbedded int
	Duration       time.Duration
}

// Changed reports whether the ingest added, replaced or removed anything.
func (r IngestReport) Changed() bool { return r.Added+r.Updated+r.Removed+r.Relocated > 0 }

// Ingested counts the articles the ingest read successfully.
func (r IngestReport) Ingested() int { return r.Added + r.Updated + r.Unchanged }

// Ingest reads the article files under roots (files or directories) and
// brings the index in line with them: new articles are added, changed ones
// replaced, unchanged ones skipped, and articles that came from under these
// roots but are no longer there are removed. Bad files and records are
// reported in the report and never stop the rest. Articles of a file that
// could not be read whole are kept.
func (ix *Index) Ingest(ctx context.Context, roots []string, opts IngestOptions) (IngestReport, error) {
	ix.ingestMu.Lock()
	defer ix.ingestMu.Unlock()
	start := time.Now()
	var rep IngestReport
	reject := func(r *corpus.Rejection) { rep.Rejected = append(rep.Rejected, r) }

	absRoots := make([]string, 0, len(roots))
	for _, r := range roots {
		abs, err := filepath.Abs(r)
		if err != nil {
			return rep, fmt.Errorf("resolving %s: %w", r, err)
		}
		// A root that is a symbolic link is read where it points.
		if resolved, err := filepath.EvalSymlinks(abs); err == nil {
			abs = resolved
		}
		absRoots = append(absRoots, abs)
	}
	files := corpus.Files(absRoots, reject)
	rep.Files = len(files)
	var totalBytes int64
	for _, f := range files {
		if info, err := os.Stat(f); err == nil {
			totalBytes += info.Size()
		}
	}

	run := ingestRun{ix: ix, opts: opts, rep: &rep, seen: map[string]string{}, lastCheckpoint: time.Now()}
	progress := IngestProgress{Files: len(files), Bytes: totalBytes}
	var filesBytes int64 // bytes of the files done
	report := func() {
		if opts.Progress != nil {
			progress.Rejected = len(rep.Rejected)
			opts.Progress(progress)
		}
	}
	err := corpus.Walk(ctx, files, opts.Corpus, corpus.Handler{
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
	if err != nil {
		return rep, fmt.Errorf("ingesting %s: %w", strings.Join(roots, ", "), err)
	}
	// Nothing is removed from under a path that could not be read (a
	// file, a directory or a whole root), nor from under a root that held
	// no article file at all: a missing mount should not empty the index.
	var protected []string
	for _, r := range rep.Rejected {
		protected = append(protected, r.Path)
	}
	for _, r := range absRoots {
		if !underAnyOf(r, files) {
			protected = append(protected, r)
		}
	}
	// Remove what came from under these roots and is gone.
	ix.mu.Lock()
	for id, a := range ix.articles {
		if _, ok := run.seen[id]; ok || !underAny(a.Source, absRoots) || underAny(a.Source, protected) {
			continue
		}
		if err := ix.removeLocked(ctx, a); err != nil {
			ix.mu.Unlock()
			return rep, fmt.Errorf("removing %s: %w", id, err)
		}
		rep.Removed++
	}
	rep.Chunks = len(ix.chunkSlot)
	ix.mu.Unlock()
	rep.Duration = time.Since(start)
	return rep, nil
}

// IngestArticles adds or replaces articles already in memory (such as the
// built-in sample corpus). Nothing is removed.
func (ix *Index) IngestArticles(ctx context.Context, arts []corpus.Article) (IngestReport, error) {
	ix.ingestMu.Lock()
	defer ix.ingestMu.Unlock()
	start := time.Now()
	var rep IngestReport
	run := ingestRun{ix: ix, rep: &rep, seen: map[string]string{}}
	for _, a := range arts {
		if err := run.add(ctx, a); err != nil {
			return rep, err
		}
	}
	if err := run.flush(ctx); err != nil {
		return rep, err
	}
	rep.Chunks = len(ix.chunkSlot)
	rep.Duration = time.Since(start)
	return rep, nil
}

// ingestRun batches the articles of one ingest.
type ingestRun struct {
	ix             *Index
	opts           IngestOptions
	rep            *IngestReport
	seen           map[string]string // article ID → where it was read
	batch          []corpus.Article
	lastCheckpoint time.Time
	checkpointed   bool
}

func (r *ingestRun) add(ctx context.Context, a corpus.Article) error {
	where := fmt.Sprintf("%s:%d", a.Source, a.Line)
	if first, dup := r.seen[a.ID]; dup {
		r.rep.Rejected = append(r.rep.Rejected, &corpus.Rejection{Path: a.Source, Line: a.Line, Field: "id",
			Reason: fmt.Sprintf("duplicate article ID %q (first read at %s)", a.ID, first)})
		return nil
	}
	r.seen[a.ID] = where
	r.ix.mu.RLock()
	old, exists := r.ix.articles[a.ID]
	unchanged := exists && old.Hash == a.Hash
	r.ix.mu.RUnlock()
	if unchanged {
		r.rep.Unchanged++
		if old.Source != a.Source || old.Line != a.Line {
			r.ix.mu.Lock()
			old.Source, old.Line = a.Source, a.Line
			r.ix.mu.Unlock()
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

// flush embeds and inserts the pending batch, then checkpoints when due.
func (r *ingestRun) flush(ctx context.Context) error {
	if len(r.batch) > 0 {
		ready, err := r.ix.prepare(ctx, r.batch)
		if err != nil {
			return err
		}
		r.ix.mu.Lock()
		for _, p := range ready {
			if _, ok := r.ix.articles[p.art.ID]; ok {
				r.rep.Updated++
			} else {
				r.rep.Added++
			}
			r.rep.ChunksEmbedded += len(p.chunks)
			if err := r.ix.insertLocked(ctx, p); err != nil {
				r.ix.mu.Unlock()
				return err
			}
		}
		r.ix.mu.Unlock()
		r.batch = r.batch[:0]
	}
	due := r.opts.CheckpointEvery
	if !r.checkpointed && r.opts.FirstCheckpoint > 0 {
		due = min(due, r.opts.FirstCheckpoint)
	}
	if r.opts.Checkpoint != nil && time.Since(r.lastCheckpoint) >= due {
		if err := r.opts.Checkpoint(); err != nil {
			return fmt.Errorf("checkpoint: %w", err)
		}
		r.lastCheckpoint, r.checkpointed = time.Now(), true
	}
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
