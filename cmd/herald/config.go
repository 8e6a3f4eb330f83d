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

	"github.com/herald-news/herald/internal/bot"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/feeds"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
	"github.com/herald-news/herald/internal/rag/summary"
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

	// Store keeps the store of record in the data directory ("embedded",
	// the default) or on a Weaviate cluster ("weaviate") (HERALD_STORE,
	// --store).
	Store string
	// Weaviate: the nodes (WEAVIATE_URL, comma-separated; calls move to
	// the next when one fails), the API key (WEAVIATE_API_KEY, never
	// logged), the collections' prefix (HERALD_WEAVIATE_PREFIX), the
	// replication factor and shard count of new collections
	// (HERALD_WEAVIATE_REPLICAS, HERALD_WEAVIATE_SHARDS), the write and read
	// consistency (HERALD_WEAVIATE_WRITE_CONSISTENCY,
	// HERALD_WEAVIATE_READ_CONSISTENCY: ONE, QUORUM or ALL), and the
	// deadlines of a query and of a write (HERALD_WEAVIATE_TIMEOUT,
	// HERALD_WEAVIATE_WRITE_TIMEOUT).
	WeaviateURLs                                      []string
	WeaviateAPIKey                                    string
	WeaviatePrefix                                    string
	WeaviateReplicas, WeaviateShards                  int
	WeaviateWriteConsistency, WeaviateReadConsistency string
	WeaviateTimeout, WeaviateWriteTimeout             time.Duration
	// ShardID and ShardCount split Discord's servers among replicas of
	// herald serve (HERALD_SHARD_ID, HERALD_SHARD_COUNT).
	ShardID, ShardCount int

	// Discord: the bot token (DISCORD_TOKEN, never logged), application
	// (DISCORD_APP_ID, else taken from READY), server for instant command
	// updates (DISCORD_GUILD_ID), REST base (DISCORD_API_URL), and whether
	// to request the Message Content intent (DISCORD_MESSAGE_CONTENT).
	DiscordToken          string
	DiscordAppID          string
	DiscordGuildID        string
	DiscordAPIURL         string
	DiscordMessageContent bool
	// DMs lets users ask by direct message (HERALD_DMS).
	DMs bool
	// HTTPAddr serves /healthz and /metrics when set (HERALD_HTTP_ADDR).
	HTTPAddr string
	// LogContent logs questions (HERALD_LOG_CONTENT).
	LogContent bool
	// RatePerMinute and RateBurst limit each user (HERALD_RATE_PER_MINUTE,
	// HERALD_RATE_BURST); MaxConcurrent answers are written at once and
	// Queue more wait (HERALD_MAX_CONCURRENT, HERALD_QUEUE).
	RatePerMinute float64
	RateBurst     int
	MaxConcurrent int
	Queue         int
	// MaxQuestion bounds a question in characters (HERALD_MAX_QUESTION).
	MaxQuestion int
	// AnswerTimeout bounds one answer; ShutdownTimeout the wait for answers
	// in flight at shutdown (HERALD_ANSWER_TIMEOUT, HERALD_SHUTDOWN_TIMEOUT).
	AnswerTimeout   time.Duration
	ShutdownTimeout time.Duration

	// LLM: an OpenAI-compatible server (OPENAI_API_KEY, OPENAI_BASE_URL),
	// the chat model that writes answers (HERALD_CHAT_MODEL), the embedding
	// model (HERALD_EMBED_MODEL, HERALD_EMBED_DIMENSIONS), and cost limits
	// (HERALD_MAX_TOKENS, HERALD_DAILY_TOKENS, HERALD_DAILY_TOKENS_PER_USER).
	// With no model set, Herald stays offline.
	OpenAIKey          string
	OpenAIBaseURL      string
	ChatModel          string
	EmbedModel         string
	EmbedDimensions    int
	MaxTokens          int
	DailyTokens        int
	DailyTokensPerUser int
	// LLMTimeout bounds an LLM answer from the CLI (HERALD_LLM_TIMEOUT).
	LLMTimeout time.Duration
	// SummaryTokens bounds the source text of one summarisation call;
	// more is summarised map-reduce (HERALD_SUMMARY_TOKENS).
	SummaryTokens int

	// Live news: the feeds (HERALD_FEEDS: URLs, or the path of a feeds
	// file), fetched with their pages' full text (HERALD_FEED_FULLTEXT),
	// each fetch bounded in time and size (HERALD_FEED_TIMEOUT,
	// HERALD_FEED_MAX_BYTES); whether serve watches HERALD_CORPUS
	// (HERALD_WATCH) and how often it reads it all again
	// (HERALD_RESCAN_EVERY); how often it looks for a snapshot another
	// ingest wrote (HERALD_RELOAD_EVERY).
	Feeds        []feeds.Feed
	FeedFullText bool
	FeedTimeout  time.Duration
	FeedMaxBytes int64
	Watch        bool
	RescanEvery  time.Duration
	ReloadEvery  time.Duration
	// PostEvery is the least time between two posts of the news desk in
	// one channel (HERALD_POST_EVERY).
	PostEvery time.Duration
}

// llmConfig is the LLM part of the configuration.
func (c config) llmConfig() llm.Config {
	return llm.Config{
		APIKey: c.OpenAIKey, BaseURL: c.OpenAIBaseURL, ChatModel: c.ChatModel, EmbedModel: c.EmbedModel,
		EmbedDimensions: c.EmbedDimensions, MaxTokens: c.MaxTokens, DailyTokens: c.DailyTokens, DailyTokensPerUser: c.DailyTokensPerUser,
	}
}

// loadConfig reads the configuration from getenv (the process
// environment, in main), then from a .env file in the working directory for
// what getenv leaves unset. The defaults are the libraries' own.
func loadConfig(getenv func(string) string) (config, error) {
	dotenv, err := godotenv.Read()
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return config{}, fmt.Errorf("reading .env: %w", err)
	}
	cfg := config{
		DataDir:         "herald-data",
		MaxFileBytes:    corpus.DefaultMaxFileBytes,
		TopK:            rag.DefaultK,
		CheckpointEvery: 30 * time.Second,
		LogLevel:        slog.LevelInfo,
		Store:           storeEmbedded,

		WeaviatePrefix:           "Herald",
		WeaviateReplicas:         1,
		WeaviateShards:           1,
		WeaviateWriteConsistency: "QUORUM",
		WeaviateReadConsistency:  "ONE",
		WeaviateTimeout:          10 * time.Second,
		WeaviateWriteTimeout:     time.Minute,
		ShardCount:               1,

		FeedTimeout:  30 * time.Second,
		FeedMaxBytes: 5 << 20,
		Watch:        true,
		RescanEvery:  10 * time.Minute,
		ReloadEvery:  2 * time.Second,
		PostEvery:    30 * time.Second,

		DiscordAPIURL:         bot.DefaultAPIURL,
		DiscordMessageContent: true,
		DMs:                   true,
		RatePerMinute:         bot.DefaultRatePerMinute,
		RateBurst:             bot.DefaultRateBurst,
		MaxConcurrent:         bot.DefaultMaxConcurrent,
		Queue:                 bot.DefaultQueue,
		MaxQuestion:           bot.DefaultMaxQuestion,
		AnswerTimeout:         bot.DefaultAnswerTimeout,
		ShutdownTimeout:       bot.DefaultShutdownTimeout,
		MaxTokens:             llm.DefaultMaxTokens,
		LLMTimeout:            time.Minute,
		SummaryTokens:         summary.DefaultTokens,
	}
	lookup := func(name string) string {
		if v := getenv(name); strings.TrimSpace(v) != "" {
			return v
		}
		return dotenv[name]
	}
	var errs []error
	env := func(name string, parse func(string) error) {
		if v := lookup(name); strings.TrimSpace(v) != "" {
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
	env("HERALD_CHECKPOINT_EVERY", func(v string) (err error) { cfg.CheckpointEvery, err = positiveDuration(v); return err })
	env("HERALD_LOG_LEVEL", func(v string) error { return cfg.LogLevel.UnmarshalText([]byte(v)) })
	env("HERALD_STORE", func(v string) error { return cfg.setStore(v) })
	env("WEAVIATE_URL", func(v string) error {
		cfg.WeaviateURLs = nil
		for _, u := range strings.Split(v, ",") {
			if u = strings.TrimSpace(u); u != "" {
				cfg.WeaviateURLs = append(cfg.WeaviateURLs, u)
			}
		}
		return nil
	})
	env("WEAVIATE_API_KEY", func(v string) error { cfg.WeaviateAPIKey = v; return nil })
	env("HERALD_WEAVIATE_PREFIX", func(v string) error { cfg.WeaviatePrefix = v; return nil })
	env("HERALD_WEAVIATE_REPLICAS", func(v string) error { n, err := positiveInt64(v); cfg.WeaviateReplicas = int(n); return err })
	env("HERALD_WEAVIATE_SHARDS", func(v string) error { n, err := positiveInt64(v); cfg.WeaviateShards = int(n); return err })
	env("HERALD_WEAVIATE_WRITE_CONSISTENCY", func(v string) (err error) { cfg.WeaviateWriteConsistency, err = consistency(v); return err })
	env("HERALD_WEAVIATE_READ_CONSISTENCY", func(v string) (err error) { cfg.WeaviateReadConsistency, err = consistency(v); return err })
	env("HERALD_WEAVIATE_TIMEOUT", func(v string) (err error) { cfg.WeaviateTimeout, err = positiveDuration(v); return err })
	env("HERALD_WEAVIATE_WRITE_TIMEOUT", func(v string) (err error) { cfg.WeaviateWriteTimeout, err = positiveDuration(v); return err })
	env("HERALD_SHARD_ID", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("want a whole number, 0 or more")
		}
		cfg.ShardID = n
		return nil
	})
	env("HERALD_SHARD_COUNT", func(v string) error { n, err := positiveInt64(v); cfg.ShardCount = int(n); return err })
	env("DISCORD_TOKEN", func(v string) error { cfg.DiscordToken = v; return nil })
	env("DISCORD_APP_ID", func(v string) error { cfg.DiscordAppID = v; return nil })
	env("DISCORD_GUILD_ID", func(v string) error { cfg.DiscordGuildID = v; return nil })
	env("DISCORD_API_URL", func(v string) error { cfg.DiscordAPIURL = v; return nil })
	env("DISCORD_MESSAGE_CONTENT", func(v string) (err error) { cfg.DiscordMessageContent, err = strconv.ParseBool(v); return err })
	env("HERALD_DMS", func(v string) (err error) { cfg.DMs, err = strconv.ParseBool(v); return err })
	env("HERALD_HTTP_ADDR", func(v string) error { cfg.HTTPAddr = v; return nil })
	env("HERALD_LOG_CONTENT", func(v string) (err error) { cfg.LogContent, err = strconv.ParseBool(v); return err })
	env("HERALD_RATE_PER_MINUTE", func(v string) (err error) {
		cfg.RatePerMinute, err = strconv.ParseFloat(v, 64)
		if err != nil || cfg.RatePerMinute < 0 {
			return fmt.Errorf("want a number of questions a minute (0 turns the limit off)")
		}
		return nil
	})
	env("HERALD_RATE_BURST", func(v string) error { n, err := positiveInt64(v); cfg.RateBurst = int(n); return err })
	env("HERALD_MAX_CONCURRENT", func(v string) error { n, err := positiveInt64(v); cfg.MaxConcurrent = int(n); return err })
	env("HERALD_QUEUE", func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("want a whole number, 0 or more")
		}
		cfg.Queue = n
		return nil
	})
	env("HERALD_MAX_QUESTION", func(v string) error {
		n, err := positiveInt64(v)
		if err != nil || n > 6000 {
			return fmt.Errorf("want a whole number from 1 to 6000 (Discord's limit on an option)")
		}
		cfg.MaxQuestion = int(n)
		return nil
	})
	env("HERALD_ANSWER_TIMEOUT", func(v string) (err error) { cfg.AnswerTimeout, err = positiveDuration(v); return err })
	env("HERALD_SHUTDOWN_TIMEOUT", func(v string) (err error) { cfg.ShutdownTimeout, err = positiveDuration(v); return err })
	env("OPENAI_API_KEY", func(v string) error { cfg.OpenAIKey = v; return nil })
	env("OPENAI_BASE_URL", func(v string) error { cfg.OpenAIBaseURL = v; return nil })
	env("HERALD_CHAT_MODEL", func(v string) error { cfg.ChatModel = v; return nil })
	env("HERALD_EMBED_MODEL", func(v string) error { cfg.EmbedModel = v; return nil })
	env("HERALD_EMBED_DIMENSIONS", func(v string) error { n, err := positiveInt64(v); cfg.EmbedDimensions = int(n); return err })
	env("HERALD_MAX_TOKENS", func(v string) error { n, err := positiveInt64(v); cfg.MaxTokens = int(n); return err })
	env("HERALD_DAILY_TOKENS", func(v string) error { n, err := positiveInt64(v); cfg.DailyTokens = int(n); return err })
	env("HERALD_DAILY_TOKENS_PER_USER", func(v string) error { n, err := positiveInt64(v); cfg.DailyTokensPerUser = int(n); return err })
	env("HERALD_LLM_TIMEOUT", func(v string) (err error) { cfg.LLMTimeout, err = positiveDuration(v); return err })
	env("HERALD_SUMMARY_TOKENS", func(v string) error { n, err := positiveInt64(v); cfg.SummaryTokens = int(n); return err })
	env("HERALD_FEEDS", func(v string) (err error) { cfg.Feeds, err = readFeeds(v); return err })
	env("HERALD_FEED_FULLTEXT", func(v string) (err error) { cfg.FeedFullText, err = strconv.ParseBool(v); return err })
	env("HERALD_FEED_TIMEOUT", func(v string) (err error) { cfg.FeedTimeout, err = positiveDuration(v); return err })
	env("HERALD_FEED_MAX_BYTES", func(v string) (err error) { cfg.FeedMaxBytes, err = positiveInt64(v); return err })
	env("HERALD_WATCH", func(v string) (err error) { cfg.Watch, err = strconv.ParseBool(v); return err })
	env("HERALD_RESCAN_EVERY", func(v string) (err error) { cfg.RescanEvery, err = positiveDuration(v); return err })
	env("HERALD_RELOAD_EVERY", func(v string) (err error) { cfg.ReloadEvery, err = positiveDuration(v); return err })
	env("HERALD_POST_EVERY", func(v string) (err error) { cfg.PostEvery, err = positiveDuration(v); return err })
	for i := range cfg.Feeds {
		cfg.Feeds[i].FullText = cfg.Feeds[i].FullText || cfg.FeedFullText
	}
	if cfg.ShardID >= cfg.ShardCount {
		errs = append(errs, fmt.Errorf("HERALD_SHARD_ID=%d: want a shard below HERALD_SHARD_COUNT=%d", cfg.ShardID, cfg.ShardCount))
	}
	if len(errs) > 0 {
		return cfg, fmt.Errorf("configuration: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// readFeeds reads HERALD_FEEDS: the path of a feeds file, or URLs.
func readFeeds(v string) ([]feeds.Feed, error) {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "://") {
		if _, err := os.Stat(v); err != nil && !strings.ContainsAny(v[:1], "/.~") {
			return nil, fmt.Errorf("no feeds file %s, nor a URL: write feed URLs in full, with http:// or https://", v)
		}
		return feeds.ReadFile(v)
	}
	return feeds.Parse(v, "the list")
}

// The stores of record HERALD_STORE names.
const (
	storeEmbedded = "embedded"
	storeWeaviate = "weaviate"
)

// setStore chooses the store of record.
func (c *config) setStore(v string) error {
	switch v = strings.ToLower(strings.TrimSpace(v)); v {
	case storeEmbedded, storeWeaviate:
		c.Store = v
		return nil
	}
	return fmt.Errorf("want %s or %s", storeEmbedded, storeWeaviate)
}

// consistency reads a Weaviate consistency level.
func consistency(v string) (string, error) {
	switch v = strings.ToUpper(v); v {
	case "ONE", "QUORUM", "ALL":
		return v, nil
	}
	return "", fmt.Errorf("want ONE, QUORUM or ALL")
}

// weaviateConfig is the Weaviate part of the configuration.
func (c config) weaviateConfig(log *slog.Logger) *weaviate.Config {
	return &weaviate.Config{
		URLs: c.WeaviateURLs, APIKey: c.WeaviateAPIKey, Prefix: c.WeaviatePrefix,
		Replicas: c.WeaviateReplicas, Shards: c.WeaviateShards,
		WriteConsistency: c.WeaviateWriteConsistency, ReadConsistency: c.WeaviateReadConsistency,
		Timeout: c.WeaviateTimeout, WriteTimeout: c.WeaviateWriteTimeout, Log: log,
	}
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("want a positive duration such as 30s")
	}
	return d, nil
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
	var pe *time.ParseError
	if errors.As(err, &pe) && strings.Contains(pe.Message, "out of range") {
		return time.Time{}, fmt.Errorf("%s is no date (%s)", v, strings.TrimPrefix(pe.Message, ": "))
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD or an RFC 3339 time")
	}
	return t.Add(24*time.Hour - time.Second), nil
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
