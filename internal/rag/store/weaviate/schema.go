package weaviate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/store"
	wv "github.com/weaviate/weaviate-go-client/v5/weaviate"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/fault"
	"github.com/weaviate/weaviate/entities/models"
)

// namespace makes the UUIDv5 object IDs.
var namespace = uuid.MustParse("6b1f5a8e-2a51-4c5e-9d1e-2f6c0b0d6e61")

func articleUUID(id string) string { return uuid.NewSHA1(namespace, []byte("article\x00"+id)).String() }
func chunkUUID(id string) string   { return uuid.NewSHA1(namespace, []byte("chunk\x00"+id)).String() }

// metaUUID is the ID of the one Meta object.
var metaUUID = uuid.NewSHA1(namespace, []byte("meta")).String()

// prop is a property of a collection.
func prop(name, dataType, tokenization string, filterable, searchable, rangeable bool) *models.Property {
	p := &models.Property{Name: name, DataType: []string{dataType}, IndexFilterable: &filterable, IndexSearchable: &searchable}
	if tokenization != "" {
		p.Tokenization = tokenization
	}
	if rangeable {
		p.IndexRangeFilters = &rangeable
	}
	return p
}

// classes are the archive's collections.
func (a *Archive) classes() []*models.Class {
	sharding := map[string]any{"desiredCount": a.cfg.Shards}
	replication := &models.ReplicationConfig{Factor: int64(a.cfg.Replicas)}
	// BM25 over Herald's own terms: no stop words (the analyzer dropped
	// them), Herald's k1 and b.
	inverted := &models.InvertedIndexConfig{
		Bm25:      &models.BM25Config{K1: store.BM25K1, B: store.BM25B},
		Stopwords: &models.StopwordConfig{Preset: "none"},
	}
	noVectors := map[string]any{"skip": true}
	return []*models.Class{
		{
			Class: a.chunk, Description: "Herald's chunks: text, index terms, date and vector",
			Vectorizer: "none", VectorIndexConfig: map[string]any{"distance": "cosine"},
			InvertedIndexConfig: inverted, ShardingConfig: sharding, ReplicationConfig: replication,
			Properties: []*models.Property{
				prop("chunkId", "text", "field", true, false, false),
				prop("articleId", "text", "field", true, false, false),
				prop("ordinal", "int", "", true, false, true),
				prop("start", "int", "", false, false, false),
				prop("end", "int", "", false, false, false),
				prop("title", "text", "", false, false, false),
				prop("url", "text", "", false, false, false),
				prop("date", "date", "", true, false, true),
				prop("text", "text", "", false, false, false),
				prop("terms", "text", "whitespace", true, true, false),
			},
		},
		{
			Class: a.article, Description: "Herald's articles: the manifest, the metadata and the body",
			Vectorizer: "none", VectorIndexConfig: noVectors,
			InvertedIndexConfig: inverted, ShardingConfig: sharding, ReplicationConfig: replication,
			Properties: []*models.Property{
				prop("articleId", "text", "field", true, false, false),
				prop("hash", "text", "", false, false, false),
				prop("source", "text", "", false, false, false),
				prop("line", "int", "", false, false, false),
				prop("title", "text", "", false, false, false),
				prop("titleKey", "text", "field", true, false, false),
				prop("url", "text", "", false, false, false),
				prop("date", "date", "", true, false, true),
				prop("body", "text", "", false, false, false),
				prop("chunks", "int", "", false, false, false),
			},
		},
		{
			Class: a.meta, Description: "What built Herald's archive",
			Vectorizer: "none", VectorIndexConfig: noVectors, ReplicationConfig: replication,
			Properties: []*models.Property{
				prop("embedder", "text", "", false, false, false),
				prop("dimension", "int", "", false, false, false),
				prop("chunkWords", "int", "", false, false, false),
				prop("analyzer", "text", "", false, false, false),
			},
		},
	}
}

// create creates a collection unless it exists. For the chunks', it
// learns whether the collection (perhaps made by another process, with
// another factor) has replicas.
func (a *Archive) create(ctx context.Context, class *models.Class) error {
	err := a.on(ctx, a.cfg.WriteTimeout, func(ctx context.Context, c *wv.Client) error {
		ok, err := c.Schema().ClassExistenceChecker().WithClassName(class.Class).Do(ctx)
		if err != nil {
			return err
		}
		if ok {
			if class.Class == a.chunk {
				got, err := c.Schema().ClassGetter().WithClassName(class.Class).Do(ctx)
				if err != nil {
					return err
				}
				a.replicated = got.ReplicationConfig != nil && got.ReplicationConfig.Factor > 1
			}
			return nil
		}
		if class.Class == a.chunk {
			a.replicated = a.cfg.Replicas > 1
		}
		err = c.Schema().ClassCreator().WithClass(class).Do(ctx)
		if err != nil && strings.Contains(strings.ToLower(describe(err).Error()), "already exists") {
			return nil // another process created it meanwhile
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("creating the Weaviate collection %s: %w", class.Class, describe(err))
	}
	return nil
}

// ensureSchema creates the collections that are missing and the Meta
// object, or checks the one there against the configuration.
func (a *Archive) ensureSchema(ctx context.Context) error {
	for _, class := range a.classes() {
		if err := a.create(ctx, class); err != nil {
			return err
		}
	}
	meta, err := a.readMeta(ctx)
	if err != nil {
		return err
	}
	if meta == nil {
		if a.cfg.ChunkWords <= 0 {
			a.cfg.ChunkWords = corpus.DefaultChunkWords
		}
		props := map[string]any{"embedder": a.cfg.Embedder, "dimension": a.cfg.Dimension, "chunkWords": a.cfg.ChunkWords, "analyzer": analysis.IndexName}
		err := a.on(ctx, a.cfg.WriteTimeout, func(ctx context.Context, c *wv.Client) error {
			_, err := c.Data().Creator().WithClassName(a.meta).WithID(metaUUID).WithProperties(props).WithConsistencyLevel(a.cfg.WriteConsistency).Do(ctx)
			return err
		})
		if err != nil && !strings.Contains(strings.ToLower(describe(err).Error()), "already exists") {
			return fmt.Errorf("recording what builds the archive: %w", describe(err))
		}
		return nil
	}
	if meta.embedder != a.cfg.Embedder || meta.dimension != a.cfg.Dimension {
		return &MismatchError{Prefix: a.cfg.Prefix, Built: meta.embedder, BuiltDim: meta.dimension, Want: a.cfg.Embedder, WantDim: a.cfg.Dimension}
	}
	if a.cfg.ChunkWords > 0 && meta.chunkWords != a.cfg.ChunkWords {
		return &MismatchError{Prefix: a.cfg.Prefix, BuiltWords: meta.chunkWords, WantedWords: a.cfg.ChunkWords}
	}
	a.cfg.ChunkWords = meta.chunkWords
	return nil
}

// metaRecord is what the Meta object records.
type metaRecord struct {
	embedder              string
	dimension, chunkWords int
}

// readMeta reads the Meta object; nil when there is none yet.
func (a *Archive) readMeta(ctx context.Context) (*metaRecord, error) {
	var objs []*models.Object
	err := a.on(ctx, a.cfg.Timeout, func(ctx context.Context, c *wv.Client) error {
		var err error
		objs, err = c.Data().ObjectsGetter().WithClassName(a.meta).WithID(metaUUID).WithConsistencyLevel(a.cfg.ReadConsistency).Do(ctx)
		if notFound(err) {
			objs, err = nil, nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading what built the archive: %w", describe(err))
	}
	if len(objs) == 0 {
		return nil, nil
	}
	p, _ := objs[0].Properties.(map[string]any)
	return &metaRecord{embedder: str(p["embedder"]), dimension: num(p["dimension"]), chunkWords: num(p["chunkWords"])}, nil
}

// notFound reports a 404 from the client.
func notFound(err error) bool {
	var we *fault.WeaviateClientError
	return errors.As(err, &we) && we.StatusCode == 404
}

// describe adds the server's message to a client error.
func describe(err error) error {
	var we *fault.WeaviateClientError
	if errors.As(err, &we) && we.Msg != "" && !strings.Contains(err.Error(), we.Msg) {
		return fmt.Errorf("%w: %s", err, we.Msg)
	}
	return err
}

// Drop deletes the archive's collections and everything in them.
func (a *Archive) Drop(ctx context.Context) error {
	for _, class := range []string{a.chunk, a.article, a.meta} {
		err := a.on(ctx, a.cfg.WriteTimeout, func(ctx context.Context, c *wv.Client) error {
			err := c.Schema().ClassDeleter().WithClassName(class).Do(ctx)
			if notFound(err) {
				return nil
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("dropping the Weaviate collection %s: %w", class, describe(err))
		}
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case int64:
		return int(x)
	case int:
		return x
	case interface{ Int64() (int64, error) }:
		n, _ := x.Int64()
		return int(n)
	}
	return 0
}
