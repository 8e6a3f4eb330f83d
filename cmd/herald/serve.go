package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/bot"
	"github.com/herald-news/herald/internal/replicas"
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
	// Articles that arrive while the bot runs go to the desk, which exists
	// only once the library it reads does.
	to := &relay{}
	lcfg := a.libraryConfig()
	lcfg.Arrived = to.arrived
	if len(a.cfg.Feeds) > 0 {
		lcfg.RequireIndex = false // the sample answers until the first items arrive
	}
	lib, err := a.openLibraryWith(ctx, lcfg)
	if err != nil {
		return err
	}
	eng := a.engineFor(lib)
	news, err := a.newLive(lib, eng, to)
	if err != nil {
		return err
	}
	snapshot := lcfg.SnapshotPath()
	opts := bot.Options{
		Token: a.cfg.DiscordToken, AppID: a.cfg.DiscordAppID, GuildID: a.cfg.DiscordGuildID, APIURL: a.cfg.DiscordAPIURL,
		MessageContent: a.cfg.DiscordMessageContent, DMs: a.cfg.DMs,
		ShardID: a.cfg.ShardID, ShardCount: a.cfg.ShardCount,
		Engine: eng, Library: lib.Archive(), Desk: news.desk, DataDir: a.cfg.DataDir, StoreReady: lib.Ready,
		IndexBytes: func() int64 {
			if info, err := os.Stat(snapshot); err == nil {
				return info.Size()
			}
			return 0
		},
		RatePerMinute: a.cfg.RatePerMinute, RateBurst: a.cfg.RateBurst,
		MaxConcurrent: a.cfg.MaxConcurrent, Queue: a.cfg.Queue, MaxQuestion: a.cfg.MaxQuestion,
		AnswerTimeout: a.cfg.AnswerTimeout, ShutdownTimeout: a.cfg.ShutdownTimeout,
		LogContent: a.cfg.LogContent, Reconnect: true, RefTime: a.now, Log: a.log,
	}
	// Replicas on one Weaviate share the votes and the token budget there.
	if w, ok := lib.Weaviate(); ok {
		state, err := replicas.Open(ctx, w)
		if err != nil {
			return a.explain(err)
		}
		opts.Feedback, opts.IndexBytes = state, nil
		if a.llm != nil {
			a.llm.ShareBudget(state, a.log)
		}
	}
	if a.llm != nil && a.cfg.ChatModel != "" {
		opts.Rewriter = a.llm
		opts.LLMUsage = a.llm.Usage
	}
	if len(a.cfg.Corpus) > 0 {
		opts.Reindexer = lib
	} else {
		a.log.Info("/reindex is off: set HERALD_CORPUS to the corpus it should re-read")
	}
	if news.poller != nil {
		opts.Feeds = news.poller
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
	// The live news runs while the bot does, and stops before serve returns.
	newsCtx, stopNews := context.WithCancel(ctx)
	var running sync.WaitGroup
	for _, run := range news.runs(b) {
		running.Add(1)
		go func() {
			defer running.Done()
			run(newsCtx)
		}()
	}
	err = b.Run(ctx)
	stopNews()
	running.Wait()
	var fatal *bot.FatalGatewayError
	if errors.As(err, &fatal) {
		msg := fatal.Error()
		switch {
		case fatal.Token:
			msg += " into DISCORD_TOKEN"
		case fatal.Code == 4014:
			msg += " (set DISCORD_MESSAGE_CONTENT=false)"
		}
		return exitError{code: 1, msg: msg}
	}
	if err == nil {
		a.log.Info("stopped")
	}
	return err
}
