package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// Article is one dated news article.
type Article struct {
	// ID is stable across ingests: the explicit id of a JSON Lines record,
	// else the URL, else a hash of the content.
	ID    string
	Title string
	// Date is the publication date (and time, when the source gives one), in UTC.
	Date time.Time
	// URL links to the original; it may be empty.
	URL  string
	Body string
	// Source is the file the article was read from, and Line the line of its
	// record in that file (1 for single-article files).
	Source string
	Line   int
	// End is the byte offset just past the article in Source.
	End int64
	// Hash is a digest of title, date, URL and body: it changes when the
	// article's content changes.
	Hash string
}

// Day returns the article's date as YYYY-MM-DD.
func (a Article) Day() string { return a.Date.Format(time.DateOnly) }

// Finish validates an article read from any source, derives what is
// missing (title, ID, hash) and returns it, or a reason for rejection
// (whose Path and Line the caller fills in).
func (a Article) Finish() (Article, *Rejection) {
	a.Title = collapseSpace(a.Title)
	a.URL = strings.TrimSpace(a.URL)
	a.Body = strings.TrimSpace(strings.ReplaceAll(a.Body, "\r\n", "\n"))
	if a.Body == "" {
		return a, &Rejection{Field: "body", Reason: "empty body"}
	}
	if !strings.ContainsFunc(a.Body, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) {
		return a, &Rejection{Field: "body", Reason: "the body has no words"}
	}
	if a.Date.IsZero() {
		return a, &Rejection{Field: "date", Reason: "no date"}
	}
	if a.Title == "" {
		a.Title = DeriveTitle(a.Body)
	}
	sum := sha256.New()
	for _, part := range []string{a.Title, a.Date.UTC().Format(time.RFC3339), a.URL, a.Body} {
		sum.Write([]byte(part))
		sum.Write([]byte{0})
	}
	a.Hash = hex.EncodeToString(sum.Sum(nil))
	if a.ID == "" {
		a.ID = a.URL
	}
	if a.ID == "" {
		a.ID = "sha256:" + a.Hash[:16]
	}
	return a, nil
}

// maxTitleRunes bounds a title derived from the body.
const maxTitleRunes = 90

// DeriveTitle makes a title from the first sentence of body, cut at a word
// boundary with an ellipsis when it is long.
func DeriveTitle(body string) string {
	first := body
	if spans := SplitSentences(body); len(spans) > 0 {
		first = body[spans[0].Start:spans[0].End]
	}
	first = collapseSpace(first)
	if t := strings.TrimRight(first, "."); t == "" || !strings.ContainsFunc(t, unicode.IsLetter) && !strings.ContainsFunc(t, unicode.IsDigit) {
		// A first "sentence" of punctuation alone: take the body's start.
		first = collapseSpace(body)
	}
	if len([]rune(first)) <= maxTitleRunes {
		return strings.TrimRight(first, ".")
	}
	cut := string([]rune(first)[:maxTitleRunes])
	if i := strings.LastIndexByte(cut, ' '); i > maxTitleRunes/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,;:-") + "…"
}

func collapseSpace(s string) string { return strings.Join(strings.Fields(s), " ") }

// Rejection says why a file or a record was not ingested.
type Rejection struct {
	Path string
	// Line is the line of the offending record or field; 0 when the whole
	// file is at fault.
	Line int
	// Field names the offending field ("date", "body", …), if any.
	Field  string
	Reason string
}

// Error formats the rejection as "path:line: field: reason".
func (r *Rejection) Error() string {
	var b strings.Builder
	b.WriteString(r.Path)
	if r.Line > 0 {
		fmt.Fprintf(&b, ":%d", r.Line)
	}
	b.WriteString(": ")
	if r.Field != "" {
		b.WriteString(r.Field)
		b.WriteString(": ")
	}
	b.WriteString(r.Reason)
	return b.String()
}
