package answer

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/herald-news/herald/internal/rag/analysis"
	"github.com/herald-news/herald/internal/rag/retrieve"
)

var (
	reMarker = regexp.MustCompile(`\[(\d{1,3})\]`)
	// reBracketNumbers is any bracket holding a number: [7], [1, 3],
	// [1-3], [1; 7], [Source 7], [1000].
	reBracketNumbers = regexp.MustCompile(`\[[^\[\]\n]{0,40}?\d[^\[\]\n]{0,40}?\]`)
	reNumberOrRange  = regexp.MustCompile(`(\d+)(?:\s*[-–]\s*(\d+))?`)
	reSpaceBefore    = regexp.MustCompile(`[ \t]+([.,;:!?])`)
	reRepeatMarker   = regexp.MustCompile(`(\[\d+\])(?:\s*\[\d+\])*`)
)

// citedNumbers reads the source numbers of a bracket: "[1, 3]", "[2-4]",
// "[Source 7]".
func citedNumbers(bracket string) []int {
	var out []int
	for _, m := range reNumberOrRange.FindAllStringSubmatch(bracket, -1) {
		from, _ := strconv.Atoi(m[1])
		to := from
		if m[2] != "" {
			to, _ = strconv.Atoi(m[2])
		}
		for n := from; n <= to && n-from < 20; n++ {
			out = append(out, n)
		}
	}
	return out
}

// Ground keeps only the citations of a model's text that match a source
// (in any bracket holding numbers), renumbers the cited sources in order of
// first citation, and builds their citations, quoting from each source the
// sentence closest to the claims citing it: where a model's citations are
// made. ok is false when no valid citation is left. Line breaks (lists) are
// kept.
func Ground(text string, passages []retrieve.Passage) (Answer, bool) {
	renumber := map[int]int{}
	var order []int
	text = reBracketNumbers.ReplaceAllStringFunc(text, func(m string) string {
		var out strings.Builder
		seen := map[int]bool{}
		for _, n := range citedNumbers(m) {
			if n < 1 || n > len(passages) || seen[n] {
				continue // a source that does not exist
			}
			seen[n] = true
			if _, ok := renumber[n]; !ok {
				renumber[n] = len(order) + 1
				order = append(order, n)
			}
			out.WriteString("[" + strconv.Itoa(renumber[n]) + "]")
		}
		return out.String()
	})
	// Drop a marker repeated right after itself ("[1][1]").
	text = reRepeatMarker.ReplaceAllStringFunc(text, func(m string) string {
		var out strings.Builder
		seen := map[string]bool{}
		for _, mk := range reMarker.FindAllString(m, -1) {
			if !seen[mk] {
				seen[mk] = true
				out.WriteString(mk)
			}
		}
		return out.String()
	})
	var lines []string
	for _, line := range strings.Split(text, "\n") {
		line = reSpaceBefore.ReplaceAllString(strings.Join(strings.Fields(line), " "), "$1")
		lines = append(lines, line)
	}
	text = strings.TrimSpace(strings.Join(lines, "\n"))
	if len(order) == 0 {
		return Answer{}, false
	}
	a := Answer{Text: text, Found: true}
	for _, n := range order {
		p := passages[n-1]
		a.Citations = append(a.Citations, Citation{N: renumber[n], ArticleID: p.ArticleID, Title: p.Title, Date: p.Date, URL: p.URL,
			ChunkID: p.ChunkID, Quote: bestQuote(p.Text, citingText(text, renumber[n]))})
	}
	sort.Slice(a.Citations, func(i, j int) bool { return a.Citations[i].N < a.Citations[j].N })
	return a, true
}

// citingText gathers the sentences of text that cite marker n.
func citingText(text string, n int) string {
	marker := "[" + strconv.Itoa(n) + "]"
	var out []string
	for _, s := range analysis.Sentences(text) {
		if strings.Contains(s, marker) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// bestQuote is the sentence of a passage that shares most words with the
// claim citing it.
func bestQuote(passage, claim string) string {
	want := map[string]bool{}
	analysis.ForEachWord(claim, func(w string) {
		if !analysis.IsStopWord(w) {
			want[w] = true
		}
	})
	best, bestN := "", -1
	for _, s := range analysis.Sentences(passage) {
		n := 0
		analysis.ForEachWord(s, func(w string) {
			if want[w] {
				n++
			}
		})
		if n > bestN {
			best, bestN = s, n
		}
	}
	return best
}

// KeepCitations drops from text every cited number that keep refuses,
// writing each kept one as its own marker [n]: a model must not cite a
// source it was not shown.
func KeepCitations(text string, keep func(n int) bool) string {
	return reBracketNumbers.ReplaceAllStringFunc(text, func(m string) string {
		var out strings.Builder
		for _, n := range citedNumbers(m) {
			if keep(n) {
				out.WriteString("[" + strconv.Itoa(n) + "]")
			}
		}
		return out.String()
	})
}
