package llm

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Task names the job of a chat request. Its marker opens the system
// message, so that a server (or a test's fake) can tell the jobs apart
// without reading the prompts' wording.
type Task string

// Herald's chat tasks.
const (
	TaskAnswer  Task = "answer"
	TaskSummary Task = "summary"
	TaskReduce  Task = "reduce"
	TaskRewrite Task = "rewrite"
)

// Marker is the line that opens a request's system message.
func (t Task) Marker() string { return "[herald-task:" + string(t) + "]" }

// TaskOf reads the task of a system message ("" when it has no marker).
func TaskOf(system string) Task {
	line, _, _ := strings.Cut(system, "\n")
	if name, ok := strings.CutPrefix(line, "[herald-task:"); ok && strings.HasSuffix(name, "]") {
		return Task(strings.TrimSuffix(name, "]"))
	}
	return ""
}

// Source is a numbered source of a prompt: an article or a passage of one.
type Source struct {
	N          int
	Title, URL string
	Date       time.Time
	Text       string
}

// SourcesBlock numbers and delimits the sources of a prompt, one block a
// source. Text inside a source cannot close or open the delimiters.
func SourcesBlock(sources []Source) string {
	var b strings.Builder
	b.WriteString("<sources>\n")
	for _, s := range sources {
		fmt.Fprintf(&b, "<source n=\"%d\" title=%q date=\"%s\" url=%q>\n%s\n</source>\n",
			s.N, delimitSafe(s.Title), s.Date.Format(time.DateOnly), delimitSafe(s.URL), delimitSafe(oneLine(s.Text)))
	}
	b.WriteString("</sources>")
	return b.String()
}

// reDelimiter matches the prompt's delimiters in any case.
var reDelimiter = regexp.MustCompile(`(?i)</?sources?\b[^>]*>?`)

// delimitSafe keeps article text from closing or opening the delimiters.
func delimitSafe(s string) string {
	return reDelimiter.ReplaceAllStringFunc(s, func(m string) string {
		return "‹" + strings.Trim(m, "<>") + "›"
	})
}

var reSource = regexp.MustCompile(`(?s)<source n="(\d+)" title="((?:[^"\\]|\\.)*)" date="([0-9-]+)" url="((?:[^"\\]|\\.)*)">\n(.*?)\n</source>`)

// ParseSources reads the sources SourcesBlock wrote (for fake servers).
func ParseSources(prompt string) []Source {
	var out []Source
	for _, m := range reSource.FindAllStringSubmatch(prompt, -1) {
		n, _ := strconv.Atoi(m[1])
		title, _ := strconv.Unquote(`"` + m[2] + `"`)
		url, _ := strconv.Unquote(`"` + m[4] + `"`)
		date, _ := time.Parse(time.DateOnly, m[3])
		out = append(out, Source{N: n, Title: title, URL: url, Date: date, Text: m[5]})
	}
	return out
}

// ReducePrompt is the user message that combines partial summaries into
// one summary of heading.
func ReducePrompt(partials []string, heading string) string {
	return "Partial summaries:\n\n" + strings.Join(partials, "\n\n") + "\n\nCombine them into one summary of: " + oneLine(heading)
}

// ParseReducePrompt reads the partial summaries ReducePrompt wrote (for
// fake servers).
func ParseReducePrompt(prompt string) []string {
	rest, _ := strings.CutPrefix(prompt, "Partial summaries:\n\n")
	body, _, _ := strings.Cut(rest, "\n\nCombine them into one summary of: ")
	return strings.Split(body, "\n\n")
}
