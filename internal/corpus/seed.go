package corpus

import (
	"strings"
)

// parseSeed reads the seed text format:
//
//	date 2026-02-04 https://example.org/article.html
//
//	Title
//
//	Body …
//
// or, without a URL, "date 2026-02-05 First words of the body …".
func parseSeed(text string) (Article, *Rejection) {
	text = strings.TrimLeft(text, " \t\n")
	line, rest, _ := strings.Cut(text, "\n")
	fields := strings.Fields(strings.TrimLeft(line[len("date"):], ":"))
	if len(fields) == 0 {
		return Article{}, &Rejection{Line: 1, Field: "date", Reason: "missing after \"date\""}
	}
	date, err := ParseDate(fields[0])
	if err != nil {
		return Article{}, &Rejection{Line: 1, Field: "date", Reason: err.Error()}
	}
	a := Article{Date: date}
	after := strings.TrimSpace(strings.Join(fields[1:], " "))
	if len(fields) == 2 && looksLikeURL(fields[1]) {
		a.URL = fields[1]
		// A blank line, the title, a blank line, then the body.
		body := strings.TrimLeft(rest, " \t\n")
		title, body, _ := strings.Cut(body, "\n")
		a.Title, a.Body = strings.TrimSpace(title), body
		return a, nil
	}
	// No URL: the rest of the first line already is the body.
	a.Body = after + "\n" + rest
	return a, nil
}

func looksLikeURL(s string) bool {
	return strings.HasPrefix(s, "https://") || strings.HasPrefix(s, "http://")
}
