package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
)

// buildHerald compiles the herald binary into a temp directory.
func buildHerald(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on the PATH to build herald with")
	}
	bin := filepath.Join(t.TempDir(), "herald")
	cmd := exec.Command(goBin, "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building herald: %v\n%s", err, out)
	}
	return bin
}

// writeCrashCorpus writes files JSON Lines files of perFile articles each,
// plus one article with a known answer, and returns the directory and the
// article count.
func writeCrashCorpus(t *testing.T, files, perFile int) (string, int) {
	t.Helper()
	dir := t.TempDir()
	words := strings.Fields("ministers trade energy pipeline grain tariffs summit talks rouble yuan exports imports bank rates council treaty border railway port satellite wheat oil gas coal nickel")
	rng := rand.New(rand.NewSource(1))
	n := 0
	for f := 0; f < files; f++ {
		var b strings.Builder
		for i := 0; i < perFile; i++ {
			var body strings.Builder
			for s := 0; s < 12; s++ {
				fmt.Fprintf(&body, "Officials discussed %s and %s in round %d of meeting %d. ", words[rng.Intn(len(words))], words[rng.Intn(len(words))], s, n)
			}
			fmt.Fprintf(&b, `{"id":"crash-%d","title":"Meeting %d on %s","date":"2026-%02d-%02dT10:00:00Z","body":%q}`+"\n",
				n, n, words[n%len(words)], 1+n%12, 1+n%28, body.String())
			n++
		}
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("part-%03d.jsonl", f)), []byte(b.String()), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "canary.md"), []byte("---\ntitle: Canary Article\ndate: 2026-06-01\nurl: https://example.org/canary\n---\nThe zebra treaty was signed in Ulan Bator by both governments.\n"), 0o644)
	return dir, n + 1
}

func TestIngestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills it repeatedly")
	}
	bin := buildHerald(t)
	// HERALD_CRASH_CORPUS kills ingests of a corpus of your own instead,
	// such as ../shared/datasets/reuters21578/reuters21578.jsonl.
	corpusDir, total := os.Getenv("HERALD_CRASH_CORPUS"), 0
	canary := corpusDir == ""
	if canary {
		corpusDir, total = writeCrashCorpus(t, 24, 150)
	}
	data := t.TempDir()
	// Checkpoints every 20 ms on the small corpus; every second on a corpus
	// of your own, where each one writes tens of megabytes.
	every := "20ms"
	if !canary {
		every = "1s"
	}
	// The child's environment holds only what it needs: none of the
	// caller's configuration reaches it.
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "HERALD_DATA=" + data, "HERALD_CHECKPOINT_EVERY=" + every, "HERALD_LOG_LEVEL=error"}
	ingest := func() *exec.Cmd {
		cmd := exec.Command(bin, "ingest", corpusDir)
		cmd.Env = env
		return cmd
	}

	// Time one full ingest, in a separate directory, to spread the kills over.
	start := time.Now()
	fullData := t.TempDir()
	full := exec.Command(bin, "ingest", "--data", fullData, corpusDir)
	full.Env = env
	if out, err := full.CombinedOutput(); err != nil {
		t.Fatalf("full ingest: %v\n%s", err, out)
	}
	span := time.Since(start)
	if !canary {
		lib, err := library.Open(context.Background(), library.Config{Dir: fullData, RequireIndex: true})
		if err != nil {
			t.Fatal(err)
		}
		st, _ := lib.Archive().Stats(context.Background())
		total = st.Articles
	}

	runs := 12
	if v, err := strconv.Atoi(os.Getenv("HERALD_CRASH_RUNS")); err == nil && v > 0 {
		runs = v
	}
	seed := time.Now().UnixNano()
	if v, err := strconv.ParseInt(os.Getenv("HERALD_CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("full ingest %v; %d kills, seed %d (HERALD_CRASH_SEED)", span, runs, seed)
	rng := rand.New(rand.NewSource(seed))
	ctx := context.Background()
	loaded := 0
	for i := 0; i < runs; i++ {
		// Every few runs start over, so that kills also land in first ingests.
		if i%4 == 0 {
			os.RemoveAll(data)
		}
		cmd := ingest()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		delay := time.Duration(rng.Int63n(int64(span)))
		time.Sleep(delay)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()

		lib, err := library.Open(ctx, library.Config{Dir: data, RequireIndex: true})
		if errors.Is(err, library.ErrNoIndex) {
			t.Logf("kill %d after %v: no snapshot yet", i, delay)
			continue
		}
		loaded++
		if err != nil {
			t.Fatalf("kill %d after %v: the index does not load: %v", i, delay, err)
		}
		if err := lib.Archive().Check(ctx); err != nil {
			t.Fatalf("kill %d after %v: integrity: %v", i, delay, err)
		}
		check := exec.Command(bin, "check")
		check.Env = env
		if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), "is sound") {
			t.Fatalf("kill %d after %v: herald check: %v\n%s", i, delay, err, out)
		}
		st, _ := lib.Archive().Stats(ctx)
		if _, err := rag.New(lib.Archive(), lib.Embedder(), rag.Options{}).Ask(ctx, "What did officials discuss about the pipeline?", rag.AskOptions{}); err != nil {
			t.Fatalf("kill %d: ask: %v", i, err)
		}
		t.Logf("kill %d after %v: %d articles, %d chunks, loads and answers", i, delay, st.Articles, st.Chunks)
	}

	// Most kills must find a snapshot to check: the first checkpoint comes
	// early.
	if loaded < runs/2 {
		t.Fatalf("only %d of %d kills left a snapshot to check", loaded, runs)
	}
	t.Logf("%d of %d kills left a snapshot that loaded, passed the checks and answered", loaded, runs)
	// An ingest after the last kill completes, and the index is whole.
	out, err := ingest().CombinedOutput()
	if err != nil {
		t.Fatalf("ingest after the kills: %v\n%s", err, out)
	}
	lib, err := library.Open(ctx, library.Config{Dir: data, RequireIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := lib.Archive().Check(ctx); err != nil {
		t.Fatal(err)
	}
	if st, _ := lib.Archive().Stats(ctx); st.Articles != total {
		t.Fatalf("%d articles after the final ingest, want %d", st.Articles, total)
	}
	if canary {
		a, err := rag.New(lib.Archive(), lib.Embedder(), rag.Options{}).Ask(ctx, "Where was the zebra treaty signed?", rag.AskOptions{})
		if err != nil || !a.Found || a.Citations[0].URL != "https://example.org/canary" {
			t.Fatalf("canary: %+v, %v", a, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(data, "*.tmp-*")); len(left) != 0 {
		t.Errorf("temp files left after a clean ingest: %v", left)
	}
	out, _ = ingest().CombinedOutput()
	if !strings.Contains(string(out), fmt.Sprintf("0 added, 0 updated, %d unchanged, 0 removed", total)) {
		t.Errorf("re-ingest: %s", out)
	}
}
