// Package library keeps Herald's store of record: in a data directory
// (the embedded backend), where it opens the snapshot, builds one from a
// corpus on first use or answers from the built-in sample, and runs
// ingests with the directory's lock held, checkpoints along the way and a
// snapshot at the end; or on a Weaviate cluster, which every replica of
// the bot shares. The command line and the bot's /reindex use it; the
// archive it opens goes to the engine.
package library

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/embedded"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
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
	// Weaviate, when set, keeps the store of record on a Weaviate cluster
	// rather than in Dir; its Embedder, Dimension and ChunkWords are this
	// Config's.
	Weaviate *weaviate.Config
	// Arrived, when set, is told the IDs of the articles that a write of
	// the running process (Update, Add, Reindex) or a Reload brought, new
	// or changed. It is called with no lock held, and should not block.
	Arrived func(ctx context.Context, ids []string)
	Log     *slog.Logger
}

// weaviateConfig is the Weaviate configuration with the embedder's name
// and dimension and the chunk length.
func (c Config) weaviateConfig() weaviate.Config {
	w := *c.Weaviate
	w.Embedder, w.Dimension, w.ChunkWords = c.Embedder.Name(), c.Embedder.Dimension(), c.ChunkWords
	if w.Log == nil {
		w.Log = c.Log
	}
	return w
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
	// ErrInconsistent means Check found the index inconsistent.
	ErrInconsistent = errors.New("the index is inconsistent")
	// ErrNoCorpus means Reindex has no corpus to read.
	ErrNoCorpus = errors.New("no corpus is configured to read again")
)

// firstCheckpoint is when a long ingest first saves its progress: early, so
// that one killed after a few seconds still leaves an index to load.
const firstCheckpoint = 2 * time.Second

// Library is an open store of record and what writes to it.
type Library struct {
	cfg      Config
	archive  archive
	pipeline *ingest.Pipeline
	// live is the embedded archive that Reload swaps (nil on Weaviate).
	live *live
	// mu serialises the process's writes and reloads; sample and stamp
	// are read and written under it.
	mu     sync.Mutex
	sample bool
	// stamp is the snapshot file as last loaded or saved by this process.
	stamp os.FileInfo
}

// archive is what a library needs of a backend.
type archive interface {
	store.Archive
	// ChunkWords is the chunk length the archive is built with.
	ChunkWords() int
}

// Ready reports whether the store of record answers: always for the
// embedded one, a node's readiness for Weaviate (the bot's /healthz).
func (l *Library) Ready(ctx context.Context) error {
	if r, ok := l.archive.(interface{ Ready(context.Context) error }); ok {
		return r.Ready(ctx)
	}
	return nil
}

// Where names the store of record: the snapshot file, the Weaviate
// collections, or the sample in memory.
func (l *Library) Where() string {
	if l.Sample() {
		return "the built-in sample corpus, in memory"
	}
	return l.cfg.Where()
}

// Where names the store of record a Config opens: the snapshot file, or
// the Weaviate collections.
func (c Config) Where() string {
	if c.Weaviate != nil {
		return fmt.Sprintf("the Weaviate collections %s* at %s", cmp.Or(c.Weaviate.Prefix, "Herald"), strings.Join(c.Weaviate.URLs, ","))
	}
	return c.SnapshotPath()
}

// Weaviate returns the archive on Weaviate, when the library keeps it
// there (for the state that replicas share beside it).
func (l *Library) Weaviate() (*weaviate.Archive, bool) {
	w, ok := l.archive.(*weaviate.Archive)
	return w, ok
}

// Archive returns the store of record.
func (l *Library) Archive() store.Archive { return l.archive }

// Embedder returns what made the library's vectors.
func (l *Library) Embedder() embed.Embedder { return l.cfg.Embedder }

// Sample reports whether the library is the built-in sample, in memory.
func (l *Library) Sample() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sample
}

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
	if cfg.Weaviate != nil {
		return openWeaviate(ctx, cfg)
	}
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
		if err := firstBuild(cfg, rep); err != nil {
			return nil, err
		}
		return lib, nil
	}
	if cfg.RequireIndex {
		return nil, fmt.Errorf("%s: %w", cfg.Dir, ErrNoIndex)
	}
	cfg.Log.Debug("no index in the data directory: the built-in sample corpus", "data", cfg.Dir)
	return Sample(ctx, cfg)
}

// openWeaviate opens the archive on Weaviate, and builds cfg.Corpus into
// it when it holds no article yet. An empty archive opens: another
// process may be filling it.
func openWeaviate(ctx context.Context, cfg Config) (*Library, error) {
	a, err := weaviate.Open(ctx, cfg.weaviateConfig())
	if err != nil {
		return nil, err
	}
	lib := newLibrary(cfg, a, false)
	if len(cfg.Corpus) == 0 {
		return lib, nil
	}
	st, err := a.Stats(ctx)
	if err != nil || st.Articles > 0 {
		return lib, err
	}
	cfg.Log.Info("the Weaviate collections hold no article yet: indexing the corpus", "prefix", a.Prefix(), "corpus", cfg.Corpus)
	rep, err := lib.ingest(ctx, cfg.Corpus, ingest.Options{})
	if err != nil {
		return nil, err
	}
	if err := firstBuild(cfg, rep); err != nil {
		return nil, err
	}
	return lib, nil
}

// firstBuild logs what the first build of cfg.Corpus rejected, and fails
// when it ingested nothing.
func firstBuild(cfg Config, rep ingest.Report) error {
	for _, r := range rep.Rejected {
		cfg.Log.Warn("rejected", "reason", r.Error())
	}
	if rep.Ingested() == 0 {
		return ErrNothingIngested
	}
	return nil
}

// Scratch builds articles into a library of their own, which drop
// deletes: in memory, or in collections of their own on the configured
// Weaviate (for evaluations).
func Scratch(ctx context.Context, cfg Config, arts []corpus.Article) (lib *Library, rep ingest.Report, drop func(), err error) {
	cfg.defaults()
	if cfg.Weaviate == nil {
		lib, rep, err := InMemory(ctx, cfg, arts)
		return lib, rep, func() {}, err
	}
	w := *cfg.Weaviate
	w.Prefix = fmt.Sprintf("%sScratch%d", cmp.Or(w.Prefix, "Herald"), time.Now().UnixNano())
	cfg.Weaviate = &w
	a, err := weaviate.Open(ctx, cfg.weaviateConfig())
	if err != nil {
		return nil, rep, nil, err
	}
	drop = func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		if err := a.Drop(dctx); err != nil {
			cfg.Log.Error("dropping scratch collections", "prefix", w.Prefix, "err", err)
		}
	}
	lib = newLibrary(cfg, a, false)
	rep, err = lib.pipeline.Articles(ctx, arts, ingest.Options{})
	if err != nil {
		drop()
		return nil, rep, nil, err
	}
	return lib, rep, drop, nil
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
	rep, err := lib.pipeline.Articles(ctx, arts, ingest.Options{})
	return lib, rep, err
}

// Ingest reads article files into a library held in memory (see
// InMemory), as Build reads them into a data directory.
func (l *Library) Ingest(ctx context.Context, roots []string) (ingest.Report, error) {
	return l.pipeline.Files(ctx, roots, ingest.Options{Corpus: corpus.Options{MaxFileBytes: l.cfg.MaxFileBytes}})
}

func newLibrary(cfg Config, a archive, sample bool) *Library {
	l := &Library{cfg: cfg, archive: a, sample: sample}
	if e, ok := a.(*embedded.Archive); ok {
		l.live = newLive(e)
		l.archive = l.live
		if e.Path() != "" {
			l.stamp, _ = os.Stat(e.Path())
		}
	}
	l.pipeline = ingest.New(l.archive, cfg.Embedder, a.ChunkWords())
	return l
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
	if cfg.Weaviate != nil {
		return buildWeaviate(ctx, cfg, roots, mode)
	}
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
	opts := ingest.Options{Progress: mode.Progress}
	if !careful {
		lib.checkpoints(&opts)
	}
	rep, err = lib.ingest(ctx, roots, opts)
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
	lib.stamp, _ = os.Stat(cfg.SnapshotPath())
	return lib, rep, nil
}

// buildWeaviate ingests roots into the archive on Weaviate. Writes there
// are durable as they are acknowledged, so there are no checkpoints; a
// rebuild rewrites every article in place (the archive keeps answering),
// and a strict ingest first reads everything without writing, and writes
// only when nothing is rejected. One ingest at a time should write to a
// set of collections: nothing stops two (see the README).
func buildWeaviate(ctx context.Context, cfg Config, roots []string, mode Mode) (*Library, ingest.Report, error) {
	a, err := weaviate.Open(ctx, cfg.weaviateConfig())
	if err != nil {
		return nil, ingest.Report{}, err
	}
	lib := newLibrary(cfg, a, false)
	opts := ingest.Options{Rewrite: mode.Reindex, Progress: mode.Progress}
	if mode.Strict {
		dry := opts
		dry.DryRun, dry.Progress = true, nil
		rep, err := lib.ingest(ctx, roots, dry)
		if err != nil || len(rep.Rejected) > 0 {
			return lib, rep, err
		}
	}
	rep, err := lib.ingest(ctx, roots, opts)
	if err != nil {
		return nil, rep, err
	}
	return lib, rep, nil
}

// ingest reads roots into the library's archive. The caller holds the
// directory's lock, for the embedded backend.
func (l *Library) ingest(ctx context.Context, roots []string, opts ingest.Options) (ingest.Report, error) {
	opts.Corpus = corpus.Options{MaxFileBytes: l.cfg.MaxFileBytes}
	return l.pipeline.Files(ctx, roots, opts)
}

// checkpoints has a long ingest save its progress along the way, when the
// archive is a snapshot in the data directory.
func (l *Library) checkpoints(opts *ingest.Options) {
	if l.sample || l.cfg.Weaviate != nil {
		return
	}
	opts.CheckpointEvery, opts.FirstCheckpoint = l.cfg.CheckpointEvery, firstCheckpoint
	opts.Checkpoint = func() error { return l.archive.Sync(context.Background()) }
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

// Check opens the store of record and verifies its integrity.
func Check(ctx context.Context, cfg Config) (store.Stats, error) {
	cfg.defaults()
	var a archive
	var err error
	if cfg.Weaviate != nil {
		a, err = weaviate.Open(ctx, cfg.weaviateConfig())
	} else {
		a, err = embedded.Open(ctx, cfg.SnapshotPath(), cfg.archiveOptions())
	}
	if err != nil {
		return store.Stats{}, err
	}
	if err := a.Check(ctx); err != nil {
		return store.Stats{}, fmt.Errorf("%w: %w", ErrInconsistent, err)
	}
	return a.Stats(ctx)
}
