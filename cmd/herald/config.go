package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/joho/godotenv"
)

// config is all of herald's configuration, read from the environment and a
// .env file in the working directory (the environment wins), then
// overridden by flags.
type config struct {
	// DataDir holds the index snapshot (HERALD_DATA).
	DataDir string
	// DataDirSet records that DataDir was chosen (by HERALD_DATA or
	// --data) rather than defaulted: then a missing index is an error, not
	// a reason to fall back to the sample corpus.
	DataDirSet bool
	// Corpus is indexed on first use when DataDir has no index
	// (HERALD_CORPUS, a path or a list separated by the OS path separator).
	Corpus []string
	// Now is the reference time for relative dates (HERALD_NOW); zero means
	// the clock.
	Now time.Time
	// MaxFileBytes limits an article file or JSON Lines record
	// (HERALD_MAX_FILE_BYTES).
	MaxFileBytes int64
	// ChunkWords is the target chunk length (HERALD_CHUNK_WORDS); 0 keeps
	// what the index was built with (corpus.DefaultChunkWords for a new one).
	ChunkWords int
	// TopK is how many passages a question retrieves (HERALD_TOP_K).
	TopK int
	// CheckpointEvery is how often a long ingest saves progress
	// (HERALD_CHECKPOINT_EVERY).
	CheckpointEvery time.Duration
	// LogLevel is debug, info, warn or error (HERALD_LOG_LEVEL).
	LogLevel slog.Level
}

func loadConfig() (config, error) {
	if err := godotenv.Load(); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return config{}, fmt.Errorf("reading .env: %w", err)
	}
	cfg := config{
		DataDir:         "herald-data",
		MaxFileBytes:    corpus.DefaultMaxFileBytes,
		TopK:            8,
		CheckpointEvery: 30 * time.Second,
		LogLevel:        slog.LevelInfo,
	}
	var errs []error
	env := func(name string, parse func(string) error) {
		if v, ok := os.LookupEnv(name); ok && strings.TrimSpace(v) != "" {
			if err := parse(strings.TrimSpace(v)); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	}
	env("HERALD_DATA", func(v string) error { cfg.DataDir, cfg.DataDirSet = v, true; return nil })
	env("HERALD_CORPUS", func(v string) error { cfg.Corpus = strings.Split(v, string(os.PathListSeparator)); return nil })
	env("HERALD_NOW", func(v string) (err error) { cfg.Now, err = parseAsOf(v); return err })
	env("HERALD_MAX_FILE_BYTES", func(v string) (err error) { cfg.MaxFileBytes, err = positiveInt64(v); return err })
	env("HERALD_CHUNK_WORDS", func(v string) error { n, err := positiveInt64(v); cfg.ChunkWords = int(n); return err })
	env("HERALD_TOP_K", func(v string) error { n, err := positiveInt64(v); cfg.TopK = int(n); return err })
	env("HERALD_CHECKPOINT_EVERY", func(v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s")
		}
		cfg.CheckpointEvery = d
		return nil
	})
	env("HERALD_LOG_LEVEL", func(v string) error { return cfg.LogLevel.UnmarshalText([]byte(v)) })
	if len(errs) > 0 {
		return cfg, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return cfg, nil
}

func positiveInt64(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("want a positive whole number")
	}
	return n, nil
}

// parseAsOf reads a reference time: a date (taken as the end of that day,
// UTC) or an RFC 3339 timestamp.
func parseAsOf(v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD or an RFC 3339 time")
	}
	return t.Add(24*time.Hour - time.Second), nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
