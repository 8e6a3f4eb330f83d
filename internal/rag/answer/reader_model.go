package answer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// readerModel holds the weights of the Reader Herald ships: trained by
// `herald eval reader --out internal/rag/answer/reader.tsv.gz
// ../shared/datasets/squad-v1.1-dev/dev-v1.1.json` on the questions of
// SQuAD v1.1 dev's even pages, so that its odd pages measure it.
//
//go:embed reader.tsv.gz
var readerModel []byte

// defaultReader reads readerModel once: it is read-only data, like a
// compiled pattern, and a Reader is safe for concurrent use.
var defaultReader = sync.OnceValues(func() (*Reader, error) {
	w, err := ReadWeights(bytes.NewReader(readerModel))
	if err != nil {
		return nil, fmt.Errorf("reading the embedded reader model: %w", err)
	}
	return NewReader(w), nil
})

// DefaultReader returns the Reader trained on SQuAD, which the extractive
// answerer uses.
func DefaultReader() (*Reader, error) { return defaultReader() }

// WriteWeights writes a Reader's weights as gzipped lines of a feature, a
// tab and its weight, in the features' order.
func WriteWeights(w io.Writer, weights map[string]float64) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriter(zw)
	for _, f := range slices.Sorted(maps.Keys(weights)) {
		if strings.ContainsAny(f, "\t\n") {
			return fmt.Errorf("writing reader weights: feature %q holds a tab or a newline", f)
		}
		bw.WriteString(f)
		bw.WriteByte('\t')
		bw.WriteString(strconv.FormatFloat(weights[f], 'g', 4, 64))
		bw.WriteByte('\n')
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing reader weights: %w", err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("writing reader weights: %w", err)
	}
	return nil
}

// ReadWeights reads weights WriteWeights wrote.
func ReadWeights(r io.Reader) (map[string]float64, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("reading reader weights: %w", err)
	}
	defer zr.Close()
	weights := map[string]float64{}
	sc := bufio.NewScanner(zr)
	for line := 1; sc.Scan(); line++ {
		f, v, ok := strings.Cut(sc.Text(), "\t")
		w, err := strconv.ParseFloat(v, 64)
		if !ok || err != nil {
			return nil, fmt.Errorf("reading reader weights: line %d: want a feature, a tab and a number, got %q", line, sc.Text())
		}
		weights[f] = w
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading reader weights: %w", err)
	}
	return weights, nil
}
