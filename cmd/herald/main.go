// Command herald answers questions about a corpus of dated news articles,
// citing every claim with the article's title, date and link.
//
// Usage:
//
//	herald ingest [--data DIR] [--strict] [--reindex] PATH...
//	herald ask [--json] [--k N] [--as-of DATE] QUESTION | -
//	herald summary (--article ID|TITLE | --topic TEXT | --date DATE[..DATE]) [--json]
//	herald sources [--json] [--k N] QUESTION
//	herald check [--data DIR]
//	herald copy [--data DIR]
//	herald chat
//	herald serve
//	herald eval squad [--limit N] [--seed N] [--retrieval MODES] [--unanswerable] [--json] PATH
//	herald eval reader [--out FILE] [--json] PATH
//
// With no configuration at all, herald answers from a small built-in sample
// corpus, offline.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal asks for a clean stop; a second one ends at once.
		<-ctx.Done()
		stop()
	}()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee exitError
		if !errors.As(err, &ee) || ee.msg != "" {
			fmt.Fprintln(os.Stderr, "herald:", err)
		}
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(1)
	}
}

// exitError ends the program with a given code; an empty message prints
// nothing more.
type exitError struct {
	code int
	msg  string
}

func (e exitError) Error() string { return e.msg }

// usageError is a mistake in the command line (exit code 2).
func usageError(format string, args ...any) error {
	return exitError{code: 2, msg: fmt.Sprintf(format, args...) + "\nRun 'herald help' for usage."}
}

const usage = `Herald answers questions about dated news articles, citing each claim.

Usage:
  herald ask [--json] [--k N] [--as-of DATE] QUESTION   answer a question ('-' reads one per line from stdin, writes JSON lines)
  herald sources [--json] [--k N] [--as-of DATE] QUESTION  list the articles that match a question
  herald summary --article ID|TITLE [--json]           summarise one article
  herald summary --topic TEXT [--date DATE] [--json]   summarise a topic (optionally within dates)
  herald summary --date DATE[..DATE] [--json]          summarise a day or a range ("2026-02-04", "last week")
  herald ingest [--strict] [--reindex] PATH...         index article files and directories
  herald ingest --feeds                                poll every feed of HERALD_FEEDS once
  herald feeds                                         list the feeds: last fetch, outcome, items, next poll
  herald check                                         verify the index's integrity
  herald copy                                          copy the data directory's index into Weaviate (WEAVIATE_URL)
  herald chat                                          try the bot's commands at a prompt
  herald serve                                         run the Discord bot (needs DISCORD_TOKEN; see README)
  herald eval squad [--limit N] [--seed N] [--retrieval bm25,vector,hybrid] [--unanswerable] [--json] PATH
                                                       measure retrieval and answers on SQuAD v1.1 dev
  herald eval news [--corpus FILE] [--json] QUESTIONS  measure answers on dated news questions (reuters-qa)
  herald eval reader [--out FILE] [--json] PATH        train the short-answer reader on SQuAD dev's even pages, measure it on the odd
  herald help                                          show this help

Common flags: --data DIR (index directory, default ./herald-data, or HERALD_DATA);
  --store embedded|weaviate (HERALD_STORE: the data directory, or a Weaviate cluster at WEAVIATE_URL).
With no index and no HERALD_CORPUS, herald answers from its built-in sample corpus.
`

// run dispatches a command line, configured from getenv.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stdout, usage)
		return nil
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	app := &app{cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr, log: newLogger(stderr, cfg.LogLevel)}
	cmd, rest := args[0], args[1:]
	if cmd != "help" && cmd != "-h" && cmd != "--help" {
		if err := app.setupLLM(ctx); err != nil {
			return err
		}
	}
	if strings.HasPrefix(cmd, "-") && cmd != "-h" && cmd != "--help" {
		return usageError("flags go after the command, as in 'herald ask %s …'", cmd)
	}
	switch cmd {
	case "ask":
		return app.ask(ctx, rest)
	case "sources":
		return app.sources(ctx, rest)
	case "summary", "summarize", "summarise":
		return app.summary(ctx, rest)
	case "ingest":
		return app.ingest(ctx, rest)
	case "chat":
		return app.chat(ctx, rest)
	case "serve":
		return app.serve(ctx, rest)
	case "eval":
		return app.eval(ctx, rest)
	case "check":
		return app.check(ctx, rest)
	case "copy":
		return app.copyIndex(ctx, rest)
	case "feeds":
		return app.feeds(ctx, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError("unknown command %q", cmd)
}
