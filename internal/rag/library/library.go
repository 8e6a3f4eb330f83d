// Package library keeps Herald's store of record in a data directory: it
// opens the snapshot there, builds one from a corpus on first use or
// answers from the built-in sample, and runs ingests into it with the
// directory's lock held, checkpoints along the way and a snapshot at the
// end. The command line and the bot's /reindex use it; the archive it
// opens goes to the engine.
package library

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/embedded"
)

// Config says where the library is and how it is built.
type Config struct {
	// Dir is the data directory.
	Dir string
	// Embedder makes the vectors (default: the local embedder).
	Embedder embed.Embedder
	// ChunkWords is the chunk length of a new index; 0 keeps an existing
	// index's own. A different length than an index's is an error.
	ChunkWords int
	// Corpus is built into the directory on first use, when it holds no
	// index; Reindex reads it again.
	Corpus []string
	// RequireIndex makes a directory with no index (and no Corpus) an
	// error, rather than a reason to answer from the built-in sample.
	RequireIndex bool
	// MaxFileBytes limits an article file or JSON Lines record.
	MaxFileBytes int64
	// CheckpointEvery is how often a long ingest saves its progress
	// (default 30 s).
	CheckpointEvery time.Duration
	Log             *slog.Logger
}

func (c *Config) defaults() {
	if c.Embedder == nil {
		c.Embedder = embed.NewLocal(0)
	}
	if c.CheckpointEvery <= 0 {
		c.CheckpointEvery = 30 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Errors of opening and writing a library.
var (
	// ErrNoIndex means the directory holds no index, and none may be
	// built or sampled.
	ErrNoIndex = fmt.Errorf("the data directory holds no index: %w", store.ErrEmpty)
	// ErrLocked means another ingest is writing to the directory.
	ErrLocked = errors.New("another ingest is writing to the data directory")
	// ErrBuilding means an ingest is running and has not saved its first
	// snapshot yet.
	ErrBuilding = errors.New("an ingest into the data directory is running and has not saved its first snapshot yet")
	// ErrNothingIngested means the corpus held no article that could be
	// ingested.
	ErrNothingIngested = errors.New("the corpus holds no article that could be ingested")
	// ErrNotADirectory means the data directory is a file.
	ErrNotADirectory = errors.New("the data directory is a file, not a directory")
	// ErrNoCorpus means Reindex has no corpus to read.
	ErrNoCorpus = errors.New("no corpus is configured to read again")
)

// firstCheckpoint is when a long ingest first saves its progress: early, so
// that one killed after a few seconds still leaves an index to load.
const firstCheckpoint = 2 * time.Second

// Library is an open store of record and what writes to it.
type Library struct {
	cfg      Config
	archive  *embedded.Archive
	pipeline *ingest.Pipeline
	sample   bool
}

// Archive returns the store of record.
func (l *Library) Archive() store.Archive { return l.archive }

// Embedder returns what made the library's vectors.
func (l *Library) Embedder() embed.Embedder { return l.cfg.Embedder }

// Sample reports whether the library is the built-in sample, in memory.
func (l *Library) Sample() bool { return l.sample }

// SnapshotPath is the data directory's snapshot file.
func (c Config) SnapshotPath() string { return filepath.Join(c.Dir, embedded.SnapshotFile) }

func (c Config) lockPath() string { return filepath.Join(c.Dir, "herald.lock") }

func (c Config) archiveOptions() embedded.Options {
	if c.Embedder == nil {
		c.defaults()
	}
	return embedded.Options{Embedder: c.Embedder.Name(), Dimension: c.Embedder.Dimension(), ChunkWords: c.ChunkWords, Path: c.SnapshotPath()}
}

// Open opens the library of the data directory for answering: its index;
// without one, cfg.Corpus built into it; or else, unless cfg.RequireIndex,
// the built-in sample corpus in memory.
func Open(ctx context.Context, cfg Config) (*Library, error) {
	cfg.defaults()
	start := time.Now()
	a, err := embedded.Open(ctx, cfg.SnapshotPath(), cfg.archiveOptions())
	if err == nil {
		cfg.Log.Debug("index loaded", "path", cfg.SnapshotPath(), "took", time.Since(start))
		return newLibrary(cfg, a, false), nil
	}
	if !errors.Is(err, store.ErrEmpty) {
		if info, serr := os.Stat(cfg.Dir); serr == nil && !info.IsDir() {
			return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrNotADirectory)
		}
		return nil, err
	}
	if ingestRunning(cfg.lockPath()) {
		return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrBuilding)
	}
	if len(cfg.Corpus) > 0 {
		cfg.Log.Info("no index yet: indexing the corpus", "data", cfg.Dir, "corpus", cfg.Corpus)
		lib, rep, err := Build(ctx, cfg, cfg.Corpus, Mode{})
		if err != nil {
			return nil, err
		}
		for _, r := range rep.Rejected {
			cfg.Log.Warn("rejected", "reason", r.Error())
		}
		if rep.Ingested() == 0 {
			return nil, ErrNothingIngested
		}
		return lib, nil
	}
	if cfg.RequireIndex {
		return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrNoIndex)
	}
	cfg.Log.Debug("no index in the data directory: the built-in sample corpus", "data", cfg.Dir)
	return Sample(ctx, cfg)
}

// Sample builds the built-in sample corpus into a library in memory.
func Sample(ctx context.Context, cfg Config) (*Library, error) {
	arts, err := corpus.Sample()
	if err != nil {
		return nil, err
	}
	lib, _, err := InMemory(ctx, cfg, arts)
	if err != nil {
		return nil, fmt.Errorf("indexing the sample corpus: %w", err)
	}
	lib.sample = true
	return lib, nil
}

// InMemory builds articles into a library held in memory only (cfg.Dir is
// not used): for evaluations, tests and the sample.
func InMemory(ctx context.Context, cfg Config, arts []corpus.Article) (*Library, ingest.Report, error) {
	cfg.defaults()
	opts := cfg.archiveOptions()
	opts.Path = ""
	lib := newLibrary(cfg, embedded.New(opts), false)
	rep, err := lib.pipeline.Articles(ctx, arts)
	return lib, rep, err
}

// Ingest reads article files into a library held in memory (see
// InMemory), as Build reads them into a data directory.
func (l *Library) Ingest(ctx context.Context, roots []string) (ingest.Report, error) {
	return l.pipeline.Files(ctx, roots, ingest.Options{Corpus: corpus.Options{MaxFileBytes: l.cfg.MaxFileBytes}})
}

func newLibrary(cfg Config, a *embedded.Archive, sample bool) *Library {
	return &Library{cfg: cfg, archive: a, pipeline: ingest.New(a, cfg.Embedder, a.ChunkWords()), sample: sample}
}

// Mode says how Build ingests.
type Mode struct {
	// Reindex builds the index from scratch, replacing the old one only
	// once whole.
	Reindex bool
	// Strict leaves the index untouched when anything is rejected.
	Strict bool
	// Progress, when set, is told how the ingest goes.
	Progress func(ingest.Progress)
}

// Build ingests roots into the data directory's index, holding its lock,
// checkpointing as it goes and saving at the end. Strict ingests and
// rebuilds write only at the end, when whole, so that an interrupted
// rebuild leaves the previous index in place; a strict one with any
// rejection writes nothing.
func Build(ctx context.Context, cfg Config, roots []string, mode Mode) (*Library, ingest.Report, error) {
	cfg.defaults()
	var rep ingest.Report
	unlock, err := lock(cfg)
	if err != nil {
		return nil, rep, err
	}
	defer unlock()
	var a *embedded.Archive
	loaded := false
	if mode.Reindex {
		a = embedded.New(cfg.archiveOptions())
	} else {
		a, err = embedded.Open(ctx, cfg.SnapshotPath(), cfg.archiveOptions())
		loaded = err == nil
		if errors.Is(err, store.ErrEmpty) {
			a, err = embedded.New(cfg.archiveOptions()), nil
		}
		if err != nil {
			return nil, rep, err
		}
	}
	lib := newLibrary(cfg, a, false)
	careful := mode.Strict || mode.Reindex
	rep, err = lib.ingest(ctx, roots, !careful, mode.Progress)
	if err != nil {
		// Keep what was read before the failure.
		if !careful && (loaded || rep.Ingested() > 0) {
			if serr := a.Save(cfg.SnapshotPath()); serr != nil {
				cfg.Log.Error("saving after a failed ingest", "err", serr)
			}
		}
		return nil, rep, err
	}
	switch {
	case loaded && !rep.Changed(),
		mode.Strict && len(rep.Rejected) > 0,
		!loaded && rep.Ingested() == 0: // write no empty index
		return lib, rep, nil
	}
	if err := a.Save(cfg.SnapshotPath()); err != nil {
		return nil, rep, err
	}
	return lib, rep, nil
}

// Reindex reads the library's corpus again into the live index, which
// keeps answering meanwhile, and saves it: the bot's /reindex.
func (l *Library) Reindex(ctx context.Context) (ingest.Report, error) {
	if len(l.cfg.Corpus) == 0 {
		return ingest.Report{}, ErrNoCorpus
	}
	unlock, err := lock(l.cfg)
	if err != nil {
		return ingest.Report{}, err
	}
	defer unlock()
	rep, err := l.ingest(ctx, l.cfg.Corpus, true, nil)
	if err != nil {
		return rep, err
	}
	for _, r := range rep.Rejected {
		l.cfg.Log.Warn("reindex rejected", "reason", r.Error())
	}
	if rep.Changed() && !l.sample {
		if err := l.archive.Save(l.cfg.SnapshotPath()); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// ingest reads roots into the library's archive, checkpointing when asked.
// The caller holds the directory's lock.
func (l *Library) ingest(ctx context.Context, roots []string, checkpoints bool, progress func(ingest.Progress)) (ingest.Report, error) {
	opts := ingest.Options{
		Corpus:          corpus.Options{MaxFileBytes: l.cfg.MaxFileBytes},
		CheckpointEvery: l.cfg.CheckpointEvery,
		FirstCheckpoint: firstCheckpoint,
		Progress:        progress,
	}
	if checkpoints && !l.sample {
		path := l.cfg.SnapshotPath()
		opts.Checkpoint = func() error { return l.archive.Save(path) }
	}
	return l.pipeline.Files(ctx, roots, opts)
}

// lock takes the data directory's ingest lock, removing partial snapshots
// a crashed writer left.
func lock(cfg Config) (unlock func(), err error) {
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	l := flock.New(cfg.lockPath())
	locked, err := l.TryLock()
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", cfg.Dir, err)
	}
	if !locked {
		return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrLocked)
	}
	removeStaleTemps(cfg)
	return func() { l.Unlock() }, nil
}

// ingestRunning reports whether another process holds the lock.
func ingestRunning(path string) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	l := flock.New(path)
	locked, err := l.TryLock()
	if err != nil {
		return false
	}
	if locked {
		l.Unlock()
		return false
	}
	return true
}

// removeStaleTemps deletes snapshot temp files left by a crashed writer.
func removeStaleTemps(cfg Config) {
	matches, _ := filepath.Glob(cfg.SnapshotPath() + ".tmp-*")
	for _, m := range matches {
		if err := os.Remove(m); err == nil {
			cfg.Log.Debug("removed a partial snapshot left by an interrupted ingest", "path", m)
		}
	}
}

// Check opens the data directory's index and verifies its integrity.
func Check(ctx context.Context, cfg Config) (store.Stats, error) {
	cfg.defaults()
	a, err := embedded.Open(ctx, cfg.SnapshotPath(), cfg.archiveOptions())
	if err != nil {
		return store.Stats{}, err
	}
	if err := a.Check(ctx); err != nil {
		return store.Stats{}, fmt.Errorf("the index is inconsistent: %w", err)
	}
	return a.Stats(ctx)
}
