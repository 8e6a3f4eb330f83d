package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/herald-news/herald/internal/eval"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/answer"
)

// eval measures answer quality on a public question set.
func (a *app) eval(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "news" {
		return a.evalNews(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "reader" {
		return a.evalReader(ctx, args[1:])
	}
	if len(args) == 0 || args[0] != "squad" {
		return usageError("usage: herald eval squad [--store embedded|weaviate] [--limit N] [--seed N] [--retrieval bm25,vector,hybrid] [--unanswerable] [--json] PATH\n       herald eval news [--corpus FILE] [--json] QUESTIONS\n       herald eval reader [--out FILE] [--json] PATH")
	}
	fs := newFlagSet("eval squad", a.stderr, &a.cfg)
	limit := fs.Int("limit", 0, "ask only `N` questions, drawn at random (0: all)")
	seed := fs.Uint64("seed", 1, "random `seed` for --limit")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	modes := fs.String("retrieval", "bm25,vector,hybrid", "retrieval `modes` to measure, comma-separated")
	unanswerable := fs.Bool("unanswerable", false, "also ask the questions of half the pages against an index of the other half")
	pos, err := parseFlags(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("herald eval squad needs the path of SQuAD v1.1 dev JSON (for example ../shared/datasets/squad-v1.1-dev/dev-v1.1.json)")
	}
	if *limit < 0 {
		return usageError("--limit must be 0 or more, not %d", *limit)
	}
	var retrievals []rag.Retrieval
	for _, m := range strings.Split(*modes, ",") {
		r, err := rag.ParseRetrieval(strings.TrimSpace(m))
		if err != nil {
			return usageError("--retrieval: %v", err)
		}
		if !slices.Contains(retrievals, r) {
			retrievals = append(retrievals, r)
		}
	}
	ds, err := eval.LoadSQuAD(pos[0])
	if err != nil {
		return err
	}
	last := time.Now()
	rep, err := eval.Run(ctx, ds, eval.Options{
		Limit: *limit, Seed: *seed, Retrievals: retrievals, Unanswerable: *unanswerable, Weaviate: a.libraryConfig().Weaviate,
		Progress: func(done, total int) {
			if time.Since(last) >= 5*time.Second || done == total {
				last = time.Now()
				fmt.Fprintf(a.stderr, "eval: %d/%d questions asked\n", done, total)
			}
		},
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, rep)
	}
	writeEvalTable(a, rep)
	return nil
}

func writeEvalTable(a *app, rep eval.Report) {
	fmt.Fprintf(a.stdout, "%s: %d questions over %d articles (%d chunks); embedder %s; %s store built in %.1f s",
		rep.Dataset, rep.Questions, rep.Articles, rep.Chunks, rep.Embedder, rep.Store, rep.IngestSeconds)
	if rep.Limit > 0 {
		fmt.Fprintf(a.stdout, "; sample of %d with seed %d", rep.Limit, rep.Seed)
	}
	fmt.Fprintln(a.stdout)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "retrieval\tR@1\tR@5\tR@20\tMRR\tbest sentence\twhole answer\tshort EM\tshort F1\tno answer\tanswer words\tp50 ms\tp99 ms\t")
	for _, m := range rep.Modes {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%.1f\t%.1f\t\n", m.Retrieval,
			m.RecallAt1, m.RecallAt5, m.RecallAt20, m.MRR, m.BestSentence, m.WholeAnswer, m.ShortEM, m.ShortF1, m.NoAnswer, m.AnswerWords, m.AskP50Ms, m.AskP99Ms)
	}
	r := rep.Reader
	fmt.Fprintf(tw, "gold paragraph\t\t\t\t\t\t%.3f\t%.3f\t%.3f\t\t%.1f\t\t\t\n", r.WholeAnswer, r.ShortEM, r.ShortF1, r.AnswerWords)
	tw.Flush()
	fmt.Fprintf(a.stdout, "gold paragraph: the answerer given each question's paragraph, no retrieval; %.3f got a short answer\n", r.ShortGiven)
	if u := rep.Unanswerable; u != nil {
		fmt.Fprintf(a.stdout, "unanswerable (pages left out of the index): %d questions, %.3f answered (%.3f with the partial-match warning), %.3f refused\n",
			u.Questions, u.Answered, u.Flagged, 1-u.Answered)
	}
}

// evalNews measures answers on a dated-news question set (reuters-qa):
// every question asked as of its day, scored per kind.
func (a *app) evalNews(ctx context.Context, args []string) error {
	fs := newFlagSet("eval news", a.stderr, &a.cfg)
	corpusPath := fs.String("corpus", "", "the articles the questions are about (default: ../reuters21578/reuters21578.jsonl beside the questions' folder)")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("herald eval news needs the path of the questions (for example ../shared/datasets/reuters-qa/questions.jsonl)")
	}
	qs, err := eval.LoadNews(pos[0])
	if err != nil {
		return err
	}
	if *corpusPath == "" {
		*corpusPath = eval.NewsCorpus(pos[0])
	}
	rep, err := eval.RunNews(ctx, *corpusPath, qs)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(a.stdout, rep)
	}
	fmt.Fprintf(a.stdout, "%d questions over %d articles, each asked as of its day\n", rep.Questions, rep.Articles)
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "kind\tn\tcontains\tshort\tcited\tanswered\trefused\tstale\t")
	for _, k := range rep.Kinds {
		switch k.Kind {
		case "unanswerable":
			fmt.Fprintf(tw, "%s\t%d\t\t\t\t\t%.3f\t\t\n", k.Kind, k.N, k.Refused)
		case "latest":
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t\t%.3f\t\n", k.Kind, k.N, k.Contains, k.Short, k.Cited, k.Answered, k.Stale)
		default:
			fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t\t\t\n", k.Kind, k.N, k.Contains, k.Short, k.Cited, k.Answered)
		}
	}
	tw.Flush()
	fmt.Fprintf(a.stdout, "answers citing an article dated after as_of: %d of %d; ask p50 %.1f ms, p99 %.1f ms; %.1f words an answer\n",
		rep.Late, rep.Questions, rep.P50MS, rep.P99MS, rep.Words)
	return nil
}

// evalReader trains the short-answer reader on SQuAD's even pages and
// measures it on the odd ones; --out writes the weights Herald embeds.
func (a *app) evalReader(ctx context.Context, args []string) error {
	fs := newFlagSet("eval reader", a.stderr, &a.cfg)
	out := fs.String("out", "", "write the learnt weights to `FILE` (internal/rag/answer/reader.tsv.gz is the one Herald embeds)")
	asJSON := fs.Bool("json", false, "write the report as JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError("herald eval reader needs the path of SQuAD v1.1 dev JSON (for example ../shared/datasets/squad-v1.1-dev/dev-v1.1.json)")
	}
	if *out != "" {
		// Training takes a minute: a place the weights cannot go is said first.
		if dir, err := os.Stat(filepath.Dir(*out)); err != nil || !dir.IsDir() {
			return usageError("--out %s: no directory %s to write the weights in", *out, filepath.Dir(*out))
		}
	}
	ds, err := eval.LoadSQuAD(pos[0])
	if err != nil {
		return err
	}
	t, err := eval.TrainReader(ctx, ds, eval.ReaderMinCount)
	if err != nil {
		return err
	}
	if *out != "" {
		var buf bytes.Buffer
		if err := answer.WriteWeights(&buf, t.Weights); err != nil {
			return err
		}
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing the reader's weights: %w", err)
		}
	}
	if *asJSON {
		return writeJSON(a.stdout, t)
	}
	fmt.Fprintf(a.stdout, "%s: trained on %d questions of the even pages (%d with a gold span among their lines), %d features\n",
		ds.Name, t.Fit.Examples, t.Fit.Reachable, t.Fit.Features)
	fmt.Fprintf(a.stdout, "held out: %d questions of the odd pages: short EM %.3f, F1 %.3f (a gold span among the lines: %.3f)\n",
		t.HeldOut, t.EM, t.F1, t.Ceiling)
	if *out != "" {
		fmt.Fprintf(a.stdout, "weights written to %s\n", *out)
	}
	return nil
}
