package storetest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

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

// ReutersReplicated writes records Reuters-21578 records (../shared),
// copied over and over with new IDs and dates a year later per copy
// (Reuters ×4 is 4 × 20,837 records), and returns the file's path. It
// skips the test when the shared data are absent.
func ReutersReplicated(t testing.TB, records int) string {
	t.Helper()
	raw, err := os.ReadFile(sharedtest.Path(t, "datasets/reuters21578/reuters21578.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(raw), []byte("\n"))
	path := filepath.Join(t.TempDir(), "replicated.jsonl")
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	for n := 0; n < records; n++ {
		copyNo, line := n/len(lines), lines[n%len(lines)]
		if copyNo > 0 {
			var rec map[string]any
			if err := json.Unmarshal(line, &rec); err != nil {
				t.Fatal(err)
			}
			rec["id"] = fmt.Sprintf("%v-copy%d", rec["id"], copyNo)
			if d, err := time.Parse(time.RFC3339, fmt.Sprint(rec["date"])); err == nil {
				rec["date"] = d.AddDate(copyNo, 0, 0).Format(time.RFC3339)
			}
			line, _ = json.Marshal(rec)
		}
		w.Write(append(line, '\n'))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}
