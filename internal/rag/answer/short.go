package answer

import (
	"regexp"
	"strings"
	"unicode"

	"github.com/herald-news/herald/internal/rag/analysis"
)

// A short answer is the name, number, amount or date a question asks for,
// taken from a cited sentence or title: what the question does not already
// say, of the type it expects. This file finds it.

// span is a stretch of a sentence that may be the short answer.
type span struct {
	text       string
	start, end int // byte offsets in the sentence
	fit        float64
}

var (
	// reAmount matches "14.5 pct", "$2.15 billion", "200 mln dlrs",
	// "7-3/4 pct", "three to four months", "15,000", "four".
	reAmount = regexp.MustCompile(`(?i)(?:(?-i:US|C|A|HK|NZ)?[$£€¥]\s?)?(?:\b\d[\d,]*(?:\.\d+)?(?:-\d/\d)?|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|dozen|half)\b)` +
		`(?:\s*(?:-|to)\s*(?:\d[\d,]*(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten)\b)?` +
		`(?:\s*(?:%|pct\b|percent\b|per\s+cent\b))?` +
		`(?:\s+(?:mln|million|bln|billion|trillion|thousand)\b)?` +
		`(?:\s+(?:dlrs?|dollars?|cts|cents|stg|pounds?|sterling|marks|yen|francs|lire|guilders|pesos|rupees|tonnes|tons|barrels|bpd|ounces|bushels|shares|units|points?|pct|percent|days|weeks|months|years|ships|jets|aircraft|people|workers|employees|jobs|vehicles|cars|seats)\b)?`)
	// reDay matches "March 3", "March 3, 1987", "March 1987", "1987",
	// "Monday", "in May".
	reDay = regexp.MustCompile(`(?i)\b(?:(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?(?:\s+\d{1,2}(?:st|nd|rd|th)?)?(?:,?\s+(?:1[6-9]|20)\d\d)?|(?:1[6-9]|20)\d\d|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b`)
	// reNameWord is a word of a name: capitalised, an acronym, or a code
	// with digits ("A320", "11-1-1").
	reNameWord = regexp.MustCompile(`[\p{L}\p{N}](?:[\p{L}\p{N}'’&/.-]*[\p{L}\p{N}])?\.?`)
	// rePercentQ and reMoneyQ say which unit a quantity question wants.
	rePercentQ = regexp.MustCompile(`(?i)\b(percent(age)?|pct|rate|share\s+of|how\s+much\s+of|stake|growth|inflation|ratio|grow|fall|drop|rise|jump|climb|down|up)\b`)
	reMoneyQ   = regexp.MustCompile(`(?i)\b(pay(ing)?|paid|spend|cost|worth|price|offer(ing)?|bid(ding)?|money|cash|fine[ds]?|loan|lend|borrow|credit|deficit|surplus|tariffs?|dlrs?|dollars?|a\s+share|per\s+share|profit|loss|revenue|sales)\b`)
	// reUnitWord is a unit a quantity question names.
	reUnitWord    = regexp.MustCompile(`\b(yen|marks|francs|lire|guilders|pesos|roubles|rupees|crowns|stg|sterling|tonnes|tons|barrels|bpd|ounces|bushels|shares|points|units)\b`)
	reHowManyNoun = regexp.MustCompile(`(?i)\bhow\s+many\s+([a-z]+)`)
	reMonthWord   = regexp.MustCompile(`(?i)^(jan(uary)?|feb(ruary)?|march|april|may|june|july|august|sept(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday)$`)
	reOrgSuffix   = regexp.MustCompile(`(?i)\b(corp|corporation|inc|co|ltd|plc|group|bank|bancorp|industries|holdings|ag|sa|nv|airlines?|network|systems|motors)\.?$`)
	rePlaceLead   = regexp.MustCompile(`(?i)\b(in|at|from|near|to|into|outside)\s*$`)
)

// nameJoiners may stand inside a name ("Herald of Free Enterprise").
var nameJoiners = map[string]bool{"of": true, "de": true, "la": true, "du": true, "von": true, "van": true, "der": true, "del": true, "da": true}

// spans returns the candidate short answers of the kind asked for in s
// that the question does not already say.
func (k questionKind) spans(s, question string) []span {
	var out []span
	switch k.kind {
	case cueQuantity:
		days := reDay.FindAllStringIndex(s, -1)
		for _, m := range reAmount.FindAllStringIndex(s, -1) {
			if m[1] = m[0] + len(strings.TrimRight(s[m[0]:m[1]], ",.")); insideAny(m, days) && !hasUnit(s[m[0]:m[1]]) {
				continue // "March 3", "1987"
			}
			t := strings.TrimSpace(s[m[0]:m[1]])
			if !strings.ContainsAny(t, "0123456789") && !hasUnit(strings.TrimLeft(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) && partOf(s[m[1]:]) {
				continue // "one third", "two of them": not an amount
			}
			if strings.EqualFold(t, "one") {
				continue // "one" is a word far more often than an amount
			}
			out = append(out, span{text: t, start: m[0], end: m[1], fit: quantityFit(t, question)})
		}
	case cueTime:
		for _, m := range reDay.FindAllStringIndex(s, -1) {
			t := s[m[0]:m[1]]
			fit := 0.0
			switch {
			case strings.ContainsAny(t, "0123456789") && strings.ContainsFunc(t, unicode.IsLetter):
				fit = 0.5 // a day with its month is more than a year
			case strings.ContainsAny(t, "0123456789"):
				fit = 0.3 // a year
			}
			out = append(out, span{text: t, start: m[0], end: m[1], fit: fit})
		}
	case cuePerson, cuePlace, cueName:
		out = k.names(s, question)
	}
	kept := out[:0]
	for _, sp := range out {
		if saysAlready(sp.text, question) || (k.kind != cueQuantity && k.kind != cueTime && sharesName(sp.text, question)) {
			continue
		}
		kept = append(kept, sp)
	}
	return kept
}

// names returns the runs of capitalised words of s: people, companies,
// places and things with a name.
func (k questionKind) names(s, question string) []span {
	var out []span
	words := reNameWord.FindAllStringIndex(s, -1)
	for i := 0; i < len(words); i++ {
		w := s[words[i][0]:words[i][1]]
		if !isNameWord(w) || unicode.IsDigit([]rune(w)[0]) || (i == 0 && analysis.IsStopWord(strings.ToLower(w))) || reMonthWord.MatchString(strings.TrimSuffix(w, ".")) {
			continue
		}
		j := i
		for j+1 < len(words) {
			next := s[words[j+1][0]:words[j+1][1]]
			gap := s[words[j][1]:words[j+1][0]]
			if strings.TrimSpace(gap) != "" && gap != "-" {
				break // a comma or a bracket ends the name
			}
			if cur := s[words[j][0]:words[j][1]]; strings.HasSuffix(cur, ".") && len(cur) > 2 && strings.Count(cur, ".") == 1 {
				break // "Daiwa Securities America Inc. However": a sentence ends
			}
			if isNameWord(next) && !reMonthWord.MatchString(strings.TrimSuffix(next, ".")) {
				j++
				continue
			}
			cur := s[words[j][0]:words[j][1]]
			if (nameJoiners[next] || next == "and" && letterInitial(cur) && j+2 < len(words) && letterInitial(s[words[j+2][0]:words[j+2][1]])) &&
				j+2 < len(words) && isNameWord(s[words[j+2][0]:words[j+2][1]]) &&
				strings.TrimSpace(s[words[j+1][1]:words[j+2][0]]) == "" {
				j += 2
				continue
			}
			break
		}
		sp := span{start: words[i][0], end: words[j][1]}
		sp.text = strings.TrimSuffix(s[sp.start:sp.end], ".")
		if strings.HasSuffix(s[sp.start:sp.end], ".") && len(strings.Fields(sp.text)) > 0 {
			last := strings.Fields(sp.text)[len(strings.Fields(sp.text))-1]
			if reOrgSuffix.MatchString(last) || strings.Count(last, ".") > 0 {
				sp.text += "." // "Corp.", "U.S."
			}
		}
		i = j
		if sp = trimName(k, s, question, sp); sp.text == "" {
			continue
		}
		sp.fit = k.nameFit(s, sp)
		out = append(out, sp)
	}
	return out
}

// Words that lead a name without being it ("President Francesco
// Cossiga"), and words of an institution, which no person's name holds.
var (
	nameTitles = map[string]bool{"president": true, "prime": true, "minister": true, "mr": true, "mrs": true, "ms": true, "dr": true,
		"chairman": true, "senator": true, "sen": true, "rep": true, "governor": true, "gov": true, "king": true, "queen": true,
		"pope": true, "general": true, "gen": true, "judge": true, "secretary": true, "former": true, "chancellor": true,
		"finance": true, "foreign": true, "deputy": true, "vice": true, "chief": true, "executive": true, "director": true,
		"premier": true, "ambassador": true, "economics": true, "trade": true, "treasury": true, "agriculture": true, "energy": true,
		"commerce": true, "state": true, "defense": true, "labor": true, "justice": true, "interior": true, "transportation": true}
	institutionWords = map[string]bool{"agency": true, "association": true, "house": true, "party": true, "alliance": true,
		"commission": true, "department": true, "ministry": true, "states": true, "union": true, "court": true, "exchange": true,
		"council": true, "committee": true, "organization": true, "organisation": true, "office": true, "administration": true,
		"board": true, "government": true, "congress": true, "senate": true, "parliament": true, "institute": true, "fund": true,
		"reserve": true, "national": true, "international": true, "federal": true, "central": true, "intelligence": true,
		"press": true, "news": true, "street": true, "workers": true, "commercial": true, "food": true}
	// reTicker is a stock symbol: "BUD.N", "INTC".
	reTicker = regexp.MustCompile(`^[A-Z]{2,5}(\.[A-Z]{1,2})?$`)
)

// trimName drops what a name span holds that is not the name: a title in
// front, a possessive, a sentence's first word; it empties spans that
// cannot be the answer: a ticker, "U.S.", a lone demonym, an institution
// where a person is asked for.
func trimName(k questionKind, s, question string, sp span) span {
	words := strings.Fields(sp.text)
	for len(words) > 1 && (nameTitles[strings.ToLower(strings.Trim(words[0], "."))] || strings.EqualFold(words[0], "U.S.") || (sp.start == 0 && isFunctionLike(words[0]))) {
		words = words[1:]
	}
	if k.kind == cuePerson && !k.org {
		// "Secretary of Commerce Malcolm Baldrige": the name follows the
		// last word of the title.
		for i := len(words) - 2; i >= 0; i-- {
			if nameTitles[strings.ToLower(strings.Trim(words[i], "."))] || words[i] == "of" {
				words = words[i+1:]
				break
			}
		}
	}
	for len(words) > 1 && nameJoiners[words[0]] {
		words = words[1:] // "President of Costa Rica" less its title
	}
	if len(words) == 1 && sp.start == 0 && isFunctionLike(words[0]) {
		words = nil // "Trading in the shares…"
	}
	if len(words) > 0 {
		last := &words[len(words)-1]
		*last = strings.TrimSuffix(strings.TrimSuffix(*last, "'s"), "’s")
	}
	t := strings.Join(words, " ")
	lower := strings.ToLower(t)
	inParens := sp.start > 0 && s[sp.start-1] == '('
	switch {
	case t == "" || lower == "u.s." || lower == "u.s" || lower == "reuters":
		t = ""
	case len(words) == 1 && (analysis.IsDemonym(lower) || nameTitles[lower] || reMonthWord.MatchString(t)):
		t = ""
	case reTicker.MatchString(t) && (inParens || strings.Contains(t, ".")):
		t = ""
	case k.kind == cuePerson:
		// A person, or a company ("who agreed to buy American Motors?"),
		// but not an agency, an exchange or a party unless asked for one.
		for _, w := range words {
			if lw := strings.ToLower(w); institutionWords[lw] && !(k.org && strings.Contains(strings.ToLower(question), lw)) {
				t = ""
				break
			}
		}
	}
	sp.text = t
	return sp
}

// isFunctionLike reports whether a capitalised first word of a sentence
// reads as an ordinary word ("Following", "Separately") rather than a name.
func isFunctionLike(w string) bool {
	lower := strings.ToLower(w)
	return analysis.IsStopWord(lower) || strings.HasSuffix(lower, "ing") || strings.HasSuffix(lower, "ly") || strings.HasSuffix(lower, "ed")
}

// nameFit says how well a name fits the kind asked for.
func (k questionKind) nameFit(s string, sp span) float64 {
	n := len(strings.Fields(sp.text))
	fit := 0.0
	switch k.kind {
	case cuePerson:
		if n == 1 && sp.start == 0 && !reOrgSuffix.MatchString(sp.text) {
			fit -= 0.2 // "Analysts said…": a sentence's first word is seldom the one
		}
		if k.org {
			if reOrgSuffix.MatchString(sp.text) {
				fit += 0.5
			}
		} else if n >= 2 && !reOrgSuffix.MatchString(sp.text) {
			fit += 0.5 // "Rosie Barnes" rather than "Greenwich"
		} else if reOrgSuffix.MatchString(sp.text) {
			fit += 0.2 // a company may be the one who did it
		}
	case cuePlace:
		if rePlaceLead.MatchString(s[:sp.start]) {
			fit += 0.5
		}
	}
	return fit
}

// letterInitial reports whether w is one capital letter, as the names of
// "C and H Bancorp" and "A and P" are.
func letterInitial(w string) bool { return len(w) == 1 && w[0] >= 'A' && w[0] <= 'Z' }

// isNameWord reports whether w can be a word of a name.
func isNameWord(w string) bool {
	r := []rune(w)
	return unicode.IsUpper(r[0]) || (unicode.IsDigit(r[0]) && strings.ContainsFunc(w, unicode.IsLetter)) ||
		(unicode.IsDigit(r[0]) && strings.Contains(w, "-"))
}

// quantityFit says how well an amount fits the unit the question wants.
func quantityFit(a, question string) float64 {
	unit := unitOf(a)
	pct, money := unit == "pct", unit == "money"
	fit := 0.0
	if hasUnit(a) {
		fit += 0.2
	}
	if strings.ContainsAny(a, "0123456789") {
		fit += 0.1 // "one" and "two" are as often words as amounts
	}
	if u := reUnitWord.FindString(strings.ToLower(question)); u != "" {
		// "how much is the dollar worth in yen?": the amount in yen.
		if strings.Contains(strings.ToLower(a), u) {
			return fit + 0.8
		}
		if unitOf(u) == "money" && money {
			return fit - 0.3 // another currency
		}
	}
	switch {
	case rePercentQ.MatchString(question) && pct:
		fit += 0.5
	case reMoneyQ.MatchString(question) && money:
		fit += 0.5
	case strings.Contains(strings.ToLower(question), "how many") && !pct && !money:
		fit += 0.5
	}
	return fit
}

// unitOf says what an amount counts: "pct", "money", or "" for anything
// else.
func unitOf(a string) string {
	lower := strings.ToLower(a)
	switch {
	case strings.Contains(lower, "pct") || strings.Contains(lower, "%") || strings.Contains(lower, "percent") || strings.Contains(lower, "per cent"):
		return "pct"
	case strings.ContainsAny(a, "$£€¥") || strings.Contains(lower, "dlr") || strings.Contains(lower, "dollar") || strings.Contains(lower, "stg") ||
		strings.Contains(lower, "cts") || strings.Contains(lower, "cents") || strings.Contains(lower, "marks") || strings.Contains(lower, "yen") ||
		strings.Contains(lower, "francs") || strings.Contains(lower, "pound"):
		return "money"
	}
	return ""
}

// partOf reports whether what follows a number word makes it a part, not
// an amount: "one third", "two of the banks".
func partOf(rest string) bool {
	w := strings.ToLower(strings.TrimLeft(rest, " "))
	for _, p := range []string{"of ", "third", "half", "quarter", "fifth", "tenth"} {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// hasUnit reports whether an amount names what it counts.
func hasUnit(a string) bool {
	return strings.ContainsFunc(a, unicode.IsLetter) || strings.ContainsAny(a, "$£€¥%")
}

// insideAny reports whether m lies within one of the ranges.
func insideAny(m []int, ranges [][]int) bool {
	for _, r := range ranges {
		if m[0] >= r[0] && m[1] <= r[1] {
			return true
		}
	}
	return false
}

// saysAlready reports whether the question already holds every word of t:
// then t is the question's premise, not its answer.
func saysAlready(t, question string) bool {
	q := wordSet(question)
	words := 0
	for _, w := range strings.FieldsFunc(strings.ToLower(t), notWordRune) {
		if analysis.IsStopWord(w) || reOrgSuffix.MatchString(w) {
			continue // "Gynex Inc" is the question's "Gynex"
		}
		words++
		if !q[w] && !q[strings.TrimSuffix(w, "s")] {
			return false
		}
	}
	return words > 0 || strings.TrimSpace(t) == ""
}

// sharesName reports whether a name holds a capitalised word of the
// question: "Yasuhiro Nakasone" is the question's "Nakasone", "Chrysler
// Fifth Avenue" a thing of its "Chrysler", neither the person asked for.
func sharesName(name, question string) bool {
	q := map[string]bool{}
	for i, w := range strings.Fields(question) {
		w = strings.Trim(w, `.,;:!?"'()“”’`)
		w = strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "’s")
		if i > 0 && w != "" && unicode.IsUpper([]rune(w)[0]) && !isAcronym(w) {
			q[strings.ToLower(w)] = true
		}
	}
	for _, w := range strings.Fields(name) {
		w = strings.ToLower(strings.Trim(w, ".,"))
		if q[w] && !reOrgSuffix.MatchString(w) && !analysis.IsStopWord(w) {
			return true
		}
	}
	return false
}

func notWordRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '.' }

// wordSet returns the lower-cased words of s, and each without a final s.
func wordSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), notWordRune) {
		w = strings.Trim(w, ".")
		set[w] = true
		set[strings.TrimSuffix(w, "s")] = true
		set[strings.ReplaceAll(w, ",", "")] = true
	}
	return set
}

// The weights of a span's distance from the question's words, over the
// sentence's length, and of its order among the spans. Both were set on
// reuters-qa dev (herald eval news --json, short_right): distance alone
// and order alone each found fewer short answers than the two together.
const (
	nearWeight  = 0.5
	orderWeight = 0.5
)

// reSubjectQ is a question that asks who did something ("who agreed to
// buy…", "which bank is lending…"): its verb follows the asking words.
var reSubjectQ = regexp.MustCompile(`(?i)^\s*(?:who|which(?:\s+[a-z-]+){1,2}?)\s+(?:(?:is|was|are|were|has|have|had|will|would|could|'s)\s+)?([a-z]+)`)

// A name that stands just before the question's verb in the sentence is
// its subject: subjectWeight more, when it ends within subjectReach bytes of
// the verb.
const (
	subjectWeight = 0.5
	subjectReach  = 60
)

// subjectEnd is where in s the verb of a who-did-it question first stands,
// 0 when the question asks no such thing or s lacks the verb.
func (k questionKind) subjectEnd(an *analysis.Analyzer, s, question string) int {
	if k.kind != cuePerson {
		return 0
	}
	m := reSubjectQ.FindStringSubmatch(question)
	if m == nil || analysis.IsStopWord(strings.ToLower(m[1])) {
		return 0 // "who did Reagan pick…" asks for the object
	}
	verb := an.Terms(nil, m[1])
	if len(verb) != 1 {
		return 0
	}
	// The word the question puts after its verb must follow it in s too:
	// "agreed to buy", not "agreed to forgive".
	next := an.Terms(nil, question[len(m[0]):])
	words := reNameWord.FindAllStringIndex(s, -1)
	for i, w := range words {
		if t := an.Terms(nil, s[w[0]:w[1]]); len(t) != 1 || t[0] != verb[0] {
			continue
		}
		if len(next) == 0 {
			return w[0]
		}
		for _, after := range words[i+1 : min(len(words), i+4)] {
			if t := an.Terms(nil, s[after[0]:after[1]]); len(t) == 1 && t[0] == next[0] {
				return w[0]
			}
		}
	}
	return 0
}

// shortFrom picks the short answer of s: the best fitting span, nearest
// the words of the question it shares, or "" when s has none.
func (k questionKind) shortFrom(an *analysis.Analyzer, s, question string, qTerms map[string]bool) (string, float64) {
	spans := k.spans(s, question)
	if len(spans) == 0 {
		return "", 0
	}
	// Where in s the question's words stand, as byte offsets.
	var anchors []int
	for _, m := range reNameWord.FindAllStringIndex(s, -1) {
		for _, t := range an.Terms(nil, s[m[0]:m[1]]) {
			if qTerms[t] {
				anchors = append(anchors, (m[0]+m[1])/2)
				break
			}
		}
	}
	subjectEnd := k.subjectEnd(an, s, question)
	best, bestScore := "", 0.0
	for i, sp := range spans {
		d := len(s)
		for _, a := range anchors {
			if a >= sp.start && a < sp.end {
				continue
			}
			d = min(d, abs(a-sp.start), abs(a-sp.end))
		}
		// Fit to the asked type counts most; then nearness to the
		// question's words and order (news names its figure early).
		score := sp.fit - nearWeight*float64(d)/float64(len(s)+1) - orderWeight*float64(i)/float64(len(spans))
		if subjectEnd > 0 && sp.end <= subjectEnd && subjectEnd-sp.end < subjectReach {
			score += subjectWeight // "Chrysler said it agreed to buy…" for "who agreed to buy…?"
		}
		if i == 0 || score > bestScore {
			best, bestScore = sp.text, score
		}
	}
	best = strings.Trim(best, " ,;:")
	if k.kind == cueQuantity {
		best = dropCountedNoun(best, question)
	}
	return best, bestScore
}

// dropCountedNoun drops from an amount the noun the question counts, which
// it says already: "500" for "how many points did they score?".
func dropCountedNoun(amount, question string) string {
	m := reHowManyNoun.FindStringSubmatch(question)
	f := strings.Fields(amount)
	if m == nil || len(f) < 2 {
		return amount
	}
	noun, last := strings.ToLower(m[1]), strings.ToLower(f[len(f)-1])
	if strings.TrimSuffix(last, "s") != strings.TrimSuffix(noun, "s") {
		return amount
	}
	return strings.Join(f[:len(f)-1], " ")
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// mixedCase reports whether s has lower-case letters: an all-capitals
// wire headline cannot tell a name from a word.
func mixedCase(s string) bool { return strings.ContainsFunc(s, unicode.IsLower) }
