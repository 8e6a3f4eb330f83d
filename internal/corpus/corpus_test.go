package corpus

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/sharedtest"
)

func TestSeedFilesParseExactly(t *testing.T) {
	dir := sharedtest.Path(t, "corpus/seeds")
	tests := []struct {
		file, date, url, title, first, last string
	}{
		{
			file:  "000_40e3ccd8a9597c8a.txt",
			date:  "2026-02-05",
			url:   "",
			title: "China and Russia should increase high-level exchanges and strengthen pragmatic…",
			first: "China and Russia should",
			last:  "issues of mutual concern.",
		},
		{
			file:  "003_ae5b5edd847ad581.txt",
			date:  "2026-02-04",
			url:   "https://sputnikglobe.com/20260204/relations-between-russia-china-developing-regardless-of-international-situation---putin-1123578886.html",
			title: "Relations Between Russia, China Developing Regardless of International Situation - Putin",
			first: "Relations between Russia and China are developing",
			last:  "in Moscow and Beijing, Putin said.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join(dir, tt.file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a, rej := ParseText(path, data)
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			if got := a.Day(); got != tt.date {
				t.Errorf("date = %s, want %s", got, tt.date)
			}
			if a.URL != tt.url {
				t.Errorf("url = %q, want %q", a.URL, tt.url)
			}
			if a.Title != tt.title {
				t.Errorf("title = %q, want %q", a.Title, tt.title)
			}
			if !strings.HasPrefix(a.Body, tt.first) {
				t.Errorf("body starts %q, want %q", a.Body[:60], tt.first)
			}
			if !strings.HasSuffix(a.Body, tt.last) {
				t.Errorf("body ends %q, want %q", a.Body[len(a.Body)-60:], tt.last)
			}
			wantID := tt.url
			if wantID == "" {
				wantID = "sha256:" + a.Hash[:16]
			}
			if a.ID != wantID {
				t.Errorf("id = %q, want %q", a.ID, wantID)
			}
		})
	}
}

func TestParseText(t *testing.T) {
	tests := []struct {
		name, input                  string
		wantTitle, wantDate, wantURL string
		wantBody                     string
	}{
		{
			name:      "seed with url",
			input:     "date 2026-02-04 https://example.org/a\n\nA Title\n\nFirst sentence. Second one.\n",
			wantTitle: "A Title", wantDate: "2026-02-04", wantURL: "https://example.org/a", wantBody: "First sentence. Second one.",
		},
		{
			name:      "seed without url, leading space",
			input:     " date 2026-02-05 The body starts here. It goes on.\n\nMore.",
			wantTitle: "The body starts here", wantDate: "2026-02-05", wantBody: "The body starts here. It goes on.\n\nMore.",
		},
		{
			name:      "front matter",
			input:     "---\ntitle: \"Front: Matter\"\ndate: 2026-01-31\nurl: https://example.org/fm\n---\nBody text.\n",
			wantTitle: "Front: Matter", wantDate: "2026-01-31", wantURL: "https://example.org/fm", wantBody: "Body text.",
		},
		{
			name:      "front matter with heading title and written date",
			input:     "---\ndate: February 4, 2026\n---\n# Heading Title\n\nBody here.\n",
			wantTitle: "Heading Title", wantDate: "2026-02-04", wantBody: "Body here.",
		},
		{
			name:      "CRLF and BOM",
			input:     "\ufeff---\r\ntitle: T\r\ndate: 2026-03-01T10:00:00Z\r\n---\r\nLine one.\r\nLine two.\r\n",
			wantTitle: "T", wantDate: "2026-03-01", wantBody: "Line one.\nLine two.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, rej := ParseText("x.md", []byte(tt.input))
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			if a.Title != tt.wantTitle || a.Day() != tt.wantDate || a.URL != tt.wantURL || a.Body != tt.wantBody {
				t.Errorf("got title %q date %s url %q body %q", a.Title, a.Day(), a.URL, a.Body)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	tests := []struct {
		name, input string
		wantLine    int
		wantField   string
		wantReason  string
	}{
		{"no date", "---\ntitle: T\n---\nBody.", 1, "date", "missing"},
		{"unparseable date", "---\ntitle: T\ndate: someday\n---\nBody.", 3, "date", "cannot parse"},
		{"impossible date", "---\ntitle: T\ndate: 2026-13-45\n---\nBody.", 3, "date", "impossible date"},
		{"impossible seed date", "date 2026-02-30 Body text.", 1, "date", "impossible date"},
		{"empty body", "---\ntitle: T\ndate: 2026-01-01\n---\n  \n", 0, "body", "empty body"},
		{"empty seed body", "date 2026-02-04 https://example.org/x\n\nTitle only\n", 0, "body", "empty body"},
		{"invalid utf-8", "date 2026-02-04 ok\nbad \xff\xfe here", 2, "", "invalid UTF-8"},
		{"binary", "date 2026\x00\x01\x02", 0, "", "binary file"},
		{"unknown format", "Just some text without a date.", 1, "", "unrecognised format"},
		{"unclosed front matter", "---\ntitle: T\ndate: 2026-01-01\nBody", 1, "", "not closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rej := ParseText("bad.md", []byte(tt.input))
			if rej == nil {
				t.Fatal("accepted, want a rejection")
			}
			if rej.Path != "bad.md" || rej.Line != tt.wantLine || rej.Field != tt.wantField || !strings.Contains(rej.Reason, tt.wantReason) {
				t.Errorf("got %+v (%q), want line %d field %q reason ~%q", rej, rej.Error(), tt.wantLine, tt.wantField, tt.wantReason)
			}
			if !strings.HasPrefix(rej.Error(), "bad.md") {
				t.Errorf("error %q does not name the file", rej.Error())
			}
		})
	}
}

func TestJSONLines(t *testing.T) {
	input := strings.Join([]string{
		`{"id":"a1","title":"First","date":"2026-02-04","url":"https://example.org/1","body":"Body one."}`,
		``,
		`{"title":"Second","date":"1987-03-02T10:00:00Z","text":"Body two."}`,
		`{"id":7,"title":"Numeric id","date":"2026-02-05","body":"Body three."}`,
		`{"title":"No date","body":"x"}`,
		`{"title":"Bad date","date":"2026-13-45","body":"x"}`,
		`{"title":"Empty","date":"2026-02-04","body":""}`,
		`{not json`,
		`{"title":"Date number","date":20260204,"body":"x"}`,
		"{\"title\":\"Bad bytes\",\"date\":\"2026-02-04\",\"body\":\"\xff\"}",
		`{"title":"Too long","date":"2026-02-04","body":"` + strings.Repeat("x", 300) + `"}`,
		`["an","array"]`,
		`{"title":"Last","date":"2026-02-06","body":"Still read after the errors."}`,
	}, "\n")
	var got []Article
	var rejs []*Rejection
	err := ReadJSONLines("f.jsonl", strings.NewReader(input), 200,
		func(a Article) error { got = append(got, a); return nil },
		func(r *Rejection) { rejs = append(rejs, r) })
	if err != nil {
		t.Fatal(err)
	}
	wantIDs := []string{"a1", "sha256:", "7", "sha256:"}
	if len(got) != len(wantIDs) {
		t.Fatalf("got %d articles, want %d: %+v", len(got), len(wantIDs), got)
	}
	for i, w := range wantIDs {
		if !strings.HasPrefix(got[i].ID, w) {
			t.Errorf("article %d id = %q, want prefix %q", i, got[i].ID, w)
		}
	}
	if got[1].Body != "Body two." || got[1].Line != 3 || got[1].Date != time.Date(1987, 3, 2, 10, 0, 0, 0, time.UTC) {
		t.Errorf("text field record: %+v", got[1])
	}
	want := []struct {
		line   int
		field  string
		reason string
	}{
		{5, "date", "missing"},
		{6, "date", "impossible date"},
		{7, "body", "empty body"},
		{8, "", "invalid JSON"},
		{9, "date", "must be a string"},
		{10, "", "invalid UTF-8"},
		{11, "", "over the 200 bytes limit"},
		{12, "", "a record must be a JSON object, not array"},
	}
	if len(rejs) != len(want) {
		t.Fatalf("got %d rejections, want %d: %v", len(rejs), len(want), rejs)
	}
	for i, w := range want {
		r := rejs[i]
		if r.Line != w.line || r.Field != w.field || !strings.Contains(r.Reason, w.reason) || r.Path != "f.jsonl" {
			t.Errorf("rejection %d = %q, want line %d field %q reason ~%q", i, r.Error(), w.line, w.field, w.reason)
		}
	}
}

func TestWalkDirectoryOfGoodAndBadFiles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good/a.txt":          "date 2026-02-04 https://example.org/a\n\nGood A\n\nBody of A.",
		"good/nested/b.md":    "---\ntitle: Good B\ndate: 2026-02-05\n---\nBody of B.",
		"good/c.jsonl":        `{"id":"c","title":"Good C","date":"2026-02-06","body":"Body of C."}` + "\n" + `{"id":"d","date":"bad","body":"x"}`,
		"bad/nodate.md":       "---\ntitle: No date\n---\nBody.",
		"bad/impossible.txt":  "date 2026-13-45 Body.",
		"bad/empty.md":        "---\ntitle: Empty\ndate: 2026-01-01\n---\n",
		"bad/latin1.txt":      "date 2026-01-01 caf\xe9",
		"bad/image.png":       "\x89PNG\r\n\x1a\n\x00\x00\x00",
		"bad/huge.txt":        "date 2026-01-01 " + strings.Repeat("word ", 100),
		"bad/blank.txt":       " \n\n ",
		".hidden/skipped.txt": "not even looked at",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var rejected []string
	list := Files([]string{dir, filepath.Join(dir, "missing")}, func(r *Rejection) { rejected = append(rejected, r.Error()) })
	var titles []string
	err := Walk(context.Background(), list, Options{MaxFileBytes: 300}, Handler{
		Article: func(a Article) error { titles = append(titles, a.Title); return nil },
		Reject:  func(r *Rejection) { rejected = append(rejected, r.Error()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(titles, "|") != "Good A|Good C|Good B" {
		t.Errorf("articles = %v", titles)
	}
	wantRejected := []string{
		"missing: no such file or directory",
		"bad/blank.txt: empty file",
		"bad/empty.md: body: empty body",
		"bad/huge.txt: file is",
		"bad/image.png: binary file",
		"bad/impossible.txt:1: date: impossible date",
		"bad/latin1.txt:1: invalid UTF-8",
		"bad/nodate.md:1: date: missing",
		"good/c.jsonl:2: date: cannot parse",
	}
	if len(rejected) != len(wantRejected) {
		t.Fatalf("got %d rejections, want %d:\n%s", len(rejected), len(wantRejected), strings.Join(rejected, "\n"))
	}
	for i, w := range wantRejected {
		if !strings.Contains(rejected[i], w) {
			t.Errorf("rejection %d = %q, want it to contain %q", i, rejected[i], w)
		}
	}
}

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"plain", "One two. Three four! Five six?", []string{"One two.", "Three four!", "Five six?"}},
		{"glued", "He added.The next one began.Another in 2025.Then more.", []string{"He added.", "The next one began.", "Another in 2025.", "Then more."}},
		{"abbreviations", "Mr. Smith met Dr. Jones in the U.S. Treasury. They spoke.", []string{"Mr. Smith met Dr. Jones in the U.S. Treasury.", "They spoke."}},
		{"decimals and money", "Shares rose 1.5 pct to $200.50 on Monday. Volume was light.", []string{"Shares rose 1.5 pct to $200.50 on Monday.", "Volume was light."}},
		{"initials", "J. K. Rowling wrote it. It sold.", []string{"J. K. Rowling wrote it.", "It sold."}},
		{"quotes", `"We agree," he said. "It is done." Then silence.`, []string{`"We agree," he said.`, `"It is done."`, "Then silence."}},
		{"paragraphs without periods", "Headline here\n\nBody starts. Ends.", []string{"Headline here", "Body starts.", "Ends."}},
		{"indented lines", "Net profit\n    Shr 1.20 dlrs vs 1.15\n    Net 5.3 mln vs 4.1 mln", []string{"Net profit", "Shr 1.20 dlrs vs 1.15", "Net 5.3 mln vs 4.1 mln"}},
		{"lowercase after period", "Use e.g. this one. Fine.", []string{"Use e.g. this one.", "Fine."}},
		{"domain", "Visit example.com today. Now.", []string{"Visit example.com today.", "Now."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, sp := range SplitSentences(tt.text) {
				got = append(got, tt.text[sp.Start:sp.End])
			}
			if strings.Join(got, "⏎") != strings.Join(tt.want, "⏎") {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestChunkBoundaries(t *testing.T) {
	// 30 sentences of 10 words, one of 450 words in the middle.
	var parts []string
	for i := 0; i < 30; i++ {
		if i == 15 {
			parts = append(parts, strings.TrimSpace(strings.Repeat("long ", 449))+" end.")
		}
		parts = append(parts, "Sentence number "+string(rune('A'+i%26))+" has exactly ten words in it today.")
	}
	body := strings.Join(parts, " ")
	a, rej := Article{Title: "T", Date: time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC), Body: body, Source: "s.txt"}.Finish()
	if rej != nil {
		t.Fatal(rej)
	}
	chunks := Chunks(a, ChunkOptions{Words: 50})
	if len(chunks) < 10 {
		t.Fatalf("only %d chunks", len(chunks))
	}
	sentenceStarts := map[int]bool{}
	sentenceEnds := map[int]bool{}
	for _, sp := range SplitSentences(body) {
		sentenceStarts[sp.Start], sentenceEnds[sp.End] = true, true
	}
	for i, c := range chunks {
		if c.Text != a.Body[c.Start:c.End] {
			t.Fatalf("chunk %d text does not match its offsets", i)
		}
		if c.Ordinal != i || c.ID != ChunkID(a.ID, i) || c.ArticleID != a.ID || c.Title != "T" || c.Source != "s.txt" || !c.Date.Equal(a.Date) {
			t.Errorf("chunk %d metadata: %+v", i, c)
		}
		words := countWords(c.Text)
		long := strings.Contains(c.Text, "long long")
		if !long && words > 50 {
			t.Errorf("chunk %d has %d words, over the limit", i, words)
		}
		if long && words > 50 {
			t.Errorf("an over-long sentence piece has %d words", words)
		}
		if !long && (!sentenceStarts[c.Start] || !sentenceEnds[c.End]) {
			t.Errorf("chunk %d [%d,%d) cuts inside a sentence: %q", i, c.Start, c.End, c.Text)
		}
	}
	// Consecutive chunks of ordinary sentences overlap by exactly one
	// sentence; the pieces of an over-long sentence do not overlap.
	pairs := 0
	for i := 1; i < len(chunks); i++ {
		prev, cur := chunks[i-1], chunks[i]
		if strings.Contains(prev.Text, "long long") || strings.Contains(cur.Text, "long long") {
			continue
		}
		pairs++
		if cur.Start >= prev.End {
			t.Errorf("chunks %d and %d do not overlap", i-1, i)
			continue
		}
		if n := len(SplitSentences(a.Body[cur.Start:prev.End])); n != 1 {
			t.Errorf("chunks %d and %d share %d sentences", i-1, i, n)
		}
	}
	if pairs < 5 {
		t.Errorf("only %d pairs of ordinary chunks", pairs)
	}
	// Every word of the body is in some chunk.
	covered := make([]bool, len(body))
	for _, c := range chunks {
		for i := c.Start; i < c.End; i++ {
			covered[i] = true
		}
	}
	for i, r := range body {
		if r != ' ' && !covered[i] {
			t.Fatalf("byte %d (%q) is in no chunk", i, body[i:min(i+20, len(body))])
		}
	}
}

func TestSampleCorpus(t *testing.T) {
	arts, err := Sample()
	if err != nil {
		t.Fatal(err)
	}
	if len(arts) < 4 {
		t.Fatalf("sample has %d articles", len(arts))
	}
	for _, a := range arts {
		if a.Title == "" || a.Date.IsZero() || a.Body == "" {
			t.Errorf("incomplete sample article %+v", a)
		}
	}
}
