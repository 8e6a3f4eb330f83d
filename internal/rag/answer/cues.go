package answer

import (
	"regexp"
	"strings"
	"unicode"
)

// cueKind is the kind of answer a question asks for.
type cueKind int

const (
	cueNone cueKind = iota
	cueQuantity
	cueTime
	cuePerson
	cuePlace
	cueReason
)

var (
	reQuantityQ = regexp.MustCompile(`(?i)\b(how\s+(much|many|large|big|long|far|old|high|low)|what\s+(percentage|percent|share|amount|price|number|value|rate|size|total)|by\s+how)\b`)
	reTimeQ     = regexp.MustCompile(`(?i)\b(when|what\s+(year|date|day|month|time)|which\s+(year|date|day|month))\b`)
	rePersonQ   = regexp.MustCompile(`(?i)^\s*(who|whom|whose)\b|\b(which|what)\s+(person|president|minister|leader|company|official)\b`)
	rePlaceQ    = regexp.MustCompile(`(?i)^\s*where\b|\b(which|what)\s+(country|city|place|region|state)\b`)
	reReasonQ   = regexp.MustCompile(`(?i)^\s*why\b|\bwhat\s+(caused|led\s+to)\b`)

	reNumber = regexp.MustCompile(`\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|million|billion|trillion|dozen|half)\b`)
	reDate   = regexp.MustCompile(`(?i)\b(1[6-9]\d\d|20\d\d|jan(uary)?|feb(ruary)?|march|april|may|june|july|august|sept(ember)?|oct(ober)?|nov(ember)?|dec(ember)?|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday|today|century|decade)\b`)
	reReason = regexp.MustCompile(`(?i)\b(because|due\s+to|owing\s+to|as\s+a\s+result|in\s+order\s+to|so\s+that|since|reason|caused|led\s+to)\b`)
	rePlace  = regexp.MustCompile(`\b(in|at|from|near)\s+(the\s+)?[A-Z]`)
)

type questionKind struct{ kind cueKind }

func questionCue(q string) questionKind {
	switch {
	case reQuantityQ.MatchString(q):
		return questionKind{cueQuantity}
	case reTimeQ.MatchString(q):
		return questionKind{cueTime}
	case rePersonQ.MatchString(q):
		return questionKind{cuePerson}
	case rePlaceQ.MatchString(q):
		return questionKind{cuePlace}
	case reReasonQ.MatchString(q):
		return questionKind{cueReason}
	}
	return questionKind{cueNone}
}

// The bonuses of a sentence that holds the kind of thing asked for: a
// number or a date is a strong sign, a name, a place or a reason a weak one.
const (
	strongCueBonus = 0.2
	weakCueBonus   = 0.1
)

// bonus rewards a sentence that holds the kind of thing the question asks for.
func (k questionKind) bonus(sentence, question string) float64 {
	switch k.kind {
	case cueQuantity:
		if reNumber.MatchString(sentence) {
			return strongCueBonus
		}
	case cueTime:
		if reDate.MatchString(sentence) {
			return strongCueBonus
		}
	case cuePerson:
		if hasNewName(sentence, question) {
			return weakCueBonus
		}
	case cuePlace:
		if rePlace.MatchString(sentence) {
			return weakCueBonus
		}
	case cueReason:
		if reReason.MatchString(sentence) {
			return weakCueBonus
		}
	}
	return 0
}

// hasNewName reports whether the sentence has a capitalised word, past its
// first, that the question does not mention.
func hasNewName(sentence, question string) bool {
	lowerQ := strings.ToLower(question)
	for i, w := range strings.Fields(sentence) {
		if i == 0 {
			continue
		}
		w = strings.Trim(w, `.,;:!?"'()“”’`)
		if w == "" {
			continue
		}
		if r := []rune(w)[0]; unicode.IsUpper(r) && !strings.Contains(lowerQ, strings.ToLower(w)) {
			return true
		}
	}
	return false
}
