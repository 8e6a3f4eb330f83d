package embedded

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/ingest"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// local is what the tests' archives are built with.
var local = embed.NewLocal(0)

func localOptions() Options {
	return Options{Embedder: local.Name(), Dimension: local.Dimension()}
}

// newsArchive ingests the news corpus into a new archive, and returns it
// with its corpus directory.
func newsArchive(t *testing.T) (*Archive, string) {
	t.Helper()
	a := New(localOptions())
	dir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	if _, err := ingest.New(a, local, 0).Files(context.Background(), []string{dir}, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	return a, dir
}

// reload saves a to a snapshot, opens it back and checks its integrity.
func reload(t *testing.T, a *Archive) *Archive {
	t.Helper()
	path := filepath.Join(t.TempDir(), SnapshotFile)
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	loaded, err := Open(context.Background(), path, localOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := loaded.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	return loaded
}

func TestSnapshotRoundTrip(t *testing.T) {
	ctx := context.Background()
	a, dir := newsArchive(t)
	loaded := reload(t, a)
	s1, _ := a.Stats(ctx)
	s2, _ := loaded.Stats(ctx)
	if s1 != s2 {
		t.Fatalf("stats differ: %+v vs %+v", s1, s2)
	}
	for _, q := range []string{"Bundesbank discount rate", "trade between Russia and China", "cocoa"} {
		r1, _ := retrieve.New(a, local).Search(ctx, q, retrieve.Options{})
		r2, _ := retrieve.New(loaded, local).Search(ctx, q, retrieve.Options{})
		if len(r1.Passages) == 0 || len(r1.Passages) != len(r2.Passages) {
			t.Fatalf("%q: %d vs %d passages", q, len(r1.Passages), len(r2.Passages))
		}
		for i := range r1.Passages {
			if r1.Passages[i].ChunkID != r2.Passages[i].ChunkID || r1.Passages[i].Score != r2.Passages[i].Score {
				t.Errorf("%q: passage %d differs after reload: %s vs %s", q, i, r1.Passages[i].ChunkID, r2.Passages[i].ChunkID)
			}
		}
	}
	// A re-ingest of a loaded archive finds everything unchanged.
	rep, err := ingest.New(loaded, local, 0).Files(ctx, []string{dir}, ingest.Options{})
	if err != nil || rep.Unchanged != 5 || rep.Changed() {
		t.Fatalf("re-ingest after load: %+v, %v", rep, err)
	}
	// Sync writes to where the archive was opened from.
	if err := loaded.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	a, _ := newsArchive(t)
	path := filepath.Join(t.TempDir(), SnapshotFile)
	if err := a.Save(path); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)

	if _, err := Open(ctx, filepath.Join(t.TempDir(), "none"), localOptions()); !errors.Is(err, store.ErrEmpty) {
		t.Errorf("missing snapshot: %v", err)
	}
	var mismatch *MismatchError
	other := embed.NewLocal(128)
	if _, err := Open(ctx, path, Options{Embedder: other.Name(), Dimension: other.Dimension()}); !errors.As(err, &mismatch) {
		t.Errorf("other embedder: %v", err)
	}
	opts := localOptions()
	opts.ChunkWords = 77
	if _, err := Open(ctx, path, opts); !errors.As(err, &mismatch) || !strings.Contains(err.Error(), "chunks of 200 words but 77") {
		t.Errorf("other chunk length: %v", err)
	}
	damaged := map[string][]byte{
		"truncated":   good[:len(good)/2],
		"flipped bit": append(append([]byte{}, good[:100]...), append([]byte{good[100] ^ 1}, good[101:]...)...),
		"a flipped vector bit": func() []byte {
			b := bytes.Clone(good)
			b[len(b)*3/4] ^= 0x10
			return b
		}(),
		"empty":    {},
		"not ours": []byte("hello world, this is not an index file at all"),
	}
	for name, data := range damaged {
		os.WriteFile(path, data, 0o644)
		var d *DamagedError
		if _, err := Open(ctx, path, localOptions()); !errors.As(err, &d) {
			t.Errorf("%s: %v", name, err)
		}
	}
	future := bytes.Clone(good)
	future[len(snapshotMagic)] = 9
	os.WriteFile(path, future, 0o644)
	var v *VersionError
	if _, err := Open(ctx, path, localOptions()); !errors.As(err, &v) || v.Version != 9 {
		t.Errorf("a future version: %v", err)
	}
}

// TestVersion2SnapshotsStillLoad opens a snapshot written by the Herald
// before this one (testdata/v2.herald, the news corpus): it loads, checks,
// answers, and is written back as version 3.
func TestVersion2SnapshotsStillLoad(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile("testdata/v2.herald")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), SnapshotFile)
	os.WriteFile(path, data, 0o644)
	a, err := Open(ctx, path, localOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Check(ctx); err != nil {
		t.Fatal(err)
	}
	fresh, _ := newsArchive(t)
	for _, q := range []string{"Bundesbank discount rate", "trade between Russia and China"} {
		r1, _ := retrieve.New(a, local).Search(ctx, q, retrieve.Options{})
		r2, _ := retrieve.New(fresh, local).Search(ctx, q, retrieve.Options{})
		if len(r1.Passages) == 0 || fmt.Sprint(ids(r1.Passages)) != fmt.Sprint(ids(r2.Passages)) {
			t.Errorf("%q: %v from the old snapshot, %v from a fresh ingest", q, ids(r1.Passages), ids(r2.Passages))
		}
	}
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(path); b[len(snapshotMagic)] != snapshotVersion {
		t.Errorf("written back as version %d", b[len(snapshotMagic)])
	}
	if _, err := Open(ctx, path, localOptions()); err != nil {
		t.Fatal(err)
	}
}

func ids(ps []retrieve.Passage) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.ChunkID)
	}
	return out
}

func TestFailedSaveKeepsThePreviousSnapshot(t *testing.T) {
	ctx := context.Background()
	a, _ := newsArchive(t)
	data := t.TempDir()
	path := filepath.Join(data, SnapshotFile)
	if err := a.Save(path); err != nil {
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
	a.mu.RLock()
	err := a.saveLocked(path, readOnly)
	a.mu.RUnlock()
	if err == nil || !strings.Contains(err.Error(), "saving the index") {
		t.Fatalf("save with a failing writer: %v", err)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Fatal("a failed save changed the snapshot")
	}
	if left, _ := filepath.Glob(filepath.Join(data, "*.tmp-*")); len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
	if _, err := Open(ctx, path, localOptions()); err != nil {
		t.Fatalf("previous snapshot no longer loads: %v", err)
	}
}

// TestSnapshotStoresTheLexicon checks that the postings read from a snapshot
// are exactly those analysing the text again gives, after updates and
// removals have left holes and out-of-order slots.
func TestSnapshotStoresTheLexicon(t *testing.T) {
	ctx := context.Background()
	a, dir := newsArchive(t)
	os.Remove(filepath.Join(dir, "cocoa.md"))
	os.WriteFile(filepath.Join(dir, "trade.txt"), []byte(storetest.SeedArticle("2026-02-04", "https://example.org/trade", "Russia and China Trade Tops $200 Billion",
		"Trade between Russia and China rose again, customs data showed. Energy trade led the rise.")), 0o644)
	if rep, err := ingest.New(a, local, 0).Files(ctx, []string{dir}, ingest.Options{}); err != nil || rep.Removed != 1 || rep.Updated != 1 {
		t.Fatalf("second ingest: %+v, %v", rep, err)
	}
	loaded := reload(t, a)
	stored, rebuilt := loaded.lex, indexTerms(loaded)
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

func TestReadLexiconRejectsDamage(t *testing.T) {
	l := newLexicon()
	l.add(0, []string{"trade", "russia", "trade"})
	l.add(1, []string{"china"})
	var buf bytes.Buffer
	if err := l.writeTo(&buf, []int32{0, 1}, 2); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	if _, err := readLexicon(bytes.NewReader(good), 2); err != nil {
		t.Fatalf("good section: %v", err)
	}
	for name, b := range map[string][]byte{
		"truncated":   good[:len(good)-1],
		"other count": good,
		"empty":       nil,
		"a zero tf":   bytes.Replace(bytes.Clone(good), []byte{'t', 'r', 'a', 'd', 'e', 1, 0, 2}, []byte{'t', 'r', 'a', 'd', 'e', 1, 0, 0}, 1),
	} {
		docs := 2
		if name == "other count" {
			docs = 3
		}
		if _, err := readLexicon(bytes.NewReader(b), docs); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
