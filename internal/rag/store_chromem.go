package rag

import (
	"container/heap"
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/philippgille/chromem-go"
)

// ChromemStore is the in-process VectorStore built on chromem-go. It keeps one
// chromem-go collection per calendar month, so a date-bound question touches
// only the months it covers. chromem-go persistence is not used: the [Index]
// snapshot is the store of record.
//
// Queries do not go through chromem-go's QueryEmbedding, which starts a
// goroutine per CPU, locks once per document and needs nResults ≤ Count.
// Each month also keeps its vectors in one contiguous block with their days,
// and Nearest scans the blocks of the months in the period with an unrolled
// dot product and a bounded heap, skipping the days outside the period.
// BenchmarkVectorQuery compares the two over the same vectors.
type ChromemStore struct {
	mu      sync.RWMutex
	db      *chromem.DB
	dim     int
	months  map[string]*month // "2006-01" → month
	monthOf map[string]string // chunk ID → month
}

// month is one calendar month of vectors: the chromem-go collection and the
// block scanned by queries, kept in step.
type month struct {
	coll *chromem.Collection
	ids  []string
	days []int32   // days since the Unix epoch, by row
	vecs []float32 // row i is vecs[i*dim:(i+1)*dim]
	row  map[string]int
}

// NewChromemStore returns an empty in-memory store.
func NewChromemStore() *ChromemStore {
	return &ChromemStore{db: chromem.NewDB(), months: map[string]*month{}, monthOf: map[string]string{}}
}

func monthKey(t time.Time) string { return t.UTC().Format("2006-01") }

func epochDay(t time.Time) int32 { return int32(Day(t).Unix() / 86400) }

func (s *ChromemStore) month(key string) (*month, error) {
	if m, ok := s.months[key]; ok {
		return m, nil
	}
	// Vectors always come with the documents, so the embedding function is
	// never called.
	noEmbed := func(context.Context, string) ([]float32, error) {
		return nil, fmt.Errorf("chromem store: documents must come with vectors")
	}
	c, err := s.db.CreateCollection("month-"+key, nil, noEmbed)
	if err != nil {
		return nil, fmt.Errorf("creating collection for %s: %w", key, err)
	}
	m := &month{coll: c, row: map[string]int{}}
	s.months[key] = m
	return m, nil
}

// Add stores vectors, which must be unit length and all of one dimension.
// An ID already stored is replaced.
func (s *ChromemStore) Add(ctx context.Context, vectors []ChunkVector) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vectors {
		if s.dim == 0 {
			s.dim = len(v.Vector)
		}
		if len(v.Vector) != s.dim || s.dim == 0 {
			return fmt.Errorf("adding chunk %s to the vector store: %d dimensions, want %d", v.ChunkID, len(v.Vector), s.dim)
		}
		if _, ok := s.monthOf[v.ChunkID]; ok {
			if err := s.deleteLocked(ctx, v.ChunkID); err != nil {
				return err
			}
		}
		key := monthKey(v.Date)
		m, err := s.month(key)
		if err != nil {
			return err
		}
		doc := chromem.Document{ID: v.ChunkID, Embedding: v.Vector}
		if err := m.coll.AddDocument(ctx, doc); err != nil {
			return fmt.Errorf("adding chunk %s to the vector store: %w", v.ChunkID, err)
		}
		m.row[v.ChunkID] = len(m.ids)
		m.ids = append(m.ids, v.ChunkID)
		m.days = append(m.days, epochDay(v.Date))
		m.vecs = append(m.vecs, v.Vector...)
		s.monthOf[v.ChunkID] = key
	}
	return nil
}

// Delete removes vectors by ID.
func (s *ChromemStore) Delete(ctx context.Context, vectors []ChunkVector) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range vectors {
		if err := s.deleteLocked(ctx, v.ChunkID); err != nil {
			return err
		}
	}
	return nil
}

func (s *ChromemStore) deleteLocked(ctx context.Context, id string) error {
	key, ok := s.monthOf[id]
	if !ok {
		return nil
	}
	m := s.months[key]
	// Never pass an empty non-nil where: chromem-go would delete everything.
	if err := m.coll.Delete(ctx, nil, nil, id); err != nil {
		return fmt.Errorf("deleting chunk %s from the vector store: %w", id, err)
	}
	// Move the last row into the hole.
	i, last := m.row[id], len(m.ids)-1
	if i != last {
		m.ids[i], m.days[i] = m.ids[last], m.days[last]
		copy(m.vecs[i*s.dim:(i+1)*s.dim], m.vecs[last*s.dim:(last+1)*s.dim])
		m.row[m.ids[i]] = i
	}
	m.ids, m.days, m.vecs = m.ids[:last], m.days[:last], m.vecs[:last*s.dim]
	delete(m.row, id)
	delete(s.monthOf, id)
	return nil
}

// parallelRows is the number of rows above which a query is split across
// the CPUs.
const parallelRows = 8192

// Nearest scans the months that overlap period, skipping rows dated outside
// it, and returns the k most similar chunks, best first.
func (s *ChromemStore) Nearest(ctx context.Context, query []float32, k int, period Period) ([]VectorHit, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if k <= 0 || s.dim == 0 {
		return nil, nil
	}
	if len(query) != s.dim {
		return nil, fmt.Errorf("querying vectors: the question has %d dimensions, the store %d", len(query), s.dim)
	}
	var from, to int32 = -1 << 31, 1<<31 - 1
	if !period.From.IsZero() {
		from = epochDay(period.From)
	}
	if !period.To.IsZero() {
		to = epochDay(period.To)
	}
	// The work: a list of row ranges of the months in the period.
	type span struct {
		m      *month
		lo, hi int
	}
	var spans []span
	rows := 0
	for _, key := range s.sortedMonths() {
		m := s.months[key]
		if len(m.ids) == 0 || !period.overlapsMonth(key) {
			continue
		}
		spans = append(spans, span{m, 0, len(m.ids)})
		rows += len(m.ids)
	}
	k = min(k, rows)
	if k == 0 {
		return nil, nil
	}
	workers := 1
	if rows >= parallelRows {
		workers = runtime.GOMAXPROCS(0)
	}
	// Cut the spans into one share of rows per worker.
	shares := make([][]span, workers)
	per := (rows + workers - 1) / workers
	w, room := 0, per
	for _, sp := range spans {
		for sp.lo < sp.hi {
			n := min(room, sp.hi-sp.lo)
			shares[w] = append(shares[w], span{sp.m, sp.lo, sp.lo + n})
			sp.lo += n
			if room -= n; room == 0 && w < workers-1 {
				w, room = w+1, per
			}
		}
	}
	heaps := make([]hitHeap, workers)
	scan := func(i int) {
		h := make(hitHeap, 0, k+1)
		for _, sp := range shares[i] {
			m := sp.m
			for r := sp.lo; r < sp.hi; r++ {
				if d := m.days[r]; d < from || d > to {
					continue
				}
				x := scored{m.ids[r], dot(query, m.vecs[r*s.dim:(r+1)*s.dim])}
				if len(h) == k && !h[0].weaker(x) {
					continue
				}
				heap.Push(&h, x)
				if len(h) > k {
					heap.Pop(&h)
				}
			}
		}
		heaps[i] = h
	}
	if workers == 1 {
		scan(0)
	} else {
		var wg sync.WaitGroup
		for i := range shares {
			wg.Add(1)
			go func() { defer wg.Done(); scan(i) }()
		}
		wg.Wait()
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("querying vectors: %w", err)
	}
	var hits []VectorHit
	for _, h := range heaps {
		for _, x := range h {
			hits = append(hits, VectorHit{ChunkID: x.id, Similarity: x.sim})
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

// QueryChromem runs the same query through chromem-go's own QueryEmbedding,
// month by month, for comparison with Nearest (see BenchmarkVectorQuery).
// It ignores days within a month.
func (s *ChromemStore) QueryChromem(ctx context.Context, query []float32, k int, period Period) ([]VectorHit, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var hits []VectorHit
	for key, m := range s.months {
		n := m.coll.Count()
		if n == 0 || !period.overlapsMonth(key) {
			continue
		}
		res, err := m.coll.QueryEmbedding(ctx, query, min(k, n), nil, nil)
		if err != nil {
			return nil, fmt.Errorf("querying vectors of %s: %w", key, err)
		}
		for _, r := range res {
			hits = append(hits, VectorHit{ChunkID: r.ID, Similarity: r.Similarity})
		}
	}
	sort.Slice(hits, func(i, j int) bool { return hits[i].Similarity > hits[j].Similarity })
	if len(hits) > k {
		hits = hits[:k]
	}
	return hits, nil
}

func (s *ChromemStore) sortedMonths() []string {
	keys := make([]string, 0, len(s.months))
	for k := range s.months {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Len counts the stored vectors.
func (s *ChromemStore) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	n := 0
	for _, m := range s.months {
		if c := m.coll.Count(); c != len(m.ids) {
			return -1 // the two views disagree: Index.Check reports it
		}
		n += len(m.ids)
	}
	return n
}

// dot is the dot product of two vectors of equal length, unrolled by four.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}

// scored is a chunk and its similarity.
type scored struct {
	id  string
	sim float32
}

// hitHeap is a min-heap of the best hits so far, the weakest on top.
type hitHeap []scored

func (h hitHeap) Len() int           { return len(h) }
func (h hitHeap) Less(i, j int) bool { return h[i].weaker(h[j]) }

// weaker orders hits by similarity, and equal ones by ID (the smaller ID
// wins), as a sort of all hits would.
func (a scored) weaker(b scored) bool {
	if a.sim != b.sim {
		return a.sim < b.sim
	}
	return a.id > b.id
}
func (h hitHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *hitHeap) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *hitHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
