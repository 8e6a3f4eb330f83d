package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/store/embedded"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
)

// app is one invocation of herald.
type app struct {
	cfg config
	// llm is the language model client, when HERALD_CHAT_MODEL or
	// HERALD_EMBED_MODEL is set (made once), and embed the embedder.
	llm    *llm.Client
	embed  embed.Embedder
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
}

// setupLLM connects the configured models. With none set nothing touches
// the network.
func (a *app) setupLLM(ctx context.Context) error {
	a.embed = embed.NewLocal(0)
	if a.cfg.ChatModel == "" && a.cfg.EmbedModel == "" {
		return nil
	}
	a.llm = llm.New(a.cfg.llmConfig())
	if a.cfg.EmbedModel != "" {
		emb, err := llm.NewEmbedder(ctx, a.llm, llm.EmbedderOptions{})
		if err != nil {
			return fmt.Errorf("HERALD_EMBED_MODEL: %w (set HERALD_EMBED_DIMENSIONS to start without asking the server)", err)
		}
		a.embed = emb
	}
	return nil
}

// libraryConfig is where the index is kept and how it is built.
func (a *app) libraryConfig() library.Config {
	cfg := library.Config{
		Dir: a.cfg.DataDir, Embedder: a.embed, ChunkWords: a.cfg.ChunkWords, Corpus: a.cfg.Corpus,
		RequireIndex: a.cfg.DataDirSet, MaxFileBytes: a.cfg.MaxFileBytes, CheckpointEvery: a.cfg.CheckpointEvery, Log: a.log,
	}
	if a.cfg.Store == storeWeaviate {
		cfg.Weaviate = a.cfg.weaviateConfig(a.log)
	}
	return cfg
}

// openLibrary opens the data directory's index: the index there, else
// HERALD_CORPUS built into it, else the built-in sample corpus.
func (a *app) openLibrary(ctx context.Context) (*library.Library, error) {
	return a.openLibraryWith(ctx, a.libraryConfig())
}

// openLibraryWith opens the library that cfg describes, as openLibrary.
func (a *app) openLibraryWith(ctx context.Context, cfg library.Config) (*library.Library, error) {
	lib, err := library.Open(ctx, cfg)
	if err != nil {
		return nil, a.explain(err)
	}
	if lib.Sample() {
		a.log.Info("no index in the data directory: answering from the built-in sample corpus; run 'herald ingest PATH' to index your own articles", "data", a.cfg.DataDir)
	}
	if a.cfg.Store == storeWeaviate {
		if st, err := lib.Archive().Stats(ctx); err == nil && st.Articles == 0 {
			a.log.Warn("the Weaviate collections hold no article yet: run 'herald ingest PATH' or 'herald copy' to fill them", "where", lib.Where())
		}
	}
	return lib, nil
}

func (a *app) engine(ctx context.Context) (*rag.Engine, error) {
	lib, err := a.openLibrary(ctx)
	if err != nil {
		return nil, err
	}
	return a.engineFor(lib), nil
}

// engineFor builds the engine over lib with the configured reference time,
// answering with the chat model when one is set.
func (a *app) engineFor(lib *library.Library) *rag.Engine {
	opts := rag.Options{K: a.cfg.TopK, SummaryTokens: a.cfg.SummaryTokens}
	if a.llm != nil && a.cfg.ChatModel != "" {
		opts.Model = a.llm
	}
	if !a.cfg.Now.IsZero() {
		now := a.cfg.Now
		opts.Now = func() time.Time { return now }
	}
	return rag.New(lib.Archive(), lib.Embedder(), opts)
}

// explain adds to a library error what the person at the command line can
// do about it: the flags, variables and commands are the CLI's, not the
// library's.
func (a *app) explain(err error) error {
	var mismatch *embeddedMismatch
	var damaged *embeddedDamaged
	var version *embeddedVersion
	switch {
	case errors.Is(err, library.ErrNoIndex):
		return fmt.Errorf("no index in %s: run 'herald ingest --data %s PATH…' first (or leave --data and HERALD_DATA unset to try the built-in sample corpus)", a.cfg.DataDir, a.cfg.DataDir)
	case errors.Is(err, library.ErrNotADirectory):
		return fmt.Errorf("the data directory %s (--data, HERALD_DATA) is a file, not a directory", a.cfg.DataDir)
	case errors.Is(err, library.ErrBuilding):
		return fmt.Errorf("%w: try again in a moment", err)
	case errors.Is(err, library.ErrLocked):
		return fmt.Errorf("another herald ingest is writing to %s: wait for it to finish", a.cfg.DataDir)
	case errors.Is(err, library.ErrNothingIngested):
		return fmt.Errorf("HERALD_CORPUS (%v) holds no article that could be ingested", a.cfg.Corpus)
	case errors.As(err, &mismatch) && mismatch.BuiltWords != mismatch.WantedWords:
		return fmt.Errorf("%w: re-index with `herald ingest --reindex PATH…`, or set HERALD_CHUNK_WORDS=%d", err, mismatch.BuiltWords)
	case errors.As(err, &mismatch):
		return fmt.Errorf("%w: re-index with `herald ingest --reindex PATH…`, or configure the original embedder (HERALD_EMBED_MODEL)", err)
	case errors.As(err, &damaged):
		return fmt.Errorf("%w: rebuild it with `herald ingest --reindex PATH…`", err)
	case errors.As(err, &version):
		return fmt.Errorf("%w: re-index with `herald ingest --reindex PATH…`", err)
	}
	var wmismatch *weaviate.MismatchError
	switch {
	case errors.As(err, &wmismatch):
		return fmt.Errorf("%w: configure the embedder and chunk length they were built with, or build new collections under another HERALD_WEAVIATE_PREFIX", err)
	case errors.Is(err, weaviate.ErrNoURL):
		return fmt.Errorf("HERALD_STORE=weaviate needs WEAVIATE_URL, the address of a node (several, comma-separated, for failover)")
	case errors.Is(err, weaviate.ErrUnauthorized):
		return fmt.Errorf("%w: check WEAVIATE_API_KEY", err)
	case errors.Is(err, library.ErrNoWeaviate):
		return fmt.Errorf("%w: set WEAVIATE_URL (and WEAVIATE_API_KEY when the cluster asks for one)", err)
	}
	var dim *llm.DimensionError
	if errors.As(err, &dim) {
		return fmt.Errorf("%w: re-index with `herald ingest --reindex PATH…`", err)
	}
	return err
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
	fs.Func("store", "store of record: `embedded` (the data directory) or weaviate (HERALD_STORE)", cfg.setStore)
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

// The embedded store's errors, named here as the CLI explains them.
type (
	embeddedMismatch = embedded.MismatchError
	embeddedDamaged  = embedded.DamagedError
	embeddedVersion  = embedded.VersionError
)
