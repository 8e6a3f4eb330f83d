package retrieve

import (
	"context"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/store"
	"golang.org/x/sync/errgroup"
)

// Retriever runs hybrid retrieval over an archive. It is safe for
// concurrent use.
type Retriever struct {
	archive  store.Archive
	embedder embed.Embedder
	analyzer *analysis.Analyzer
	// vectorWeight is the vector half's weight in score fusion.
	vectorWeight float64
}

// New returns a retriever over archive that embeds questions with
// embedder, weighing its vectors by the embedder's VectorWeight.
func New(archive store.Archive, embedder embed.Embedder) *Retriever {
	return &Retriever{archive: archive, embedder: embedder, analyzer: analysis.NewIndex(), vectorWeight: embedder.VectorWeight()}
}

// Archive returns the archive searched.
func (r *Retriever) Archive() store.Archive { return r.archive }

// Terms returns the index terms of text, as the lexical index sees them.
func (r *Retriever) Terms(text string) []string { return r.analyzer.Terms(nil, text) }

// Options shape a retrieval.
type Options struct {
	// K is how many passages to return (default 8).
	K int
	// PerArticle caps the passages of one article (default 2).
	PerArticle int
	// Period keeps only chunks of articles of these days.
	Period dates.Period
	// Recent favours the newest articles.
	Recent bool
	// Mode picks the halves of the search (default Hybrid).
	Mode Mode
}

// Retrieval constants.
const (
	// candidates fetched from each half, as a multiple of K.
	candidateFactor = 8
	minCandidates   = 64
	// minSimilarity drops vector hits that are no more similar than chance.
	minSimilarity = 0
	// recencyHalfLife is the age, in days, at which the recency boost
	// halves.
	recencyHalfLife = 14
)

// Result is what a search found, with what the answerers need to weigh a
// question's words.
type Result struct {
	Passages []Passage
	// Terms are the question's index terms, and IDF their inverse document
	// frequencies; MaxIDF is the IDF of a term no chunk holds.
	Terms  []string
	IDF    Weights
	MaxIDF float64
	// VectorError, when set, says why the vector half was skipped (the
	// embedding server failed): the passages come from BM25 alone.
	VectorError error
}

// Search runs hybrid retrieval: BM25 over chunk text and title, fused with
// vector similarity by normalised scores, boosted by recency when asked,
// reranked by best sentence, capped per article. A question with no
// content words returns the lead passages of the period's newest articles.
// When the question cannot be embedded, it searches lexically only rather
// than fail.
func (r *Retriever) Search(ctx context.Context, text string, opts Options) (Result, error) {
	if opts.K <= 0 {
		opts.K = 8
	}
	if opts.PerArticle <= 0 {
		opts.PerArticle = 2
	}
	res := Result{Terms: r.Terms(text)}
	if len(res.Terms) == 0 {
		passages, err := r.leads(ctx, opts)
		res.Passages = passages
		return res, err
	}
	q := store.Query{Terms: res.Terms, N: max(minCandidates, opts.K*candidateFactor), Period: opts.Period}
	if opts.Mode == VectorsOnly {
		q.Terms = nil
	}
	if opts.Mode != KeywordsOnly {
		if vecs, err := r.embedder.Embed(ctx, []string{text}); err != nil {
			res.VectorError = fmt.Errorf("embedding the question: %w", err)
		} else if len(vecs) == 1 {
			q.Vector = vecs[0]
		}
	}
	// The candidates and the term statistics, at once: on a distributed
	// backend each is a round trip.
	var cands store.Candidates
	var stats store.TermStats
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if cands, err = r.archive.Candidates(gctx, q); err != nil {
			err = fmt.Errorf("searching the index: %w", err)
		}
		return err
	})
	g.Go(func() (err error) {
		if stats, err = r.archive.TermStats(gctx, res.Terms); err != nil {
			err = fmt.Errorf("reading term statistics: %w", err)
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return res, err
	}
	res.IDF, res.MaxIDF = IDFWeights(res.Terms, stats), stats.MaxIDF()
	list := r.fuse(cands)
	if opts.Recent {
		boostRecent(list, len(cands.Lexical) > 0)
	}
	sortCandidates(list)
	if opts.Mode != VectorsOnly {
		r.rerankBySentence(list, res.Terms, res.IDF, min(len(list), rerankDepth))
	}
	res.Passages = r.cap(list, opts, res.IDF.ForCoverage(res.MaxIDF))
	return res, nil
}

// cand is a chunk being ranked.
type cand struct {
	hit        store.Hit
	order      int // first appearance: lexical rank, then vector rank
	score, lex float64
	sim        float32
}

// fuse adds the BM25 score normalised by the best BM25 score and the
// cosine normalised by the best cosine, weighted. Unlike rank fusion it
// keeps how far ahead a clear winner is.
func (r *Retriever) fuse(c store.Candidates) []*cand {
	byChunk := make(map[string]*cand, len(c.Lexical)+len(c.Vector))
	var list []*cand
	maxLex := 0.0
	if len(c.Lexical) > 0 {
		maxLex = c.Lexical[0].Score
	}
	for _, h := range c.Lexical {
		cd := &cand{hit: h, order: len(list), score: h.Score / maxLex, lex: h.Score}
		byChunk[h.ChunkID] = cd
		list = append(list, cd)
	}
	maxSim := 0.0
	if len(c.Vector) > 0 {
		maxSim = c.Vector[0].Score
	}
	for _, h := range c.Vector {
		if h.Score <= minSimilarity {
			break // the rest is unrelated
		}
		cd := byChunk[h.ChunkID]
		if cd == nil {
			cd = &cand{hit: h, order: len(list)}
			byChunk[h.ChunkID] = cd
			list = append(list, cd)
		}
		cd.score += r.vectorWeight * (h.Score / maxSim)
		cd.sim = float32(h.Score)
	}
	return list
}

// boostRecent multiplies scores by 1 + 2^(-age/14 days). Age counts from the
// newest article that matches the words, so that an unrelated new article
// does not flatten the boost; a chunk matched by meaning alone gets none
// (unless no chunk matched the words).
func boostRecent(list []*cand, lexical bool) {
	var newest time.Time
	for _, cd := range list {
		if (cd.lex > 0 || !lexical) && cd.hit.Date.After(newest) {
			newest = cd.hit.Date
		}
	}
	for _, cd := range list {
		if cd.lex == 0 && lexical {
			continue
		}
		age := max(0, newest.Sub(cd.hit.Date).Hours()/24)
		cd.score *= 1 + math.Exp2(-age/recencyHalfLife)
	}
}

func sortCandidates(list []*cand) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].score != list[j].score {
			return list[i].score > list[j].score
		}
		return list[i].order < list[j].order
	})
}

// cap keeps at most PerArticle passages of one article, up to K, and
// measures each one's coverage of the question.
func (r *Retriever) cap(list []*cand, opts Options, weights Weights) []Passage {
	perArticle := map[string]int{}
	var out []Passage
	for _, cd := range list {
		if perArticle[cd.hit.ArticleID] >= opts.PerArticle {
			continue
		}
		perArticle[cd.hit.ArticleID]++
		p := passageOf(cd.hit)
		p.Score, p.Lexical, p.Similarity = cd.score, cd.lex, cd.sim
		p.Coverage = Coverage(weights, r.analyzer.Terms(r.analyzer.Terms(nil, p.Title), p.Text))
		out = append(out, p)
		if len(out) == opts.K {
			break
		}
	}
	return out
}

func passageOf(h store.Hit) Passage {
	return Passage{ChunkID: h.ChunkID, ArticleID: h.ArticleID, Title: h.Title, URL: h.URL, Date: h.Date, Text: h.Text}
}

// leads returns the first chunk of the newest articles of the period.
func (r *Retriever) leads(ctx context.Context, opts Options) ([]Passage, error) {
	hits, err := r.archive.Leads(ctx, opts.Period, opts.K)
	if err != nil {
		return nil, fmt.Errorf("listing the newest articles: %w", err)
	}
	out := make([]Passage, len(hits))
	for i, h := range hits {
		out[i] = passageOf(h)
		out[i].Score, out[i].Coverage = 1/float64(i+1), 1
	}
	return out, nil
}

// Weights returns the IDF weights of a text's terms, for coverage, and the
// IDF of a term no chunk holds.
func (r *Retriever) Weights(ctx context.Context, text string) (Weights, float64, error) {
	terms := r.Terms(text)
	stats, err := r.archive.TermStats(ctx, terms)
	if err != nil {
		return nil, 0, fmt.Errorf("reading term statistics: %w", err)
	}
	return IDFWeights(terms, stats), stats.MaxIDF(), nil
}
