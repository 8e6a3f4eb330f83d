package corpus

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/araddon/dateparse"
)

var (
	isoDay = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)
	// A date must name a day: a bare number, a year or a month is refused.
	noDay = regexp.MustCompile(`(?i)^(\d+(\.\d*)*|[a-z]+\.?,?\s+\d{4}|\d{4}[-/]\d{1,2})$`)
)

// ParseDate reads an article date: an ISO date (2026-02-04), an RFC 3339
// timestamp, or a written date such as "February 4, 2026". Impossible dates
// (2026-13-45), ambiguous ones (03/02/2026) and ones that name no day
// (2026, March 2026, a bare number) are errors. The day and time are kept as
// written and labelled UTC.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, fmt.Errorf("no date")
	}
	if m := isoDay.FindStringSubmatch(s); m != nil {
		t, err := time.Parse("2006-1-2", s)
		if err != nil {
			return time.Time{}, fmt.Errorf("impossible date %q", s)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return asWritten(t), nil
	}
	if noDay.MatchString(s) {
		return time.Time{}, fmt.Errorf("date %q does not name a day: use YYYY-MM-DD", s)
	}
	t, err := dateparse.ParseStrict(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot parse date %q: use YYYY-MM-DD or RFC 3339", s)
	}
	t = asWritten(t)
	if t.Year() < 1000 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("impossible date %q", s)
	}
	return t, nil
}

// asWritten keeps the calendar day and clock time as written, in UTC, so
// that an article dated 2026-02-04T23:30-05:00 stays on February 4.
func asWritten(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}
