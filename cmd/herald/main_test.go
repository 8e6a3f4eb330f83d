package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/sharedtest"
)

// cli runs herald in-process for one test: in an empty working
// directory, with the default data directory (herald-data there) and the
// configuration of env alone, never of the process environment.
type cli struct {
	t    *testing.T
	env  map[string]string
	data string
}

// isolate starts a test's cli.
func isolate(t *testing.T) *cli {
	t.Helper()
	work := t.TempDir()
	t.Chdir(work)
	return &cli{t: t, env: map[string]string{}, data: filepath.Join(work, "herald-data")}
}

// setenv sets a variable of the test's configuration.
func (c *cli) setenv(name, value string) { c.env[name] = value }

// getenv is the test's environment, as run reads it.
func (c *cli) getenv(name string) string { return c.env[name] }

// run runs the CLI and returns its exit code, stdout and stderr.
func (c *cli) run(stdin string, args ...string) (int, string, string) {
	c.t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, c.getenv, strings.NewReader(stdin), &out, &errOut)
	code := 0
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			code = ee.code
		} else {
			code = 1
		}
		errOut.WriteString("herald: " + err.Error() + "\n")
	}
	return code, out.String(), errOut.String()
}

func TestAnExplicitDataDirectoryMustHoldAnIndex(t *testing.T) {
	c := isolate(t)
	dir := t.TempDir()
	code, _, errOut := c.run("", "ask", "--data", dir, "trade")
	if code != 1 || !strings.Contains(errOut, "no index in "+dir+": run 'herald ingest --data "+dir) {
		t.Errorf("exit %d: %s", code, errOut)
	}
	c.setenv("HERALD_DATA", dir)
	if code, _, _ := c.run("", "ask", "trade"); code != 1 {
		t.Errorf("HERALD_DATA without an index: exit %d", code)
	}
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, []byte("x"), 0o644)
	code, _, errOut = c.run("", "ask", "--data", file, "trade")
	if code != 1 || !strings.Contains(errOut, "is a file, not a directory") {
		t.Errorf("data dir is a file: exit %d: %s", code, errOut)
	}
}

func TestQuickstartAnswersFromTheSampleCorpus(t *testing.T) {
	c := isolate(t)
	code, out, errOut := c.run("", "ask", "How much trade did Russia and China do?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"$200 billion", "[1]", "2026-02-04", "https://herald.example/sample/2026/02/04/putin-xi-new-year-call"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "built-in sample corpus") {
		t.Errorf("no notice that the sample corpus is used: %s", errOut)
	}
}

// answerJSONFields is the documented JSON of herald ask --json.
type answerJSONFields struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	// ShortAnswer and ShortCitation are set for questions that ask for a
	// name, number, amount or date.
	ShortAnswer   string `json:"short_answer"`
	ShortCitation int    `json:"short_citation"`
	Found         *bool  `json:"found"`
	Citations     []struct {
		N         int     `json:"n"`
		Title     string  `json:"title"`
		Date      string  `json:"date"`
		URL       *string `json:"url"`
		ArticleID string  `json:"article_id"`
		Quote     string  `json:"quote"`
	} `json:"citations"`
	TookMS *float64 `json:"took_ms"`
}

func TestSeedsEndToEnd(t *testing.T) {
	seeds := sharedtest.Path(t, "corpus/seeds")
	c := isolate(t)
	data := c.data
	code, out, errOut := c.run("", "ingest", seeds)
	if code != 0 || !strings.Contains(out, "2 added") || !strings.Contains(out, "0 rejected") {
		t.Fatalf("ingest exit %d: %s %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "index.herald")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		question, answerHas, date, url, short string
	}{
		{"How much trade did Russia and China do?", "$200 billion", "2026-02-04",
			"https://sputnikglobe.com/20260204/relations-between-russia-china-developing-regardless-of-international-situation---putin-1123578886.html", "$200 billion"},
		{"What did Xi say about the 15th Five-Year Plan?", "15th Five-Year Plan", "2026-02-05", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			code, out, errOut := c.run("", "ask", "--json", tt.question)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var a answerJSONFields
			if err := json.Unmarshal([]byte(out), &a); err != nil {
				t.Fatalf("bad JSON %v:\n%s", err, out)
			}
			if a.Question != tt.question || a.Found == nil || !*a.Found || a.TookMS == nil || len(a.Citations) == 0 {
				t.Fatalf("answer %+v", a)
			}
			if !strings.Contains(a.Answer, tt.answerHas) {
				t.Errorf("answer %q lacks %q", a.Answer, tt.answerHas)
			}
			first := a.Citations[0]
			if first.N != 1 || first.Date != tt.date || first.URL == nil || *first.URL != tt.url || first.Title == "" || first.ArticleID == "" || first.Quote == "" {
				t.Errorf("first citation %+v", first)
			}
			if !strings.Contains(a.Answer, tt.answerHas) || !strings.Contains(first.Quote, tt.answerHas) {
				t.Errorf("the cited quote %q does not hold %q", first.Quote, tt.answerHas)
			}
			if a.ShortAnswer != tt.short || (tt.short != "" && (a.ShortCitation != 1 || !strings.HasPrefix(a.Answer, "**"+tt.short+"** — "))) {
				t.Errorf("short answer %q [%d], want %q first in %q", a.ShortAnswer, a.ShortCitation, tt.short, a.Answer)
			}
		})
	}
	// The text form shows the same citation.
	_, out, _ = c.run("", "ask", "How much trade did Russia and China do?")
	if !strings.Contains(out, "[1] Relations Between Russia, China Developing Regardless of International Situation - Putin — 2026-02-04 — https://sputnikglobe.com/") {
		t.Errorf("text answer:\n%s", out)
	}
	// A second ingest finds nothing new.
	_, out, _ = c.run("", "ingest", seeds)
	if !strings.Contains(out, "0 added, 0 updated, 2 unchanged, 0 removed") {
		t.Errorf("second ingest: %s", out)
	}
}

// TestAskJSONRefusesInJSON: a question the engine refuses still gets JSON
// on stdout (with "error"), besides the message and exit status.
func TestAskJSONRefusesInJSON(t *testing.T) {
	c := isolate(t)
	code, out, errOut := c.run("", "ask", "--json", "What happened on February 30?")
	var got map[string]string
	if code == 0 || json.Unmarshal([]byte(out), &got) != nil || got["error"] != `"February 30" is not a valid date` || !strings.Contains(errOut, "February 30") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
}

func TestAskReadsQuestionsFromStdin(t *testing.T) {
	c := isolate(t)
	stdin := "How much trade did Russia and China do?\n\nWhat is the capital of Peru?\n" + strings.Repeat("y", 5000) + "\n"
	code, out, errOut := c.run(stdin, "ask", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("want 4 JSON lines, one a line of stdin, got %d:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[1], `"error":"line 2: no question"`) {
		t.Errorf("blank line: %s", lines[1])
	}
	lines = append(lines[:1], lines[2:]...)
	var found []bool
	for _, l := range lines[:2] {
		var a answerJSONFields
		if err := json.Unmarshal([]byte(l), &a); err != nil || a.Found == nil {
			t.Fatalf("line %q: %v", l, err)
		}
		found = append(found, *a.Found)
	}
	if !found[0] || found[1] {
		t.Errorf("found = %v, want [true false]", found)
	}
	if !strings.Contains(lines[2], `"error"`) || !strings.Contains(lines[2], "limit") {
		t.Errorf("over-long question: %s", lines[2])
	}
}

func TestSourcesReadsQuestionsFromStdin(t *testing.T) {
	c := isolate(t)
	code, out, errOut := c.run("How much trade did Russia and China do?\nvisa-free travel\n"+strings.Repeat("y", 5000)+"\n", "sources", "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("want 3 JSON lines, got %d:\n%s", len(lines), out)
	}
	for _, l := range lines[:2] {
		var s struct {
			Question string
			Sources  []struct {
				Score, Lexical float64
				Similarity     float32
			}
		}
		if err := json.Unmarshal([]byte(l), &s); err != nil || len(s.Sources) == 0 || s.Sources[0].Lexical <= 0 || s.Sources[0].Score <= 0 {
			t.Errorf("line %q: %+v, %v", l, s, err)
		}
	}
	if !strings.Contains(lines[2], `"error"`) {
		t.Errorf("over-long question: %s", lines[2])
	}
}

func TestIngestReportsBadFilesAndKeepsGoodOnes(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) {
		os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644)
	}
	write("good.txt", "date 2026-02-04 https://example.org/g\n\nGood Article\n\nRussia and China signed a grain deal on Wednesday.")
	write("bad-date.txt", "date 2026-13-45 Body.")
	write("no-date.md", "---\ntitle: x\n---\nBody.")
	write("empty.md", "---\ntitle: x\ndate: 2026-01-01\n---\n")
	write("binary.dat", "\x00\x01\x02\x03")
	write("latin1.txt", "date 2026-01-01 caf\xe9")

	c := isolate(t)
	code, out, errOut := c.run("", "ingest", dir)
	if code != 0 || !strings.Contains(out, "1 added") || !strings.Contains(out, "5 rejected") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"bad-date.txt:1: date: impossible date", "no-date.md:1: date: missing", "empty.md: body: empty body", "binary.dat: binary file", "latin1.txt:1: invalid UTF-8"} {
		if strings.Count(errOut, want) != 1 {
			t.Errorf("stderr lacks one line with %q:\n%s", want, errOut)
		}
	}
	_, out, _ = c.run("", "ask", "grain deal")
	if !strings.Contains(out, "grain deal") || !strings.Contains(out, "2026-02-04") {
		t.Errorf("the good article is not answered from:\n%s", out)
	}
	c = isolate(t)
	code, _, errOut = c.run("", "ingest", "--strict", dir)
	if code != 1 || !strings.Contains(errOut, "5 rejections (--strict): the index was left as it was") {
		t.Errorf("--strict exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join("herald-data", "index.herald")); err == nil {
		t.Error("--strict wrote an index despite rejections")
	}
	os.Remove(filepath.Join(dir, "good.txt"))
	c = isolate(t)
	if code, _, errOut := c.run("", "ingest", dir); code != 1 || !strings.Contains(errOut, "nothing could be ingested") {
		t.Errorf("all bad: exit %d: %s", code, errOut)
	}
}

func TestSummarySourcesAndChat(t *testing.T) {
	c := isolate(t)
	c.setenv("HERALD_NOW", "2026-02-07")
	tests := []struct {
		name  string
		stdin string
		args  []string
		want  []string
	}{
		{"summary of an article", "", []string{"summary", "--article", "Years of Education"}, []string{"Summary of “China and Russia Open Years of Education” (2026-02-06)", "- ", "[1]"}},
		{"summary of a topic", "", []string{"summary", "--topic", "visa-free travel"}, []string{"Summary of “visa-free travel”", "visa"}},
		{"summary of dates", "", []string{"summary", "--date", "2026-02-05..2026-02-06"}, []string{"Summary of 2026-02-05 to 2026-02-06", "2026-02-06"}},
		{"summary of relative dates", "", []string{"summary", "--date", "yesterday"}, []string{"Summary of 2026-02-06", "[1]"}},
		{"sources", "", []string{"sources", "APEC meeting"}, []string{"[1] Moscow Pledges Support for China's APEC Year — 2026-02-05 — https://herald.example/", "“"}},
		{"sources json", "", []string{"sources", "--json", "APEC meeting"}, []string{`"sources": [`, `"passage":`, `"score":`}},
		{"as-of flag", "", []string{"ask", "--as-of", "2026-02-05", "What happened yesterday?"}, []string{"2026-02-04", "[1]"}},
		{"chat", "/help\n/ask How much trade did Russia and China do?\n/sources visa\n/summary topic:APEC\n/bogus\nWhat about the Years of Education?\n/ask question: When did Putin and Xi talk?\n/quit\n", []string{"chat"},
			[]string{"/sources QUESTION", "$200 billion", "visa-free entry", "Summary of “APEC”", "unknown command /bogus", "Years of Education", "**February 4, 2026** — "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := c.run(tt.stdin, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	c := isolate(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"frobnicate"}, `unknown command "frobnicate"`},
		{[]string{"ask"}, "ask needs a question"},
		{[]string{"ingest"}, "ingest needs at least one file"},
		{[]string{"summary"}, "summary needs --article, --topic or --date"},
		{[]string{"summary", "--date", "someday soon"}, `cannot read the date "someday soon"`},
		{[]string{"ask", "--as-of", "tomorrow", "q"}, "want YYYY-MM-DD"},
		{[]string{"summary", "--article", "no such article anywhere"}, "no such article"},
		{[]string{"summary", "--date", "March", "1987"}, `unexpected argument "1987": quote values`},
		{[]string{"ask", "--k", "0", "q"}, "--k must be between 1 and 100"},
		{[]string{"ingest", "--max-file-bytes", "-1", "x"}, "--max-file-bytes must be positive"},
		{[]string{"--data", "x", "ask", "q"}, "flags go after the command"},
	}
	for _, tt := range tests {
		code, _, errOut := c.run("", tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want %q", tt.args, code, errOut, tt.want)
		}
	}
	c.setenv("HERALD_TOP_K", "lots")
	if code, _, errOut := c.run("", "ask", "q"); code == 0 || !strings.Contains(errOut, `HERALD_TOP_K="lots"`) {
		t.Errorf("bad HERALD_TOP_K: %d %s", code, errOut)
	}
	c.setenv("HERALD_TOP_K", "")
	for feedsValue, want := range map[string]string{
		"www.example.com/rss":   "nor a URL: write feed URLs in full, with http:// or https://",
		"./no-such-feeds.txt":   "reading the feeds file",
		"ftp://example.com/rss": `"ftp://example.com/rss" is not an http(s) URL`,
	} {
		c.setenv("HERALD_FEEDS", feedsValue)
		if code, _, errOut := c.run("", "feeds"); code == 0 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "HERALD_FEEDS") {
			t.Errorf("HERALD_FEEDS=%s: %d %s", feedsValue, code, errOut)
		}
	}
}

func TestCorpusFromEnvironmentIsIndexedOnFirstUse(t *testing.T) {
	c := isolate(t)
	data := c.data
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a.md"), []byte("---\ntitle: Pipeline Talks Resume\ndate: 2026-03-01\nurl: https://example.org/p\n---\nTalks on the Power of Siberia 2 pipeline resumed in Beijing."), 0o644)
	c.setenv("HERALD_CORPUS", dir)
	code, out, errOut := c.run("", "ask", "What happened with the Power of Siberia 2 pipeline?")
	if code != 0 || !strings.Contains(out, "https://example.org/p") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "index.herald")); err != nil {
		t.Errorf("the corpus was not saved: %v", err)
	}
}

func TestAWrongCorpusPathWritesNoIndex(t *testing.T) {
	c := isolate(t)
	data := c.data
	c.setenv("HERALD_CORPUS", filepath.Join(t.TempDir(), "no-such-dir"))
	code, _, errOut := c.run("", "ask", "trade")
	if code != 1 || !strings.Contains(errOut, "holds no article that could be ingested") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(data, "index.herald")); err == nil {
		t.Fatal("an empty index was saved; the next run would never retry HERALD_CORPUS")
	}
}

func TestCheckVerifiesTheIndexOnDemand(t *testing.T) {
	corpusDir := t.TempDir()
	os.WriteFile(filepath.Join(corpusDir, "good.txt"), []byte("date 2026-02-04 https://example.org/g\n\nGood Article\n\nRussia and China signed a grain deal on Wednesday."), 0o644)
	c := isolate(t)
	data := filepath.Join(c.data, "data")

	if code, _, errOut := c.run("", "check", "--data", data); code != 1 || !strings.Contains(errOut, "no index to check") {
		t.Fatalf("no index: exit %d, %s", code, errOut)
	}
	if code, out, errOut := c.run("", "ingest", "--data", data, corpusDir); code != 0 {
		t.Fatalf("ingest: exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut := c.run("", "check", "--data", data)
	if code != 0 || !strings.Contains(out, "is sound: 1 article, 1 chunk (2026-02-04 to 2026-02-04)") {
		t.Fatalf("check: exit %d\n%s\n%s", code, out, errOut)
	}
	snap := filepath.Join(data, "index.herald")
	raw, _ := os.ReadFile(snap)
	raw[len(raw)/2] ^= 0xff
	os.WriteFile(snap, raw, 0o644)
	if code, _, errOut := c.run("", "check", "--data", data); code != 1 || !strings.Contains(errOut, "damaged") || !strings.Contains(errOut, "--reindex") {
		t.Fatalf("damaged index: exit %d, %s", code, errOut)
	}
	if code, _, errOut := c.run("", "check", "extra"); code != 2 {
		t.Fatalf("extra argument: exit %d, %s", code, errOut)
	}
}

func TestEvalNewsScoresPerKind(t *testing.T) {
	c := isolate(t)
	dir := t.TempDir()
	corpusFile := filepath.Join(dir, "wire.jsonl")
	os.WriteFile(corpusFile, []byte(`{"id":"w-1","title":"Bundesbank Leaves Rates Unchanged","date":"1987-03-05","body":"The Bundesbank left its discount rate unchanged at 3.0 pct on Thursday, a central bank spokesman said."}`+"\n"+
		`{"id":"w-2","title":"Bundesbank Cuts Discount Rate","date":"1987-04-10","body":"The Bundesbank cut its discount rate to 2.5 pct on Friday, a central bank spokesman said."}`+"\n"), 0o644)
	questions := filepath.Join(dir, "questions.jsonl")
	os.WriteFile(questions, []byte(
		`{"id":"q1","question":"what is the Bundesbank discount rate now?","as_of":"1987-03-20","answers":["3.0 pct"],"articles":["w-1"],"kind":"latest","stale":[]}`+"\n"+
			`{"id":"q2","question":"what did the Bundesbank do with the discount rate?","as_of":"1987-04-20","answers":["2.5 pct"],"articles":["w-2"],"kind":"plain"}`+"\n"+
			`{"id":"q3","question":"who won the chess olympiad?","as_of":"1987-04-20","answers":[],"articles":[],"kind":"unanswerable"}`+"\n"), 0o644)
	code, out, errOut := c.run("", "eval", "news", "--corpus", corpusFile, questions)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	flat := strings.Join(strings.Fields(out), " ")
	for _, want := range []string{"3 questions over 2 articles", "plain 1 1.000 1.000 1.000 1.000", "latest 1 1.000 1.000 1.000 1.000 0.000",
		"unanswerable 1 1.000", "dated after as_of: 0 of 3"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

func TestEvalReaderTrainsAndWrites(t *testing.T) {
	c := isolate(t)
	dir := t.TempDir()
	squad := filepath.Join(dir, "squad.json")
	// Four pages: the even ones (first, third) train, the odd ones measure.
	page := func(title, context, question, answer string) string {
		return `{"title":"` + title + `","paragraphs":[{"context":"` + context + `","qas":[{"id":"` + title + `","question":"` + question + `","answers":[{"text":"` + answer + `","answer_start":0}]}]}]}`
	}
	os.WriteFile(squad, []byte(`{"version":"1.1","data":[`+
		page("Mills", "The mill was built by Anna Berg in 1820 beside the river.", "Who built the mill?", "Anna Berg")+","+
		page("Docks", "The docks were built by Carl Moss in 1850 for the fleet.", "Who built the docks?", "Carl Moss")+","+
		page("Bridges", "The bridge was built by Eva Lund in 1901 over the bay.", "Who built the bridge?", "Eva Lund")+","+
		page("Towers", "The tower was built by Otto Hahn in 1930 on the hill.", "Who built the tower?", "Otto Hahn")+`]}`), 0o644)
	out := filepath.Join(dir, "reader.tsv.gz")
	code, stdout, errOut := c.run("", "eval", "reader", "--out", out, squad)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(stdout, "trained on 2 questions") || !strings.Contains(stdout, "held out: 2 questions") {
		t.Errorf("report: %s", stdout)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if w, err := answer.ReadWeights(f); err != nil || len(w) == 0 {
		t.Errorf("the weights written: %d, %v", len(w), err)
	}
	if code, _, errOut := c.run("", "eval", "reader"); code != 2 || !strings.Contains(errOut, "SQuAD") {
		t.Errorf("no path: exit %d, %s", code, errOut)
	}
	if code, _, errOut := c.run("", "eval", "reader", "--out", filepath.Join(dir, "no-such-dir", "w.tsv.gz"), squad); code != 2 || !strings.Contains(errOut, "no-such-dir") {
		t.Errorf("--out into no directory: exit %d, %s", code, errOut)
	}
	if code, _, errOut := c.run("", "eval", "reader", filepath.Join(dir, "missing.json")); code != 1 || !strings.Contains(errOut, "missing.json") {
		t.Errorf("a missing file: exit %d, %s", code, errOut)
	}
}
