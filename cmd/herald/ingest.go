package main

import (
	"context"
	"fmt"
	"sort"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
)

// maxRejectionsPerFile bounds the rejection lines printed for one file
// unless --verbose.
const maxRejectionsPerFile = 10

func (a *app) ingest(ctx context.Context, args []string) error {
	fs := newFlagSet("ingest", a.stderr, &a.cfg)
	strict := fs.Bool("strict", false, "exit non-zero when any file or record is rejected")
	reindex := fs.Bool("reindex", false, "rebuild the index from scratch (needed after changing the embedder)")
	verbose := fs.Bool("verbose", false, "list every rejected record")
	fromFeeds := fs.Bool("feeds", false, "poll every feed of HERALD_FEEDS once (for cron)")
	fs.Int64Var(&a.cfg.MaxFileBytes, "max-file-bytes", a.cfg.MaxFileBytes, "size limit of an article file or JSON Lines record")
	paths, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *fromFeeds {
		if len(paths) > 0 || *reindex || *strict {
			return usageError("ingest --feeds takes no paths, --reindex or --strict: it polls the feeds of HERALD_FEEDS")
		}
		return a.ingestFeeds(ctx)
	}
	if len(paths) == 0 {
		return usageError("ingest needs at least one file or directory (or --feeds)")
	}
	if a.cfg.MaxFileBytes <= 0 {
		return usageError("--max-file-bytes must be positive")
	}
	prog := newProgress(a.stderr)
	_, rep, err := library.Build(ctx, a.libraryConfig(), paths, library.Mode{Reindex: *reindex, Strict: *strict, Progress: prog.update})
	prog.done()
	if err != nil {
		return a.explain(err)
	}
	a.printRejections(rep, *verbose)
	secs := rep.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(rep.Ingested()) / secs
	}
	moved := ""
	if rep.Relocated > 0 {
		moved = fmt.Sprintf(" (%d of them moved)", rep.Relocated)
	}
	fmt.Fprintf(a.stdout, "ingested %s: %d added, %d updated, %d unchanged%s, %d removed, %d rejected; %d chunks in the index (%d embedded now); %.2fs (%.0f articles/s)\n",
		plural(rep.Files, "file"), rep.Added, rep.Updated, rep.Unchanged, moved, rep.Removed, len(rep.Rejected), rep.Chunks, rep.ChunksEmbedded, secs, rate)
	switch {
	case rep.Ingested() == 0:
		return exitError{code: 1, msg: "nothing could be ingested"}
	case *strict && len(rep.Rejected) > 0:
		return exitError{code: 1, msg: fmt.Sprintf("%s (--strict): the index was left as it was", plural(len(rep.Rejected), "rejection"))}
	}
	return nil
}

// printRejections writes one line per rejected file or record to stderr,
// at most maxRejectionsPerFile per file unless verbose.
func (a *app) printRejections(rep rag.IngestReport, verbose bool) {
	perFile := map[string]int{}
	for _, r := range rep.Rejected {
		perFile[r.Path]++
		if verbose || perFile[r.Path] <= maxRejectionsPerFile {
			fmt.Fprintln(a.stderr, "rejected:", r.Error())
		}
	}
	files := make([]string, 0, len(perFile))
	for f, n := range perFile {
		if !verbose && n > maxRejectionsPerFile {
			files = append(files, f)
		}
	}
	sort.Strings(files)
	for _, f := range files {
		reasons := map[string]int{}
		for _, r := range rep.Rejected {
			if r.Path == f {
				reasons[r.Reason]++
			}
		}
		fmt.Fprintf(a.stderr, "rejected: %s: %d more (%s); --verbose lists them all\n", f, perFile[f]-maxRejectionsPerFile, summarizeReasons(reasons))
	}
}

func summarizeReasons(reasons map[string]int) string {
	type rc struct {
		reason string
		n      int
	}
	var list []rc
	for r, n := range reasons {
		list = append(list, rc{r, n})
	}
	sort.Slice(list, func(i, j int) bool {
		return list[i].n > list[j].n || list[i].n == list[j].n && list[i].reason < list[j].reason
	})
	s := ""
	for i, x := range list {
		if i == 3 {
			s += ", …"
			break
		}
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s: %d in all", x.reason, x.n)
	}
	return s
}

// plural formats a count with its noun: "1 file", "2 files".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
