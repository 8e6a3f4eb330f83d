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
	// cueName asks for a thing with a name: "which AIDS drug", "what's
	// the new coin called".
	cueName
)

var (
	reQuantityQ = regexp.MustCompile(`(?i)\b(how\s+(much|many|large|big|long|far|old|high|low|fast|soon|strong|deep)|(what|which)('s|\s+is|\s+was|\s+were|\s+are)?(\s+\S+){0,4}?\s+(percentage|percent|share|amount|price|number|value|rate|size|total|ratio|reading|index|deficit|surplus|gap|figure|count|forecast|growth|offer|bid|stake|worth|level|margin|fine|sum|cost|balance|estimate|target|tariffs?)\b|by\s+(how|what)|to\s+what\b|^\s*what\b.*\b(cut|lower|lowered|raise|raised|set|trim|trimmed|move|moved|increase|increased|reduce|reduced|lift|lifted)\b.*\bto\b|^\s*what('s|\s+is|\s+was|\s+did|\s+does|\s+are)?\b.*\b(paying|pay|offering|offer|bidding|bid|worth|cost|fetch|dividend|price|floor|ceiling|index|figure|rate)\b)`)
	reTimeQ     = regexp.MustCompile(`(?i)\b(when|what\s+(year|date|day|month|time)|which\s+(year|date|day|month))\b`)
	rePersonQ   = regexp.MustCompile(`(?i)^\s*(who|whom|whose)\b|\bwhich(\s+\S+){0,2}?\s+(person|president|minister|leader|official|chairman|director|executive|staffer|aide|head|governor|banker|senator|secretary|spokesman|negotiator|envoy|chief|ambassador|judge)\b`)
	reOrgQ      = regexp.MustCompile(`(?i)\bwhich(\s+\S+){0,3}?\s+(company|companies|firm|bank|banks|group|network|networks|unit|institute|agency|airline|party|union|team|maker|producer|carrier|insurer|broker|exchange|fund)\b|^\s*whose\s+(counter-?offer|bid|offer)|\bwhat\s+(company|companies|firm|bank|group|network|airline|agency)\b`)
	rePlaceQ    = regexp.MustCompile(`(?i)^\s*where\b|\bwhere\s+(in|is|did|does|was|will|are)\b|\bwhich(\s+\S+){0,3}?\s+(country|countries|city|town|place|region|state|port|plants?|base|field|province|island|site|stronghold|oasis|mine|town's)\b|\bwhat\s+(country|countries|city|town|region|state|province|island)\b`)
	reReasonQ   = regexp.MustCompile(`(?i)^\s*why\b|\bwhat\s+(caused|led\s+to)\b`)
	reNameQ     = regexp.MustCompile(`(?i)^\s*(which|what)\b.*\b(called|named|name\s+of)\b|^\s*which\b`)

	reReason = regexp.MustCompile(`(?i)\b(because|due\s+to|owing\s+to|as\s+a\s+result|in\s+order\s+to|so\s+that|since|reason|caused|led\s+to)\b`)
)

// questionKind is what a question asks for; org is set when a "who" or
// "which" question asks for an organisation rather than a person.
type questionKind struct {
	kind cueKind
	org  bool
}

func questionCue(q string) questionKind {
	switch {
	case reQuantityQ.MatchString(q):
		return questionKind{kind: cueQuantity}
	case reTimeQ.MatchString(q):
		return questionKind{kind: cueTime}
	case reOrgQ.MatchString(q):
		return questionKind{kind: cuePerson, org: true}
	case rePersonQ.MatchString(q):
		return questionKind{kind: cuePerson}
	case rePlaceQ.MatchString(q):
		return questionKind{kind: cuePlace}
	case reReasonQ.MatchString(q):
		return questionKind{kind: cueReason}
	case reNameQ.MatchString(q):
		return questionKind{kind: cueName}
	}
	return questionKind{kind: cueNone}
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
	case cueQuantity, cueTime:
		if len(k.spans(sentence, question)) > 0 {
			return strongCueBonus
		}
	case cuePerson, cuePlace, cueName:
		if len(k.spans(sentence, question)) > 0 {
			return weakCueBonus
		}
	case cueReason:
		if reReason.MatchString(sentence) {
			return weakCueBonus
		}
	}
	return 0
}

// fits reports whether a span a Reader chose is of the kind asked for: an
// amount for "how much" ("video" is none); for "when" a date, a year or a
// span with a number ("the 1880s"), not "Saturday and was taken" (SQuAD's
// events, "after the war", are lost: EM 0.005 on the odd pages); for
// "who", "where" and "which company" a name ("the Huguenots", not "the
// week"); for another "which"
// anything but a bare amount ("140.40" names no currency).
func (k questionKind) fits(s string) bool {
	switch k.kind {
	case cueQuantity:
		return reAmount.MatchString(s)
	case cueTime:
		day := strings.TrimPrefix(strings.TrimPrefix(strings.ToLower(s), "the "), "in ")
		return strings.EqualFold(reDay.FindString(s), s) || strings.EqualFold(reDay.FindString(day), day) ||
			strings.ContainsAny(s, "0123456789") && len(strings.Fields(s)) <= 3
	case cuePerson, cuePlace:
		return isName(s)
	case cueName:
		return strings.ContainsFunc(s, unicode.IsLetter)
	}
	return true
}

// isName reports whether s reads as a name: it begins with a capitalised
// word, or "the" and one ("the Huguenots", "French Protestants").
func isName(s string) bool {
	words := strings.Fields(s)
	if len(words) > 1 && strings.EqualFold(words[0], "the") {
		words = words[1:]
	}
	return len(words) > 0 && isNameWord(words[0])
}
