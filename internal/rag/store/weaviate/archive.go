// Package weaviate is the store of record on a Weaviate cluster, for
// corpora and replicas one machine cannot hold: articles, chunks with
// their index terms and vectors, BM25 and vector search, date filters,
// sharding and replication are Weaviate's. It implements store.Archive, so
// Herald's retrieval (fusion, rerank, caps) runs above it as it does above
// the embedded backend. Entries come from ingest; candidates go to
// retrieval.
//
// Three collections hold the archive, named with a prefix: Article (the
// manifest, the metadata and the body of every article), Chunk (text,
// terms, date, vector) and Meta (what built the archive). Object IDs are
// UUIDv5 of the article and chunk IDs, so writes are idempotent and a
// write that timed out is safely sent again.
package weaviate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/herald-news/herald/internal/rag/store"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate/entities/models"
)

// Config says where the cluster is and how to use it.
type Config struct {
	// URLs are the nodes' HTTP addresses ("http://10.0.0.1:8080"); calls go
	// to the first that answers, and move on when it fails.
	URLs []string
	// APIKey authenticates, when the cluster asks for one. Never logged.
	APIKey string
	// Prefix names the collections ("Herald": HeraldArticle, HeraldChunk,
	// HeraldMeta).
	Prefix string
	// Replicas and Shards are the replication factor and the shard count
	// of collections this archive creates (defaults 1 and 1: one shard
	// keeps BM25 statistics whole).
	Replicas, Shards int
	// WriteConsistency and ReadConsistency are ONE, QUORUM or ALL
	// (defaults QUORUM and ONE).
	WriteConsistency, ReadConsistency string
	// Timeout bounds a query, and WriteTimeout a write (defaults 10 s and
	// 60 s).
	Timeout, WriteTimeout time.Duration
	// Embedder and Dimension name what makes the vectors, and ChunkWords
	// the chunk length, recorded at creation; an archive built by another
	// embedder is refused.
	Embedder   string
	Dimension  int
	ChunkWords int
	Log        *slog.Logger
}

func (c *Config) defaults() {
	if c.Prefix == "" {
		c.Prefix = "Herald"
	}
	c.Replicas, c.Shards = max(c.Replicas, 1), max(c.Shards, 1)
	if c.WriteConsistency == "" {
		c.WriteConsistency = "QUORUM"
	}
	if c.ReadConsistency == "" {
		c.ReadConsistency = "ONE"
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = time.Minute
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
}

// Archive is the store of record on Weaviate. It is safe for concurrent
// use, by this process and by others that share the cluster.
type Archive struct {
	cfg     Config
	nodes   []*wv.Client
	hosts   []string
	current atomic.Int64 // the node calls go to first
	// classes are the collections' names.
	article, chunk, meta string
	// replicated is whether the collections have more than one replica,
	// and so take a read consistency.
	replicated bool

	// df caches document frequencies for a while (another process's
	// ingest may change them); stats caches Stats.
	df      *lru.Cache[string, cachedDF]
	statsMu sync.Mutex
	stats   store.Stats
	statsAt time.Time
}

// cachedDF is a term's document frequency and when it was read.
type cachedDF struct {
	n  int
	at time.Time
}

// How long read-mostly figures are trusted: term statistics (a common
// term costs Weaviate about 12 ms to count among 100k chunks, and its IDF
// barely moves in ten minutes of ingest) and Stats.
const (
	dfTTL    = 10 * time.Minute
	statsTTL = 5 * time.Second
)

var _ store.Archive = (*Archive)(nil)

// Errors of opening an archive.
var (
	// ErrNoURL means the configuration names no node.
	ErrNoURL = errors.New("no Weaviate URL")
	// ErrUnauthorized means the cluster refused the API key (or asks for
	// one).
	ErrUnauthorized = errors.New("the Weaviate cluster refused the API key")
)

// MismatchError means the archive was built by another embedder, or with
// another chunk length, than the one configured.
type MismatchError struct {
	Prefix                  string
	Built, Want             string
	BuiltDim, WantDim       int
	BuiltWords, WantedWords int
}

func (e *MismatchError) Error() string {
	if e.BuiltWords != e.WantedWords {
		return fmt.Sprintf("the Weaviate collections %s* were built with chunks of %d words but %d are asked for", e.Prefix, e.BuiltWords, e.WantedWords)
	}
	return fmt.Sprintf("the Weaviate collections %s* were built with embedder %s (%d dimensions) but %s (%d dimensions) is configured",
		e.Prefix, e.Built, e.BuiltDim, e.Want, e.WantDim)
}

// Open connects to the cluster and opens the archive, creating its
// collections when there are none (store.ErrEmpty is never returned: an
// archive on Weaviate exists once it is opened). A cluster that is down,
// or refuses the key, is an error that says so.
func Open(ctx context.Context, cfg Config) (*Archive, error) {
	cfg.defaults()
	if len(cfg.URLs) == 0 {
		return nil, ErrNoURL
	}
	if !validPrefix(cfg.Prefix) {
		return nil, fmt.Errorf("the Weaviate collection prefix %q must be a capital letter then letters and digits", cfg.Prefix)
	}
	a := &Archive{cfg: cfg, article: cfg.Prefix + "Article", chunk: cfg.Prefix + "Chunk", meta: cfg.Prefix + "Meta"}
	a.df, _ = lru.New[string, cachedDF](1 << 17)
	for _, raw := range cfg.URLs {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("the Weaviate URL %q is not a URL", raw)
		}
		headers := map[string]string{}
		if cfg.APIKey != "" {
			headers["Authorization"] = "Bearer " + cfg.APIKey
		}
		c, err := wv.NewClient(wv.Config{Host: u.Host, Scheme: u.Scheme, Headers: headers, Timeout: cfg.WriteTimeout,
			ConnectionClient: &http.Client{Timeout: cfg.WriteTimeout}})
		if err != nil {
			return nil, fmt.Errorf("connecting to Weaviate at %s: %w", u.Host, err)
		}
		a.nodes, a.hosts = append(a.nodes, c), append(a.hosts, u.Host)
	}
	if err := a.ensureSchema(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// Prefix is the collections' prefix.
func (a *Archive) Prefix() string { return a.cfg.Prefix }

// ChunkWords is the chunk length the archive is built with.
func (a *Archive) ChunkWords() int { return a.cfg.ChunkWords }

// Ready reports whether a node answers and is ready.
func (a *Archive) Ready(ctx context.Context) error {
	return a.on(ctx, a.cfg.Timeout, func(ctx context.Context, c *wv.Client) error {
		ok, err := c.Misc().ReadyChecker().Do(ctx)
		if err == nil && !ok {
			err = errors.New("not ready")
		}
		return err
	})
}

// on runs call against the current node, and against the others in turn
// when it fails in a way another node may not (the node is down, answers
// 5xx, or does not answer in its share of the time), all within timeout.
// Each node but the last tried gets an equal share, so that a node that
// hangs (one that is restarting, or waiting on a dead peer) leaves time to
// ask the others.
func (a *Archive) on(ctx context.Context, timeout time.Duration, call func(ctx context.Context, c *wv.Client) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	share := timeout / time.Duration(len(a.nodes))
	start := int(a.current.Load())
	var err error
	var tried []string
	for i := range a.nodes {
		n := (start + i) % len(a.nodes)
		tried = append(tried, a.hosts[n])
		actx, acancel := ctx, context.CancelFunc(func() {})
		if i < len(a.nodes)-1 {
			actx, acancel = context.WithTimeout(ctx, share)
		}
		err = call(actx, a.nodes[n])
		slow := actx.Err() != nil
		acancel()
		if err == nil {
			if n != start {
				a.current.Store(int64(n))
				a.cfg.Log.Info("Weaviate: moved to another node", "node", a.hosts[n])
			}
			return nil
		}
		if ctx.Err() != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("the Weaviate node %s did not answer within %v: %w", a.hosts[n], timeout, context.DeadlineExceeded)
			}
			return ctx.Err()
		}
		if !slow && !nodeFault(err) {
			break
		}
		a.cfg.Log.Warn("Weaviate: a node failed; trying the next", "node", a.hosts[n], "err", redact(err, a.cfg.APIKey))
	}
	err = classify(redact(err, a.cfg.APIKey))
	if nodeFault(err) {
		return fmt.Errorf("no Weaviate node answers (%s): %w", strings.Join(tried, ", "), err)
	}
	return err
}

// nodeFault reports whether an error is the node's (down, overloaded,
// shutting down), which another node may not share.
func nodeFault(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "connection reset", "EOF", "status code: 5", "500", "502", "503", "504", "no such host", "i/o timeout"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// classify names an authentication refusal as such.
func classify(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if strings.Contains(msg, "401") || strings.Contains(msg, "403") || strings.Contains(strings.ToLower(msg), "unauthorized") {
		return fmt.Errorf("%w: %w", ErrUnauthorized, err)
	}
	return err
}

// redact removes the API key from an error's text.
func redact(err error, key string) error {
	if err == nil || key == "" || !strings.Contains(err.Error(), key) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), key, "[key]"))
}

// validPrefix reports whether a prefix makes valid collection names.
func validPrefix(p string) bool {
	for i, r := range p {
		switch {
		case r >= 'A' && r <= 'Z', i > 0 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return p != ""
}

// Collection is the name of a collection of the archive's prefix: name
// "Feedback" of prefix "Herald" is HeraldFeedback.
func (a *Archive) Collection(name string) string { return a.cfg.Prefix + name }

// Ensure creates a collection beside the archive's, with its replication
// factor and shard count, unless it exists: for the state that replicas of
// the bot share (internal/replicas).
func (a *Archive) Ensure(ctx context.Context, class *models.Class) error {
	c := *class
	c.ReplicationConfig = &models.ReplicationConfig{Factor: int64(a.cfg.Replicas)}
	if c.ShardingConfig == nil {
		c.ShardingConfig = map[string]any{"desiredCount": a.cfg.Shards}
	}
	return a.create(ctx, &c)
}

// Do runs call on a node that answers, with the archive's failover, its
// query deadline, and the API key kept out of errors. write sends it with
// the write deadline and consistency instead.
func (a *Archive) Do(ctx context.Context, write bool, call func(ctx context.Context, c *wv.Client, consistency string) error) error {
	timeout, level := a.cfg.Timeout, a.cfg.ReadConsistency
	if write {
		timeout, level = a.cfg.WriteTimeout, a.cfg.WriteConsistency
	}
	return a.on(ctx, timeout, func(ctx context.Context, c *wv.Client) error { return describe(call(ctx, c, level)) })
}

// Query runs a GraphQL query with failover and decodes its data into out.
func (a *Archive) Query(ctx context.Context, query string, out any) error {
	return a.graphql(ctx, query, out)
}
