package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gofrs/flock"
	"github.com/herald-news/herald/internal/bot"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag"
)

// serve runs the Discord bot until SIGINT or SIGTERM.
func (a *app) serve(ctx context.Context, args []string) error {
	fs := newFlagSet("serve", a.stderr, &a.cfg)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	if a.cfg.DiscordToken == "" {
		return exitError{code: 2, msg: "serve needs a bot token: set DISCORD_TOKEN (README: Discord setup)"}
	}
	ix, err := a.openIndex(ctx)
	if err != nil {
		return err
	}
	eng, err := a.engineFor(ix)
	if err != nil {
		return err
	}
	opts := bot.Options{
		Token: a.cfg.DiscordToken, AppID: a.cfg.DiscordAppID, GuildID: a.cfg.DiscordGuildID, APIURL: a.cfg.DiscordAPIURL,
		MessageContent: a.cfg.DiscordMessageContent, DMs: a.cfg.DMs,
		Engine: eng, Library: ix, DataDir: a.cfg.DataDir,
		IndexBytes: func() int64 {
			if info, err := os.Stat(a.snapshotPath()); err == nil {
				return info.Size()
			}
			return 0
		},
		RatePerMinute: a.cfg.RatePerMinute, RateBurst: a.cfg.RateBurst,
		MaxConcurrent: a.cfg.MaxConcurrent, Queue: a.cfg.Queue, MaxQuestion: a.cfg.MaxQuestion,
		AnswerTimeout: a.cfg.AnswerTimeout, ShutdownTimeout: a.cfg.ShutdownTimeout,
		LogContent: a.cfg.LogContent, Reconnect: true, RefTime: a.now, Log: a.log,
	}
	if a.llm != nil && a.cfg.ChatModel != "" {
		opts.Rewriter = a.llm
		opts.LLMUsage = a.llm.Usage
	}
	if len(a.cfg.Corpus) > 0 {
		opts.Reindex = func(ctx context.Context) (rag.IngestReport, error) { return a.reingest(ctx, ix) }
	} else {
		a.log.Info("/reindex is off: set HERALD_CORPUS to the corpus it should re-read")
	}
	b, err := bot.New(opts)
	if err != nil {
		return err
	}

	if a.cfg.HTTPAddr != "" {
		ln, err := net.Listen("tcp", a.cfg.HTTPAddr)
		if err != nil {
			return fmt.Errorf("HERALD_HTTP_ADDR: %w", err)
		}
		srv := &http.Server{Handler: b.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		a.log.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			srv.Shutdown(sctx)
		}()
	}
	err = b.Run(ctx)
	var fatal *bot.FatalGatewayError
	if errors.As(err, &fatal) {
		return exitError{code: 1, msg: fatal.Error()}
	}
	if err == nil {
		a.log.Info("stopped")
	}
	return err
}

// reingest re-reads HERALD_CORPUS into the live index, which keeps
// answering meanwhile, and saves it.
func (a *app) reingest(ctx context.Context, ix *rag.Index) (rag.IngestReport, error) {
	if err := os.MkdirAll(a.cfg.DataDir, 0o755); err != nil {
		return rag.IngestReport{}, fmt.Errorf("reindex: %w", err)
	}
	lock := flock.New(a.lockPath())
	locked, err := lock.TryLock()
	if err != nil || !locked {
		return rag.IngestReport{}, fmt.Errorf("reindex: another ingest is writing to %s", a.cfg.DataDir)
	}
	defer lock.Unlock()
	path := a.snapshotPath()
	rep, err := ix.Ingest(ctx, a.cfg.Corpus, rag.IngestOptions{
		Corpus:     corpus.Options{MaxFileBytes: a.cfg.MaxFileBytes},
		Checkpoint: func() error { return ix.Save(path) }, CheckpointEvery: a.cfg.CheckpointEvery,
	})
	if err != nil {
		return rep, err
	}
	for _, r := range rep.Rejected {
		a.log.Warn("reindex rejected", "reason", r.Error())
	}
	if rep.Changed() {
		if err := ix.Save(path); err != nil {
			return rep, err
		}
	}
	return rep, nil
}
