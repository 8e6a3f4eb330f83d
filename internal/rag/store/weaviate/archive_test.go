package weaviate_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/storetest"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
	"github.com/herald-news/herald/internal/rag/store/weaviate/weaviatetest"
)

func TestMain(m *testing.M) { weaviatetest.Main(m) }

// prefixes numbers the collections of each archive a test opens.
var prefixes atomic.Int64

// open opens a new archive with collections of its own on the given
// nodes, dropped when the test ends.
func open(t testing.TB, cfg weaviate.Config) *weaviate.Archive {
	t.Helper()
	if cfg.Prefix == "" {
		cfg.Prefix = fmt.Sprintf("T%d%d", time.Now().UnixNano()%1e6, prefixes.Add(1))
	}
	a, err := weaviate.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Drop(context.Background()); err != nil {
			t.Errorf("dropping the test's collections: %v", err)
		}
	})
	return a
}

func config(urls []string, emb embed.Embedder, chunkWords int) weaviate.Config {
	return weaviate.Config{URLs: urls, Embedder: emb.Name(), Dimension: emb.Dimension(), ChunkWords: chunkWords}
}

// TestConformance runs the store of record's conformance suite, the one
// the embedded backend passes, against a Weaviate node.
func TestConformance(t *testing.T) {
	node := weaviatetest.Server(t)
	storetest.Run(t, func(t *testing.T, emb embed.Embedder, chunkWords int) store.Archive {
		return open(t, config([]string{node.URL}, emb, chunkWords))
	})
}

// TestOpenSaysWhatIsWrong covers the clusters an operator may point Herald
// at by mistake: none, down, slow, refusing the key, or one whose error
// echoes the key.
func TestOpenSaysWhatIsWrong(t *testing.T) {
	emb := embed.NewLocal(0)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":[{"message":"anonymous access not enabled"}]}`)
	}))
	defer refusing.Close()
	echoing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, `{"error":[{"message":"bad header %s"}]}`, r.Header.Get("Authorization"))
	}))
	defer echoing.Close()
	tests := []struct {
		name string
		cfg  weaviate.Config
		is   error
		has  string
	}{
		{"no URL", weaviate.Config{}, weaviate.ErrNoURL, "no Weaviate URL"},
		{"not a URL", weaviate.Config{URLs: []string{"::"}}, nil, `"::" is not a URL`},
		{"a bad prefix", weaviate.Config{URLs: []string{closed.URL}, Prefix: "herald-x"}, nil, `prefix "herald-x"`},
		{"down", weaviate.Config{URLs: []string{closed.URL}}, nil, "connection refused"},
		{"slow", weaviate.Config{URLs: []string{slow.URL}, Timeout: 200 * time.Millisecond, WriteTimeout: 300 * time.Millisecond}, context.DeadlineExceeded, ""},
		{"refusing the key", weaviate.Config{URLs: []string{refusing.URL}, APIKey: "sekrit-key"}, weaviate.ErrUnauthorized, "refused the API key"},
		{"echoing the key", weaviate.Config{URLs: []string{echoing.URL}, APIKey: "sekrit-key", WriteTimeout: 2 * time.Second}, nil, "[key]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.Embedder, tt.cfg.Dimension = emb.Name(), emb.Dimension()
			start := time.Now()
			_, err := weaviate.Open(context.Background(), tt.cfg)
			if err == nil {
				t.Fatal("opened")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v is not %v", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.has) {
				t.Errorf("error %q does not say %q", err, tt.has)
			}
			if strings.Contains(err.Error(), "sekrit") {
				t.Errorf("the error shows the key: %v", err)
			}
			if took := time.Since(start); took > 4*time.Second {
				t.Errorf("it took %v to fail", took)
			}
		})
	}
}

// TestCallsMoveToANodeThatAnswers opens an archive whose first node is
// down, and one built by another embedder.
func TestCallsMoveToANodeThatAnswers(t *testing.T) {
	node := weaviatetest.Server(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	emb := embed.NewLocal(0)
	a := open(t, config([]string{closed.URL, node.URL}, emb, 0))
	s := storetest.Setup{Archive: a, Embedder: emb, Pipeline: ingest.New(a, emb, 0)}
	s.Ingest(t, storetest.WriteCorpus(t, storetest.NewsCorpus()))
	if st, err := a.Stats(context.Background()); err != nil || st.Articles != 5 {
		t.Fatalf("stats %+v, %v", st, err)
	}
	// The same collections, opened for vectors of another kind.
	cfg := config([]string{node.URL}, emb, 0)
	cfg.Prefix, cfg.Dimension, cfg.Embedder = a.Prefix(), 3, "other"
	_, err := weaviate.Open(context.Background(), cfg)
	var mismatch *weaviate.MismatchError
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), "built with embedder "+emb.Name()) {
		t.Errorf("another embedder: %v", err)
	}
}
