package corpus

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Chunk is a passage of an article: whole sentences, about ChunkOptions.Words
// words long, carrying everything a citation needs.
type Chunk struct {
	// ID is the article ID, "#" and the ordinal.
	ID        string
	ArticleID string
	Title     string
	Date      time.Time
	URL       string
	Source    string
	// Ordinal numbers the chunks of an article from 0.
	Ordinal int
	// Start and End are byte offsets of Text in the article's Body.
	Start, End int
	Text       string
}

// ChunkOptions shapes the chunks.
type ChunkOptions struct {
	// Words is the target length of a chunk in words (default 200).
	Words int
}

// DefaultChunkWords is the default target chunk length.
const DefaultChunkWords = 200

// ChunkID names chunk ordinal of an article.
func ChunkID(articleID string, ordinal int) string {
	return articleID + "#" + strconv.Itoa(ordinal)
}

// Chunks cuts an article into chunks of whole sentences, about opts.Words words
// each. Consecutive chunks overlap by one sentence. A sentence is split only
// when it alone exceeds the limit.
func Chunks(a Article, opts ChunkOptions) []Chunk {
	limit := opts.Words
	if limit <= 0 {
		limit = DefaultChunkWords
	}
	type sentence struct {
		Span
		words int
	}
	var sents []sentence
	for _, sp := range SplitSentences(a.Body) {
		n := countWords(a.Body[sp.Start:sp.End])
		if n <= limit {
			sents = append(sents, sentence{sp, n})
			continue
		}
		for _, piece := range splitWords(a.Body, sp, limit) {
			sents = append(sents, sentence{piece, countWords(a.Body[piece.Start:piece.End])})
		}
	}

	var chunks []Chunk
	add := func(from, to int) { // sentences [from, to]
		c := Chunk{
			ArticleID: a.ID, Title: a.Title, Date: a.Date, URL: a.URL, Source: a.Source,
			Ordinal: len(chunks), Start: sents[from].Start, End: sents[to].End,
		}
		c.ID = ChunkID(a.ID, c.Ordinal)
		c.Text = a.Body[c.Start:c.End]
		chunks = append(chunks, c)
	}
	first, words := 0, 0
	for i, s := range sents {
		if i > first && words+s.words > limit {
			add(first, i-1)
			// Overlap by one sentence, unless that sentence would fill the
			// next chunk on its own or the chunk held only it.
			if i-1 > first && sents[i-1].words+s.words <= limit {
				first, words = i-1, sents[i-1].words
			} else {
				first, words = i, 0
			}
		}
		words += s.words
	}
	if len(sents) > 0 {
		add(first, len(sents)-1)
	}
	return chunks
}

func countWords(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// splitWords cuts an over-long sentence span into pieces of at most limit words.
func splitWords(text string, sp Span, limit int) []Span {
	var pieces []Span
	start, words, in := sp.Start, 0, false
	for i := sp.Start; i < sp.End; {
		r, size := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			if in && words == limit {
				pieces = append(pieces, Span{start, i})
				start, words = i, 0
			}
			in = false
		} else if !in {
			in = true
			words++
		}
		i += size
	}
	pieces = append(pieces, Span{start, sp.End})
	for k := range pieces {
		pieces[k].Start, pieces[k].End = trimSpan(text, pieces[k].Start, pieces[k].End)
	}
	return pieces
}

// Snippet returns s cut to at most n runes at a word boundary, with an
// ellipsis when cut.
func Snippet(s string, n int) string {
	s = collapseSpace(s)
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := string([]rune(s)[:n])
	if i := strings.LastIndexByte(cut, ' '); i > n/2 {
		cut = cut[:i]
	}
	return cut + "…"
}
