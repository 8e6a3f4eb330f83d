package library

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/store"
)

// live is the embedded store of record as the bot sees it: the archive
// loaded last, which Reload replaces whole, in one atomic swap, when
// another process has written a newer snapshot. A question pinned to it
// (Pin) reads one archive from start to end, so it never sees part of an
// ingest or a mix of two snapshots.
type live struct {
	cur atomic.Pointer[liveArchive]
}

// liveArchive is one loaded archive.
type liveArchive struct{ archive }

// pinKey is the context key of the archive a question is pinned to.
type pinKey struct{ l *live }

func newLive(a archive) *live {
	l := &live{}
	l.cur.Store(&liveArchive{a})
	return l
}

// swap makes a the archive every new question reads.
func (l *live) swap(a archive) { l.cur.Store(&liveArchive{a}) }

// Pin returns a context whose calls on the archive all read the archive
// current now, whatever Reload does meanwhile.
func (l *live) Pin(ctx context.Context) context.Context {
	if _, ok := ctx.Value(pinKey{l}).(*liveArchive); ok {
		return ctx
	}
	return context.WithValue(ctx, pinKey{l}, l.cur.Load())
}

// at returns the archive a call reads: the one its context is pinned to,
// or the current one.
func (l *live) at(ctx context.Context) archive {
	if a, ok := ctx.Value(pinKey{l}).(*liveArchive); ok {
		return a.archive
	}
	return l.cur.Load().archive
}

// Put implements store.Archive.
func (l *live) Put(ctx context.Context, entries []store.Entry) error {
	return l.at(ctx).Put(ctx, entries)
}

// Remove implements store.Archive.
func (l *live) Remove(ctx context.Context, ids []string) error { return l.at(ctx).Remove(ctx, ids) }

// Relocate implements store.Archive.
func (l *live) Relocate(ctx context.Context, moved []store.Manifest) error {
	return l.at(ctx).Relocate(ctx, moved)
}

// Manifest implements store.Archive.
func (l *live) Manifest(ctx context.Context) ([]store.Manifest, error) {
	return l.at(ctx).Manifest(ctx)
}

// Candidates implements store.Archive.
func (l *live) Candidates(ctx context.Context, q store.Query) (store.Candidates, error) {
	return l.at(ctx).Candidates(ctx, q)
}

// Leads implements store.Archive.
func (l *live) Leads(ctx context.Context, period dates.Period, n int) ([]store.Hit, error) {
	return l.at(ctx).Leads(ctx, period, n)
}

// TermStats implements store.Archive.
func (l *live) TermStats(ctx context.Context, terms []string) (store.TermStats, error) {
	return l.at(ctx).TermStats(ctx, terms)
}

// Article implements store.Archive.
func (l *live) Article(ctx context.Context, id string) (corpus.Article, bool, error) {
	return l.at(ctx).Article(ctx, id)
}

// Articles implements store.Archive.
func (l *live) Articles(ctx context.Context, q store.ArticleQuery) ([]store.ArticleInfo, error) {
	return l.at(ctx).Articles(ctx, q)
}

// NearestDays implements store.Archive.
func (l *live) NearestDays(ctx context.Context, period dates.Period) (before, after time.Time, err error) {
	return l.at(ctx).NearestDays(ctx, period)
}

// Stats implements store.Archive.
func (l *live) Stats(ctx context.Context) (store.Stats, error) { return l.at(ctx).Stats(ctx) }

// Sync implements store.Archive.
func (l *live) Sync(ctx context.Context) error { return l.at(ctx).Sync(ctx) }

// Check implements store.Archive.
func (l *live) Check(ctx context.Context) error { return l.at(ctx).Check(ctx) }

// ChunkWords is the chunk length of the current archive.
func (l *live) ChunkWords() int { return l.cur.Load().ChunkWords() }
