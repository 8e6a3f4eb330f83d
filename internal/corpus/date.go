package corpus

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/araddon/dateparse"
)

var isoDay = regexp.MustCompile(`^(\d{4})-(\d{1,2})-(\d{1,2})$`)

// ParseDate reads an article date: an ISO date (2026-02-04), an RFC 3339
// timestamp, or a written date such as "February 4, 2026". Impossible dates
// such as 2026-13-45 are errors. The result is in UTC.
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
		return t.UTC(), nil
	}
	t, err := dateparse.ParseIn(s, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("cannot parse date %q", s)
	}
	if t.Year() < 1000 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("impossible date %q", s)
	}
	return t.UTC(), nil
}
