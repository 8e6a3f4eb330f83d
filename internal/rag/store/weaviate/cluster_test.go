package weaviate

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/weaviate/weaviatetest"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
)

// clusterCorpus writes files JSON Lines files of perFile dated articles
// each, grain reports; the first also holds one on cocoa.
func clusterCorpus(t *testing.T, files, perFile int) string {
	dir := t.TempDir()
	for f := range files {
		var b strings.Builder
		if f == 0 {
			b.WriteString(`{"id":"cocoa","title":"Cocoa Rains Help Bahia Crop","date":"1987-02-26","body":"Showers continued throughout the week in the Bahia cocoa zone, improving prospects for the temporao crop. Arrivals were 155,221 bags."}` + "\n")
		}
		for i := range perFile {
			n := f*perFile + i
			day := time.Date(1987, time.Month(1+n%12), 1+n%28, 0, 0, 0, 0, time.UTC)
			fmt.Fprintf(&b, `{"id":"a%d","title":"Grain report %d","date":"%s","body":"Exporters shipped %d tonnes of wheat in report number %d, traders said. Elevator stocks of wheat and maize rose in week %d."}`+"\n",
				n, n, day.Format(time.DateOnly), 1000+n, n, n)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.jsonl", f)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestAClusterSurvivesAKilledNode runs an ingest and a stream of questions
// on a 3-node cluster with three replicas, QUORUM writes and ONE reads,
// and SIGKILLs a node during each: the node the archive talks to during
// the ingest, another during the questions. No question fails, the ingest
// completes, and once the nodes are back each holds every chunk.
func TestAClusterSurvivesAKilledNode(t *testing.T) {
	if testing.Short() {
		t.Skip("a 3-node cluster (-short)")
	}
	nodes := weaviatetest.Cluster(t, 3)
	ctx := context.Background()
	emb := embed.NewLocal(0)
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.URL)
	}
	var log syncBuffer
	a, err := Open(ctx, Config{URLs: urls, Prefix: "Cluster", Replicas: 3, Embedder: emb.Name(), Dimension: emb.Dimension(),
		Timeout: 20 * time.Second, WriteTimeout: 30 * time.Second, Log: slog.New(slog.NewTextHandler(&log, nil))})
	if err != nil {
		t.Fatal(err)
	}
	const files, perFile = 40, 20
	dir := clusterCorpus(t, files, perFile)
	eng := rag.New(a, emb, rag.Options{Now: func() time.Time { return time.Date(1988, 1, 1, 0, 0, 0, 0, time.UTC) }})

	// Questions run all along, on the cocoa article of the first file.
	var asked, failed atomic.Int64
	var failures sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	question := func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			ans, err := eng.Ask(ctx, "How many bags of cocoa arrived in Bahia?", rag.AskOptions{})
			asked.Add(1)
			if err != nil || !ans.Found || !strings.Contains(ans.Text, "155,221 bags") {
				failed.Add(1)
				failures.Store(fmt.Sprint(err, ans.Text), true)
			}
		}
	}
	// The first file goes in before the questions start.
	pipe := ingest.New(a, emb, 0)
	first := filepath.Join(t.TempDir(), "000.jsonl")
	os.Rename(filepath.Join(dir, "000.jsonl"), first)
	if _, err := pipe.Files(ctx, []string{first}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	wg.Add(2)
	go question()
	go question()

	killed := nodes[a.current.Load()] // the node the archive talks to
	restarted := make(chan error, 1)
	rep, err := pipe.Files(ctx, []string{first, dir}, ingest.Options{Progress: func(p ingest.Progress) {
		switch p.FilesDone {
		case 9:
			t.Logf("killing %s during the ingest", killed.Name)
			killed.Kill()
		case 25:
			go func() { restarted <- killed.Start(ctx) }()
		}
	}})
	if err != nil {
		t.Fatalf("the ingest failed: %v", err)
	}
	if want := (files - 1) * perFile; rep.Added != want || rep.Unchanged != perFile+1 || len(rep.Rejected) != 0 {
		t.Fatalf("ingested %+v, want %d added", rep, want)
	}
	if err := <-restarted; err != nil {
		t.Fatal(err)
	}
	// Another node dies while questions are asked.
	other := nodes[(indexOfNode(nodes, killed)+1)%len(nodes)]
	before := asked.Load()
	t.Logf("killing %s during the questions", other.Name)
	other.Kill()
	for asked.Load() < before+20 {
		time.Sleep(50 * time.Millisecond)
	}
	if err := other.Start(ctx); err != nil {
		t.Fatal(err)
	}
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		failures.Range(func(k, _ any) bool { t.Errorf("a question failed: %v", k); return true })
		t.Fatalf("%d of %d questions failed", failed.Load(), asked.Load())
	}
	t.Logf("%d questions answered", asked.Load())
	// The archive did move off the killed nodes.
	if moves := strings.Count(log.String(), "moved to another node"); moves < 2 {
		t.Errorf("the archive moved to another node %d times, want at least 2:\n%s", moves, log.String())
	}
	t.Logf("writes sent again: %d", strings.Count(log.String(), "sending it again"))

	// Every node holds every chunk, once replication has caught up: a
	// read at ONE may meet a replica that has not yet.
	caught, deadline := time.Now(), time.Now().Add(3*time.Minute)
	var infos []store.ArticleInfo
	for {
		infos, err = a.Articles(ctx, store.ArticleQuery{})
		if err == nil && len(infos) == files*perFile+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d articles listed, want %d: %v", len(infos), files*perFile+1, err)
		}
		time.Sleep(time.Second)
	}
	var ids []string
	for _, info := range infos {
		for o := range info.Chunks {
			ids = append(ids, chunkUUID(corpus.ChunkID(info.ID, o)))
		}
	}
	for _, n := range nodes {
		for {
			missing, err := missingOn(ctx, a, n.Name, ids)
			if err == nil && missing == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s lacks %d of %d chunks (%v)", n.Name, missing, len(ids), err)
			}
			time.Sleep(2 * time.Second)
		}
	}
	t.Logf("every node held every chunk %s after the restarts", time.Since(caught).Round(time.Second))
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// syncBuffer is a log that goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func indexOfNode(nodes []*weaviatetest.Node, n *weaviatetest.Node) int {
	for i, m := range nodes {
		if m == n {
			return i
		}
	}
	return -1
}

// missingOn counts the chunks a node does not hold itself.
func missingOn(ctx context.Context, a *Archive, node string, ids []string) (int, error) {
	missing := 0
	for _, id := range ids {
		err := a.on(ctx, a.cfg.Timeout, func(ctx context.Context, c *wv.Client) error {
			objs, err := c.Data().ObjectsGetter().WithClassName(a.chunk).WithID(id).WithNodeName(node).Do(ctx)
			if notFound(err) || err == nil && len(objs) == 0 {
				missing++
				return nil
			}
			return err
		})
		if err != nil {
			return missing, err
		}
	}
	return missing, nil
}
