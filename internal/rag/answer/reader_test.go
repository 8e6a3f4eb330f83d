package answer

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

	"github.com/herald-news/herald/internal/rag/analysis"
)

func TestDefaultReader(t *testing.T) {
	r, err := DefaultReader()
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Weights()); n < 10000 {
		t.Fatalf("the embedded reader has %d weights", n)
	}
	an := analysis.NewIndex()
	tests := []struct {
		question string
		lines    []string
		want     string
	}{
		{"When did the Harbour Bridge open?", []string{"The Harbour Bridge opened in 1932 after eight years of work."}, "1932"},
		{"How many workers built the dam?", []string{"About 21,000 workers built the dam across the Colorado river."}, "21,000"},
		{"Which company bought the shipyard?", []string{"The shipyard was bought by Harland Industries in March, the union said."}, "Harland Industries"},
		{"What is the capital of the province?", []string{"Its capital is Winnipeg, the largest city of the province."}, "Winnipeg"},
		{"Who founded the newspaper?", []string{"The newspaper was founded by John Walter in 1785 as a daily."}, "John Walter"},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			got, line, p := r.Best(tt.question, an.Terms(nil, tt.question), nil, tt.lines, make([]bool, len(tt.lines)))
			if got != tt.want || line != 0 || p <= 0 || p > 1 {
				t.Errorf("Best = %q on line %d with p %.2f, want %q on line 0", got, line, p, tt.want)
			}
		})
	}
	if got, _, _ := r.Best("Panthers player waived in March", nil, nil, []string{"The Panthers waived DeAngelo Williams."}, []bool{false}); got != "" {
		t.Errorf("a question with no asking word got the span %q", got)
	}
}

func TestReaderLearns(t *testing.T) {
	an := analysis.NewIndex()
	people := []string{"Ann Lee", "Bo Park", "Cy Dunn", "Di Moss", "Ed Hale", "Flo Reyes", "Gus Tate", "Hal Ruiz"}
	var examples []ReaderExample
	for i, who := range people[:6] {
		q := "Who chairs the board?"
		lines := []string{"The board met on Monday in " + []string{"Paris", "Rome", "Oslo"}[i%3] + ".", "It is chaired by " + who + ", the board said."}
		want := who
		examples = append(examples, ReaderExample{Question: q, Terms: an.Terms(nil, q), Lines: lines, Titles: []bool{false, false},
			IsGold: func(s string) bool { return s == want }})
	}
	r := NewReader(nil)
	fit := r.Train(examples, 5, 1, 1)
	if fit.Examples != 6 || fit.Reachable != 6 || fit.Features == 0 {
		t.Fatalf("fit %+v", fit)
	}
	got, line, _ := r.Best("Who chairs the board?", an.Terms(nil, "Who chairs the board?"), nil,
		[]string{"The board met on Friday in Lima.", "It is chaired by Hal Ruiz, the board said."}, []bool{false, false})
	if got != "Hal Ruiz" || line != 1 {
		t.Errorf("after training, Best = %q on line %d, want \"Hal Ruiz\" on line 1", got, line)
	}
}

func TestReaderWeights(t *testing.T) {
	w := map[string]float64{"who|shape=C": 1.25, "when|first=y": -0.5}
	var buf bytes.Buffer
	if err := WriteWeights(&buf, w); err != nil {
		t.Fatal(err)
	}
	got, err := ReadWeights(&buf)
	if err != nil || len(got) != 2 || got["who|shape=C"] != 1.25 || got["when|first=y"] != -0.5 {
		t.Fatalf("read back %v, %v", got, err)
	}
	if err := WriteWeights(&buf, map[string]float64{"a\tb": 1}); err == nil {
		t.Error("a feature with a tab was written")
	}
	var bad bytes.Buffer
	if err := newGzip(&bad, "who|shape=C\t1\nbroken line\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadWeights(&bad); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("a broken line: %v, want an error naming line 2", err)
	}
	if _, err := ReadWeights(strings.NewReader("not gzip")); err == nil {
		t.Error("text that is not gzip was read")
	}
}

func newGzip(buf *bytes.Buffer, text string) error {
	zw := gzip.NewWriter(buf)
	if _, err := zw.Write([]byte(text)); err != nil {
		return err
	}
	return zw.Close()
}
