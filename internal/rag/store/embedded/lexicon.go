package embedded

import (
	"bufio"
	"container/heap"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"github.com/herald-news/herald/internal/rag/store"
)

// The BM25 parameters every backend shares.
const (
	bm25K1 = store.BM25K1
	bm25B  = store.BM25B
)

// lexicon is an Okapi BM25 index over chunk slots. Removed slots are
// tombstoned and skipped; their postings are dropped on the next rebuild.
type lexicon struct {
	postings map[string][]posting
	docLen   []int32
	alive    []bool
	totalLen int64
	live     int
	pool     sync.Pool // of *scores, for search
}

type posting struct {
	doc int32
	tf  int32
}

func newLexicon() *lexicon { return &lexicon{postings: map[string][]posting{}} }

// add indexes the terms of slot doc, which must be the next free slot.
func (l *lexicon) add(doc int32, terms []string) {
	for int(doc) >= len(l.docLen) {
		l.docLen = append(l.docLen, 0)
		l.alive = append(l.alive, false)
	}
	counts := make(map[string]int32, len(terms))
	for _, t := range terms {
		counts[t]++
	}
	for t, n := range counts {
		l.postings[t] = append(l.postings[t], posting{doc, n})
	}
	l.docLen[doc] = int32(len(terms))
	l.alive[doc] = true
	l.totalLen += int64(len(terms))
	l.live++
}

// remove tombstones slot doc.
func (l *lexicon) remove(doc int32) {
	if int(doc) >= len(l.alive) || !l.alive[doc] {
		return
	}
	l.alive[doc] = false
	l.totalLen -= int64(l.docLen[doc])
	l.live--
}

// df counts the live chunks that hold a term.
func (l *lexicon) df(term string) int {
	n := 0
	for _, p := range l.postings[term] {
		if l.alive[p.doc] {
			n++
		}
	}
	return n
}

// idf is the BM25 inverse document frequency of a term; a term the corpus
// never uses gets the highest possible value.
func (l *lexicon) idf(term string) float64 { return store.IDF(l.live, l.df(term)) }

// scoredDoc is a slot and its score.
type scoredDoc struct {
	doc   int32
	score float64
}

// search returns the k best slots for the query terms, best first (ties
// as before orders slots, by slot when it is nil), among those allow
// accepts (nil accepts all). Scores are summed
// in a slice by slot, reused through the pool, and the k best kept in a
// heap: a common term's thousands of postings are neither hashed nor
// sorted.
func (l *lexicon) search(query []string, k int, allow func(int32) bool, before func(a, b int32) bool) []scoredDoc {
	if l.live == 0 || k <= 0 {
		return nil
	}
	sc := l.scratch(len(l.alive))
	defer l.pool.Put(sc)
	avg := float64(l.totalLen) / float64(l.live)
	seen := map[string]bool{}
	for _, t := range query {
		if seen[t] {
			continue
		}
		seen[t] = true
		ps := l.postings[t]
		if len(ps) == 0 {
			continue
		}
		idf := l.idf(t)
		for _, p := range ps {
			s := sc.scores[p.doc]
			if s < 0 || !l.alive[p.doc] {
				continue // refused before, or gone
			}
			if s == 0 {
				if allow != nil && !allow(p.doc) {
					sc.scores[p.doc] = -1
					sc.touched = append(sc.touched, p.doc)
					continue
				}
				sc.touched = append(sc.touched, p.doc)
			}
			tf := float64(p.tf)
			norm := bm25K1 * (1 - bm25B + bm25B*float64(l.docLen[p.doc])/avg)
			sc.scores[p.doc] = s + idf*tf*(bm25K1+1)/(tf+norm)
		}
	}
	if before == nil {
		before = func(a, b int32) bool { return a < b }
	}
	best := worstFirst{before: before}
	for _, d := range sc.touched {
		s := sc.scores[d]
		sc.scores[d] = 0
		if s <= 0 {
			continue
		}
		doc := scoredDoc{d, s}
		if best.Len() < k {
			heap.Push(&best, doc)
		} else if best.better(doc, best.docs[0]) {
			best.docs[0] = doc
			heap.Fix(&best, 0)
		}
	}
	out := make([]scoredDoc, best.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&best).(scoredDoc)
	}
	return out
}

// scores is a search's scratch: a score per slot (0 untouched, -1
// refused) and the slots touched, which are all put back to 0.
type scores struct {
	scores  []float64
	touched []int32
}

// scratch takes a search's scratch from the pool, with a score for each
// of n slots.
func (l *lexicon) scratch(n int) *scores {
	sc, _ := l.pool.Get().(*scores)
	if sc == nil || len(sc.scores) < n {
		sc = &scores{scores: make([]float64, n)}
	}
	sc.touched = sc.touched[:0]
	return sc
}

// worstFirst is a heap of hits with the worst on top: lower score, then
// later as before orders them.
type worstFirst struct {
	docs   []scoredDoc
	before func(a, b int32) bool
}

// better orders hits: higher score first, then as before orders them.
func (h worstFirst) better(a, b scoredDoc) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return h.before(a.doc, b.doc)
}

func (h worstFirst) Len() int           { return len(h.docs) }
func (h worstFirst) Less(i, j int) bool { return h.better(h.docs[j], h.docs[i]) }
func (h worstFirst) Swap(i, j int)      { h.docs[i], h.docs[j] = h.docs[j], h.docs[i] }
func (h *worstFirst) Push(x any)        { h.docs = append(h.docs, x.(scoredDoc)) }
func (h *worstFirst) Pop() any {
	x := h.docs[len(h.docs)-1]
	h.docs = h.docs[:len(h.docs)-1]
	return x
}

// writeTo writes the live postings, renumbering each slot with order, as
//
//	uvarint docs | docs × uvarint length | uvarint terms |
//	terms × (uvarint len, term, uvarint n, n × (uvarint doc delta, uvarint tf))
//
// with terms sorted and each term's postings by doc.
func (l *lexicon) writeTo(w io.Writer, order []int32, docs int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var scratch [binary.MaxVarintLen64]byte
	uvarint := func(v uint64) {
		n := binary.PutUvarint(scratch[:], v)
		bw.Write(scratch[:n])
	}
	lens := make([]int32, docs)
	for doc, alive := range l.alive {
		if alive {
			lens[order[doc]] = l.docLen[doc]
		}
	}
	uvarint(uint64(docs))
	for _, n := range lens {
		uvarint(uint64(n))
	}
	terms := make([]string, 0, len(l.postings))
	for t, ps := range l.postings {
		for _, p := range ps {
			if l.alive[p.doc] {
				terms = append(terms, t)
				break
			}
		}
	}
	sort.Strings(terms)
	uvarint(uint64(len(terms)))
	var live []posting
	for _, t := range terms {
		live = live[:0]
		for _, p := range l.postings[t] {
			if l.alive[p.doc] {
				live = append(live, posting{order[p.doc], p.tf})
			}
		}
		sort.Slice(live, func(i, j int) bool { return live[i].doc < live[j].doc })
		uvarint(uint64(len(t)))
		bw.WriteString(t)
		uvarint(uint64(len(live)))
		prev := int32(0)
		for _, p := range live {
			uvarint(uint64(p.doc - prev))
			uvarint(uint64(p.tf))
			prev = p.doc
		}
	}
	return bw.Flush()
}

// byteSource is what the lexicon is read from: a snapshot's reader.
type byteSource interface {
	io.Reader
	io.ByteReader
}

// readLexicon reads what writeTo wrote for a snapshot of docs chunks.
func readLexicon(r byteSource, docs int) (*lexicon, error) {
	var rerr error
	uvarint := func() uint64 {
		if rerr != nil {
			return 0
		}
		v, err := binary.ReadUvarint(r)
		if err != nil {
			rerr = errors.New("truncated")
		}
		return v
	}
	if n := uvarint(); n != uint64(docs) {
		return nil, fmt.Errorf("lexicon holds %d chunks, not %d", n, docs)
	}
	l := &lexicon{docLen: make([]int32, docs), alive: make([]bool, docs), live: docs}
	for i := range l.docLen {
		n := uvarint()
		if n > 1<<31-1 {
			return nil, fmt.Errorf("chunk %d has a length of %d terms", i, n)
		}
		l.docLen[i] = int32(n)
		l.alive[i] = true
		l.totalLen += int64(n)
	}
	terms := uvarint()
	if terms > 1<<28 {
		return nil, errors.New("bad lexicon term count")
	}
	l.postings = make(map[string][]posting, terms)
	buf := make([]byte, 0, 64)
	for i := uint64(0); i < terms && rerr == nil; i++ {
		n := uvarint()
		if n > 1<<16 {
			return nil, errors.New("bad lexicon term")
		}
		if uint64(cap(buf)) < n {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, errors.New("truncated")
		}
		t := string(buf)
		count := uvarint()
		if count == 0 || count > uint64(docs) {
			return nil, fmt.Errorf("bad posting count for %q", t)
		}
		ps := make([]posting, count)
		doc := uint64(0)
		for j := range ps {
			delta := uvarint()
			doc += delta
			tf := uvarint()
			// Docs strictly increase: only the first delta may be 0.
			if rerr != nil || (j > 0 && delta == 0) || doc >= uint64(docs) || tf == 0 || tf > uint64(l.docLen[doc]) {
				return nil, fmt.Errorf("bad posting of %q", t)
			}
			ps[j] = posting{int32(doc), int32(tf)}
		}
		l.postings[t] = ps
	}
	if rerr != nil {
		return nil, errors.New("bad lexicon section")
	}
	return l, nil
}
