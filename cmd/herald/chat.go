package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"golang.org/x/term"
)

const chatHelp = `Commands:
  /ask QUESTION        a cited answer (a line without a command asks too)
  /sources QUESTION    the articles that match, with their best quote
  /summary article:ID-OR-TITLE | topic:TEXT | date:DATE[..DATE]
                       a cited summary (topic: and date: combine)
  /help                this help
  /quit                leave
`

// chat runs an interactive prompt with the bot's commands.
func (a *app) chat(ctx context.Context, args []string) error {
	fs := newFlagSet("chat", a.stderr, &a.cfg)
	if _, err := parseFlags(fs, args); err != nil {
		return err
	}
	eng, err := a.engine(ctx)
	if err != nil {
		return err
	}
	interactive := false
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		interactive = true
		st, err := eng.Archive().Stats(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "Herald: %d articles from %s to %s. Type a question, or /help.\n", st.Articles, st.Oldest.Format(time.DateOnly), st.Newest.Format(time.DateOnly))
	}
	sc := bufio.NewScanner(a.stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for {
		if interactive {
			fmt.Fprint(a.stdout, "herald> ")
		}
		if !sc.Scan() {
			break
		}
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if line == "/quit" || line == "/exit" {
			return nil
		}
		lctx, cancel := context.WithTimeout(ctx, a.cfg.LLMTimeout)
		out, err := a.chatLine(lctx, eng, line)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			out = "Sorry: " + err.Error() + "\n"
		}
		fmt.Fprintln(a.stdout, out)
	}
	return sc.Err()
}

// chatLine runs one chat command and returns what to print.
func (a *app) chatLine(ctx context.Context, eng *rag.Engine, line string) (string, error) {
	cmd, rest := "/ask", line
	if strings.HasPrefix(line, "/") {
		cmd, rest, _ = strings.Cut(line, " ")
		rest = strings.TrimSpace(rest)
		// "/ask question: …", as Discord shows the command's option.
		if name, q, ok := strings.Cut(rest, ":"); ok && strings.EqualFold(strings.TrimSpace(name), "question") && (cmd == "/ask" || cmd == "/sources") {
			rest = strings.TrimSpace(q)
		}
	}
	switch cmd {
	case "/help":
		return chatHelp, nil
	case "/ask":
		if rest == "" {
			return "", errors.New("/ask needs a question")
		}
		ans, err := eng.Ask(ctx, rest, rag.AskOptions{})
		if err != nil {
			return "", err
		}
		return renderAnswer(ans), nil
	case "/sources":
		if rest == "" {
			return "", errors.New("/sources needs a question")
		}
		srcs, period, err := eng.Sources(ctx, rest, rag.AskOptions{})
		if err != nil {
			return "", err
		}
		return renderSources(srcs, period), nil
	case "/summary":
		article, topic, date := summaryOptions(rest)
		if article == "" && topic == "" && date == "" {
			return "", errors.New("/summary needs article:…, topic:… or date:…")
		}
		req, err := summaryRequest(article, topic, date, a.now())
		if err != nil {
			return "", err
		}
		ans, err := eng.Summarize(ctx, req)
		if err != nil {
			return "", err
		}
		return renderAnswer(ans), nil
	}
	return "", fmt.Errorf("unknown command %s; try /help", cmd)
}

// summaryOptions reads "article:… topic:… date:…" (values run to the next
// option); bare text is a topic.
func summaryOptions(s string) (article, topic, date string) {
	vals := map[string]*string{"article": &article, "topic": &topic, "date": &date}
	var cur *string = &topic
	for _, w := range strings.Fields(s) {
		if name, v, ok := strings.Cut(w, ":"); ok {
			if p, known := vals[strings.ToLower(name)]; known {
				cur = p
				w = v
			}
		}
		if w == "" {
			continue
		}
		if *cur != "" {
			*cur += " "
		}
		*cur += w
	}
	return article, topic, date
}

// summaryRequest builds a summary request, reading the date text.
func summaryRequest(article, topic, date string, now time.Time) (rag.SummaryRequest, error) {
	req := rag.SummaryRequest{Article: article, Topic: topic}
	if date != "" {
		p, ok := rag.ParsePeriod(date, now)
		if !ok {
			return req, fmt.Errorf("cannot read the date %q: use YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, a month such as \"March 1987\", or words such as \"last week\"", date)
		}
		req.Period = p
	}
	return req, nil
}

// now is the reference time: HERALD_NOW or --as-of when set, else the clock.
func (a *app) now() time.Time {
	if !a.cfg.Now.IsZero() {
		return a.cfg.Now
	}
	return time.Now()
}
