package eval

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
)

// NewsQuestion is one question of a dated-news question set (reuters-qa):
// asked as of a day, with its gold answers and the articles that state
// them (none when it is unanswerable), its kind, and for "latest"
// questions the older values that had been true.
type NewsQuestion struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	AsOf     string   `json:"as_of"`
	Answers  []string `json:"answers"`
	Articles []string `json:"articles"`
	Kind     string   `json:"kind"`
	Stale    []string `json:"stale"`
}

// LoadNews reads a question set, one JSON object a line.
func LoadNews(path string) ([]NewsQuestion, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the news questions: %w", err)
	}
	defer f.Close()
	var qs []NewsQuestion
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		var q NewsQuestion
		if err := json.Unmarshal([]byte(line), &q); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if _, err := time.Parse(time.DateOnly, q.AsOf); err != nil || q.Question == "" || q.Kind == "" {
			return nil, fmt.Errorf("%s:%d: a question needs question, kind and as_of (YYYY-MM-DD)", path, n)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s holds no question", path)
	}
	return qs, nil
}

// NewsCorpus is where a question set's corpus lies: Reuters-21578 beside
// reuters-qa in the shared datasets.
func NewsCorpus(questions string) string {
	return filepath.Join(filepath.Dir(questions), "..", "reuters21578", "reuters21578.jsonl")
}

// NewsKind are the figures of one kind of question (or of all).
type NewsKind struct {
	Kind string `json:"kind"`
	N    int    `json:"n"`
	// Contains is the share of answers that contain a gold answer, Cited
	// the share that cite a gold article, Answered the share not refused
	// (answerable kinds); Refused the share refused (unanswerable); Stale
	// the share that give only an older value ("latest").
	Contains float64 `json:"contains,omitempty"`
	// Short is the share whose short answer alone holds a gold answer.
	Short    float64 `json:"short,omitempty"`
	Cited    float64 `json:"cited,omitempty"`
	Answered float64 `json:"answered,omitempty"`
	Refused  float64 `json:"refused,omitempty"`
	Stale    float64 `json:"stale,omitempty"`
}

// NewsReport holds the figures of a news run.
type NewsReport struct {
	Questions int        `json:"questions"`
	Articles  int        `json:"articles"`
	Kinds     []NewsKind `json:"kinds"`
	// Late counts the answers that cite an article dated after as_of.
	Late int `json:"late"`
	// P50MS and P99MS time Ask; Words is the mean answer length.
	P50MS float64 `json:"p50_ms"`
	P99MS float64 `json:"p99_ms"`
	Words float64 `json:"mean_answer_words"`
	// Answers are the outcome of each question, for calibrating the
	// refusal threshold on one half of the set and reporting on the other.
	Answers []NewsAnswer `json:"answers"`
}

// NewsAnswer is what one question got: whether it was answered, whether
// the answer holds a gold answer and cites a gold article, and the
// coverage its answer was decided on.
type NewsAnswer struct {
	ID       string  `json:"id"`
	Kind     string  `json:"kind"`
	Found    bool    `json:"found"`
	Right    bool    `json:"right"`
	Cited    bool    `json:"cited"`
	Coverage float64 `json:"coverage"`
	// Question, Answer and Short are what was asked and answered, to read
	// the failures.
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Short    string `json:"short_answer,omitempty"`
	Note     string `json:"note,omitempty"`
	// ShortRight is set when the short answer alone holds a gold answer.
	ShortRight bool `json:"short_right"`
}

// Kind returns the figures of one kind ("answerable" and "all" too).
func (r NewsReport) Kind(kind string) NewsKind {
	for _, k := range r.Kinds {
		if k.Kind == kind {
			return k
		}
	}
	return NewsKind{Kind: kind}
}

// newsKinds are the kinds, in the order they are reported.
var newsKinds = []string{"plain", "relative", "absolute", "latest", "paraphrase", "answerable", "unanswerable"}

// RunNews builds corpus (a JSON Lines file of dated articles) into an
// index in memory and asks every question as of its day, as a user would
// (`herald ask --as-of`), scoring as reuters-qa's score.py does: an answer
// is right when one of the gold answers occurs in it, lower-cased and with
// punctuation ignored.
func RunNews(ctx context.Context, corpusPath string, qs []NewsQuestion) (NewsReport, error) {
	mem, _, err := library.InMemory(ctx, library.Config{}, nil)
	if err != nil {
		return NewsReport{}, err
	}
	if _, err := mem.Ingest(ctx, []string{corpusPath}); err != nil {
		return NewsReport{}, fmt.Errorf("indexing %s: %w", corpusPath, err)
	}
	st, err := mem.Archive().Stats(ctx)
	if err != nil {
		return NewsReport{}, err
	}
	eng := rag.New(mem.Archive(), mem.Embedder(), rag.Options{})
	return scoreNews(ctx, eng, qs, st.Articles)
}

// scoreNews asks the questions of qs and scores the answers.
func scoreNews(ctx context.Context, eng *rag.Engine, qs []NewsQuestion, articles int) (NewsReport, error) {
	type tally struct{ n, contains, short, cited, answered, refused, stale int }
	tallies := map[string]*tally{}
	for _, k := range newsKinds {
		tallies[k] = &tally{}
	}
	rep := NewsReport{Questions: len(qs), Articles: articles}
	var lat []time.Duration
	words := 0
	for _, q := range qs {
		asOf, _ := time.Parse(time.DateOnly, q.AsOf)
		start := time.Now()
		a, err := eng.Ask(ctx, q.Question, rag.AskOptions{AsOf: asOf})
		lat = append(lat, time.Since(start))
		if err != nil {
			return rep, fmt.Errorf("asking %s: %w", q.ID, err)
		}
		words += len(strings.Fields(a.Text))
		found := a.Found && len(a.Citations) > 0
		for _, c := range a.Citations {
			if c.Day() > q.AsOf {
				rep.Late++
				break
			}
		}
		kinds := []string{q.Kind}
		if q.Kind != "unanswerable" {
			kinds = append(kinds, "answerable")
		}
		text := newsNorm(a.Text)
		right := containsNews(text, q.Answers)
		cited := slices.ContainsFunc(a.Citations, func(c rag.Citation) bool { return slices.Contains(q.Articles, c.ArticleID) })
		stale := !right && containsNews(text, q.Stale)
		shortRight := a.Short != "" && containsNews(newsNorm(a.Short), q.Answers)
		rep.Answers = append(rep.Answers, NewsAnswer{ID: q.ID, Kind: q.Kind, Found: found, Right: right, Cited: cited, Coverage: a.Coverage,
			Question: q.Question, Answer: a.Text, Short: a.Short, Note: a.Note, ShortRight: shortRight})
		for _, k := range kinds {
			t := tallies[k]
			if t == nil {
				t = &tally{}
				tallies[k] = t
			}
			t.n++
			if q.Kind == "unanswerable" {
				if !found {
					t.refused++
				}
				continue
			}
			if right {
				t.contains++
			}
			if shortRight {
				t.short++
			}
			if cited {
				t.cited++
			}
			if found {
				t.answered++
			}
			if stale {
				t.stale++
			}
		}
	}
	share := func(a, n int) float64 {
		if n == 0 {
			return 0
		}
		return float64(a) / float64(n)
	}
	for _, k := range newsKinds {
		t := tallies[k]
		if t.n == 0 {
			continue
		}
		nk := NewsKind{Kind: k, N: t.n}
		if k == "unanswerable" {
			nk.Refused = share(t.refused, t.n)
		} else {
			nk.Contains, nk.Cited, nk.Answered = share(t.contains, t.n), share(t.cited, t.n), share(t.answered, t.n)
			nk.Short = share(t.short, t.n)
			if k == "latest" {
				nk.Stale = share(t.stale, t.n)
			}
		}
		rep.Kinds = append(rep.Kinds, nk)
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	rep.P50MS, rep.P99MS = ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100])
	rep.Words = float64(words) / float64(len(qs))
	return rep, nil
}

// newsWord is what score.py keeps of text: runs of lower-case letters and
// digits.
var newsWord = regexp.MustCompile(`[a-z0-9]+`)

// newsNorm normalises text as reuters-qa's score.py does.
func newsNorm(s string) string {
	return strings.Join(newsWord.FindAllString(strings.ToLower(s), -1), " ")
}

// containsNews reports whether normalised text holds one of the answers,
// normalised, as score.py compares them.
func containsNews(text string, answers []string) bool {
	for _, a := range answers {
		if n := newsNorm(a); n != "" && strings.Contains(text, n) {
			return true
		}
	}
	return false
}
