package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/herald-news/herald/internal/rag"
)

func (a *app) ask(ctx context.Context, args []string) error {
	fs := newFlagSet("ask", a.stderr, &a.cfg)
	asJSON := fs.Bool("json", false, "print the answer as JSON")
	k := fs.Int("k", 0, "passages to retrieve (default HERALD_TOP_K)")
	var asOf = a.cfg.Now
	fs.Var(asOfFlag{&asOf}, "as-of", "reference `date` for relative dates such as 'last week' (HERALD_NOW)")
	words, err := parseFlags(fs, args)
	if err != nil {
		return exitError{code: 2}
	}
	question := strings.TrimSpace(strings.Join(words, " "))
	if question == "" {
		return usageError("ask needs a question, or - to read questions from stdin")
	}
	a.cfg.Now = asOf
	eng, err := a.engine(ctx)
	if err != nil {
		return err
	}
	opts := rag.AskOptions{K: *k}
	if question == "-" {
		return a.askStream(ctx, eng, opts)
	}
	ans, err := eng.Ask(ctx, question, opts)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, answerJSON(ans))
	}
	fmt.Fprint(a.stdout, renderAnswer(ans))
	return nil
}

// askStream answers one question per line of stdin with one JSON object
// per line. A bad question gets an object with an "error" field; the rest
// go on.
func (a *app) askStream(ctx context.Context, eng *rag.Engine, opts rag.AskOptions) error {
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	for sc.Scan() {
		q := strings.TrimSpace(sc.Text())
		if q == "" {
			continue
		}
		ans, err := eng.Ask(ctx, q, opts)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			if err := enc.Encode(map[string]string{"question": q, "error": err.Error()}); err != nil {
				return err
			}
			continue
		}
		if err := enc.Encode(answerJSON(ans)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading questions from stdin: %w", err)
	}
	return nil
}

func (a *app) sources(ctx context.Context, args []string) error {
	fs := newFlagSet("sources", a.stderr, &a.cfg)
	asJSON := fs.Bool("json", false, "print the sources as JSON")
	k := fs.Int("k", 5, "articles to list")
	var asOf = a.cfg.Now
	fs.Var(asOfFlag{&asOf}, "as-of", "reference `date` for relative dates (HERALD_NOW)")
	words, err := parseFlags(fs, args)
	if err != nil {
		return exitError{code: 2}
	}
	question := strings.TrimSpace(strings.Join(words, " "))
	if question == "" {
		return usageError("sources needs a question")
	}
	a.cfg.Now = asOf
	eng, err := a.engine(ctx)
	if err != nil {
		return err
	}
	srcs, period, err := eng.Sources(ctx, question, rag.AskOptions{K: *k})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, sourcesJSON(question, period, srcs))
	}
	fmt.Fprint(a.stdout, renderSources(srcs, period))
	return nil
}

func (a *app) summary(ctx context.Context, args []string) error {
	fs := newFlagSet("summary", a.stderr, &a.cfg)
	asJSON := fs.Bool("json", false, "print the summary as JSON")
	article := fs.String("article", "", "article `ID or title` to summarise")
	topic := fs.String("topic", "", "`topic` to summarise")
	date := fs.String("date", "", "`DATE[..DATE]` or words like 'last week' to summarise or to limit a topic to")
	n := fs.Int("sentences", 5, "sentences in the summary")
	var asOf = a.cfg.Now
	fs.Var(asOfFlag{&asOf}, "as-of", "reference `date` for relative dates (HERALD_NOW)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return exitError{code: 2}
	}
	if len(rest) > 0 && *topic == "" && *article == "" {
		*topic = strings.Join(rest, " ")
	}
	if *article == "" && *topic == "" && *date == "" {
		return usageError("summary needs --article, --topic or --date")
	}
	a.cfg.Now = asOf
	eng, err := a.engine(ctx)
	if err != nil {
		return err
	}
	req, err := summaryRequest(*article, *topic, *date, a.now())
	if err != nil {
		return err
	}
	req.Sentences = *n
	ans, err := eng.Summarize(ctx, req)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, answerJSON(ans))
	}
	fmt.Fprint(a.stdout, renderAnswer(ans))
	return nil
}
