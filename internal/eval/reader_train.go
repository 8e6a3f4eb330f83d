package eval

import (
	"context"
	"fmt"

	"github.com/herald-news/herald/internal/rag/answer"
)

// ReaderTraining is a Reader trained on the questions of SQuAD's even
// pages, with its figures on the odd pages', which it never saw.
type ReaderTraining struct {
	Fit answer.ReaderFit `json:"fit"`
	// HeldOut is the number of questions of the odd pages; EM and F1 score
	// the reader's best span against their gold answers, and Ceiling is
	// the share of them that some span of the lines read answers exactly.
	HeldOut int     `json:"held_out"`
	EM      float64 `json:"short_em"`
	F1      float64 `json:"short_f1"`
	Ceiling float64 `json:"ceiling"`
	// Weights are the learnt feature weights (what Herald embeds).
	Weights map[string]float64 `json:"-"`
}

// ReaderEpochs is how many passes training makes: on SQuAD v1.1 dev's odd
// pages, 3 passes over the even pages' questions read best (2: EM 0.375,
// 3: 0.378, 5: 0.370, 8: 0.350, as the features stood when measured).
const ReaderEpochs = 3

// ReaderMinCount is how many spans a feature must be seen on to be kept:
// on the odd pages, 5 read EM / F1 0.405 / 0.522 with 516k features, 20
// 0.404 / 0.519 with 111k, 50 0.399 / 0.518 with 47k.
const ReaderMinCount = 20

// TrainReader trains a Reader on the gold paragraphs of the even pages'
// questions and scores it on the odd pages'. The lines of each question
// are those Herald's answerer would read its short answer from.
func TrainReader(ctx context.Context, ds Dataset, minCount int) (ReaderTraining, error) {
	g := newGoldReader(ds)
	var train, test []answer.ReaderExample
	var testGolds [][]string
	for _, it := range ds.Items {
		if err := ctx.Err(); err != nil {
			return ReaderTraining{}, err
		}
		q, p, err := g.question(it)
		if err != nil {
			return ReaderTraining{}, err
		}
		lines, titles := g.ex.ShortLines(q, p)
		golds := it.Answers
		e := answer.ReaderExample{Question: it.Question, Terms: q.Terms, Weights: q.IDF.ForCoverage(q.MaxIDF), Lines: lines, Titles: titles,
			IsGold: func(s string) bool { return ExactMatch(s, golds) == 1 }}
		if g.heldOut(it) {
			test, testGolds = append(test, e), append(testGolds, golds)
		} else {
			train = append(train, e)
		}
	}
	r := answer.NewReader(nil)
	t := ReaderTraining{Fit: r.Train(train, ReaderEpochs, 1, minCount), HeldOut: len(test), Weights: r.Weights()}
	for i, e := range test {
		s, _, _ := r.Best(e.Question, e.Terms, e.Weights, e.Lines, e.Titles)
		t.EM += ExactMatch(s, testGolds[i])
		t.F1 += F1(s, testGolds[i])
		if r.Reachable(e) {
			t.Ceiling++
		}
	}
	if n := float64(len(test)); n > 0 {
		t.EM, t.F1, t.Ceiling = t.EM/n, t.F1/n, t.Ceiling/n
	}
	if len(train) == 0 {
		return t, fmt.Errorf("training a reader on %s: no question on an even page", ds.Name)
	}
	return t, nil
}
