package corpus

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// jsonRecord is one JSON Lines article.
type jsonRecord struct {
	ID    json.RawMessage `json:"id"`
	Title string          `json:"title"`
	Date  json.RawMessage `json:"date"`
	URL   string          `json:"url"`
	Body  string          `json:"body"`
	Text  string          `json:"text"`
}

// ReadJSONLines reads one article a line from r, calling visit for each good
// record and reject for each bad one; a record longer than maxRecord bytes is
// rejected. It stops early only when visit returns an error or r fails.
func ReadJSONLines(path string, r io.Reader, maxRecord int64, visit func(Article) error, reject func(*Rejection)) error {
	br := bufio.NewReaderSize(r, 1<<16)
	var offset int64
	for lineNo := 1; ; lineNo++ {
		line, n, oversize, err := readLine(br, maxRecord)
		offset += n
		if len(bytes.TrimSpace(line)) > 0 || oversize {
			a, rej := parseRecord(line, oversize, maxRecord)
			if rej != nil {
				rej.Path, rej.Line = path, lineNo
				reject(rej)
			} else {
				a.Source, a.Line, a.End = path, lineNo, offset
				if verr := visit(a); verr != nil {
					return verr
				}
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading %s at line %d: %w", path, lineNo, err)
		}
	}
}

// readLine reads up to the next newline and says how many bytes it
// consumed. A line longer than max is drained and reported as oversize.
func readLine(br *bufio.Reader, max int64) (line []byte, n int64, oversize bool, err error) {
	for {
		frag, err := br.ReadSlice('\n')
		n += int64(len(frag))
		if !oversize {
			if int64(len(line)+len(frag)) > max+1 {
				oversize, line = true, nil
			} else {
				line = append(line, frag...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		return bytes.TrimRight(line, "\r\n"), n, oversize, err
	}
}

func parseRecord(line []byte, oversize bool, maxRecord int64) (Article, *Rejection) {
	if oversize {
		return Article{}, &Rejection{Reason: fmt.Sprintf("record is over the %s limit", humanBytes(maxRecord))}
	}
	if bytes.IndexByte(line, 0) >= 0 {
		return Article{}, &Rejection{Reason: "binary data (NUL byte)"}
	}
	if !utf8.Valid(line) {
		return Article{}, &Rejection{Reason: "invalid UTF-8"}
	}
	var rec jsonRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) && typeErr.Field == "" {
			return Article{}, &Rejection{Reason: "a record must be a JSON object, not " + typeErr.Value}
		}
		return Article{}, &Rejection{Reason: "invalid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	a := Article{Title: rec.Title, URL: rec.URL, Body: rec.Body}
	if strings.TrimSpace(a.Body) == "" {
		a.Body = rec.Text
	}
	switch id := bytes.TrimSpace(rec.ID); {
	case len(id) == 0 || string(id) == "null":
	case id[0] == '"':
		if err := json.Unmarshal(id, &a.ID); err != nil {
			return a, &Rejection{Field: "id", Reason: "invalid string"}
		}
		a.ID = strings.TrimSpace(a.ID)
	case (id[0] >= '0' && id[0] <= '9') || id[0] == '-':
		a.ID = string(id)
	default:
		return a, &Rejection{Field: "id", Reason: "must be a string or a number"}
	}
	var date string
	if d := bytes.TrimSpace(rec.Date); len(d) == 0 || string(d) == "null" {
		return a, &Rejection{Field: "date", Reason: "missing"}
	} else if err := json.Unmarshal(d, &date); err != nil {
		return a, &Rejection{Field: "date", Reason: "must be a string such as \"2026-02-04\""}
	}
	var err error
	if a.Date, err = ParseDate(date); err != nil {
		return a, &Rejection{Field: "date", Reason: err.Error()}
	}
	a, rej := a.Finish()
	return a, rej
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MB", n>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
