package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/herald-news/herald/internal/rag"
)

// maxK bounds --k.
const maxK = 100

// questionFlags are the flags shared by the commands that take a question.
type questionFlags struct {
	json bool
	k    int
}

// parseQuestion parses a question command's flags (--json, --k, --as-of,
// --data) and returns the question.
func (a *app) parseQuestion(name string, defaultK int, args []string) (string, questionFlags, error) {
	var qf questionFlags
	fs := newFlagSet(name, a.stderr, &a.cfg)
	fs.BoolVar(&qf.json, "json", false, "print JSON")
	fs.IntVar(&qf.k, "k", defaultK, "passages or articles to retrieve (1 to 100)")
	fs.Var(asOfFlag{&a.cfg.Now}, "as-of", "reference `date` for relative dates such as 'last week' (HERALD_NOW)")
	words, err := parseFlags(fs, args)
	if err != nil {
		return "", qf, err
	}
	if qf.k < 1 || qf.k > maxK {
		return "", qf, usageError("--k must be between 1 and %d", maxK)
	}
	question := strings.TrimSpace(strings.Join(words, " "))
	if question == "" {
		return "", qf, usageError("%s needs a question", name)
	}
	return question, qf, nil
}

func (a *app) ask(ctx context.Context, args []string) error {
	question, qf, err := a.parseQuestion("ask", a.cfg.TopK, args)
	if err != nil {
		return err
	}
	eng, err := a.engine(ctx)
	if err != nil {
		return err
	}
	opts := rag.AskOptions{K: qf.k, Asker: "cli"}
	if question == "-" {
		return a.askStream(ctx, eng, opts)
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.LLMTimeout)
	defer cancel()
	// Tokens are printed as they come; the checked answer follows.
	var streamed strings.Builder
	if !qf.json {
		opts.OnDelta = func(d string) {
			streamed.WriteString(d)
			fmt.Fprint(a.stdout, d)
		}
	}
	ans, err := eng.Ask(ctx, question, opts)
	var qe *rag.QuestionError
	if errors.As(err, &qe) && qf.json {
		// A refused question is still an answer in the JSON asked for,
		// as a line of "ask -" is; the exit status says it failed.
		if werr := writeJSON(a.stdout, map[string]string{"question": question, "error": qe.Error()}); werr != nil {
			return werr
		}
	}
	if err != nil {
		return err
	}
	if qf.json {
		return writeJSON(a.stdout, answerJSON(ans))
	}
	if streamed.Len() > 0 {
		fmt.Fprint(a.stdout, "\n\n")
		if ans.Fallback != "" || strings.TrimSpace(streamed.String()) != ans.Text {
			fmt.Fprint(a.stdout, "Checked answer:\n")
		} else {
			ans.Text = "" // already shown
		}
	}
	fmt.Fprint(a.stdout, renderAnswer(ans))
	return nil
}

// askStream answers one question per line of stdin with one JSON object
// per line.
func (a *app) askStream(ctx context.Context, eng *rag.Engine, opts rag.AskOptions) error {
	return a.stream(ctx, func(ctx context.Context, q string) (any, error) {
		ans, err := eng.Ask(ctx, q, opts)
		return answerJSON(ans), err
	})
}

// stream reads one question per line of stdin and writes what each gets
// as one JSON object per line (ask -, sources -): one index load for any
// number of questions. A bad question, or a blank line, gets an object
// with an "error" field, so that output line n answers input line n; the
// rest go on.
func (a *app) stream(ctx context.Context, each func(context.Context, string) (any, error)) error {
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	enc := json.NewEncoder(a.stdout)
	enc.SetEscapeHTML(false)
	for line := 1; sc.Scan(); line++ {
		q := strings.TrimSpace(sc.Text())
		if q == "" {
			if err := enc.Encode(map[string]string{"question": "", "error": fmt.Sprintf("line %d: no question", line)}); err != nil {
				return err
			}
			continue
		}
		qctx, cancel := context.WithTimeout(ctx, a.cfg.LLMTimeout)
		out, err := each(qctx, q)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			out = map[string]string{"question": q, "error": err.Error()}
		}
		if err := enc.Encode(out); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading questions from stdin: %w", err)
	}
	return nil
}

func (a *app) sources(ctx context.Context, args []string) error {
	question, qf, err := a.parseQuestion("sources", 5, args)
	if err != nil {
		return err
	}
	eng, err := a.engine(ctx)
	if err != nil {
		return err
	}
	if question == "-" {
		return a.stream(ctx, func(ctx context.Context, q string) (any, error) {
			srcs, period, err := eng.Sources(ctx, q, rag.AskOptions{K: qf.k})
			return sourcesJSON(q, period, srcs), err
		})
	}
	srcs, period, err := eng.Sources(ctx, question, rag.AskOptions{K: qf.k})
	if err != nil {
		return err
	}
	if qf.json {
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
	fs.Var(asOfFlag{&a.cfg.Now}, "as-of", "reference `date` for relative dates (HERALD_NOW)")
	rest, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		if *topic != "" || *article != "" || *date != "" {
			return usageError("unexpected argument %q: quote values of several words, as in --date \"March 1987\" or --topic \"oil prices\"", rest[0])
		}
		*topic = strings.Join(rest, " ")
	}
	if *article == "" && *topic == "" && *date == "" {
		return usageError("summary needs --article, --topic or --date")
	}
	eng, err := a.engine(ctx)
	if err != nil {
		return err
	}
	req, err := summaryRequest(*article, *topic, *date, a.now())
	if err != nil {
		return err
	}
	req.Sentences = *n
	ctx, cancel := context.WithTimeout(ctx, a.cfg.LLMTimeout)
	defer cancel()
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
