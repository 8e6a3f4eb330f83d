package corpus

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Format names an input format.
type Format string

// The input formats.
const (
	FormatSeed        Format = "seed"
	FormatFrontMatter Format = "front-matter"
	FormatJSONLines   Format = "jsonl"
)

// isJSONLines reports whether a file is JSON Lines, by extension.
func isJSONLines(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".ndjson", ".json":
		return true
	}
	return false
}

// ParseText parses a single-article file (seed format or front matter), its
// content given. The format is chosen by content.
func ParseText(path string, data []byte) (Article, *Rejection) {
	a, rej := parseText(data)
	if rej != nil {
		rej.Path = path
		return a, rej
	}
	a.Source, a.Line = path, 1
	a, rej = a.Finish()
	if rej != nil {
		rej.Path = path
	}
	return a, rej
}

func parseText(data []byte) (Article, *Rejection) {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return Article{}, &Rejection{Reason: "binary file (NUL byte at offset " + fmt.Sprint(i) + ")"}
	}
	if !utf8.Valid(data) {
		return Article{}, &Rejection{Line: invalidUTF8Line(data), Reason: "invalid UTF-8"}
	}
	text := strings.TrimPrefix(string(data), "\ufeff")
	text = strings.ReplaceAll(text, "\r\n", "\n")
	trimmed := strings.TrimLeft(text, " \t\n")
	switch {
	case strings.HasPrefix(trimmed, "---\n") || trimmed == "---":
		return parseFrontMatter(text)
	case hasDatePrefix(trimmed):
		return parseSeed(text)
	}
	return Article{}, &Rejection{Line: 1, Reason: "unrecognised format: expected YAML front matter (---) or a first line \"date YYYY-MM-DD …\""}
}

func hasDatePrefix(s string) bool {
	if len(s) < 5 || !strings.EqualFold(s[:4], "date") {
		return false
	}
	return s[4] == ' ' || s[4] == '\t' || s[4] == ':'
}

// invalidUTF8Line returns the 1-based line of the first invalid byte.
func invalidUTF8Line(data []byte) int {
	line := 1
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size <= 1 {
			return line
		}
		if r == '\n' {
			line++
		}
		i += size
	}
	return line
}
