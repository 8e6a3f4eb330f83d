package feeds

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// dropped are the elements whose content is never text of the article.
var dropped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Iframe: true, atom.Noscript: true, atom.Object: true,
	atom.Embed: true, atom.Svg: true, atom.Template: true, atom.Head: true, atom.Title: true,
	atom.Form: true, atom.Button: true, atom.Select: true, atom.Textarea: true, atom.Nav: true,
	atom.Canvas: true, atom.Audio: true, atom.Video: true, atom.Math: true,
}

// blocks are the elements that end a paragraph.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Li: true, atom.Ul: true, atom.Ol: true, atom.Blockquote: true,
	atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true,
	atom.Tr: true, atom.Table: true, atom.Article: true, atom.Section: true, atom.Header: true,
	atom.Footer: true, atom.Figure: true, atom.Figcaption: true, atom.Pre: true, atom.Hr: true,
	atom.Dd: true, atom.Dt: true, atom.Dl: true, atom.Main: true, atom.Aside: true,
}

// Text turns HTML into plain text: scripts, styles, frames and other
// non-text elements are dropped with their content, markup is dropped
// (a link keeps its words, not its address), entities are decoded, and
// paragraphs are kept as blank-line-separated blocks. Text with no markup
// comes back with its whitespace tidied.
func Text(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var paras []string
	var cur strings.Builder
	skip := 0 // depth inside dropped elements
	end := func() {
		if p := strings.Join(strings.Fields(cur.String()), " "); p != "" {
			paras = append(paras, p)
		}
		cur.Reset()
	}
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken: // io.EOF, or input the tokenizer gave up on
			end()
			return strings.Join(paras, "\n\n")
		case html.TextToken:
			if skip == 0 {
				cur.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case dropped[a] && tt == html.StartTagToken:
				skip++
			case a == atom.Br:
				cur.WriteByte(' ')
			case blocks[a] && skip == 0:
				end()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case dropped[a]:
				if skip > 0 {
					skip--
				}
			case blocks[a] && skip == 0:
				end()
			}
		}
	}
}
