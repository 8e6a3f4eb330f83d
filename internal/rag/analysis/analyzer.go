// Package analysis turns text into the terms Herald indexes and searches
// for: lower-cased words and numbers, stop words dropped, demonyms folded
// into their country, stemmed. Article text comes in at ingest, question
// text at retrieval; the terms go to the store of record's lexical index,
// to the term statistics behind coverage, and to the local embedder.
package analysis

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// IsStopWord reports whether a lower-cased word is dropped from index
// terms and questions.
func IsStopWord(w string) bool { return stopWords[w] }

// stopWords are dropped from index terms and questions.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all am an and any are as at be because been
		before being below between both but by can could did do does doing down during each few for from further had
		has have having he her here hers herself him himself his how i if in into is it its itself just me more most
		my myself no nor not of off on once only or other our ours ourselves out over own same she should so some such
		than that the their theirs them themselves then there these they this those through to too under until up
		very was we were what when where which while who whom why will with would you your yours yourself yourselves
		s t also said says say tell told much many did does ago per whose yet happen happened happens happening news`) {
		m[w] = true
	}
	return m
}()

// IndexName identifies the analysis of NewIndex; change it whenever the
// terms it makes change, so that stored postings are rebuilt.
const IndexName = "words-stop-demonyms-snowball-en-v2"

// Analyzer turns text into index terms: lower-cased words and numbers, stop
// words dropped, words stemmed with the Snowball English stemmer. Stems are
// cached, so an analyzer is cheap to call again on the same vocabulary. It
// is safe for concurrent use.
type Analyzer struct {
	mu    sync.RWMutex
	stems map[string]string
	// fold, when set, replaces words before stemming (demonyms).
	fold map[string]string
}

// New returns the plain analyzer, which folds no demonyms (the local
// embedder's: its vectors stay as they were).
func New() *Analyzer { return &Analyzer{stems: make(map[string]string, 1<<14)} }

// NewIndex returns the analyzer of the lexical index and of questions,
// which also folds demonyms into their country ("Russian" → "russia"), so
// that a question about Russian trade finds an article about Russia's
// trade.
func NewIndex() *Analyzer {
	an := New()
	an.fold = demonyms
	return an
}

// demonyms maps the adjective or people of a country or region, as news
// writes them, to its name.
var demonyms = func() map[string]string {
	m := map[string]string{}
	for _, pair := range strings.Fields(`russian:russia chinese:china ukrainian:ukraine japanese:japan indian:india
		german:germany french:france british:britain iranian:iran iraqi:iraq israeli:israel syrian:syria
		turkish:turkey korean:korea pakistani:pakistan afghan:afghanistan egyptian:egypt brazilian:brazil
		mexican:mexico canadian:canada italian:italy spanish:spain dutch:netherlands swiss:switzerland
		swedish:sweden norwegian:norway finnish:finland danish:denmark greek:greece european:europe
		african:africa asian:asia kazakh:kazakhstan mongolian:mongolia vietnamese:vietnam
		indonesian:indonesia belarusian:belarus georgian:georgia venezuelan:venezuela cuban:cuba
		argentine:argentina argentinian:argentina australian:australia taiwanese:taiwan serbian:serbia
		hungarian:hungary romanian:romania bulgarian:bulgaria czech:czechia austrian:austria
		belgian:belgium portuguese:portugal irish:ireland scottish:scotland nigerian:nigeria
		kenyan:kenya ethiopian:ethiopia saudi:saudi emirati:emirates qatari:qatar kuwaiti:kuwait
		libyan:libya algerian:algeria moroccan:morocco tunisian:tunisia sudanese:sudan
		thai:thailand malaysian:malaysia filipino:philippines singaporean:singapore burmese:myanmar
		uzbek:uzbekistan kyrgyz:kyrgyzstan tajik:tajikistan turkmen:turkmenistan armenian:armenia
		azerbaijani:azerbaijan chilean:chile colombian:colombia peruvian:peru`) {
		adj, country, _ := strings.Cut(pair, ":")
		m[adj] = country
		if !strings.HasSuffix(adj, "ese") && !strings.HasSuffix(adj, "ish") && !strings.HasSuffix(adj, "ch") && !strings.HasSuffix(adj, "ss") {
			m[adj+"s"] = country // "Russians", "Afghans"
		}
	}
	return m
}()

// Terms appends the index terms of text to dst.
func (an *Analyzer) Terms(dst []string, text string) []string {
	ForEachWord(text, func(w string) {
		if stopWords[w] {
			return
		}
		if t := an.stem(w); t != "" {
			dst = append(dst, t)
		}
	})
	return dst
}

func (an *Analyzer) stem(w string) string {
	if f, ok := an.fold[w]; ok {
		w = f
	}
	an.mu.RLock()
	s, ok := an.stems[w]
	an.mu.RUnlock()
	if ok {
		return s
	}
	s = w
	if !isNumeric(w) {
		s = english.Stem(w, false)
	}
	an.mu.Lock()
	if len(an.stems) < 1<<20 {
		an.stems[w] = s
	}
	an.mu.Unlock()
	return s
}

func isNumeric(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return w[i] == '.' || w[i] == ','
		}
	}
	return true
}

// TermsCached is Terms with a caller-owned cache of word → term ("" for a
// stop word) in front of the shared one, for many goroutines analysing a
// large vocabulary at once without contending.
func (an *Analyzer) TermsCached(dst []string, text string, local map[string]string) []string {
	forEachWordBytes(text, func(b []byte) {
		t, ok := local[string(b)]
		if !ok {
			w := string(b)
			if !stopWords[w] {
				t = an.stem(w)
			}
			local[w] = t
		}
		if t != "" {
			dst = append(dst, t)
		}
	})
	return dst
}

// ForEachWord calls fn with each lower-cased word of text. Words are runs of
// letters and digits; a period or comma between digits stays inside a number
// (1.5, 200,000), an apostrophe ends a word and drops a trailing "s".
func ForEachWord(text string, fn func(string)) {
	forEachWordBytes(text, func(b []byte) { fn(string(b)) })
}

// forEachWordBytes is ForEachWord with the word in a buffer that is reused
// after fn returns.
func forEachWordBytes(text string, fn func([]byte)) {
	var arr [64]byte
	buf := arr[:0]
	flush := func() {
		if len(buf) == 0 {
			return
		}
		if len(buf) > 1 || (buf[0] >= '0' && buf[0] <= '9') {
			fn(buf)
		}
		buf = buf[:0]
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			buf = append(buf, byte(r))
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			buf = append(buf, byte(r+'a'-'A'))
		case r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			buf = utf8.AppendRune(buf, unicode.ToLower(r))
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

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

func isWordByte(b byte) bool {
	return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' || b >= utf8.RuneSelf
}
