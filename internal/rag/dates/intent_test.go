package dates

import (
	"testing"
	"time"
)

func TestParseIntent(t *testing.T) {
	asOf := time.Date(2026, 2, 10, 15, 0, 0, 0, time.UTC) // a Tuesday
	d := func(s string) time.Time {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			panic(err)
		}
		return t
	}
	tests := []struct {
		question  string
		from, to  string // "" = open
		recent    bool
		wantQuery string
	}{
		{"What happened on 2026-02-04?", "2026-02-04", "2026-02-04", false, "What happened ?"},
		{"What did Putin say on February 4, 2026?", "2026-02-04", "2026-02-04", false, "What did Putin say ?"},
		{"trade news from Feb 4", "2026-02-04", "2026-02-04", false, "trade news"},
		{"What was said on 4 February 2026?", "2026-02-04", "2026-02-04", false, "What was said ?"},
		{"What did the Bundesbank do in March 1987?", "1987-03-01", "1987-04-30", false, "What did the Bundesbank do ?"},
		{"What happened in January 2026?", "2026-01-01", "2026-02-28", false, "What happened ?"},
		{"What happened on October 19 and October 20?", "2025-10-19", "2025-10-20", false, "What happened ?"},
		{"What did the talks on Feb 8 and the summit agree?", "2026-02-08", "2026-02-08", false, "What did the talks and the summit agree?"},
		{"What was the price of oil in March of 1974?", "1974-03-01", "1974-04-30", false, "What was the price of oil ?"},
		{"Who lectured on the 20th of October in 1880?", "1880-10-20", "1880-10-20", false, "Who lectured ?"},
		{"cocoa exports in 1987", "1987-01-01", "1987-12-31", false, "cocoa exports"},
		{"What happened yesterday?", "2026-02-09", "2026-02-09", false, "What happened ?"},
		{"how many ships are waiting to get through the Panama Canal?", "", "", true, "how many ships are waiting to get through the Panama Canal?"},
		{"how many ships waited at the Panama Canal?", "", "", false, "how many ships waited at the Panama Canal?"},
		{"how many US banks have gone under this year?", "2026-01-01", "2026-02-10", true, "how many US banks have gone under ?"},
		{"how many miners were trapped, all told?", "", "", true, "how many miners were trapped, ?"},
		{"energy deals last week", "2026-02-04", "2026-02-10", false, "energy deals"},
		{"trade this month", "2026-02-01", "2026-02-10", false, "trade"},
		{"trade last month", "2026-01-01", "2026-01-31", false, "trade"},
		{"oil in the past 3 days", "2026-02-08", "2026-02-10", false, "oil"},
		{"a crowd of 2000 people", "", "", false, "a crowd of 2000 people"},
		{"power cut in 2000 homes", "", "", false, "power cut in 2000 homes"},
		{"what happened in 1987 to the dollar?", "1987-01-01", "1987-12-31", false, "what happened to the dollar?"},
		{"Of the 12 may face charges?", "", "", false, "Of the 12 may face charges?"},
		{"oil from February 1 to February 9", "2026-02-01", "2026-02-09", false, "oil"},
		{"between March 1 and March 5, 1987 what did the Bundesbank do?", "1987-03-01", "1987-03-05", false, "what did the Bundesbank do?"},
		{"trade between Russia and China", "", "", false, "trade between Russia and China"},
		{"What is the latest on energy?", "", "", true, "What is on energy?"},
		{"recent news about visas", "", "", true, "news about visas"},
		{"What did the committee on the attack of January 6, 2021 say this week?", "2026-02-09", "2026-02-10", false, "What did the committee on the attack of January 6, 2021 say ?"},
		{"Who is now the richest man?", "", "", true, "Who is the richest man?"},
		{"Is the strike still on?", "", "", true, "Is the strike on?"},
		{"What is the rate as of today?", "", "", true, "What is the rate ?"},
		{"How many have died so far?", "", "", true, "How many have died ?"},
		{"Who is currently the chairman?", "", "", true, "Who is the chairman?"},
		{"visas since February 1", "2026-02-01", "2026-02-10", false, "visas"},
		{"visas before Feb 5, 2026", "", "2026-02-04", false, "visas"},
		{"between 2026-02-01 and 2026-02-05", "2026-02-01", "2026-02-05", false, ""},
		{"2026-02-05..2026-02-01", "2026-02-01", "2026-02-05", false, ""},
		{"Feb 20 talks", "2025-02-20", "2025-02-20", false, "talks"}, // Feb 20 has not come yet in 2026
		{"What is the 15th Five-Year Plan?", "", "", false, "What is the 15th Five-Year Plan?"},
		{"Did 1987 bring rate cuts?", "", "", false, "Did 1987 bring rate cuts?"},
		{"What happened on 2026-13-45?", "", "", false, "What happened on 2026-13-45?"},
		// A month's events are reported during it and in the month after:
		// both are read, and the month stays a word to match.
		{"What is the current account deficit?", "", "", false, "What is the current account deficit?"},
		{"What is the current offer for Piedmont?", "", "", true, "What is offer for Piedmont?"},
		{"Did prices fall in May or June?", "2025-05-01", "2025-06-30", false, "Did prices fall or June?"},
		{"How large was the trade surplus in December?", "2025-12-01", "2026-01-31", false, "How large was the trade surplus ?"},
		{"What was said before March?", "", "2025-02-28", false, "What was said ?"},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			in := ParseIntent(tt.question, asOf)
			var want Period
			if tt.from != "" {
				want.From = d(tt.from)
			}
			if tt.to != "" {
				want.To = d(tt.to)
			}
			if !in.Period.From.Equal(want.From) || !in.Period.To.Equal(want.To) {
				t.Errorf("period = %v, want %v", in.Period, want)
			}
			if in.Recent != tt.recent {
				t.Errorf("recent = %v, want %v", in.Recent, tt.recent)
			}
			if in.Query != tt.wantQuery {
				t.Errorf("query = %q, want %q", in.Query, tt.wantQuery)
			}
		})
	}
}

func TestRelativeDatesFollowTheReference(t *testing.T) {
	for _, asOf := range []string{"1987-03-02", "2026-02-10", "2030-12-31"} {
		ref, _ := time.Parse(time.DateOnly, asOf)
		in := ParseIntent("what happened yesterday", ref.Add(20*time.Hour))
		if want := ref.AddDate(0, 0, -1); !in.Period.From.Equal(want) || !in.Period.To.Equal(want) {
			t.Errorf("as of %s, yesterday = %v, want %s", asOf, in.Period, want.Format(time.DateOnly))
		}
	}
}

func TestParsePeriod(t *testing.T) {
	asOf := time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"2026-02-04", "2026-02-04", true},
		{"2026-02-01..2026-02-28", "2026-02-01 to 2026-02-28", true},
		{"2026-02-28..2026-02-01", "2026-02-01 to 2026-02-28", true},
		{"March 1987", "1987-03-01 to 1987-03-31", true},
		{"1987", "1987-01-01 to 1987-12-31", true},
		{"last week", "2026-02-04 to 2026-02-10", true},
		{"February", "2026-02-01 to 2026-02-28", true},
		{"banana", "", false},
		{"2026-02-30", "", false},
	}
	for _, tt := range tests {
		p, ok := ParsePeriod(tt.in, asOf)
		if ok != tt.ok || (ok && p.String() != tt.want) {
			t.Errorf("ParsePeriod(%q) = %v, %v; want %s, %v", tt.in, p, ok, tt.want, tt.ok)
		}
	}
}

func TestSoftPeriods(t *testing.T) {
	now := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	for q, soft := range map[string]bool{
		"trade this week": true, "trade yesterday": true, "talks on Feb 8": true, "talks Feb 8": true,
		"talks on February 8, 2026": false, "talks since Feb 8": false, "trade in March 1987": false,
		"between 2026-02-01 and 2026-02-05": false, "trade in 1987": false, "trade last month": false,
	} {
		if got := ParseIntent(q, now).Soft; got != soft {
			t.Errorf("%q: soft %v, want %v", q, got, soft)
		}
	}
	day := time.Date(2026, 2, 8, 0, 0, 0, 0, time.UTC)
	if w := Widen(Period{day, day}); !w.From.Equal(day.AddDate(0, 0, -7)) || !w.To.Equal(day.AddDate(0, 0, 3)) {
		t.Errorf("a day widens to %v", w)
	}
}

// TestImpossibleDates: a day that does not exist is reported, even beside
// one that does.
func TestImpossibleDates(t *testing.T) {
	asOf := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	for q, want := range map[string]string{
		"What happened on 2026-13-45?":                     "2026-13-45",
		"What happened on 1987-10-19 and 1987-10-45?":      "1987-10-45",
		"What happened between 2026-02-01 and 2026-02-30?": "2026-02-30",
		"What happened on 2026-02-04?":                     "",
	} {
		if got := ParseIntent(q, asOf).Invalid; got != want {
			t.Errorf("ParseIntent(%q).Invalid = %q, want %q", q, got, want)
		}
	}
}
