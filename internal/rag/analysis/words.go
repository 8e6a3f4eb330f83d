package analysis

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// ForEachWord calls fn with each lower-cased word of text. Words are runs of
// letters and digits; a period or comma between digits stays inside a number
// (1.5, 200,000), an apostrophe ends a word and drops a trailing "s". An
// abbreviation in capitals and periods is one word ("U.K." is "uk"), and the
// United States, written "US" or "U.S.", is "usa": not the pronoun "us".
// Latin letters lose their accents ("Möngke" is "mongke").
func ForEachWord(text string, fn func(string)) {
	forEachWordBytes(text, func(b []byte) { fn(string(b)) })
}

// forEachWordBytes is ForEachWord with the word in a buffer that is reused
// after fn returns.
func forEachWordBytes(text string, fn func([]byte)) {
	var arr [64]byte
	buf := arr[:0]
	upper := true // every letter of buf was a capital
	flush := func() {
		if len(buf) == 0 {
			return
		}
		switch {
		case upper && len(buf) == 2 && buf[0] == 'u' && buf[1] == 's':
			fn(append(buf[:0], "usa"...))
		case len(buf) > 1 || (buf[0] >= '0' && buf[0] <= '9'):
			fn(buf)
		}
		buf = buf[:0]
		upper = true
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z' && len(buf) == 0 && abbreviation(text[i:]) > 0:
			// "U.S.", "U.K.", "E.C.": the capitals, without the periods.
			n := abbreviation(text[i:])
			for j := 0; j < n; j += 2 {
				buf = append(buf, text[i+j]+'a'-'A')
			}
			flush()
			i += n
			continue
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			buf = append(buf, byte(r))
			upper = upper && !('a' <= r && r <= 'z')
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			buf = append(buf, byte(r+'a'-'A'))
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			upper = upper && !unicode.IsLower(r)
			buf = appendFolded(buf, unicode.ToLower(r))
		case r >= utf8.RuneSelf && unicode.Is(unicode.Mn, r) && len(buf) > 0:
			// A combining accent: "Möngke" written with one is "mongke".
		case (r == '.' || r == ',') && len(buf) > 0 && isDigit(buf[len(buf)-1]) && i+1 < len(text) && isDigit(text[i+1]):
			if r == '.' {
				buf = append(buf, '.')
			}
		case r == '\'' || r == '’':
			flush()
			// Skip a possessive "s".
			if i+size < len(text) && (text[i+size] == 's' || text[i+size] == 'S') &&
				(i+size+1 == len(text) || !isWordByte(text[i+size+1])) {
				i += size + 1
				continue
			}
		case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0xAD:
			// Zero-width characters and soft hyphens never split a word.
		default:
			flush()
		}
		i += size
	}
	flush()
}

// letterFolds are the letters without an accent to drop that are written
// as other letters by people who type without them.
var letterFolds = map[rune]string{'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'ł': "l", 'đ': "d", 'ð': "d", 'þ': "th", 'ı': "i"}

// appendFolded appends the lower-case letter r without its accents: "Möngke"
// and "Erdoğan" are found as "Mongke" and "Erdogan", as people type them.
func appendFolded(buf []byte, r rune) []byte {
	if f, ok := letterFolds[r]; ok {
		return append(buf, f...)
	}
	if r < 0x00C0 || r > 0x024F {
		return utf8.AppendRune(buf, r) // not a Latin letter with an accent
	}
	for _, d := range norm.NFD.String(string(r)) {
		if !unicode.Is(unicode.Mn, d) {
			buf = utf8.AppendRune(buf, d)
		}
	}
	return buf
}

// abbreviation returns the length of the capitals-and-periods abbreviation
// that text starts with ("U.S." is 4), 0 when it starts with none. It needs
// two letters at least and no letter or digit right after it.
func abbreviation(text string) int {
	n := 0
	for n+1 < len(text) && text[n] >= 'A' && text[n] <= 'Z' && text[n+1] == '.' {
		n += 2
	}
	if n < 4 || (n < len(text) && isWordByte(text[n])) {
		return 0
	}
	return n
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= utf8.RuneSelf
}
