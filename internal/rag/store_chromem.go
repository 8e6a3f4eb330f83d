package rag

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/philippgille/chromem-go"
)

// ChromemStore is the in-process VectorStore built on chromem-go. It keeps one
// collection per calendar month, so a date-bound question scans only the
// months it covers. chromem-go persistence is not used: the [Index] snapshot
// is the store of record.
type ChromemStore struct {
	mu     sync.RWMutex
	db     *chromem.DB
	months map[string]*chromem.Collection // "2006-01" → collection
}

// NewChromemStore returns an empty in-memory store.
func NewChromemStore() *ChromemStore {
	return &ChromemStore{db: chromem.NewDB(), months: map[string]*chromem.Collection{}}
}

func monthKey(t time.Time) string { return t.UTC().Format("2006-01") }

func (s *ChromemStore) collection(month string) (*chromem.Collection, error) {
	if c, ok := s.months[month]; ok {
		return c, nil
	}
	// Vectors always come with the documents, so the embedding function is
	// never called.
	noEmbed := func(context.Context, string) ([]float32, error) {
		return nil, fmt.Errorf("chromem store: documents must come with vectors")
	}
	c, err := s.db.CreateCollection("month-"+month, nil, noEmbed)
	if err != nil {
		return nil, fmt.Errorf("creating collection for %s: %w", month, err)
	}
	s.months[month] = c
	return c, nil
}

// Add stores vectors, which must be unit length.
func (s *ChromemStore) Add(ctx context.Context, vectors []ChunkVector) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vectors {
		c, err := s.collection(monthKey(v.Date))
		if err != nil {
			return err
		}
		doc := chromem.Document{ID: v.ChunkID, Embedding: v.Vector, Metadata: map[string]string{"day": v.Date.UTC().Format(time.DateOnly)}}
		if err := c.AddDocument(ctx, doc); err != nil {
			return fmt.Errorf("adding chunk %s to the vector store: %w", v.ChunkID, err)
		}
	}
	return nil
}

// Delete removes vectors by ID from their month.
func (s *ChromemStore) Delete(ctx context.Context, vectors []ChunkVector) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	byMonth := map[string][]string{}
	for _, v := range vectors {
		byMonth[monthKey(v.Date)] = append(byMonth[monthKey(v.Date)], v.ChunkID)
	}
	for month, ids := range byMonth {
		c, ok := s.months[month]
		if !ok || len(ids) == 0 {
			continue
		}
		// Never pass an empty non-nil where: chromem-go would delete everything.
		if err := c.Delete(ctx, nil, nil, ids...); err != nil {
			return fmt.Errorf("deleting %d chunks from the vector store: %w", len(ids), err)
		}
	}
	return nil
}

// Nearest queries every month that overlaps period. Months only partly inside
// the period are searched whole and their hits filtered by date.
func (s *ChromemStore) Nearest(ctx context.Context, query []float32, k int, period Period) ([]VectorHit, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var hits []VectorHit
	for month, c := range s.months {
		n := c.Count()
		if n == 0 || !period.overlapsMonth(month) {
			continue
		}
		want := min(k, n)
		partial := !period.coversMonth(month)
		if partial {
			want = n // filter below
		}
		res, err := c.QueryEmbedding(ctx, query, want, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("querying vectors of %s: %w", month, err)
		}
		kept := 0
		for _, r := range res {
			if partial {
				day, err := time.Parse(time.DateOnly, r.Metadata["day"])
				if err != nil || !period.Contains(day) {
					continue
				}
			}
			hits = append(hits, VectorHit{ChunkID: r.ID, Similarity: r.Similarity})
			if kept++; kept == k {
				break
			}
		}
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].Similarity != hits[j].Similarity {
			return hits[i].Similarity > hits[j].Similarity
		}
		return hits[i].ChunkID < hits[j].ChunkID
	})
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits, nil
}

// Len counts the stored vectors.
func (s *ChromemStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, c := range s.months {
		n += c.Count()
	}
	return n
}
