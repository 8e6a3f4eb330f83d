package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progress shows an ingest's progress: a bar on a terminal, a plain line
// every few seconds otherwise.
type progress struct {
	w        io.Writer
	bar      *progressbar.ProgressBar
	last     time.Time
	lastSeen ingest.Progress
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, last: time.Now()}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.bar = progressbar.NewOptions64(-1,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("ingesting"),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowCount(),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

func (p *progress) update(s ingest.Progress) {
	p.lastSeen = s
	if p.bar != nil {
		if p.bar.GetMax64() != s.Bytes {
			p.bar.ChangeMax64(s.Bytes)
		}
		p.bar.Describe(fmt.Sprintf("ingesting %d/%d files, %d articles", s.FilesDone, s.Files, s.Articles))
		_ = p.bar.Set64(s.BytesDone)
		return
	}
	if time.Since(p.last) >= 2*time.Second {
		p.last = time.Now()
		fmt.Fprintf(p.w, "ingest: %d/%d files, %d articles read, %d rejected\n", s.FilesDone, s.Files, s.Articles, s.Rejected)
	}
}

func (p *progress) done() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
