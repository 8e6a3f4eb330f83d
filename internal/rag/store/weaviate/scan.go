package weaviate

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/herald-news/herald/internal/rag/store"
	"github.com/weaviate/weaviate-go-client/v5/weaviate/graphql"
)

// scan reads every object of a collection with the cursor, a page at a
// time, and calls each with its row: the properties fs, the object's ID
// and what more of _additional is asked for.
func scan[T any](ctx context.Context, a *Archive, class string, fs []graphql.Field, each func(T) error, more ...string) error {
	after := ""
	fs = append(slices.Clip(fs), extra(append([]string{"id"}, more...)...))
	for {
		b := a.get(class).WithFields(fs...).WithLimit(page)
		if after != "" {
			b = b.WithAfter(after)
		}
		rows, err := getRows[T](ctx, a, class, b)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if err := each(r); err != nil {
				return err
			}
		}
		if len(rows) < page {
			return nil
		}
		last, err := idOf(rows[len(rows)-1])
		if err != nil {
			return err
		}
		after = last
	}
}

// idOf is the object ID of a row read with _additional{id}.
func idOf(row any) (string, error) {
	switch r := row.(type) {
	case chunkRow:
		return r.Additional.ID, nil
	case articleRow:
		return r.Additional.ID, nil
	}
	return "", errors.New("a row without an object ID")
}

// Manifest reads every article's ID, hash and origin with the cursor.
func (a *Archive) Manifest(ctx context.Context) ([]store.Manifest, error) {
	var out []store.Manifest
	err := scan(ctx, a, a.article, fields("articleId", "hash", "source", "line"), func(r articleRow) error {
		out = append(out, store.Manifest{ID: r.ArticleID, Hash: r.Hash, Source: r.Source, Line: r.Line})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	return out, nil
}
