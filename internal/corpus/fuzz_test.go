package corpus

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets for every parser of article input. CI runs their seed
// corpora (and any crasher saved under testdata/fuzz) as ordinary tests;
// run one for longer with, for example,
//
//	go test -run '^$' -fuzz FuzzParseText -fuzztime 10m ./internal/corpus

func seedFiles(f *testing.F) {
	f.Add([]byte(" date 2026-02-04 https://example.org/a.html\n\nTitle Here\n\nBody of the article. Second sentence.\n"))
	f.Add([]byte("date 2026-02-05 China and Russia should increase high-level exchanges. More text follows.\n"))
	f.Add([]byte("---\ntitle: Cocoa Rains\ndate: 1987-02-26\nurl: https://example.org/c\n---\nShowers continued. Arrivals were 155,221 bags.\n"))
	f.Add([]byte("---\ntitle: \"Quoted: title\"\ndate: 26 February 1987\n---\n"))
	f.Add([]byte("\ufeffdate 2026-13-45 bad date\n"))
	f.Add([]byte("date\t2026-02-04\r\nText with CRLF.\r\n"))
	f.Add([]byte{0xff, 0xfe, 'd', 'a', 't', 'e'})
	if dir, err := filepath.Abs("../../../shared/corpus/seeds"); err == nil {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if data, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(data)
			}
		}
	}
}

func FuzzParseText(f *testing.F) {
	seedFiles(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		a, rej := ParseText("fuzz.txt", data)
		if rej != nil {
			if rej.Reason == "" || rej.Path != "fuzz.txt" {
				t.Fatalf("rejection without a reason or path: %+v", rej)
			}
			return
		}
		checkArticle(t, a)
	})
}

func FuzzReadJSONLines(f *testing.F) {
	f.Add([]byte(`{"id":"a","title":"T","date":"1987-03-05","body":"The Bundesbank left rates unchanged."}`+"\n"), int64(1<<20))
	f.Add([]byte(`{"id":"a","date":"1987-03-05T10:00:00Z","text":"x"}`+"\n\n"+`{"date":"bad"}`+"\n"+`not json`), int64(64))
	f.Add([]byte(`{"id":1,"date":"1987-03-05","body":"numeric id"}`), int64(1<<10))
	f.Add([]byte(strings.Repeat(`{"date":"2026-02-04","body":"b"}`+"\n", 3)), int64(40))
	f.Fuzz(func(t *testing.T, data []byte, max int64) {
		if max <= 0 || max > 1<<20 {
			max = 1 << 20
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		var seen, lastLine int
		err := ReadJSONLines("fuzz.jsonl", bytes.NewReader(data), max, func(a Article) error {
			checkArticle(t, a)
			if a.Line <= lastLine || a.Line > lines || a.End > int64(len(data)) {
				t.Fatalf("article at line %d (after %d, of %d lines), end %d of %d bytes", a.Line, lastLine, lines, a.End, len(data))
			}
			lastLine = a.Line
			seen++
			return nil
		}, func(r *Rejection) {
			if r.Reason == "" || r.Line < 1 || r.Line > lines || r.Path != "fuzz.jsonl" {
				t.Fatalf("bad rejection %+v (of %d lines)", r, lines)
			}
			seen++
		})
		if err != nil {
			t.Fatalf("reading from memory failed: %v", err)
		}
		if seen > lines {
			t.Fatalf("%d records from %d lines", seen, lines)
		}
	})
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-02-04", "1987-03-05T10:00:00Z", "26 February 1987", "February 26, 1987", "02/03/2026", "2026-02", "Mon, 02 Jan 2006 15:04:05 MST", "", "2026-13-45"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			return
		}
		if d.IsZero() || d.Location().String() != "UTC" {
			t.Fatalf("ParseDate(%q) = %v", s, d)
		}
		// The day as written survives a round trip through the ISO form.
		if again, err := ParseDate(d.Format("2006-01-02")); err != nil || again.Format("2006-01-02") != d.Format("2006-01-02") {
			t.Fatalf("ParseDate(%q) = %v, which does not round-trip: %v %v", s, d, again, err)
		}
	})
}

func FuzzSplitSentences(f *testing.F) {
	for _, s := range []string{"One. Two! Three?", "Mr. Smith went to Washington. He said \"hi.\" Then left.", "U.S. GDP rose 1.5 pct in Q1.", "", "no end", strings.Repeat("x", 500), "A.\n\nB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		prev := 0
		for _, sp := range SplitSentences(text) {
			if sp.Start < prev || sp.End <= sp.Start || sp.End > len(text) {
				t.Fatalf("span %+v after %d in %d bytes", sp, prev, len(text))
			}
			if strings.TrimSpace(text[sp.Start:sp.End]) == "" {
				t.Fatalf("blank sentence %+v", sp)
			}
			prev = sp.End
		}
	})
}

// checkArticle asserts what every accepted article must satisfy, and that it
// chunks within its body.
func checkArticle(t *testing.T, a Article) {
	t.Helper()
	if a.ID == "" || a.Title == "" || a.Date.IsZero() || strings.TrimSpace(a.Body) == "" || a.Hash == "" {
		t.Fatalf("incomplete article %+v", a)
	}
	if !utf8.ValidString(a.Body) || !utf8.ValidString(a.Title) {
		t.Fatalf("invalid UTF-8 in %+v", a)
	}
	prevStart := -1
	for i, c := range Chunks(a, ChunkOptions{Words: 20}) {
		if c.Start < 0 || c.End > len(a.Body) || c.Start >= c.End || c.Start <= prevStart || c.Ordinal != i || a.Body[c.Start:c.End] != c.Text {
			t.Fatalf("chunk %d %+v of a %d-byte body", i, c, len(a.Body))
		}
		prevStart = c.Start
	}
}
