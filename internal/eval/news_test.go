package eval

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/herald-news/herald/internal/sharedtest"
)

// TestNewsRegression asks every question of reuters-qa (263, each as of
// its day) and fails when a figure falls below its floor: a little under
// what the landed code measures (herald eval news gives answerable 0.808
// contains / 0.828 cited, latest 0.586 with 0.138 stale, paraphrase 0.458,
// unanswerable 0.462 refused, no citation after as_of).
func TestNewsRegression(t *testing.T) {
	if testing.Short() {
		t.Skip("263 news questions (-short)")
	}
	path := sharedtest.Path(t, "datasets/reuters-qa/questions.jsonl")
	qs, err := LoadNews(path)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunNews(context.Background(), NewsCorpus(path), qs)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Questions != 263 || rep.Articles != 19040 {
		t.Fatalf("asked %d questions over %d articles", rep.Questions, rep.Articles)
	}
	if rep.Late != 0 {
		t.Errorf("%d answers cite an article dated after the day they were asked as of", rep.Late)
	}
	for _, f := range []struct {
		kind           string
		contains, cite float64
	}{{"answerable", 0.79, 0.81}, {"latest", 0.55, 0.52}, {"paraphrase", 0.41, 0.41}, {"plain", 0.86, 0.89}} {
		k := rep.Kind(f.kind)
		if k.Contains < f.contains || k.Cited < f.cite {
			t.Errorf("%s: contains %.3f (floor %.2f), cited %.3f (floor %.2f)", f.kind, k.Contains, f.contains, k.Cited, f.cite)
		}
	}
	if k := rep.Kind("latest"); k.Stale > 0.17 {
		t.Errorf("latest: %.3f stale, ceiling 0.17", k.Stale)
	}
	if k := rep.Kind("unanswerable"); k.Refused < 0.45 {
		t.Errorf("unanswerable: %.3f refused, floor 0.45", k.Refused)
	}
}

func TestLoadNewsErrors(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"bad json":    "{not json}\n",
		"no as_of":    `{"id":"x","question":"q?","kind":"plain"}` + "\n",
		"no question": "\n\n",
	} {
		p := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".jsonl")
		os.WriteFile(p, []byte(content), 0o644)
		if _, err := LoadNews(p); err == nil || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
