// Package corpus reads dated news articles from files, validates them and cuts
// them into sentence-aware chunks ready for indexing.
//
// Three input formats are understood:
//
//   - the seed text format: a file that starts with "date YYYY-MM-DD", followed
//     on the same line either by the article's URL (then a blank line, a title
//     line, a blank line and the body) or directly by the first words of the
//     body (then the title is derived from the first sentence);
//   - Markdown or plain text with YAML front matter (title, date, url, id);
//   - JSON Lines, one article an object {id?, title, date, url?, body | text}.
//
// A bad file or record never stops the rest: it is reported as a [Rejection]
// that names the file, the line and the reason.
package corpus
