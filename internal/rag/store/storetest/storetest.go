// Package storetest is the conformance suite of the store of record: what
// any backend of store.Archive must do, as ingest, retrieval and the
// engine use it. A backend's tests call Run with a way to open an empty
// archive; the embedded backend and the distributed ones run the same
// suite.
package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/sharedtest"
)

// Open returns a new, empty archive for vectors of embedder, with chunks
// of chunkWords words (0: the default). It cleans up after itself with
// t.Cleanup.
type Open func(t *testing.T, embedder embed.Embedder, chunkWords int) store.Archive

// Run runs the suite against the archives open returns.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		test func(*testing.T, Open)
	}{
		{"IngestIsIncrementalAndIdempotent", testIncremental},
		{"IngestKeepsArticlesOfUnreadableFiles", testUnreadable},
		{"DuplicateIDsAreRejected", testDuplicates},
		{"IngestNeverRemovesWhatItCouldNotRead", testNeverRemoves},
		{"CorpusChangesDuringIngest", testChangesDuringIngest},
		{"CandidatesHonourDatesAndCaps", testCandidates},
		{"SearchHonoursDatesAndCaps", testSearch},
		{"ReadsAgreeWithWrites", testReads},
		{"Answers", testAnswers},
		{"SeedQuestions", testSeeds},
		{"ReutersSample", testReuters},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, open) })
	}
}

// WriteCorpus writes files (name → content) under a new temp directory.
func WriteCorpus(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// SeedArticle is an article file in the seed format.
func SeedArticle(date, url, title, body string) string {
	return fmt.Sprintf("date %s %s\n\n%s\n\n%s\n", date, url, title, body)
}

// NewsCorpus is a small dated corpus on several topics, in several formats.
func NewsCorpus() map[string]string {
	return map[string]string{
		"trade.txt": SeedArticle("2026-02-04", "https://example.org/trade", "Russia and China Trade Tops $200 Billion",
			"Trade between Russia and China has been above the $200 billion mark for three years in a row, Putin said. Energy cooperation is strategic, he added."),
		"plan.txt": SeedArticle("2026-02-05", "https://example.org/plan", "Xi Outlines Five-Year Plan",
			"This year marks the beginning of China's 15th Five-Year Plan period, Xi said. China will expand its high-level opening up."),
		"cocoa.md": "---\ntitle: Cocoa Rains Help Bahia Crop\ndate: 1987-02-26\n---\nShowers continued throughout the week in the Bahia cocoa zone, improving prospects for the temporao crop. Arrivals were 155,221 bags.\n",
		"bank.jsonl": `{"id":"bb-1","title":"Bundesbank Leaves Rates Unchanged","date":"1987-03-05","body":"The Bundesbank left its discount rate unchanged at 3.0 pct on Thursday, a central bank spokesman said."}` + "\n" +
			`{"id":"bb-2","title":"Bundesbank Buys Dollars","date":"1987-04-02","body":"The Bundesbank bought dollars against yen in the open market, dealers said."}` + "\n",
	}
}

// Setup is an archive, the embedder of its vectors and a pipeline into it.
type Setup struct {
	Archive  store.Archive
	Embedder embed.Embedder
	Pipeline *ingest.Pipeline
}

// New opens an archive with the local embedder.
func New(t *testing.T, open Open, chunkWords int) Setup {
	t.Helper()
	emb := embed.NewLocal(0)
	a := open(t, emb, chunkWords)
	return Setup{Archive: a, Embedder: emb, Pipeline: ingest.New(a, emb, chunkWords)}
}

// Ingest reads roots into the archive, failing the test on an error.
func (s Setup) Ingest(t *testing.T, roots ...string) ingest.Report {
	t.Helper()
	rep, err := s.Pipeline.Files(context.Background(), roots, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// Engine returns an engine over the archive whose clock reads asOf.
func (s Setup) Engine(asOf time.Time) *rag.Engine {
	return rag.New(s.Archive, s.Embedder, rag.Options{Now: func() time.Time { return asOf }})
}

// Check fails the test when the archive is inconsistent.
func (s Setup) Check(t *testing.T) {
	t.Helper()
	if err := s.Archive.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func (s Setup) stats(t *testing.T) store.Stats {
	t.Helper()
	st, err := s.Archive.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (s Setup) article(t *testing.T, id string) (corpus.Article, bool) {
	t.Helper()
	a, ok, err := s.Archive.Article(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a, ok
}

func testIncremental(t *testing.T, open Open) {
	s := New(t, open, 0)
	dir := WriteCorpus(t, NewsCorpus())
	rep := s.Ingest(t, dir)
	if rep.Added != 5 || rep.Updated+rep.Unchanged+rep.Removed != 0 || len(rep.Rejected) != 0 || rep.Files != 4 {
		t.Fatalf("first ingest: %+v", rep)
	}
	chunks := s.stats(t).Chunks
	if rep.Chunks != chunks || chunks < 5 {
		t.Fatalf("%d chunks reported, %d counted", rep.Chunks, chunks)
	}
	rep = s.Ingest(t, dir)
	if rep.Unchanged != 5 || rep.Added+rep.Updated+rep.Removed != 0 || rep.ChunksEmbedded != 0 || s.stats(t).Chunks != chunks {
		t.Fatalf("second ingest added something: %+v", rep)
	}
	// Change one article, delete another, add a third.
	os.WriteFile(filepath.Join(dir, "trade.txt"), []byte(SeedArticle("2026-02-04", "https://example.org/trade", "Russia and China Trade Tops $200 Billion",
		"Trade between Russia and China passed $200 billion again, Putin said.")), 0o644)
	os.Remove(filepath.Join(dir, "cocoa.md"))
	os.WriteFile(filepath.Join(dir, "visa.txt"), []byte(SeedArticle("2026-02-06", "https://example.org/visa", "Visa-Free Travel", "Russians can now visit China without a visa.")), 0o644)
	rep = s.Ingest(t, dir)
	if rep.Added != 1 || rep.Updated != 1 || rep.Removed != 1 || rep.Unchanged != 3 {
		t.Fatalf("third ingest: %+v", rep)
	}
	if st := s.stats(t); st.Articles != 5 {
		t.Fatalf("articles = %d, want 5", st.Articles)
	}
	if a, ok := s.article(t, "https://example.org/trade"); !ok || !strings.Contains(a.Body, "passed $200 billion") {
		t.Errorf("the changed article was not replaced: %+v", a)
	}
	if _, ok := s.article(t, "Cocoa Rains Help Bahia Crop"); ok {
		t.Error("an article found by its title as an ID")
	}
	// The replaced version's words are gone from the lexical index.
	res, err := retrieve.New(s.Archive, s.Embedder).Search(context.Background(), "three years in a row", retrieve.Options{Mode: retrieve.KeywordsOnly})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Passages {
		if strings.Contains(p.Text, "three years in a row") {
			t.Errorf("the old version is still found: %q", p.Text)
		}
	}
	s.Check(t)
}

func testUnreadable(t *testing.T, open Open) {
	s := New(t, open, 0)
	dir := WriteCorpus(t, NewsCorpus())
	s.Ingest(t, dir)
	// A record of the JSONL file turns bad: the file's other articles stay,
	// and so does the old version of the bad one.
	os.WriteFile(filepath.Join(dir, "bank.jsonl"), []byte(`{"id":"bb-1","title":"x","date":"nope","body":"x"}`+"\n"), 0o644)
	rep := s.Ingest(t, dir)
	if rep.Removed != 0 || len(rep.Rejected) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if _, ok := s.article(t, "bb-2"); !ok {
		t.Error("an article of a file with a rejected record was removed")
	}
	// A root that does not exist removes nothing.
	rep, err := s.Pipeline.Files(context.Background(), []string{filepath.Join(dir, "gone")}, ingest.Options{})
	if err != nil || rep.Removed != 0 || len(rep.Rejected) != 1 {
		t.Fatalf("missing root: %+v, %v", rep, err)
	}
	s.Check(t)
}

func testDuplicates(t *testing.T, open Open) {
	s := New(t, open, 0)
	dir := WriteCorpus(t, map[string]string{
		"a.jsonl": `{"id":"x","title":"A","date":"2026-01-01","body":"One."}` + "\n" + `{"id":"x","title":"B","date":"2026-01-02","body":"Two."}` + "\n",
	})
	rep := s.Ingest(t, dir)
	if rep.Added != 1 || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Error(), `a.jsonl:2: id: duplicate article ID "x"`) {
		t.Fatalf("report: %+v %v", rep, rep.Rejected)
	}
}

func testNeverRemoves(t *testing.T, open Open) {
	tests := []struct {
		name      string
		change    func(t *testing.T, dir string) string // returns the root to re-ingest
		unchanged int
		relocated int
		rejected  int
	}{
		{"a linked file whose target is gone", func(t *testing.T, dir string) string {
			os.Remove(filepath.Join(dir, "target", "trade.txt"))
			return filepath.Join(dir, "news")
		}, 4, 0, 1},
		{"the root moved and linked back", func(t *testing.T, dir string) string {
			os.Rename(filepath.Join(dir, "news"), filepath.Join(dir, "moved"))
			if err := os.Symlink(filepath.Join(dir, "moved"), filepath.Join(dir, "news")); err != nil {
				t.Skip("no symbolic links here:", err)
			}
			return filepath.Join(dir, "news")
		}, 5, 5, 0},
		{"every file of the root deleted", func(t *testing.T, dir string) string {
			entries, _ := os.ReadDir(filepath.Join(dir, "news"))
			for _, e := range entries {
				os.Remove(filepath.Join(dir, "news", e.Name()))
			}
			return filepath.Join(dir, "news")
		}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			news := filepath.Join(dir, "news")
			os.MkdirAll(news, 0o755)
			os.MkdirAll(filepath.Join(dir, "target"), 0o755)
			for name, content := range NewsCorpus() {
				path := filepath.Join(news, name)
				if name == "trade.txt" { // one article is a link to a file elsewhere
					path = filepath.Join(dir, "target", name)
					if err := os.Symlink(path, filepath.Join(news, name)); err != nil {
						t.Skip("no symbolic links here:", err)
					}
				}
				os.WriteFile(path, []byte(content), 0o644)
			}
			s := New(t, open, 0)
			if rep := s.Ingest(t, news); rep.Added != 5 {
				t.Fatalf("first ingest: %+v", rep)
			}
			rep := s.Ingest(t, tt.change(t, dir))
			if rep.Removed != 0 || rep.Unchanged != tt.unchanged || rep.Relocated != tt.relocated || len(rep.Rejected) != tt.rejected {
				t.Errorf("report: %+v %v", rep, rep.Rejected)
			}
			if n := s.stats(t).Articles; n != 5 {
				t.Errorf("%d articles left, want 5", n)
			}
			if tt.relocated > 0 {
				if !rep.Changed() {
					t.Error("moved articles do not count as a change to save")
				}
				m, err := s.Archive.Manifest(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range m {
					if !strings.Contains(e.Source, string(filepath.Separator)+"moved"+string(filepath.Separator)) {
						t.Errorf("%s still comes from %s", e.ID, e.Source)
					}
				}
			}
		})
	}
}

func testChangesDuringIngest(t *testing.T, open Open) {
	files := map[string]string{}
	for i := 0; i < 6; i++ {
		files[fmt.Sprintf("%02d.txt", i)] = SeedArticle("2026-02-04", fmt.Sprintf("https://example.org/%d", i), fmt.Sprintf("Article %d", i),
			fmt.Sprintf("Article %d reports on grain exports and pipeline talks.", i))
	}
	dir := WriteCorpus(t, files)
	s := New(t, open, 0)
	changed := false
	rep, err := s.Pipeline.Files(context.Background(), []string{dir}, ingest.Options{Progress: func(p ingest.Progress) {
		if changed || p.FilesDone != 1 {
			return
		}
		changed = true
		// Files are read in name order: 03 and 04 are still to come.
		os.Remove(filepath.Join(dir, "03.txt"))
		os.WriteFile(filepath.Join(dir, "04.txt"), []byte(SeedArticle("2026-02-05", "https://example.org/4", "Article 4, Revised",
			"Article 4 now reports on wheat tariffs.")), 0o644)
	}})
	if err != nil {
		t.Fatalf("the ingest failed: %v", err)
	}
	if !changed {
		t.Fatal("the corpus was not changed during the ingest")
	}
	s.Check(t)
	if rep.Added != 5 || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Error(), "03.txt") {
		t.Fatalf("report %+v, rejections %v", rep, rep.Rejected)
	}
	if a, ok := s.article(t, "https://example.org/4"); !ok || a.Title != "Article 4, Revised" {
		t.Errorf("the rewritten file: %+v", a)
	}
	// The next ingest sees 03.txt gone for good and keeps the rest.
	rep = s.Ingest(t, dir)
	if rep.Unchanged != 5 || rep.Added+rep.Updated+rep.Removed != 0 || len(rep.Rejected) != 0 {
		t.Fatalf("the next ingest: %+v", rep)
	}
}

// testCandidates checks both halves of the search directly: caps, order
// and date filters.
func testCandidates(t *testing.T, open Open) {
	ctx := context.Background()
	s := New(t, open, 0)
	s.Ingest(t, WriteCorpus(t, NewsCorpus()))
	vecs, err := s.Embedder.Embed(ctx, []string{"Bundesbank discount rate"})
	if err != nil {
		t.Fatal(err)
	}
	an := []string{"bundesbank", "discount", "rate"}
	for _, n := range []int{1, 3, 1000} {
		c, err := s.Archive.Candidates(ctx, store.Query{Terms: an, Vector: vecs[0], N: n})
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Lexical) > n || len(c.Vector) > n || len(c.Lexical) == 0 || len(c.Vector) == 0 {
			t.Errorf("N=%d: %d lexical and %d vector hits", n, len(c.Lexical), len(c.Vector))
		}
		if c.Lexical[0].ArticleID != "bb-1" {
			t.Errorf("N=%d: the best lexical hit is %s", n, c.Lexical[0].ArticleID)
		}
		for _, hits := range [][]store.Hit{c.Lexical, c.Vector} {
			if !slices.IsSortedFunc(hits, func(a, b store.Hit) int { return -cmpFloat(a.Score, b.Score) }) {
				t.Errorf("N=%d: hits not best first", n)
			}
			for _, h := range hits {
				if h.ChunkID == "" || h.Text == "" || h.Title == "" || h.Date.IsZero() {
					t.Errorf("N=%d: incomplete hit %+v", n, h)
				}
			}
		}
	}
	spring := dates.Period{From: day("1987-03-01"), To: day("1987-03-31")}
	c, err := s.Archive.Candidates(ctx, store.Query{Terms: an, Vector: vecs[0], N: 100, Period: spring})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Lexical) != 1 || len(c.Vector) != 1 {
		t.Errorf("March 1987: %d lexical and %d vector hits, want the one article", len(c.Lexical), len(c.Vector))
	}
	for _, h := range append(c.Lexical, c.Vector...) {
		if !spring.Contains(h.Date) {
			t.Errorf("hit dated %s outside %v", h.Date.Format(time.DateOnly), spring)
		}
	}
	// A period of a few days inside a month keeps to its days.
	days := dates.Period{From: day("2026-02-05"), To: day("2026-02-06")}
	c, err = s.Archive.Candidates(ctx, store.Query{Vector: vecs[0], N: 100, Period: days})
	if err != nil || len(c.Vector) != 1 || c.Vector[0].ArticleID != "https://example.org/plan" {
		t.Errorf("two days of February 2026: %+v, %v", c.Vector, err)
	}
	if c.Lexical != nil {
		t.Errorf("no terms, yet %d lexical hits", len(c.Lexical))
	}
	open2 := dates.Period{From: day("2026-01-01")}
	c, _ = s.Archive.Candidates(ctx, store.Query{Terms: []string{"china"}, N: 100, Period: open2})
	for _, h := range c.Lexical {
		if h.Date.Year() != 2026 {
			t.Errorf("an open period let %s through", h.Date.Format(time.DateOnly))
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func testSearch(t *testing.T, open Open) {
	ctx := context.Background()
	files := NewsCorpus()
	var long strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&long, "The Bundesbank said its council met for the %dth time about money supply targets. ", i)
	}
	files["long.txt"] = SeedArticle("1987-03-20", "https://example.org/long", "Bundesbank Council Meets Again", long.String())
	s := New(t, open, 60)
	s.Ingest(t, WriteCorpus(t, files))
	r := retrieve.New(s.Archive, s.Embedder)
	march := dates.Period{From: day("1987-03-01"), To: day("1987-03-31")}
	res, err := r.Search(ctx, "Bundesbank", retrieve.Options{Period: march, K: 10, PerArticle: 2})
	if err != nil {
		t.Fatal(err)
	}
	perArticle := map[string]int{}
	for _, p := range res.Passages {
		if !march.Contains(p.Date) {
			t.Errorf("passage from %s outside %v", p.Date.Format(time.DateOnly), march)
		}
		perArticle[p.ArticleID]++
	}
	if perArticle["https://example.org/long"] != 2 || perArticle["bb-1"] != 1 || len(perArticle) != 2 {
		t.Errorf("passages per article: %v", perArticle)
	}
	// Recency puts the newest matching article first.
	res, _ = r.Search(ctx, "Bundesbank", retrieve.Options{Recent: true, PerArticle: 1})
	if len(res.Passages) == 0 || res.Passages[0].ArticleID != "bb-2" {
		t.Errorf("recent search starts with %+v", res.Passages)
	}
	// A question of stop words gets the newest articles' leads.
	res, _ = r.Search(ctx, "what is it", retrieve.Options{K: 2})
	if len(res.Passages) != 2 || res.Passages[0].ArticleID != "https://example.org/plan" || res.Passages[1].ArticleID != "https://example.org/trade" {
		t.Errorf("leads: %+v", res.Passages)
	}
}

func testReads(t *testing.T, open Open) {
	ctx := context.Background()
	s := New(t, open, 0)
	s.Ingest(t, WriteCorpus(t, NewsCorpus()))
	st := s.stats(t)
	if st.Articles != 5 || st.Oldest.Format(time.DateOnly) != "1987-02-26" || st.Newest.Format(time.DateOnly) != "2026-02-05" ||
		st.Embedder != s.Embedder.Name() || st.Dimension != s.Embedder.Dimension() {
		t.Errorf("stats %+v", st)
	}
	infos, err := s.Archive.Articles(ctx, store.ArticleQuery{})
	if err != nil || len(infos) != 5 || infos[0].ID != "https://example.org/plan" || infos[4].Title != "Cocoa Rains Help Bahia Crop" {
		t.Errorf("articles, newest first: %+v, %v", infos, err)
	}
	infos, _ = s.Archive.Articles(ctx, store.ArticleQuery{TitleContains: "BUNDESBANK", Limit: 1})
	if len(infos) != 1 || infos[0].ID != "bb-2" || infos[0].Chunks != 1 {
		t.Errorf("newest Bundesbank title: %+v", infos)
	}
	infos, _ = s.Archive.Articles(ctx, store.ArticleQuery{Period: dates.Period{To: day("1987-03-31")}})
	if len(infos) != 2 {
		t.Errorf("articles until March 1987: %+v", infos)
	}
	before, after, err := s.Archive.NearestDays(ctx, dates.Period{From: day("2000-01-01"), To: day("2000-12-31")})
	if err != nil || before.Format(time.DateOnly) != "1987-04-02" || after.Format(time.DateOnly) != "2026-02-04" {
		t.Errorf("nearest days: %v %v %v", before, after, err)
	}
	leads, err := s.Archive.Leads(ctx, dates.Period{From: day("1987-01-01"), To: day("1987-12-31")}, 2)
	if err != nil || len(leads) != 2 || leads[0].ArticleID != "bb-2" || leads[1].ArticleID != "bb-1" || !strings.HasPrefix(leads[0].Text, "The Bundesbank bought") {
		t.Errorf("leads: %+v, %v", leads, err)
	}
	ts, err := s.Archive.TermStats(ctx, []string{"bundesbank", "china", "nothingatall"})
	if err != nil || ts.Chunks != st.Chunks || ts.DocFreq["bundesbank"] != 2 || ts.DocFreq["china"] != 2 || ts.DocFreq["nothingatall"] != 0 {
		t.Errorf("term stats %+v, %v", ts, err)
	}
	if ts.IDF("nothingatall") != ts.MaxIDF() || ts.IDF("china") >= ts.MaxIDF() {
		t.Errorf("IDF: %v %v", ts.IDF("china"), ts.MaxIDF())
	}
	m, err := s.Archive.Manifest(ctx)
	if err != nil || len(m) != 5 {
		t.Fatalf("manifest %+v, %v", m, err)
	}
	for _, e := range m {
		a, ok := s.article(t, e.ID)
		if !ok || a.Hash != e.Hash || a.Source != e.Source || a.Line != e.Line || e.Hash == "" {
			t.Errorf("manifest entry %+v, article %+v", e, a)
		}
	}
	// Removing an unknown ID is not an error; removing a known one is.
	if err := s.Archive.Remove(ctx, []string{"no-such", "bb-1"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.article(t, "bb-1"); ok {
		t.Error("bb-1 was not removed")
	}
	if ts, _ := s.Archive.TermStats(ctx, []string{"bundesbank"}); ts.DocFreq["bundesbank"] != 1 || ts.Chunks != st.Chunks-1 {
		t.Errorf("term stats after a removal: %+v", ts)
	}
	s.Check(t)
	// A Sync of what was written succeeds.
	if err := s.Archive.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

// testAnswers asks the engine over the archive the questions its answers
// were specified with.
func testAnswers(t *testing.T, open Open) {
	s := New(t, open, 0)
	s.Ingest(t, WriteCorpus(t, NewsCorpus()))
	eng := s.Engine(time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC))
	tests := []struct {
		question, contains, citesDate, textHas string
		found                                  bool
	}{
		{"How much trade did Russia and China do?", "$200 billion", "2026-02-04", "", true},
		{"What does the 15th Five-Year Plan mean?", "15th Five-Year Plan", "2026-02-05", "", true},
		{"What did the Bundesbank do with its discount rate in March 1987?", "discount rate unchanged", "1987-03-05", "", true},
		{"What is the recipe for lasagna?", "", "", "does not seem to cover", false},
		{"Who won the Super Bowl in 2016?", "", "", "No article in the corpus is dated 2016-01-01 to 2016-12-31. The nearest dates with articles are 1987-04-02 (before) and 2026-02-04 (after).", false},
	}
	for _, tt := range tests {
		a, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Found != tt.found {
			t.Errorf("%q: found = %v: %s", tt.question, a.Found, a.Text)
			continue
		}
		if !tt.found {
			if !strings.Contains(a.Text, tt.textHas) {
				t.Errorf("%q: %s", tt.question, a.Text)
			}
			continue
		}
		if !strings.Contains(a.Text, tt.contains) || a.Citations[0].Day() != tt.citesDate {
			t.Errorf("%q: %s %+v", tt.question, a.Text, a.Citations)
		}
	}
}

// testSeeds ingests the two seed articles (../shared) and asks what they
// were specified with.
func testSeeds(t *testing.T, open Open) {
	seeds := sharedtest.Path(t, "corpus/seeds")
	s := New(t, open, 0)
	if rep := s.Ingest(t, seeds); rep.Added != 2 || len(rep.Rejected) != 0 {
		t.Fatalf("seeds: %+v", rep)
	}
	eng := s.Engine(time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC))
	for _, tt := range []struct{ question, has, date string }{
		{"How much trade did Russia and China do?", "$200 billion", "2026-02-04"},
		{"What did Xi say about the 15th Five-Year Plan?", "15th Five-Year Plan", "2026-02-05"},
	} {
		a, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
		if err != nil || !a.Found || !strings.Contains(a.Text, tt.has) || a.Citations[0].Day() != tt.date {
			t.Errorf("%q: %+v, %v", tt.question, a, err)
		}
	}
	if rep := s.Ingest(t, seeds); rep.Changed() || rep.Unchanged != 2 {
		t.Errorf("re-ingest: %+v", rep)
	}
}

// testReuters ingests every 8th Reuters-21578 record (../shared) and asks a
// date-bound question.
func testReuters(t *testing.T, open Open) {
	if testing.Short() {
		t.Skip("a Reuters sample (-short)")
	}
	path, records := ReutersSubset(t, 8)
	s := New(t, open, 0)
	rep := s.Ingest(t, path)
	if rep.Added+len(rep.Rejected) != records || rep.Added < records*8/10 {
		t.Fatalf("ingested %d and rejected %d of %d records", rep.Added, len(rep.Rejected), records)
	}
	for _, r := range rep.Rejected {
		if r.Reason != "empty body" || r.Line == 0 {
			t.Errorf("unexpected rejection %v", r)
		}
	}
	s.Check(t)
	eng := s.Engine(time.Date(1987, 10, 20, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	a, err := eng.Ask(ctx, "What did the Bundesbank do in March 1987?", rag.AskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Found || len(a.Citations) == 0 {
		t.Fatalf("no answer: %s", a.Text)
	}
	for _, c := range a.Citations {
		if c.Date.Year() != 1987 || c.Date.Month() != time.March {
			t.Errorf("citation [%d] %s is dated %s, outside March 1987", c.N, c.Title, c.Day())
		}
	}
	srcs, _, err := eng.Sources(ctx, "Bundesbank in March 1987", rag.AskOptions{K: 10})
	if err != nil || len(srcs) == 0 {
		t.Fatalf("sources: %v, %v", srcs, err)
	}
	for _, src := range srcs {
		if src.Date.Month() != time.March {
			t.Errorf("source %s dated %s", src.Title, src.Day())
		}
	}
	rep = s.Ingest(t, path)
	if rep.Changed() || rep.Unchanged != records-len(rep.Rejected) {
		t.Fatalf("second ingest: %+v", rep)
	}
}
