// Package embedded is the store of record in Herald's own process: every
// article and chunk in memory, a BM25 lexical index over the chunks' terms,
// chromem-go collections for their vectors, and crash-safe snapshots in a
// data directory. It implements store.Archive. Entries come from ingest;
// candidates go to retrieval.
package embedded

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/store"
	"golang.org/x/sync/errgroup"
)

// Options configure an archive.
type Options struct {
	// Embedder names what makes the vectors and Dimension their length;
	// they are recorded in snapshots, which another embedder cannot load.
	Embedder  string
	Dimension int
	// ChunkWords is the chunk length the archive is built with (default
	// corpus.DefaultChunkWords); a snapshot keeps its own.
	ChunkWords int
	// Path is the snapshot file that Sync writes ("": in memory only).
	Path string
}

// Archive is the embedded store of record. It is safe for concurrent use:
// reads share a lock, and a write holds it only while it applies a batch
// that was prepared without it.
type Archive struct {
	opts Options

	mu       sync.RWMutex
	articles map[string]*article
	chunks   []chunk // by slot; art is nil once removed
	live     int
	lex      *lexicon
	vec      *vectors
	// byDate lists the articles newest first (ties by ID), for reads by
	// date; a write clears it and the next read that needs it rebuilds it,
	// under dateMu.
	dateMu sync.Mutex
	byDate []*article
}

// article is an article and the slots of its chunks.
type article struct {
	corpus.Article
	slots []int32
}

// chunk is where a chunk lies in its article's body.
type chunk struct {
	art                 *article
	ordinal, start, end int32
}

func (c chunk) id() string   { return corpus.ChunkID(c.art.ID, int(c.ordinal)) }
func (c chunk) text() string { return c.art.Body[c.start:c.end] }

var _ store.Archive = (*Archive)(nil)

// New returns an empty archive.
func New(opts Options) *Archive {
	if opts.ChunkWords <= 0 {
		opts.ChunkWords = corpus.DefaultChunkWords
	}
	return &Archive{opts: opts, articles: map[string]*article{}, lex: newLexicon(), vec: newVectors(opts.Dimension)}
}

// Path returns the snapshot file that Sync writes ("" in memory only).
func (a *Archive) Path() string { return a.opts.Path }

// unitTolerance bounds how far from 1 a vector's squared length may be.
const unitTolerance = 1e-3

// validate checks an entry before it is applied.
func (a *Archive) validate(e store.Entry) error {
	if e.Article.ID == "" {
		return fmt.Errorf("an article without an ID")
	}
	if a.opts.Dimension <= 0 {
		return fmt.Errorf("the archive has no vector dimension")
	}
	body := len(e.Article.Body)
	for _, c := range e.Chunks {
		if c.Start < 0 || c.End > body || c.Start > c.End {
			return fmt.Errorf("chunk %d of %s lies outside its article", c.Ordinal, e.Article.ID)
		}
		if len(c.Vector) != a.opts.Dimension {
			return fmt.Errorf("chunk %d of %s has a vector of %d dimensions, want %d", c.Ordinal, e.Article.ID, len(c.Vector), a.opts.Dimension)
		}
		if n := squaredNorm(c.Vector); math.IsNaN(n) || n != 0 && math.Abs(n-1) > unitTolerance {
			return fmt.Errorf("chunk %d of %s has a vector of length %.4f, not 1", c.Ordinal, e.Article.ID, math.Sqrt(n))
		}
	}
	return nil
}

func squaredNorm(v []float32) float64 {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	return n
}

// Put adds or replaces articles. The batch is checked first; then it is
// applied whole, under the write lock, or not at all.
func (a *Archive) Put(ctx context.Context, entries []store.Entry) error {
	for _, e := range entries {
		if err := a.validate(e); err != nil {
			return fmt.Errorf("storing %d articles: %w", len(entries), err)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("storing %d articles: %w", len(entries), err)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.byDate = nil
	for i, e := range entries {
		if err := a.putLocked(e); err != nil {
			return fmt.Errorf("storing article %s (%d of %d; those before it are stored): %w", e.Article.ID, i+1, len(entries), err)
		}
	}
	return nil
}

// putLocked adds one article's chunks, then retires its older version. A
// failure takes back what it added, leaving the older version in place.
// The caller holds the write lock.
func (a *Archive) putLocked(e store.Entry) error {
	art := &article{Article: e.Article}
	for _, c := range e.Chunks {
		slot := int32(len(a.chunks))
		a.chunks = append(a.chunks, chunk{art: art, ordinal: int32(c.Ordinal), start: int32(c.Start), end: int32(c.End)})
		if err := a.vec.add(context.Background(), slot, art.Date, c.Vector); err != nil {
			a.chunks[slot].art = nil
			for _, s := range art.slots {
				a.dropChunkLocked(s, art.Date)
			}
			return err
		}
		a.lex.add(slot, c.Terms)
		art.slots = append(art.slots, slot)
		a.live++
	}
	if old, ok := a.articles[art.ID]; ok {
		a.removeLocked(old)
	}
	a.articles[art.ID] = art
	return nil
}

// Remove deletes articles and their chunks.
func (a *Archive) Remove(ctx context.Context, ids []string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, id := range ids {
		if old, ok := a.articles[id]; ok {
			a.removeLocked(old)
		}
	}
	a.byDate = nil
	return nil
}

// removeLocked drops an article, its chunks and their vectors. The caller
// holds the write lock.
func (a *Archive) removeLocked(art *article) {
	for _, slot := range art.slots {
		a.dropChunkLocked(slot, art.Date)
	}
	delete(a.articles, art.ID)
}

// dropChunkLocked retires one chunk slot. The caller holds the write lock.
func (a *Archive) dropChunkLocked(slot int32, date time.Time) {
	a.lex.remove(slot)
	a.vec.remove(context.Background(), slot, date)
	a.chunks[slot].art = nil
	a.live--
}

// Relocate records new origins of unchanged articles.
func (a *Archive) Relocate(ctx context.Context, moved []store.Manifest) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range moved {
		if art, ok := a.articles[m.ID]; ok {
			art.Source, art.Line = m.Source, m.Line
		}
	}
	return nil
}

// Manifest lists every article's ID, hash and origin.
func (a *Archive) Manifest(ctx context.Context) ([]store.Manifest, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]store.Manifest, 0, len(a.articles))
	for _, art := range a.articles {
		out = append(out, store.Manifest{ID: art.ID, Hash: art.Hash, Source: art.Source, Line: art.Line})
	}
	return out, nil
}

// Candidates runs both halves of the search: BM25 over the chunks dated
// within the period, and chromem-go over their months.
func (a *Archive) Candidates(ctx context.Context, q store.Query) (store.Candidates, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	var out store.Candidates
	// The two halves run at once; the read lock, held here, covers both.
	var g errgroup.Group
	if len(q.Terms) > 0 {
		g.Go(func() error {
			var allow func(int32) bool
			if !q.Period.IsZero() {
				allow = func(slot int32) bool { c := a.chunks[slot]; return c.art != nil && q.Period.Contains(c.art.Date) }
			}
			for _, h := range a.lex.search(q.Terms, q.N, allow, a.before) {
				out.Lexical = append(out.Lexical, a.hit(a.chunks[h.doc], h.score))
			}
			return nil
		})
	}
	if len(q.Vector) > 0 {
		g.Go(func() error {
			hits, err := a.vec.nearest(ctx, q.Vector, q.N, q.Period, a.dateOf, a.before)
			if err != nil {
				return fmt.Errorf("searching vectors: %w", err)
			}
			for _, h := range hits {
				if c := a.chunks[h.slot]; c.art != nil {
					out.Vector = append(out.Vector, a.hit(c, float64(h.sim)))
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return store.Candidates{}, err
	}
	return out, nil
}

// before orders two live chunks of equal score by article ID and then
// place in the article, so that ties fall alike however the archive was
// built (an ingest's slots follow its workers). The caller holds the read
// lock.
func (a *Archive) before(x, y int32) bool {
	cx, cy := a.chunks[x], a.chunks[y]
	if cx.art == nil || cy.art == nil || cx.art.ID == cy.art.ID {
		return cx.ordinal < cy.ordinal || (cx.ordinal == cy.ordinal && x < y)
	}
	return cx.art.ID < cy.art.ID
}

// dateOf is a live chunk's article date. The caller holds the read lock.
func (a *Archive) dateOf(slot int32) (time.Time, bool) {
	if int(slot) >= len(a.chunks) || a.chunks[slot].art == nil {
		return time.Time{}, false
	}
	return a.chunks[slot].art.Date, true
}

func (a *Archive) hit(c chunk, score float64) store.Hit {
	return store.Hit{ChunkID: c.id(), ArticleID: c.art.ID, Title: c.art.Title, URL: c.art.URL, Date: c.art.Date, Text: c.text(), Score: score}
}

// Leads returns the first chunk of the newest articles of the period.
func (a *Archive) Leads(ctx context.Context, period dates.Period, n int) ([]store.Hit, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	arts := a.pick(store.ArticleQuery{Period: period, Limit: n}, func(art *article) bool { return len(art.slots) > 0 })
	var out []store.Hit
	for _, art := range arts {
		out = append(out, a.hit(a.chunks[art.slots[0]], 0))
	}
	return out, nil
}

// newestFirst returns the articles newest first (ties by ID), building the
// list after a write. The caller holds the read lock.
func (a *Archive) newestFirst() []*article {
	a.dateMu.Lock()
	defer a.dateMu.Unlock()
	if a.byDate == nil {
		list := make([]*article, 0, len(a.articles))
		for _, art := range a.articles {
			list = append(list, art)
		}
		sort.Slice(list, func(i, j int) bool {
			if !list[i].Date.Equal(list[j].Date) {
				return list[i].Date.After(list[j].Date)
			}
			return list[i].ID < list[j].ID
		})
		a.byDate = list
	}
	return a.byDate
}

// within returns the articles, newest first, dated within period: a
// window of newestFirst. The caller holds the read lock.
func (a *Archive) within(period dates.Period) []*article {
	list := a.newestFirst()
	lo, hi := 0, len(list)
	if !period.To.IsZero() {
		end := period.To.AddDate(0, 0, 1)
		lo = sort.Search(len(list), func(i int) bool { return list[i].Date.Before(end) })
	}
	if !period.From.IsZero() {
		hi = sort.Search(len(list), func(i int) bool { return list[i].Date.Before(period.From) })
	}
	return list[lo:max(lo, hi)]
}

// pick lists the articles that q and keep accept, newest first (ties by
// ID). The caller holds the read lock.
func (a *Archive) pick(q store.ArticleQuery, keep func(*article) bool) []*article {
	needle := strings.ToLower(q.TitleContains)
	var arts []*article
	for _, art := range a.within(q.Period) {
		if needle != "" && !strings.Contains(strings.ToLower(art.Title), needle) {
			continue
		}
		if keep == nil || keep(art) {
			arts = append(arts, art)
			if len(arts) == q.Limit {
				break
			}
		}
	}
	return arts
}

// TermStats counts the live chunks and those that hold each term.
func (a *Archive) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	st := store.TermStats{Chunks: a.lex.live, DocFreq: make(map[string]int, len(terms))}
	for _, t := range terms {
		if _, done := st.DocFreq[t]; !done {
			st.DocFreq[t] = a.lex.df(t)
		}
	}
	return st, nil
}

// Article returns an article with its body.
func (a *Archive) Article(ctx context.Context, id string) (corpus.Article, bool, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	art, ok := a.articles[id]
	if !ok {
		return corpus.Article{}, false, nil
	}
	return art.Article, true, nil
}

// Articles lists the articles q selects, newest first.
func (a *Archive) Articles(ctx context.Context, q store.ArticleQuery) ([]store.ArticleInfo, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	arts := a.pick(q, nil)
	out := make([]store.ArticleInfo, len(arts))
	for i, art := range arts {
		out[i] = store.ArticleInfo{ID: art.ID, Title: art.Title, URL: art.URL, Source: art.Source, Date: art.Date, Chunks: len(art.slots)}
	}
	return out, nil
}

// NearestDays returns the closest days with articles outside the period.
func (a *Archive) NearestDays(ctx context.Context, period dates.Period) (before, after time.Time, err error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	list := a.newestFirst()
	if !period.From.IsZero() {
		// The newest article dated before the period's first day.
		if i := sort.Search(len(list), func(i int) bool { return list[i].Date.Before(period.From) }); i < len(list) {
			before = dates.Day(list[i].Date)
		}
	}
	if !period.To.IsZero() {
		// The oldest article dated after the period's last day.
		end := period.To.AddDate(0, 0, 1)
		if i := sort.Search(len(list), func(i int) bool { return list[i].Date.Before(end) }); i > 0 {
			after = dates.Day(list[i-1].Date)
		}
	}
	return before, after, nil
}

// Stats counts articles and chunks and gives the date span.
func (a *Archive) Stats(ctx context.Context) (store.Stats, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	st := store.Stats{Articles: len(a.articles), Chunks: a.live, Embedder: a.opts.Embedder, Dimension: a.opts.Dimension, ChunkWords: a.opts.ChunkWords}
	if list := a.newestFirst(); len(list) > 0 {
		st.Oldest, st.Newest = list[len(list)-1].Date, list[0].Date
	}
	return st, nil
}

// Sync writes a snapshot to the archive's path; an archive in memory has
// nothing to do.
func (a *Archive) Sync(ctx context.Context) error {
	if a.opts.Path == "" {
		return nil
	}
	return a.Save(a.opts.Path)
}

// ChunkWords is the chunk length the archive was built with.
func (a *Archive) ChunkWords() int { return a.opts.ChunkWords }
