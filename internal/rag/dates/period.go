// Package dates reads what a question says about time: the periods it
// restricts the articles to, the recency it asks for, and the date words
// an article about that time would hold. Its input is the question's text
// and the reference time (the clock, or --as-of); its output, a Period and
// an Intent, goes to retrieval, which filters articles by it.
package dates

import (
	"fmt"
	"time"
)

// Period is an inclusive range of calendar days (UTC). A zero From or To
// leaves that side open; the zero Period means any date.
type Period struct {
	From, To time.Time
}

// Day returns t's calendar day at midnight UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// IsZero reports whether p places no bound at all.
func (p Period) IsZero() bool { return p.From.IsZero() && p.To.IsZero() }

// Contains reports whether t falls on a day of p.
func (p Period) Contains(t time.Time) bool {
	if !p.From.IsZero() && t.Before(p.From) {
		return false
	}
	if !p.To.IsZero() && !t.Before(p.To.AddDate(0, 0, 1)) {
		return false
	}
	return true
}

// String formats p for people: "2026-02-04", "2026-02-01 to 2026-02-28",
// "since 2026-02-01" or "until 2026-02-28".
func (p Period) String() string {
	const f = time.DateOnly
	switch {
	case p.IsZero():
		return "any date"
	case p.From.IsZero():
		return "until " + p.To.Format(f)
	case p.To.IsZero():
		return "since " + p.From.Format(f)
	case p.From.Equal(p.To):
		return p.From.Format(f)
	}
	return fmt.Sprintf("%s to %s", p.From.Format(f), p.To.Format(f))
}

// Overlaps reports whether any day from first to last (inclusive) is in p.
func (p Period) Overlaps(first, last time.Time) bool {
	return (p.To.IsZero() || !Day(first).After(p.To)) && (p.From.IsZero() || !Day(last).Before(p.From))
}

// Covers reports whether every day from first to last (inclusive) is in p.
func (p Period) Covers(first, last time.Time) bool {
	return p.Contains(first) && p.Contains(last)
}
