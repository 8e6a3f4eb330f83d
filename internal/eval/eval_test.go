package eval

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/sharedtest"
)

// TestSQuADRegression asks 300 SQuAD v1.1 dev questions in each mode and
// fails when a figure falls below its floor: a little under what the
// landed code measures (herald eval squad --limit 300 --seed 1 --unanswerable
// gives hybrid 0.810 / 0.933 / 0.977, best sentence 0.743, whole answer 0.850,
// no answer 0.010, and answers 0.46 of the questions whose page is left out
// of the index, 0.63 before answers checked the question's names).
func TestSQuADRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("300 SQuAD questions (-short)")
	}
	ds, err := LoadSQuAD(sharedtest.Path(t, "datasets/squad-v1.1-dev/dev-v1.1.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Run(context.Background(), ds, Options{Limit: 300, Seed: 1, Unanswerable: true})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Questions != 300 || rep.Articles != 2067 {
		t.Fatalf("asked %d questions over %d articles", rep.Questions, rep.Articles)
	}
	floors := map[string]Mode{
		"bm25":   {RecallAt1: 0.79, RecallAt5: 0.92, RecallAt20: 0.96, MRR: 0.85, BestSentence: 0.72, WholeAnswer: 0.82},
		"vector": {RecallAt1: 0.51, RecallAt5: 0.71, RecallAt20: 0.85, MRR: 0.60, BestSentence: 0.59, WholeAnswer: 0.67},
		"hybrid": {RecallAt1: 0.78, RecallAt5: 0.92, RecallAt20: 0.96, MRR: 0.85, BestSentence: 0.71, WholeAnswer: 0.83},
	}
	// Vector search alone (a measuring mode, not served) more often finds
	// passages that never name what the question names; those are refused
	// since answers check names (answer.MissingNameCoverage): 0.063 here.
	maxNoAnswer := map[string]float64{"bm25": 0.01, "vector": 0.07, "hybrid": 0.01}
	if len(rep.Modes) != 3 {
		t.Fatalf("%d modes measured", len(rep.Modes))
	}
	for _, m := range rep.Modes {
		f := floors[m.Retrieval]
		t.Logf("%s: R@1 %.3f R@5 %.3f R@20 %.3f MRR %.3f best %.3f whole %.3f none %.3f", m.Retrieval,
			m.RecallAt1, m.RecallAt5, m.RecallAt20, m.MRR, m.BestSentence, m.WholeAnswer, m.NoAnswer)
		checks := []struct {
			name       string
			got, floor float64
		}{
			{"recall@1", m.RecallAt1, f.RecallAt1},
			{"recall@5", m.RecallAt5, f.RecallAt5},
			{"recall@20", m.RecallAt20, f.RecallAt20},
			{"MRR", m.MRR, f.MRR},
			{"best sentence", m.BestSentence, f.BestSentence},
			{"whole answer", m.WholeAnswer, f.WholeAnswer},
		}
		for _, c := range checks {
			if c.got < c.floor {
				t.Errorf("%s %s = %.3f, below the floor %.3f", m.Retrieval, c.name, c.got, c.floor)
			}
		}
		if m.NoAnswer > maxNoAnswer[m.Retrieval] {
			t.Errorf("%s no-answer rate %.3f, above %.3f", m.Retrieval, m.NoAnswer, maxNoAnswer[m.Retrieval])
		}
	}
	// The short answers of the pages the embedded Reader was not trained
	// on: 0.386 / 0.461 on this sample, 0.362 / 0.458 on all of them.
	if r := rep.Reader; r.HeldOutEM < 0.28 || r.HeldOutF1 < 0.38 {
		t.Errorf("short answers given the gold paragraph, pages not trained on: EM %.3f F1 %.3f, want at least 0.28 / 0.38", r.HeldOutEM, r.HeldOutF1)
	} else {
		t.Logf("reader, pages not trained on: EM %.3f F1 %.3f", r.HeldOutEM, r.HeldOutF1)
	}
	// The other side of a low no-answer rate: questions the index cannot
	// answer must not all be answered.
	if u := rep.Unanswerable; u == nil || u.Questions < 100 || u.Answered > 0.55 {
		t.Errorf("unanswerable questions: %+v, want at most 0.55 answered", rep.Unanswerable)
	} else {
		t.Logf("unanswerable: %d questions, %.3f answered", u.Questions, u.Answered)
	}
}

func TestContainsAny(t *testing.T) {
	tests := []struct {
		text    string
		answers []string
		want    bool
	}{
		{"It was founded in 1852 and named after Queen Victoria.", []string{"1852"}, true},
		{"The Denver Broncos won.", []string{"Denver Broncos"}, true},
		{"the denver broncos, won", []string{"The Denver Broncos!"}, true},
		{"It cost 18520 dollars.", []string{"1852"}, false},
		{"Newcastle upon Tyne", []string{"Newcastle."}, true},
		{"nothing here", []string{"the"}, false},
		{"€5,000 annually", []string{"€5,000"}, true},
	}
	for _, tt := range tests {
		if got := ContainsAny(tt.text, tt.answers); got != tt.want {
			t.Errorf("ContainsAny(%q, %q) = %v, want %v", tt.text, tt.answers, got, tt.want)
		}
	}
}

func TestAnswerSentences(t *testing.T) {
	got := AnswerSentences("First one. [1] Second [2] one. [2] Third. [10]")
	want := []string{"First one.", "Second", "one.", "Third."}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestSampleIsSeededAndStable(t *testing.T) {
	var items []Item
	for i := 0; i < 100; i++ {
		items = append(items, Item{ID: string(rune('a'+i%26)) + strings.Repeat("x", i/26)})
	}
	a, b := Sample(items, 10, 7), Sample(items, 10, 7)
	c := Sample(items, 10, 8)
	if len(a) != 10 || len(Sample(items, 0, 7)) != 100 || len(Sample(items, 500, 7)) != 100 {
		t.Fatalf("sizes %d %d %d", len(a), len(Sample(items, 0, 7)), len(Sample(items, 500, 7)))
	}
	same := func(x, y []Item) bool {
		for i := range x {
			if x[i].ID != y[i].ID {
				return false
			}
		}
		return true
	}
	if !same(a, b) || same(a, c) {
		t.Errorf("seed 7 twice: %v; seed 8 differs: %v", same(a, b), !same(a, c))
	}
}

func TestLoadSQuADErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, content, want string }{
		{"bad.json", "{not json", "parsing SQuAD file"},
		{"empty.json", `{"version":"1.1","data":[]}`, "no questions"},
		{"blank.json", `{"data":[{"title":"T","paragraphs":[{"context":"  ","qas":[]}]}]}`, "data[0].paragraphs[0].context: empty paragraph"},
		{"noanswer.json", `{"data":[{"title":"T","paragraphs":[{"context":"Text.","qas":[{"id":"q1","question":"Why?","answers":[]}]}]}]}`, "qas[0] (q1)"},
	}
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSQuAD(path)
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.name) {
			t.Errorf("%s: error %v, want one naming the file and %q", tt.name, err, tt.want)
		}
	}
	if _, err := LoadSQuAD(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestRunOnASmallSet checks the figures on a set small enough to work out
// by hand.
func TestRunOnASmallSet(t *testing.T) {
	ds := smallSet()
	rep, err := Run(context.Background(), ds, Options{Retrievals: []rag.Retrieval{rag.KeywordsOnly}, Unanswerable: true})
	if err != nil {
		t.Fatal(err)
	}
	m := rep.Modes[0]
	if rep.Questions != 3 || m.RecallAt1 != 1 || m.MRR != 1 || m.BestSentence != 1 || m.WholeAnswer != 1 || m.NoAnswer != 0 {
		t.Errorf("report %+v, mode %+v", rep, m)
	}
	// Pages 0 and 2 are indexed; the Tesla question of page 1 is not
	// answered from the museum or oxygen.
	if u := rep.Unanswerable; u == nil || u.Questions != 1 || u.Answered != 0 {
		t.Errorf("unanswerable: %+v", rep.Unanswerable)
	}
}

func smallSet() Dataset {
	path := filepath.Join(os.TempDir(), "unused")
	ds := Dataset{Name: "small"}
	paras := []struct{ title, body, q, a string }{
		{"Victoria and Albert Museum", "The Victoria and Albert Museum is in London. It was founded in 1852 and named after Queen Victoria and Prince Albert.", "In what year was the Victoria and Albert Museum founded?", "1852"},
		{"Nikola Tesla", "Tesla went to Maribor, where he worked as a draftsman for 60 florins a month.", "What did Tesla work as in Maribor?", "a draftsman"},
		{"Oxygen", "Oxygen is a chemical element with symbol O and atomic number 8.", "What is the atomic number of oxygen?", "8"},
	}
	for i, p := range paras {
		id := "small:" + string(rune('0'+i)) + ":0"
		ds.Articles = append(ds.Articles, article(id, p.title, p.body, path))
		ds.Items = append(ds.Items, Item{ID: id, Question: p.q, ArticleID: id, Answers: []string{p.a}})
	}
	return ds
}

func TestExactMatchAndF1(t *testing.T) {
	tests := []struct {
		prediction string
		golds      []string
		em, f1     float64
	}{
		{"the Denver Broncos", []string{"Denver Broncos"}, 1, 1},
		{"Broncos", []string{"Denver Broncos"}, 0, 2.0 / 3},
		{"Denver Broncos team", []string{"Carolina", "Denver Broncos"}, 0, 0.8},
		{"", []string{"1852"}, 0, 0},
		{"two two", []string{"two"}, 0, 2.0 / 3},
	}
	for _, tt := range tests {
		if em, f1 := ExactMatch(tt.prediction, tt.golds), F1(tt.prediction, tt.golds); em != tt.em || math.Abs(f1-tt.f1) > 1e-9 {
			t.Errorf("%q against %q: EM %v F1 %.3f, want %v %.3f", tt.prediction, tt.golds, em, f1, tt.em, tt.f1)
		}
	}
}
