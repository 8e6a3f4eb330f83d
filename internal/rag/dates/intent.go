package dates

import (
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Intent is what a question says about time.
type Intent struct {
	// Period restricts the answer to articles of these days (zero: any).
	Period Period
	// Recent asks for the newest articles first ("latest", "recent").
	Recent bool
	// Soft marks a period that is a preference rather than a bound ("this
	// week", "yesterday", "on Jan. 8" with no year): reporting straddles
	// days and weeks, so when it does not answer, the days just before it
	// may (see Widen). Explicit dates, months, years and ranges are bounds.
	Soft bool
	// Phrase is the text that set Period or Recent, as written.
	Phrase string
	// Month is the month word of "in February": the period holds the
	// month after too, when its figures are reported, and the month is a
	// word for the articles to match.
	Month string
	// Query is the question with the date words taken out, for retrieval.
	Query string
	// Invalid holds a date of the question that does not exist, such as
	// "2026-13-45" or "February 30".
	Invalid string
}

var monthNames = map[string]time.Month{
	"jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4,
	"may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9,
	"september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}

const monthRE = `(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?`

// A date phrase may be preceded by a word that turns it into an open range.
const leadRE = `(?:(since|after|from|before|until|till|by|on|in|during|of|for)\s+)?(?:the\s+)?`

var (
	reISORange    = regexp.MustCompile(`(?i)\b(?:from\s+|between\s+)?(\d{4}-\d{1,2}-\d{1,2})\s*(?:\.\.|to|and|until|through|–|—)\s*(\d{4}-\d{1,2}-\d{1,2})\b`)
	reAnyISO      = regexp.MustCompile(`\b\d{4}-\d{1,2}-\d{1,2}\b`)
	reISO         = regexp.MustCompile(`(?i)\b` + leadRE + `(\d{4}-\d{1,2}-\d{1,2})\b`)
	reMonthDay    = regexp.MustCompile(`(?i)\b` + leadRE + monthRE + `\s+(\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(\d{4}))?\b`)
	reDayMonth    = regexp.MustCompile(`(?i)\b` + leadRE + `(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?` + monthRE + `(?:,?\s+(?:in\s+)?(\d{4}))?\b`)
	reMonthYear   = regexp.MustCompile(`(?i)\b` + leadRE + monthRE + `,?\s+(?:of\s+)?(\d{4})\b`)
	reMonthOnly   = regexp.MustCompile(`(?i)\b(since|after|before|until|in|during)\s+` + monthRE + `\b`)
	reYear        = regexp.MustCompile(`(?i)\b(since|after|before|until|in|during)\s+(\d{4})\b`)
	reNextWord    = regexp.MustCompile(`^\s+([a-z]+)`)
	reFourDigits  = regexp.MustCompile(`\b\d{4}\b`)
	reRangeLead   = regexp.MustCompile(`(?i)\b(from|between|on)\s+`)
	reLastN       = regexp.MustCompile(`(?i)\b(?:in\s+|over\s+|during\s+)?(?:the\s+)?(?:last|past|previous)\s+(\d{1,3}|two|three|four|five|six|seven|ten)\s+(day|week|month|year)s?\b`)
	reRelative    = regexp.MustCompile(`(?i)\b(?:in\s+|during\s+|over\s+|from\s+)?(?:the\s+)?(today|yesterday|this\s+week|last\s+week|past\s+week|previous\s+week|this\s+month|last\s+month|past\s+month|previous\s+month|this\s+year|last\s+year|past\s+year|previous\s+year)\b`)
	reAccountNext = regexp.MustCompile(`(?i)^\s+accounts?\b`)
	reAsOfToday   = regexp.MustCompile(`(?i)\bas\s+of\s+(?:today|now)\b`)
	reRecent      = regexp.MustCompile(`(?i)\b(?:the\s+)?(latest|most\s+recent(?:ly)?|recent(?:ly)?|newest|lately|nowadays|currently|right\s+now|these\s+days|so\s+far|to\s+date|at\s+present|presently|at\s+the\s+moment|at\s+this\s+point|as\s+things\s+stand|running\s+(?:count|total|tally)|all\s+told|current|now|still)\b`)
	reNowState    = regexp.MustCompile(`(?i)^\s*how\s+(?:many|much)\s+[^?,;]*?\b(?:are|is)\s+(?:still\s+)?[a-z]+ing\b`)
	reCount       = regexp.MustCompile(`(?i)\bhow\s+many\b|\b(?:count|total|tally|number)\s+of\b`)
)

// yearFollowers are lower-case words that may follow a year ("in 1987 the
// bank…"); any other lower-case word after a number makes it a count.
var yearFollowers = map[string]bool{
	"the": true, "and": true, "or": true, "but": true, "when": true, "what": true, "did": true, "was": true,
	"were": true, "is": true, "are": true, "to": true, "for": true, "as": true, "with": true, "by": true,
	"on": true, "at": true, "about": true, "after": true, "before": true, "has": true, "had": true, "have": true,
	"do": true, "does": true, "a": true, "an": true, "so": true, "then": true, "than": true, "compared": true,
	"versus": true, "vs": true, "while": true, "how": true, "why": true, "who": true, "which": true, "where": true,
}

var smallNumbers = map[string]int{"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10}

// ParseIntent finds the date expressions of a question and turns them
// into a period or a recency request, taken against now. It understands
// explicit dates ("2026-02-04", "February 4, 2026", "Feb 4", "4 February",
// "in January 2026", "in 1987", "2026-02-01..2026-02-10"), relative ones
// ("yesterday", "last week", "this month", "the past 3 days") and recency
// words ("latest", "recent"). "since", "after", "before" and "until" open
// the range on one side. A date without a year is the latest such day not
// after now.
func ParseIntent(question string, now time.Time) Intent {
	today := Day(now)
	in := Intent{Query: question}
	take := func(loc []int) {
		in.Phrase = strings.TrimSpace(joinPhrase(in.Phrase, question[loc[0]:loc[1]]))
		in.Query = in.Query[:loc[0]] + strings.Repeat(" ", loc[1]-loc[0]) + in.Query[loc[1]:]
	}
	set := func(from, to time.Time, lead string) {
		switch strings.ToLower(lead) {
		case "since":
			to = today
			if to.Before(from) {
				to = time.Time{}
			}
		case "after":
			from, to = to.AddDate(0, 0, 1), time.Time{}
		case "before":
			from, to = time.Time{}, from.AddDate(0, 0, -1)
		case "until", "till", "by":
			from = time.Time{}
		}
		in.Period = Period{From: from, To: to}
	}

	// "as of today" asks for the newest, not for today's articles.
	if m := reAsOfToday.FindStringIndex(in.Query); m != nil {
		in.Recent = true
		take(m)
	}
	if m := reISORange.FindStringSubmatchIndex(in.Query); m != nil {
		a, errA := time.Parse("2006-1-2", in.Query[m[2]:m[3]])
		b, errB := time.Parse("2006-1-2", in.Query[m[4]:m[5]])
		if errA == nil && errB == nil {
			if b.Before(a) {
				a, b = b, a
			}
			in.Period = Period{From: a, To: b}
			take(m[:2])
		}
	}
	if in.Period.IsZero() {
		if p, loc, ok := rangeOf(in.Query, now); ok {
			in.Period = p
			take(loc)
		}
	}
	if in.Period.IsZero() {
		if loc := reRelative.FindStringIndex(in.Query); loc != nil && otherDate(in.Query, loc, today) {
			// "the attack of January 6, 2021 … this week": the relative
			// words say which reports to read; the other date says when
			// something happened, and stays in the query, a word to match.
			m := &matcher{in: &in, q: in.Query, today: today, take: take, set: set}
			m.relative()
		} else {
			in.matchFirst(today, take, set)
		}
	}
	if in.Invalid == "" { // an impossible day, even beside a possible one
		for _, m := range reAnyISO.FindAllString(in.Query, -1) {
			if _, err := time.Parse("2006-1-2", m); err != nil {
				in.Invalid = m
				break
			}
		}
	}
	// "How many ships are waiting…?": a count in the present progressive
	// asks how things stand now.
	if reNowState.MatchString(in.Query) {
		in.Recent = true
	}
	for _, m := range reRecent.FindAllStringIndex(in.Query, -1) {
		if f := strings.Fields(in.Query[m[0]:m[1]]); strings.EqualFold(f[len(f)-1], "current") && reAccountNext.MatchString(in.Query[m[1]:]) {
			continue // "the current account deficit" is a figure, not a cue
		}
		in.Recent = true
		take(m)
		break
	}
	in.Query = strings.Join(strings.Fields(in.Query), " ")
	return in
}

// otherDate reports whether q holds a date besides the one at loc.
func otherDate(q string, loc []int, today time.Time) bool {
	rest := Intent{Query: q[:loc[0]] + strings.Repeat(" ", loc[1]-loc[0]) + q[loc[1]:]}
	found := false
	rest.matchFirst(today, func([]int) {}, func(time.Time, time.Time, string) { found = true })
	return found || !rest.Period.IsZero()
}

func joinPhrase(a, b string) string {
	if a == "" {
		return b
	}
	return a + " … " + b
}

// matcher finds a single date in a question: in is what it has found,
// q the question, today the reference day; take marks a phrase as used
// and set applies a period with its lead word ("since", "before"…).
type matcher struct {
	in    *Intent
	q     string
	today time.Time
	take  func([]int)
	set   func(from, to time.Time, lead string)
}

// matchFirst applies the first single-date pattern that matches, from the
// most precise (a day) to the least (a year).
func (in *Intent) matchFirst(today time.Time, take func([]int), set func(from, to time.Time, lead string)) {
	m := &matcher{in: in, q: in.Query, today: today, take: take, set: set}
	for _, try := range []func() bool{m.isoDay, m.monthDay, m.dayMonth, m.monthYear, m.lastN, m.relative, m.monthOnly, m.year} {
		if try() {
			return
		}
	}
}

// group is submatch i of a match, or "".
func (m *matcher) group(loc []int, i int) string {
	if loc[2*i] < 0 {
		return ""
	}
	return m.q[loc[2*i]:loc[2*i+1]]
}

// latestOn resolves a month and day without a year to the latest such
// date not after today.
func (m *matcher) latestOn(month time.Month, day int) (time.Time, bool) {
	for y := m.today.Year(); y >= m.today.Year()-1; y-- {
		t := time.Date(y, month, day, 0, 0, 0, 0, time.UTC)
		if t.Day() != day {
			return t, false
		}
		if !t.After(m.today) {
			return t, true
		}
	}
	return time.Time{}, false
}

// day is the date of a day and month, in year or, without one, the latest
// such day not after today; ok is false for a day the month lacks.
func (m *matcher) day(year string, month time.Month, d int) (time.Time, bool) {
	if year == "" {
		return m.latestOn(month, d)
	}
	y, _ := strconv.Atoi(year)
	t := time.Date(y, month, d, 0, 0, 0, 0, time.UTC)
	return t, t.Day() == d && t.Month() == month
}

// isoDay reads "2026-02-04".
func (m *matcher) isoDay() bool {
	loc := reISO.FindStringSubmatchIndex(m.q)
	if loc == nil {
		return false
	}
	t, err := time.Parse("2006-1-2", m.group(loc, 2))
	if err != nil {
		return false
	}
	m.set(t, t, m.group(loc, 1))
	m.take(loc[:2])
	return true
}

// monthDay reads "February 4, 2026" and "Feb 4".
func (m *matcher) monthDay() bool {
	loc := reMonthDay.FindStringSubmatchIndex(m.q)
	if loc == nil || verbMay(m.group(loc, 2), m.group(loc, 4)) {
		return false
	}
	return m.dayOf(loc, m.group(loc, 2), m.group(loc, 3), m.group(loc, 4), loc[4])
}

// dayMonth reads "4 February 2026" and "4th of Feb".
func (m *matcher) dayMonth() bool {
	loc := reDayMonth.FindStringSubmatchIndex(m.q)
	if loc == nil || verbMay(m.group(loc, 3), m.group(loc, 4)) {
		return false
	}
	return m.dayOf(loc, m.group(loc, 3), m.group(loc, 2), m.group(loc, 4), loc[4])
}

// dayOf applies a matched day of a month, or records it as invalid (such
// as "February 30"), from invalidAt on.
func (m *matcher) dayOf(loc []int, month, day, year string, invalidAt int) bool {
	d, _ := strconv.Atoi(day)
	if t, ok := m.day(year, monthNames[strings.ToLower(month)], d); ok {
		lead := strings.ToLower(m.group(loc, 1))
		m.set(t, t, lead)
		m.in.Soft = year == "" && (lead == "" || lead == "on")
		m.take(loc[:2])
		return true
	}
	if d > 0 && d <= 31 {
		m.in.Invalid = strings.TrimSpace(m.q[invalidAt:loc[1]])
	}
	return false
}

// monthYear reads "March 1987".
func (m *matcher) monthYear() bool {
	loc := reMonthYear.FindStringSubmatchIndex(m.q)
	if loc == nil {
		return false
	}
	y, _ := strconv.Atoi(m.group(loc, 3))
	first := time.Date(y, monthNames[strings.ToLower(m.group(loc, 2))], 1, 0, 0, 0, 0, time.UTC)
	m.month(first, m.group(loc, 1), m.group(loc, 2), loc)
	return true
}

// month applies the month starting at first, named word, with its lead
// word. "in" or "during" a month says when something happened, and what
// happens in a month is reported during it and in the month after
// (February's figures come out in March): both are read, and the month
// stays a word to match (Month). "since", "before"… open the month's
// range.
func (m *matcher) month(first time.Time, lead, word string, loc []int) {
	switch strings.ToLower(lead) {
	case "in", "during":
		m.set(first, first.AddDate(0, 2, -1), "")
		m.in.Month = word
	default:
		m.set(first, first.AddDate(0, 1, -1), lead)
	}
	m.take(loc[:2])
}

// lastN reads "the past 3 days", "the last two weeks": N days, today
// included.
func (m *matcher) lastN() bool {
	loc := reLastN.FindStringSubmatchIndex(m.q)
	if loc == nil {
		return false
	}
	n, err := strconv.Atoi(m.group(loc, 1))
	if err != nil {
		n = smallNumbers[strings.ToLower(m.group(loc, 1))]
	}
	var from time.Time
	switch strings.ToLower(m.group(loc, 2)) {
	case "day":
		from = m.today.AddDate(0, 0, 1-n)
	case "week":
		from = m.today.AddDate(0, 0, 1-7*n)
	case "month":
		from = m.today.AddDate(0, -n, 0)
	default:
		from = m.today.AddDate(-n, 0, 0)
	}
	m.in.Period = Period{From: from, To: m.today}
	m.take(loc[:2])
	return true
}

// relative reads "yesterday", "last week", "this month".
func (m *matcher) relative() bool {
	loc := reRelative.FindStringSubmatchIndex(m.q)
	if loc == nil {
		return false
	}
	phrase := strings.Join(strings.Fields(strings.ToLower(m.group(loc, 1))), " ")
	m.in.Period = relativePeriod(phrase, m.today)
	m.in.Soft = softPhrases[phrase]
	// A count over a period still running ("how many banks have failed
	// this year?") grows with each report: the newest holds it.
	if strings.HasPrefix(phrase, "this ") && reCount.MatchString(m.q) {
		m.in.Recent = true
	}
	m.take(loc[:2])
	return true
}

// softPhrases are the relative dates whose period is a preference.
var softPhrases = map[string]bool{
	"today": true, "yesterday": true, "this week": true, "last week": true, "past week": true, "previous week": true,
	"this month": true,
}

// Widen is a soft period with the days just before it that may also
// answer: a week before a day or a week, a month before a month. The end
// stays (a later day may be after the reference day); a day also takes the
// three days after it, for a story reported late (a Friday's, on Monday).
func Widen(p Period) Period {
	days := p.To.Sub(p.From).Hours() / 24
	switch {
	case days < 1:
		return Period{From: p.From.AddDate(0, 0, -7), To: p.To.AddDate(0, 0, 3)}
	case days <= 7:
		return Period{From: p.From.AddDate(0, 0, -7), To: p.To}
	default:
		return Period{From: p.From.AddDate(0, -1, 0), To: p.To}
	}
}

// monthOnly reads "in March": the latest March not after today, and the
// month after it, when its reports come out.
func (m *matcher) monthOnly() bool {
	loc := reMonthOnly.FindStringSubmatchIndex(m.q)
	if loc == nil || verbMay(m.group(loc, 2), "") {
		return false
	}
	first := latestMonth(monthNames[strings.TrimSuffix(strings.ToLower(m.group(loc, 2)), ".")], m.today)
	m.month(first, m.group(loc, 1), m.group(loc, 2), loc)
	return true
}

// latestMonth is the first day of the latest month not after today.
func latestMonth(month time.Month, today time.Time) time.Time {
	first := time.Date(today.Year(), month, 1, 0, 0, 0, 0, time.UTC)
	if first.After(today) {
		first = first.AddDate(-1, 0, 0)
	}
	return first
}

// year reads "in 1987" (but not "in 2000 homes", which counts homes).
func (m *matcher) year() bool {
	loc := reYear.FindStringSubmatchIndex(m.q)
	if loc == nil {
		return false
	}
	y, _ := strconv.Atoi(m.group(loc, 2))
	if w := reNextWord.FindStringSubmatch(m.q[loc[1]:]); w != nil && !yearFollowers[w[1]] {
		return false
	}
	if y < 1800 || y > 2200 {
		return false
	}
	first := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	m.set(first, first.AddDate(1, 0, -1), m.group(loc, 1))
	m.take(loc[:2])
	return true
}

// verbMay reports whether a matched month is more likely the verb "may":
// written in lower case and without a year.
func verbMay(month, year string) bool {
	return month == "may" && year == ""
}

// rangeSeparators stand between the two dates of a range, besides "and".
var rangeSeparators = map[string]bool{"to": true, "until": true, "till": true, "through": true, "-": true, "–": true}

// rangeOf finds "from X to Y", "between X and Y" or "on X and Y" where X
// and Y are dates of any form ("from February 1 to February 10"), and
// returns the period and the phrase's bounds.
func rangeOf(q string, now time.Time) (Period, []int, bool) {
	for _, lead := range reRangeLead.FindAllStringIndex(q, -1) {
		words := strings.Fields(q[lead[1]:])
		// "on October 19 and October 20" is both days and those between;
		// "on" takes no other separator.
		on := strings.EqualFold(strings.TrimSpace(q[lead[0]:lead[1]]), "on")
		for sep := 1; sep < len(words) && sep <= 4; sep++ {
			if w := strings.ToLower(words[sep]); w != "and" && (on || !rangeSeparators[w]) {
				continue
			}
			a, okA := ParsePeriod(strings.Join(words[:sep], " "), now)
			if !okA {
				break
			}
			for n := min(4, len(words)-sep-1); n >= 1; n-- {
				tail := strings.TrimRight(strings.Join(words[sep+1:sep+1+n], " "), "?.!,;")
				b, okB := ParsePeriod(tail, now)
				if !okB {
					continue
				}
				// "March 1 and March 5, 1987": the start takes the end's year.
				if head := strings.Join(words[:sep], " "); !reFourDigits.MatchString(head) {
					if y := reFourDigits.FindString(tail); y != "" {
						if withYear, ok := ParsePeriod(head+" "+y, now); ok {
							a = withYear
						}
					}
				}
				if b.To.Before(a.From) {
					a, b = b, a
				}
				end := lead[1] + strings.Index(q[lead[1]:], tail) + len(tail)
				return Period{From: a.From, To: b.To}, []int{lead[0], end}, true
			}
			break
		}
	}
	return Period{}, nil, false
}

// relativePeriod resolves "yesterday", "last week" and the like. Weeks start
// on Monday; "last week" and "past week" mean the seven days that end
// today.
func relativePeriod(phrase string, today time.Time) Period {
	weekStart := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
	monthStart := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, time.UTC)
	yearStart := time.Date(today.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	switch phrase {
	case "today":
		return Period{today, today}
	case "yesterday":
		y := today.AddDate(0, 0, -1)
		return Period{y, y}
	case "this week":
		return Period{weekStart, today}
	case "last week", "past week", "previous week":
		return Period{today.AddDate(0, 0, -6), today}
	case "this month":
		return Period{monthStart, today}
	case "last month", "previous month":
		return Period{monthStart.AddDate(0, -1, 0), monthStart.AddDate(0, 0, -1)}
	case "past month":
		return Period{today.AddDate(0, -1, 0), today}
	case "this year":
		return Period{yearStart, today}
	case "last year", "previous year":
		return Period{yearStart.AddDate(-1, 0, 0), yearStart.AddDate(0, 0, -1)}
	case "past year":
		return Period{today.AddDate(-1, 0, 0), today}
	}
	return Period{}
}

// ParsePeriod reads a date or range given on its own, as to /summary or
// --date: "2026-02-04", "2026-02-01..2026-02-28", "March 1987", "1987",
// "last week". ok is false when nothing in s reads as a date.
func ParsePeriod(s string, now time.Time) (Period, bool) {
	s = strings.TrimSpace(s)
	if from, to, found := strings.Cut(s, ".."); found {
		a, okA := ParsePeriod(from, now)
		b, okB := ParsePeriod(to, now)
		if !okA || !okB {
			return Period{}, false
		}
		if b.To.Before(a.From) {
			a, b = b, a
		}
		return Period{From: a.From, To: b.To}, true
	}
	if y, err := strconv.Atoi(s); err == nil && len(s) == 4 {
		first := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		return Period{first, first.AddDate(1, 0, -1)}, true
	}
	if month, ok := monthNames[strings.TrimSuffix(strings.ToLower(s), ".")]; ok {
		// A month alone is that month, the latest not after now.
		first := latestMonth(month, Day(now))
		return Period{first, first.AddDate(0, 1, -1)}, true
	}
	intent := ParseIntent(s, now)
	if intent.Period.IsZero() || intent.Invalid != "" || strings.TrimSpace(intent.Query) != "" {
		return Period{}, false
	}
	return intent.Period, true
}

// MentionWords returns the words of a date phrase that an article about
// that time would contain: its month names, spelt out, and its years. It
// returns nothing when the phrase names no year ("yesterday", "Feb 4") or
// opens or spans a range ("before 2001", "between March 1 and March 5,
// 2019"), whose dates a mention cannot stand for.
func MentionWords(phrase string, p Period) []string {
	if p.From.IsZero() || p.To.IsZero() {
		return nil
	}
	years := reFourDigits.FindAllString(phrase, -1)
	if len(years) != 1 {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(phrase), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if rangeWords[w] {
			return nil
		}
		if m, ok := monthNames[w]; ok && !seen[m.String()] {
			seen[m.String()] = true
			out = append(out, m.String())
		}
	}
	if len(out) > 1 {
		return nil // two months: a range
	}
	return append(out, years[0])
}

// rangeWords make a date phrase a range rather than one date.
var rangeWords = map[string]bool{
	"between": true, "from": true, "to": true, "through": true, "until": true, "till": true,
	"since": true, "after": true, "before": true, "by": true, "and": true,
}
