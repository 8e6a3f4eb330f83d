package storetest

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/herald-news/herald/internal/sharedtest"
)

// ReutersSubset writes every nth record of the Reuters-21578 JSON Lines file
// (../shared) to a temp file, as it is, and returns its path and record
// count. It skips the test when the shared data are absent.
func ReutersSubset(t testing.TB, every int) (string, int) {
	t.Helper()
	src := sharedtest.Path(t, "datasets/reuters21578/reuters21578.jsonl")
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	path := filepath.Join(t.TempDir(), "reuters.jsonl")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	n := 0
	for i := 0; sc.Scan(); i++ {
		if i%every == 0 {
			out.Write(append(sc.Bytes(), '\n'))
			n++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return path, n
}
