package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofrs/flock"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag"
)

// app is one invocation of herald.
type app struct {
	cfg config
	// llm is the language model client, when HERALD_CHAT_MODEL or
	// HERALD_EMBED_MODEL is set (made once).
	llm    *rag.LLM
	embed  rag.Embedder
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

func (a *app) snapshotPath() string { return filepath.Join(a.cfg.DataDir, rag.SnapshotFile) }

func (a *app) indexOptions() rag.IndexOptions {
	return rag.IndexOptions{ChunkWords: a.cfg.ChunkWords, Embedder: a.embed}
}

// setupLLM connects the configured models. With none set nothing touches
// the network.
func (a *app) setupLLM(ctx context.Context) error {
	if a.cfg.ChatModel == "" && a.cfg.EmbedModel == "" {
		return nil
	}
	a.llm = rag.NewLLM(a.cfg.llmConfig())
	if a.cfg.EmbedModel != "" {
		emb, err := rag.NewRemoteEmbedder(ctx, a.llm, rag.RemoteEmbedderOptions{})
		if err != nil {
			return fmt.Errorf("HERALD_EMBED_MODEL: %w", err)
		}
		a.embed = emb
	}
	return nil
}

// openIndex loads the index of the data directory. Without one, it builds
// HERALD_CORPUS into it, or else uses the built-in sample corpus in memory.
func (a *app) openIndex(ctx context.Context) (*rag.Index, error) {
	start := time.Now()
	ix, err := rag.Load(ctx, a.snapshotPath(), a.indexOptions())
	if err == nil {
		a.log.Debug("index loaded", "path", a.snapshotPath(), "articles", ix.Stats().Articles, "took", time.Since(start))
		return ix, nil
	}
	if !errors.Is(err, rag.ErrNoIndex) {
		if info, serr := os.Stat(a.cfg.DataDir); serr == nil && !info.IsDir() {
			return nil, fmt.Errorf("the data directory %s (--data, HERALD_DATA) is a file, not a directory", a.cfg.DataDir)
		}
		return nil, err
	}
	if a.ingestRunning() {
		return nil, fmt.Errorf("an ingest into %s is running and has not saved its first snapshot yet: try again in a moment", a.cfg.DataDir)
	}
	if len(a.cfg.Corpus) > 0 {
		a.log.Info("no index yet: indexing HERALD_CORPUS", "data", a.cfg.DataDir, "corpus", strings.Join(a.cfg.Corpus, ","))
		ix, rep, err := a.ingestInto(ctx, a.cfg.Corpus, ingestMode{})
		if err != nil {
			return nil, err
		}
		a.printRejections(rep, false)
		if rep.Ingested() == 0 {
			return nil, fmt.Errorf("HERALD_CORPUS (%s) holds no article that could be ingested", strings.Join(a.cfg.Corpus, ", "))
		}
		return ix, nil
	}
	if a.cfg.DataDirSet {
		return nil, fmt.Errorf("no index in %s: run 'herald ingest --data %s PATH…' first (or leave --data and HERALD_DATA unset to try the built-in sample corpus)", a.cfg.DataDir, a.cfg.DataDir)
	}
	a.log.Info("no index in the data directory: answering from the built-in sample corpus; run 'herald ingest PATH' to index your own articles", "data", a.cfg.DataDir)
	return sampleIndex(ctx, a.indexOptions())
}

func (a *app) lockPath() string { return filepath.Join(a.cfg.DataDir, "herald.lock") }

// ingestRunning reports whether another process holds the data
// directory's ingest lock.
func (a *app) ingestRunning() bool {
	if _, err := os.Stat(a.lockPath()); err != nil {
		return false
	}
	lock := flock.New(a.lockPath())
	locked, err := lock.TryLock()
	if err != nil {
		return false
	}
	if locked {
		lock.Unlock()
		return false
	}
	return true
}

// firstCheckpoint is when a long ingest first saves its progress: early, so
// that one killed after a few seconds still leaves an index to load.
const firstCheckpoint = 2 * time.Second

// sampleIndex builds an in-memory index of the built-in sample corpus.
func sampleIndex(ctx context.Context, opts rag.IndexOptions) (*rag.Index, error) {
	arts, err := corpus.Sample()
	if err != nil {
		return nil, err
	}
	ix := rag.NewIndex(opts)
	if _, err := ix.IngestArticles(ctx, arts); err != nil {
		return nil, fmt.Errorf("indexing the sample corpus: %w", err)
	}
	return ix, nil
}

func (a *app) engine(ctx context.Context) (*rag.Engine, error) {
	ix, err := a.openIndex(ctx)
	if err != nil {
		return nil, err
	}
	return a.engineFor(ix)
}

// engineFor builds the engine over ix with the configured reference time,
// answering with the chat model when one is set.
func (a *app) engineFor(ix *rag.Index) (*rag.Engine, error) {
	opts := rag.EngineOptions{K: a.cfg.TopK}
	if a.llm != nil && a.cfg.ChatModel != "" {
		opts.Answerer = rag.NewGrounded(a.llm, ix)
		opts.LLM, opts.SummaryTokens = a.llm, a.cfg.SummaryTokens
	}
	if !a.cfg.Now.IsZero() {
		now := a.cfg.Now
		opts.Now = func() time.Time { return now }
	}
	return rag.NewEngine(ix, opts), nil
}

// ingestMode says how to ingest: from scratch (reindex), and whether any
// rejection leaves the index untouched (strict).
type ingestMode struct {
	reindex, strict bool
}

// ingestInto ingests roots into the data directory's index, holding its
// lock, checkpointing as it goes and saving at the end. In strict mode it
// neither checkpoints nor saves when anything was rejected.
func (a *app) ingestInto(ctx context.Context, roots []string, mode ingestMode) (*rag.Index, rag.IngestReport, error) {
	var rep rag.IngestReport
	if err := os.MkdirAll(a.cfg.DataDir, 0o755); err != nil {
		return nil, rep, fmt.Errorf("creating the data directory: %w", err)
	}
	lock := flock.New(a.lockPath())
	locked, err := lock.TryLock()
	if err != nil {
		return nil, rep, fmt.Errorf("locking %s: %w", a.cfg.DataDir, err)
	}
	if !locked {
		return nil, rep, fmt.Errorf("another herald ingest is writing to %s: wait for it to finish", a.cfg.DataDir)
	}
	defer lock.Unlock()
	removeStaleTemps(a.cfg.DataDir, a.log)

	path := a.snapshotPath()
	var ix *rag.Index
	loaded := false
	if mode.reindex {
		ix = rag.NewIndex(a.indexOptions())
	} else {
		ix, err = rag.Load(ctx, path, a.indexOptions())
		loaded = err == nil
		if errors.Is(err, rag.ErrNoIndex) {
			ix, err = rag.NewIndex(a.indexOptions()), nil
		}
		if err != nil {
			return nil, rep, err
		}
	}
	prog := newProgress(a.stderr)
	opts := rag.IngestOptions{
		Corpus:          corpus.Options{MaxFileBytes: a.cfg.MaxFileBytes},
		Checkpoint:      func() error { return ix.Save(path) },
		CheckpointEvery: a.cfg.CheckpointEvery,
		FirstCheckpoint: firstCheckpoint,
		Progress:        prog.update,
	}
	// Strict ingests and rebuilds write only at the end, when whole, so
	// that an interrupted rebuild leaves the previous index in place.
	careful := mode.strict || mode.reindex
	if careful {
		opts.Checkpoint = nil
	}
	rep, err = ix.Ingest(ctx, roots, opts)
	prog.done()
	if err != nil {
		// Keep what was read before the failure.
		if !careful && (loaded || rep.Ingested() > 0) {
			if serr := ix.Save(path); serr != nil {
				a.log.Error("saving after a failed ingest", "err", serr)
			}
		}
		return nil, rep, err
	}
	switch {
	case loaded && !rep.Changed(),
		mode.strict && len(rep.Rejected) > 0,
		!loaded && rep.Ingested() == 0: // write no empty index
		return ix, rep, nil
	}
	if err := ix.Save(path); err != nil {
		return nil, rep, err
	}
	return ix, rep, nil
}

// removeStaleTemps deletes snapshot temp files left by a crashed writer.
func removeStaleTemps(dir string, log *slog.Logger) {
	matches, _ := filepath.Glob(filepath.Join(dir, rag.SnapshotFile+".tmp-*"))
	for _, m := range matches {
		if err := os.Remove(m); err == nil {
			log.Debug("removed a partial snapshot left by an interrupted ingest", "path", m)
		}
	}
}

// parseFlags parses flags that may stand before, between or after the
// positional arguments, which it returns.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, exitError{code: 0}
			}
			return nil, exitError{code: 2}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func newFlagSet(name string, stderr io.Writer, cfg *config) *flag.FlagSet {
	fs := flag.NewFlagSet("herald "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Func("data", "index `directory` (HERALD_DATA; default herald-data)", func(v string) error {
		cfg.DataDir, cfg.DataDirSet = v, true
		return nil
	})
	return fs
}

// asOfFlag is a --as-of DATE flag that sets the reference time.
type asOfFlag struct{ t *time.Time }

func (f asOfFlag) String() string {
	if f.t == nil || f.t.IsZero() {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f asOfFlag) Set(v string) error {
	t, err := parseAsOf(v)
	if err != nil {
		return err
	}
	*f.t = t
	return nil
}
