package rag

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCorpus writes files (name → content) under a new temp directory.
func writeCorpus(t testing.TB, files map[string]string) string {
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

func seedArticle(date, url, title, body string) string {
	return fmt.Sprintf("date %s %s\n\n%s\n\n%s\n", date, url, title, body)
}

// newsCorpus is a small dated corpus on several topics.
func newsCorpus() map[string]string {
	return map[string]string{
		"trade.txt": seedArticle("2026-02-04", "https://example.org/trade", "Russia and China Trade Tops $200 Billion",
			"Trade between Russia and China has been above the $200 billion mark for three years in a row, Putin said. Energy cooperation is strategic, he added."),
		"plan.txt": seedArticle("2026-02-05", "https://example.org/plan", "Xi Outlines Five-Year Plan",
			"This year marks the beginning of China's 15th Five-Year Plan period, Xi said. China will expand its high-level opening up."),
		"cocoa.md": "---\ntitle: Cocoa Rains Help Bahia Crop\ndate: 1987-02-26\n---\nShowers continued throughout the week in the Bahia cocoa zone, improving prospects for the temporao crop. Arrivals were 155,221 bags.\n",
		"bank.jsonl": `{"id":"bb-1","title":"Bundesbank Leaves Rates Unchanged","date":"1987-03-05","body":"The Bundesbank left its discount rate unchanged at 3.0 pct on Thursday, a central bank spokesman said."}` + "\n" +
			`{"id":"bb-2","title":"Bundesbank Buys Dollars","date":"1987-04-02","body":"The Bundesbank bought dollars against yen in the open market, dealers said."}` + "\n",
	}
}

func TestIngestIsIncrementalAndIdempotent(t *testing.T) {
	ctx := context.Background()
	dir := writeCorpus(t, newsCorpus())
	ix := NewIndex(IndexOptions{})
	rep, err := ix.Ingest(ctx, []string{dir}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 5 || rep.Updated+rep.Unchanged+rep.Removed != 0 || len(rep.Rejected) != 0 || rep.Files != 4 {
		t.Fatalf("first ingest: %+v", rep)
	}
	chunks := ix.Stats().Chunks

	rep, err = ix.Ingest(ctx, []string{dir}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Unchanged != 5 || rep.Added+rep.Updated+rep.Removed != 0 || rep.ChunksEmbedded != 0 || ix.Stats().Chunks != chunks {
		t.Fatalf("second ingest added something: %+v", rep)
	}

	// Change one article, delete another, add a third.
	os.WriteFile(filepath.Join(dir, "trade.txt"), []byte(seedArticle("2026-02-04", "https://example.org/trade", "Russia and China Trade Tops $200 Billion",
		"Trade between Russia and China passed $200 billion again, Putin said.")), 0o644)
	os.Remove(filepath.Join(dir, "cocoa.md"))
	os.WriteFile(filepath.Join(dir, "visa.txt"), []byte(seedArticle("2026-02-06", "https://example.org/visa", "Visa-Free Travel", "Russians can now visit China without a visa.")), 0o644)
	rep, err = ix.Ingest(ctx, []string{dir}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Updated != 1 || rep.Removed != 1 || rep.Unchanged != 3 {
		t.Fatalf("third ingest: %+v", rep)
	}
	if st := ix.Stats(); st.Articles != 5 {
		t.Fatalf("articles = %d, want 5", st.Articles)
	}
	if a, ok := ix.Article("https://example.org/trade"); !ok || !strings.Contains(a.Body, "passed $200 billion") {
		t.Errorf("the changed article was not replaced: %+v", a)
	}
	if err := ix.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestIngestKeepsArticlesOfUnreadableFiles(t *testing.T) {
	ctx := context.Background()
	dir := writeCorpus(t, newsCorpus())
	ix := NewIndex(IndexOptions{})
	if _, err := ix.Ingest(ctx, []string{dir}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	// A record of the JSONL file turns bad: the file's other articles stay,
	// and so does the old version of the bad one.
	os.WriteFile(filepath.Join(dir, "bank.jsonl"), []byte(`{"id":"bb-1","title":"x","date":"nope","body":"x"}`+"\n"), 0o644)
	rep, err := ix.Ingest(ctx, []string{dir}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Removed != 0 || len(rep.Rejected) != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if _, ok := ix.Article("bb-2"); !ok {
		t.Error("an article of a file with a rejected record was removed")
	}
	// A root that does not exist removes nothing.
	rep, err = ix.Ingest(ctx, []string{filepath.Join(dir, "gone")}, IngestOptions{})
	if err != nil || rep.Removed != 0 || len(rep.Rejected) != 1 {
		t.Fatalf("missing root: %+v, %v", rep, err)
	}
}

func TestDuplicateIDsAreRejected(t *testing.T) {
	dir := writeCorpus(t, map[string]string{
		"a.jsonl": `{"id":"x","title":"A","date":"2026-01-01","body":"One."}` + "\n" + `{"id":"x","title":"B","date":"2026-01-02","body":"Two."}` + "\n",
	})
	ix := NewIndex(IndexOptions{})
	rep, err := ix.Ingest(context.Background(), []string{dir}, IngestOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || len(rep.Rejected) != 1 || !strings.Contains(rep.Rejected[0].Error(), `a.jsonl:2: id: duplicate article ID "x"`) {
		t.Fatalf("report: %+v %v", rep, rep.Rejected)
	}
}

func TestSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := writeCorpus(t, newsCorpus())
	ix := NewIndex(IndexOptions{})
	if _, err := ix.Ingest(ctx, []string{dir}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	loaded := reload(t, ix)
	if a, b := ix.Stats(), loaded.Stats(); a != b {
		t.Fatalf("stats differ: %+v vs %+v", a, b)
	}
	for _, q := range []string{"Bundesbank discount rate", "trade between Russia and China", "cocoa"} {
		p1, _ := ix.Search(ctx, q, SearchOptions{})
		p2, _ := loaded.Search(ctx, q, SearchOptions{})
		if len(p1) == 0 || len(p1) != len(p2) {
			t.Fatalf("%q: %d vs %d passages", q, len(p1), len(p2))
		}
		for i := range p1 {
			if p1[i].ChunkID != p2[i].ChunkID || p1[i].Score != p2[i].Score {
				t.Errorf("%q: passage %d differs after reload: %s vs %s", q, i, p1[i].ChunkID, p2[i].ChunkID)
			}
		}
	}
	// A re-ingest of a loaded index finds everything unchanged.
	rep, err := loaded.Ingest(ctx, []string{dir}, IngestOptions{})
	if err != nil || rep.Unchanged != 5 || rep.Changed() {
		t.Fatalf("re-ingest after load: %+v, %v", rep, err)
	}
}

func TestLoadErrors(t *testing.T) {
	ctx := context.Background()
	ix := NewIndex(IndexOptions{})
	if _, err := ix.IngestArticles(ctx, nil); err != nil {
		t.Fatal(err)
	}
	dir := writeCorpus(t, newsCorpus())
	if _, err := ix.Ingest(ctx, []string{dir}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), SnapshotFile)
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)

	if _, err := Load(ctx, filepath.Join(t.TempDir(), "none"), IndexOptions{}); !errors.Is(err, ErrNoIndex) {
		t.Errorf("missing snapshot: %v", err)
	}
	var mismatch *EmbedderMismatchError
	_, err := Load(ctx, path, IndexOptions{Embedder: NewLocalEmbedder(128)})
	if !errors.As(err, &mismatch) || !strings.Contains(err.Error(), "--reindex") {
		t.Errorf("other embedder: %v", err)
	}
	damaged := map[string][]byte{
		"truncated":   good[:len(good)/2],
		"flipped bit": append(append([]byte{}, good[:100]...), append([]byte{good[100] ^ 1}, good[101:]...)...),
		"empty":       {},
		"not ours":    []byte("hello world, this is not an index file at all"),
	}
	for name, data := range damaged {
		os.WriteFile(path, data, 0o644)
		if _, err := Load(ctx, path, IndexOptions{}); err == nil || !strings.Contains(err.Error(), "damaged") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// failingFile wraps the snapshot temp file and fails after n bytes, as a
// full disk would.
func TestFailedSaveKeepsThePreviousSnapshot(t *testing.T) {
	ctx := context.Background()
	dir := writeCorpus(t, newsCorpus())
	ix := NewIndex(IndexOptions{})
	if _, err := ix.Ingest(ctx, []string{dir}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	path := filepath.Join(data, SnapshotFile)
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	// The temp file is opened read-only, so every write fails.
	readOnly := func(dir, pattern string) (*os.File, error) {
		f, err := os.CreateTemp(dir, pattern)
		if err != nil {
			return nil, err
		}
		name := f.Name()
		f.Close()
		return os.Open(name)
	}
	ix.mu.RLock()
	err := ix.saveLocked(path, readOnly)
	ix.mu.RUnlock()
	if err == nil || !strings.Contains(err.Error(), "saving index") {
		t.Fatalf("save with a failing writer: %v", err)
	}
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Fatal("a failed save changed the snapshot")
	}
	if left, _ := filepath.Glob(filepath.Join(data, "*.tmp-*")); len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
	if _, err := Load(ctx, path, IndexOptions{}); err != nil {
		t.Fatalf("previous snapshot no longer loads: %v", err)
	}
}

func TestSearchHonoursDatesAndCaps(t *testing.T) {
	ctx := context.Background()
	files := newsCorpus()
	var long strings.Builder
	for i := 0; i < 60; i++ {
		fmt.Fprintf(&long, "The Bundesbank said its council met for the %dth time about money supply targets. ", i)
	}
	files["long.txt"] = seedArticle("1987-03-20", "https://example.org/long", "Bundesbank Council Meets Again", long.String())
	ix := NewIndex(IndexOptions{ChunkWords: 60})
	if _, err := ix.Ingest(ctx, []string{writeCorpus(t, files)}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	march := Period{From: time.Date(1987, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(1987, 3, 31, 0, 0, 0, 0, time.UTC)}
	ps, err := ix.Search(ctx, "Bundesbank", SearchOptions{Period: march, K: 10, PerArticle: 2})
	if err != nil {
		t.Fatal(err)
	}
	perArticle := map[string]int{}
	for _, p := range ps {
		if !march.Contains(p.Date) {
			t.Errorf("passage from %s outside %v", p.Date.Format(time.DateOnly), march)
		}
		perArticle[p.ArticleID]++
	}
	if perArticle["https://example.org/long"] != 2 || perArticle["bb-1"] != 1 || len(perArticle) != 2 {
		t.Errorf("passages per article: %v", perArticle)
	}
	// Recency puts the newest matching article first.
	ps, _ = ix.Search(ctx, "Bundesbank", SearchOptions{Recent: true, PerArticle: 1})
	if len(ps) == 0 || ps[0].ArticleID != "bb-2" {
		t.Errorf("recent search starts with %+v", ps)
	}
}

func TestIngestNeverRemovesWhatItCouldNotRead(t *testing.T) {
	ctx := context.Background()
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
			for name, content := range newsCorpus() {
				path := filepath.Join(news, name)
				if name == "trade.txt" { // one article is a link to a file elsewhere
					path = filepath.Join(dir, "target", name)
					if err := os.Symlink(path, filepath.Join(news, name)); err != nil {
						t.Skip("no symbolic links here:", err)
					}
				}
				os.WriteFile(path, []byte(content), 0o644)
			}
			ix := NewIndex(IndexOptions{})
			rep, err := ix.Ingest(ctx, []string{news}, IngestOptions{})
			if err != nil || rep.Added != 5 {
				t.Fatalf("first ingest: %+v, %v", rep, err)
			}
			root := tt.change(t, dir)
			rep, err = ix.Ingest(ctx, []string{root}, IngestOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Removed != 0 || rep.Unchanged != tt.unchanged || rep.Relocated != tt.relocated || len(rep.Rejected) != tt.rejected {
				t.Errorf("report: %+v %v", rep, rep.Rejected)
			}
			if n := ix.Stats().Articles; n != 5 {
				t.Errorf("%d articles left, want 5", n)
			}
			if tt.relocated > 0 && !rep.Changed() {
				t.Error("moved articles do not count as a change to save")
			}
		})
	}
}

// TestSnapshotStoresTheLexicon checks that the postings read from a snapshot
// are exactly those analysing the text again gives, after updates and
// removals have left holes and out-of-order slots.
func TestSnapshotStoresTheLexicon(t *testing.T) {
	ctx := context.Background()
	files := newsCorpus()
	dir := writeCorpus(t, files)
	ix := NewIndex(IndexOptions{})
	if _, err := ix.Ingest(ctx, []string{dir}, IngestOptions{}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(dir, "cocoa.md"))
	os.WriteFile(filepath.Join(dir, "trade.txt"), []byte(seedArticle("2026-02-04", "https://example.org/trade", "Russia and China Trade Tops $200 Billion",
		"Trade between Russia and China rose again, customs data showed. Energy trade led the rise.")), 0o644)
	if rep, err := ix.Ingest(ctx, []string{dir}, IngestOptions{}); err != nil || rep.Removed != 1 || rep.Updated != 1 {
		t.Fatalf("second ingest: %+v, %v", rep, err)
	}
	loaded := reload(t, ix)
	stored := loaded.lex
	loaded.lex = newLexicon()
	loaded.indexTermsParallel()
	rebuilt := loaded.lex
	if stored.live != rebuilt.live || stored.totalLen != rebuilt.totalLen || fmt.Sprint(stored.docLen) != fmt.Sprint(rebuilt.docLen) {
		t.Fatalf("stored lexicon: %d chunks, %d terms long; rebuilt: %d, %d", stored.live, stored.totalLen, rebuilt.live, rebuilt.totalLen)
	}
	if len(stored.postings) != len(rebuilt.postings) {
		t.Fatalf("%d terms stored, %d rebuilt", len(stored.postings), len(rebuilt.postings))
	}
	for term, ps := range rebuilt.postings {
		if fmt.Sprint(stored.postings[term]) != fmt.Sprint(ps) {
			t.Errorf("%q: stored %v, rebuilt %v", term, stored.postings[term], ps)
		}
	}
	if _, ok := stored.postings["cocoa"]; ok {
		t.Error("the removed article's terms were saved")
	}
}

func TestDecodeLexiconRejectsDamage(t *testing.T) {
	l := newLexicon()
	l.add(0, []string{"trade", "russia", "trade"})
	l.add(1, []string{"china"})
	good := l.encode([]int32{0, 1}, 2)
	if _, err := decodeLexicon(good, 2); err != nil {
		t.Fatalf("good section: %v", err)
	}
	for name, b := range map[string][]byte{
		"truncated":   good[:len(good)-1],
		"extra bytes": append(append([]byte{}, good...), 0),
		"other count": good,
		"empty":       nil,
	} {
		docs := 2
		if name == "other count" {
			docs = 3
		}
		if _, err := decodeLexicon(b, docs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// encodeRaw writes a lexicon section with the given chunk lengths and one
// term whose postings are (doc delta, tf) pairs, valid or not.
func (l *lexicon) encodeRaw(t *testing.T, lens []int32, term string, postings [][2]uint64) []byte {
	t.Helper()
	out := binary.AppendUvarint(nil, uint64(len(lens)))
	for _, n := range lens {
		out = binary.AppendUvarint(out, uint64(n))
	}
	out = binary.AppendUvarint(out, 1)
	out = binary.AppendUvarint(out, uint64(len(term)))
	out = append(out, term...)
	out = binary.AppendUvarint(out, uint64(len(postings)))
	for _, p := range postings {
		out = binary.AppendUvarint(out, p[0])
		out = binary.AppendUvarint(out, p[1])
	}
	return out
}

// reload saves ix to a snapshot, loads it back and checks its integrity.
func reload(t *testing.T, ix *Index) *Index {
	t.Helper()
	path := filepath.Join(t.TempDir(), SnapshotFile)
	if err := ix.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(context.Background(), path, IndexOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Check(); err != nil {
		t.Fatal(err)
	}
	return loaded
}
