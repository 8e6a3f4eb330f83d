package embedded

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/philippgille/chromem-go"
	"golang.org/x/sync/errgroup"
)

// vectors is the vector index: chromem-go collections, one per calendar
// month of articles, so that a date-bound question queries only its
// months. chromem-go answers every query (QueryEmbedding) and holds each
// vector once. Its persistence is not used: the archive's snapshot is the
// store of record. A document's ID is its chunk's slot.
type vectors struct {
	db     *chromem.DB
	months map[string]*month // "2006-01" → month
	dim    int
}

// month is a month's collection and the first and last day of the
// vectors added to it. The days grow with each added vector and never
// shrink: after a removal they may be wider than the vectors left, which
// only makes a query read more.
type month struct {
	*chromem.Collection
	first, last time.Time
}

func newVectors(dim int) *vectors {
	return &vectors{db: chromem.NewDB(), months: map[string]*month{}, dim: dim}
}

// tieMargin is how many vectors past the n nearest a month is asked for,
// to see whether the n-th ties with the ones after it.
const tieMargin = 4

func monthOf(t time.Time) string { return t.UTC().Format("2006-01") }

// errNoEmbedding is what chromem-go would call to embed a document or a
// query given without a vector: Herald always gives one.
var errNoEmbedding = errors.New("the vector index takes vectors, not text")

func noEmbedding(context.Context, string) ([]float32, error) { return nil, errNoEmbedding }

// month returns the month of a day, made when it has no vector yet.
func (v *vectors) month(day time.Time) (*month, error) {
	key := monthOf(day)
	if m, ok := v.months[key]; ok {
		return m, nil
	}
	c, err := v.db.CreateCollection("month-"+key, nil, noEmbedding)
	if err != nil {
		return nil, fmt.Errorf("creating the vector collection of %s: %w", key, err)
	}
	m := &month{Collection: c, first: day, last: day}
	v.months[key] = m
	return m, nil
}

// add stores a chunk's vector, which must be of unit length.
func (v *vectors) add(ctx context.Context, slot int32, date time.Time, vec []float32) error {
	if len(vec) != v.dim {
		return fmt.Errorf("a vector of %d dimensions, want %d", len(vec), v.dim)
	}
	day := dates.Day(date)
	m, err := v.month(day)
	if err != nil {
		return err
	}
	if err := m.AddDocument(ctx, chromem.Document{ID: docID(slot), Embedding: vec}); err != nil {
		return err
	}
	m.first, m.last = minTime(m.first, day), maxTime(m.last, day)
	return nil
}

// remove drops a chunk's vector.
func (v *vectors) remove(ctx context.Context, slot int32, date time.Time) error {
	c, ok := v.months[monthOf(date)]
	if !ok {
		return nil
	}
	// Never an empty non-nil where: chromem-go would delete everything.
	return c.Delete(ctx, nil, nil, docID(slot))
}

func docID(slot int32) string { return strconv.FormatInt(int64(slot), 36) }

func slotOf(id string) (int32, bool) {
	n, err := strconv.ParseInt(id, 36, 32)
	return int32(n), err == nil
}

// vector returns a copy of a chunk's vector.
func (v *vectors) vector(slot int32, date time.Time) ([]float32, error) {
	c, ok := v.months[monthOf(date)]
	if !ok {
		return nil, fmt.Errorf("no vector for chunk slot %d", slot)
	}
	doc, err := c.GetByID(context.Background(), docID(slot))
	if err != nil {
		return nil, fmt.Errorf("the vector of chunk slot %d: %w", slot, err)
	}
	return doc.Embedding, nil
}

// count is the number of vectors held.
func (v *vectors) count() int {
	n := 0
	for _, c := range v.months {
		n += c.Count()
	}
	return n
}

// vectorHit is a chunk found by similarity.
type vectorHit struct {
	slot int32
	sim  float32
}

// nearest returns the n chunks most similar to q dated within period, best
// first (ties as before orders slots; by slot when it is nil). A month
// whose vectors' days the period covers whole (a question as of today
// covers this month's so far) is one chromem-go query for its n nearest;
// one it covers in part is queried for all its vectors, of which those of
// the period's days are kept. dateOf gives a chunk's date (false for a
// chunk that is gone).
func (v *vectors) nearest(ctx context.Context, q []float32, n int, period dates.Period, dateOf func(slot int32) (time.Time, bool), before func(a, b int32) bool) ([]vectorHit, error) {
	if n <= 0 || len(v.months) == 0 {
		return nil, nil
	}
	if len(q) != v.dim {
		return nil, fmt.Errorf("the question's vector has %d dimensions, the index %d", len(q), v.dim)
	}
	var (
		mu   sync.Mutex
		hits []vectorHit
		g    errgroup.Group
	)
	// The months are queried as many at a time as there are cores: one
	// chromem-go query's goroutines hand each document over a channel and
	// wait on one another, and leave the cores idle much of the time (on
	// 2 cores, 24,500 vectors: 18 ms one month after another, 7–9 ms so;
	// BenchmarkNearest/all).
	g.SetLimit(runtime.GOMAXPROCS(0))
	for key, c := range v.months {
		count := c.Count()
		if count == 0 || !period.Overlaps(c.first, c.last) {
			continue
		}
		g.Go(func() error {
			whole := period.Covers(c.first, c.last)
			want := count
			if whole {
				want = min(n+tieMargin, count)
			}
			res, err := c.QueryEmbedding(ctx, q, want, nil, nil)
			// Vectors as similar as the n-th may stand past the cut, and
			// which of them chromem-go keeps varies: ask until the cut
			// falls between two similarities (duplicate wire stories
			// have equal vectors).
			for err == nil && whole && want < count && len(res) > n && res[len(res)-1].Similarity == res[n-1].Similarity {
				want = min(2*want, count)
				res, err = c.QueryEmbedding(ctx, q, want, nil, nil)
			}
			if err != nil {
				return fmt.Errorf("querying the vectors of %s: %w", key, err)
			}
			var mine []vectorHit
			for _, r := range res {
				if len(mine) >= n && r.Similarity < mine[n-1].sim {
					break // past the n nearest and those tied with the n-th
				}
				slot, ok := slotOf(r.ID)
				if !ok {
					continue
				}
				if !whole {
					d, ok := dateOf(slot)
					if !ok || !period.Contains(d) {
						continue
					}
				}
				mine = append(mine, vectorHit{slot: slot, sim: r.Similarity})
			}
			mu.Lock()
			hits = append(hits, mine...)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(hits, func(i, j int) bool {
		if hits[i].sim != hits[j].sim {
			return hits[i].sim > hits[j].sim
		}
		if before != nil {
			return before(hits[i].slot, hits[j].slot)
		}
		return hits[i].slot < hits[j].slot
	})
	return hits[:min(n, len(hits))], nil
}

// minTime is the earlier of two times, maxTime the later.
func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
