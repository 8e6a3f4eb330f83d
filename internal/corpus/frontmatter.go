package corpus

import (
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// parseFrontMatter reads Markdown or plain text that opens with YAML front
// matter between "---" lines. Without a title field, a leading "# Heading"
// of the body becomes the title.
func parseFrontMatter(text string) (Article, *Rejection) {
	lead := len(text) - len(strings.TrimLeft(text, " \t\n"))
	firstLine := 1 + strings.Count(text[:lead], "\n") // the opening ---
	text = text[lead:]
	_, rest, _ := strings.Cut(text, "\n")
	var header, body string
	found := false
	offset := 0
	for offset <= len(rest) {
		line, _, _ := strings.Cut(rest[offset:], "\n")
		if t := strings.TrimRight(line, " \t"); t == "---" || t == "..." {
			header = rest[:offset]
			if end := offset + len(line) + 1; end <= len(rest) {
				body = rest[end:]
			}
			found = true
			break
		}
		offset += len(line) + 1
	}
	if !found {
		return Article{}, &Rejection{Line: firstLine, Reason: "front matter is not closed by a \"---\" line"}
	}

	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(header), &doc); err != nil {
		return Article{}, &Rejection{Line: firstLine, Field: "front matter", Reason: strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	fields := map[string]*yaml.Node{}
	if len(doc.Content) > 0 {
		m := doc.Content[0]
		if m.Kind != yaml.MappingNode {
			return Article{}, &Rejection{Line: firstLine, Field: "front matter", Reason: "expected key: value pairs"}
		}
		for i := 0; i+1 < len(m.Content); i += 2 {
			fields[strings.ToLower(m.Content[i].Value)] = m.Content[i+1]
		}
	}
	line := func(n *yaml.Node) int { return firstLine + n.Line }
	scalar := func(key string) (string, *Rejection) {
		n, ok := fields[key]
		if !ok {
			return "", nil
		}
		if n.Kind != yaml.ScalarNode {
			return "", &Rejection{Line: line(n), Field: key, Reason: "must be a single value"}
		}
		return n.Value, nil
	}

	var a Article
	var rej *Rejection
	if a.Title, rej = scalar("title"); rej != nil {
		return a, rej
	}
	if a.URL, rej = scalar("url"); rej != nil {
		return a, rej
	}
	if a.URL == "" {
		if a.URL, rej = scalar("link"); rej != nil {
			return a, rej
		}
	}
	if a.ID, rej = scalar("id"); rej != nil {
		return a, rej
	}
	date, rej := scalar("date")
	if rej != nil {
		return a, rej
	}
	if _, ok := fields["date"]; !ok {
		return a, &Rejection{Line: firstLine, Field: "date", Reason: "missing from the front matter"}
	}
	if a.Date, rej = parseDateAt(date, line(fields["date"])); rej != nil {
		return a, rej
	}
	if a.Title == "" {
		trimmed := strings.TrimLeft(body, " \t\n")
		if strings.HasPrefix(trimmed, "# ") {
			heading, rest, _ := strings.Cut(trimmed, "\n")
			a.Title, body = strings.TrimSpace(heading[2:]), rest
		}
	}
	a.Body = body
	return a, nil
}

func parseDateAt(s string, line int) (time.Time, *Rejection) {
	t, err := ParseDate(s)
	if err != nil {
		return t, &Rejection{Line: line, Field: "date", Reason: err.Error()}
	}
	return t, nil
}
