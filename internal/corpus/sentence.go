package corpus

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Span is a half-open byte range [Start, End) of a text.
type Span struct{ Start, End int }

// abbreviations end with a period that does not end a sentence.
var abbreviations = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "dr": true, "prof": true, "sr": true, "jr": true,
	"st": true, "vs": true, "etc": true, "inc": true, "ltd": true, "co": true, "corp": true,
	"jan": true, "feb": true, "mar": true, "apr": true, "jun": true, "jul": true, "aug": true,
	"sep": true, "sept": true, "oct": true, "nov": true, "dec": true, "gen": true, "col": true,
	"lt": true, "sgt": true, "rep": true, "sen": true, "gov": true, "no": true, "nos": true,
	"fig": true, "approx": true, "dept": true, "est": true, "mt": true, "ft": true, "pres": true,
	"e.g": true, "i.e": true, "u.s": true, "u.k": true, "u.n": true, "a.m": true, "p.m": true,
	"messrs": true, "cf": true, "al": true, "bros": true, "pct": false,
}

// SplitSentences cuts text into sentences and returns their byte spans,
// trimmed of surrounding white space. It knows common abbreviations, initials
// and decimals, treats blank lines and indented lines as paragraph breaks, and
// also splits sentences glued together without a space ("said.The").
func SplitSentences(text string) []Span {
	var spans []Span
	start := 0
	emit := func(end int) {
		s, e := trimSpan(text, start, end)
		if e > s {
			spans = append(spans, Span{s, e})
		}
		start = end
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r == '\n':
			if paragraphBreak(text, i+1) {
				emit(i)
			}
			i += size
			continue
		case r == '.' || r == '!' || r == '?' || r == '…':
			end := i + size
			// Runs of terminal punctuation and closing quotes stay with the sentence.
			for end < len(text) {
				r2, s2 := utf8.DecodeRuneInString(text[end:])
				if !strings.ContainsRune(".!?…\"'”’)]", r2) {
					break
				}
				end += s2
			}
			if sentenceEnds(text, i, r, end) {
				emit(end)
			}
			i = end
			continue
		}
		i += size
	}
	emit(len(text))
	return spans
}

// paragraphBreak reports whether the line starting at i opens a new
// paragraph: it is blank, or indented by a tab or two or more spaces.
func paragraphBreak(text string, i int) bool {
	spaces := 0
	for ; i < len(text); i++ {
		switch text[i] {
		case ' ':
			spaces++
		case '\t':
			return true
		case '\n', '\r':
			return true
		default:
			return spaces >= 2
		}
	}
	return true
}

// sentenceEnds decides whether the punctuation r at text[i] (with trailing
// punctuation up to end) closes a sentence.
func sentenceEnds(text string, i int, r rune, end int) bool {
	if end >= len(text) {
		return true
	}
	next, _ := utf8.DecodeRuneInString(text[end:])
	if r == '.' {
		if unicode.IsSpace(next) {
			following := firstNonSpace(text[end:])
			if following != 0 && unicode.IsLower(following) {
				return false
			}
			return !isAbbreviation(wordBefore(text, i))
		}
		// No space after the period: a decimal, a domain, an abbreviation
		// like U.S., or two sentences glued together ("said.The").
		if !unicode.IsUpper(next) {
			return false
		}
		word := wordBefore(text, i)
		if isAbbreviation(word) || strings.Contains(word, ".") {
			return false
		}
		last, _ := utf8.DecodeLastRuneInString(word)
		return utf8.RuneCountInString(word) > 1 && (unicode.IsLower(last) || unicode.IsDigit(last))
	}
	// ! ? … end a sentence when followed by space, or glued to a capital.
	if unicode.IsSpace(next) {
		following := firstNonSpace(text[end:])
		return following == 0 || !unicode.IsLower(following)
	}
	return unicode.IsUpper(next)
}

// maxWordBefore bounds how far wordBefore looks back, so that a long run
// of letters and periods costs no more than a short one.
const maxWordBefore = 32

// wordBefore returns the run of letters, digits and inner periods that ends
// just before text[i] (at most maxWordBefore bytes of it).
func wordBefore(text string, i int) string {
	j := i
	for j > 0 && i-j < maxWordBefore {
		r, size := utf8.DecodeLastRuneInString(text[:j])
		if !(unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.') {
			break
		}
		j -= size
	}
	return strings.Trim(text[j:i], ".")
}

func isAbbreviation(word string) bool {
	if word == "" {
		return false
	}
	// A single capital letter is an initial: "J. Smith".
	if utf8.RuneCountInString(word) == 1 {
		r, _ := utf8.DecodeRuneInString(word)
		return unicode.IsUpper(r)
	}
	return abbreviations[strings.ToLower(word)] || isDottedAcronym(word)
}

// isDottedAcronym reports forms like U.S or N.Y (the final period is the one
// being judged).
func isDottedAcronym(word string) bool {
	if !strings.Contains(word, ".") {
		return false
	}
	for _, part := range strings.Split(word, ".") {
		if utf8.RuneCountInString(part) > 2 {
			return false
		}
	}
	return true
}

func firstNonSpace(s string) rune {
	for _, r := range s {
		if !unicode.IsSpace(r) {
			return r
		}
	}
	return 0
}

func trimSpan(text string, s, e int) (int, int) {
	for s < e {
		r, size := utf8.DecodeRuneInString(text[s:])
		if !unicode.IsSpace(r) {
			break
		}
		s += size
	}
	for e > s {
		r, size := utf8.DecodeLastRuneInString(text[:e])
		if !unicode.IsSpace(r) {
			break
		}
		e -= size
	}
	return s, e
}
