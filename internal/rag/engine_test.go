package rag_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"
)

func TestAsk(t *testing.T) {
	eng := newsEngine(t)
	tests := []struct {
		question  string
		found     bool
		contains  string
		citesURL  string
		citesDate string
		textHas   string // in the answer text when not found
	}{
		{"How much trade did Russia and China do?", true, "$200 billion", "https://example.org/trade", "2026-02-04", ""},
		{"What does the 15th Five-Year Plan mean?", true, "15th Five-Year Plan", "https://example.org/plan", "2026-02-05", ""},
		{"What did the Bundesbank do with its discount rate in March 1987?", true, "discount rate unchanged", "", "1987-03-05", ""},
		{"What did the Bundesbank do on 2026-02-04?", false, "", "", "", "does not seem to cover this question. The closest articles are: “Russia and China Trade Tops $200 Billion” (2026-02-04)."},
		{"What is the recipe for lasagna?", false, "", "", "", "does not seem to cover"},
		{"Who won the Super Bowl in 2016?", false, "", "", "", "No article in the corpus is dated 2016-01-01 to 2016-12-31. The nearest dates with articles are 1987-04-02 (before) and 2026-02-04 (after)."},
		{"What happened yesterday?", false, "", "", "", "No article in the corpus is dated 2026-02-09. The nearest date with articles is 2026-02-05 (before)."},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			a, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Found != tt.found {
				t.Fatalf("found = %v, want %v: %s", a.Found, tt.found, a.Text)
			}
			if !tt.found {
				if len(a.Citations) != 0 || !strings.Contains(a.Text, tt.textHas) {
					t.Errorf("not-found answer %q with %d citations", a.Text, len(a.Citations))
				}
				return
			}
			if !strings.Contains(a.Text, tt.contains) || !strings.Contains(a.Text, "[1]") {
				t.Errorf("answer %q lacks %q or its marker", a.Text, tt.contains)
			}
			c := a.Citations[0]
			if c.N != 1 || c.URL != tt.citesURL || c.Day() != tt.citesDate || c.Quote == "" {
				t.Errorf("citation %+v", c)
			}
			for _, part := range strings.Split(c.Quote, " … ") {
				if !strings.Contains(a.Text, part+" [1]") {
					t.Errorf("quoted sentence %q is not in the answer %q", part, a.Text)
				}
			}
			if n := strings.Count(a.Text, "["); n > 3 {
				t.Errorf("answer has %d sentences", n)
			}
		})
	}
}

func TestAskRefusesBadQuestions(t *testing.T) {
	eng := newsEngine(t)
	tests := []struct{ question, want string }{
		{"", "empty"},
		{"   ", "empty"},
		{strings.Repeat("x", rag.MaxQuestionRunes+1), "the limit is"},
		{"What did Putin say on 2026-13-45?", `"2026-13-45" is not a valid date`},
		{"What happened on February 30, 2026?", `"February 30, 2026" is not a valid date`},
	}
	for _, tt := range tests {
		_, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%.40q: error %v, want %q", tt.question, err, tt.want)
		}
	}
}

func TestQuestionsWithoutWordsAreNotAnswered(t *testing.T) {
	eng := newsEngine(t)
	for _, q := range []string{"???", "the of and", "what is it?"} {
		a, err := eng.Ask(context.Background(), q, rag.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Found || len(a.Citations) != 0 || !strings.Contains(a.Text, "no words to search") {
			t.Errorf("%q: %+v", q, a)
		}
	}
}

// TestQuestionsInAnotherLanguage: the index is English; a refusal of a
// question in another language says so, one of English keywords does not.
func TestQuestionsInAnotherLanguage(t *testing.T) {
	eng := newsEngine(t)
	tests := []struct {
		question string
		note     bool
	}{
		{"Wer ist der neue Vorsitzende von Hercules?", true},
		{"¿Cuánto ofreció TWA por las acciones de USAir?", true},
		{"Что сказал Путин о торговле?", true},
		{"Gary Hart presidential race dropout", false},
		{"Who won the Tour de France?", false},
	}
	for _, tt := range tests {
		a, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Found || strings.Contains(a.Note, rag.NotEnglishNote) != tt.note {
			t.Errorf("%q: found %v, note %q; want the English note: %v", tt.question, a.Found, a.Note, tt.note)
		}
	}
}

func TestAskWhatHappenedOnADay(t *testing.T) {
	eng := newsEngine(t)
	a, err := eng.Ask(context.Background(), "What happened on February 5, 2026?", rag.AskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Found || len(a.Citations) != 1 || a.Citations[0].Day() != "2026-02-05" || !strings.Contains(a.Note, "2026-02-05") {
		t.Fatalf("answer %+v", a)
	}
}

func TestSummaries(t *testing.T) {
	eng := newsEngine(t)
	ctx := context.Background()
	march := rag.Period{From: time.Date(1987, 3, 1, 0, 0, 0, 0, time.UTC), To: time.Date(1987, 4, 30, 0, 0, 0, 0, time.UTC)}
	tests := []struct {
		name      string
		req       rag.SummaryRequest
		heading   string
		wantDates []string
		wantText  string
	}{
		{"article by title words", rag.SummaryRequest{Article: "five-year plan"}, "Summary of “Xi Outlines Five-Year Plan” (2026-02-05)", []string{"2026-02-05"}, "15th Five-Year Plan"},
		{"article by id", rag.SummaryRequest{Article: "bb-1"}, "Summary of “Bundesbank Leaves Rates Unchanged” (1987-03-05)", []string{"1987-03-05"}, "discount rate"},
		{"topic", rag.SummaryRequest{Topic: "Bundesbank"}, "Summary of “Bundesbank”", []string{"1987-03-05", "1987-04-02"}, "Bundesbank"},
		{"period", rag.SummaryRequest{Period: march}, "Summary of 1987-03-01 to 1987-04-30", []string{"1987-03-05", "1987-04-02"}, "Bundesbank"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := eng.Summarize(ctx, tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if a.Heading != tt.heading || !a.Found || !strings.Contains(a.Text, tt.wantText) {
				t.Fatalf("summary %q: %q", a.Heading, a.Text)
			}
			var dates []string
			for _, c := range a.Citations {
				dates = append(dates, c.Day())
				if !strings.Contains(a.Text, "["+string(rune('0'+c.N))+"]") {
					t.Errorf("citation %d is not used in the text", c.N)
				}
			}
			if strings.Join(dates, ",") != strings.Join(tt.wantDates, ",") {
				t.Errorf("cited dates %v, want %v", dates, tt.wantDates)
			}
			for _, line := range strings.Split(a.Text, "\n") {
				if !strings.HasPrefix(line, "- ") || !strings.HasSuffix(line, "]") {
					t.Errorf("summary line %q is not a cited bullet", line)
				}
			}
		})
	}
	a, err := eng.Summarize(ctx, rag.SummaryRequest{Article: "bundesbank"})
	if err != nil || a.Citations[0].ArticleID != "bb-2" || !strings.Contains(a.Note, "2 articles match “bundesbank”; this is the newest. Others: “Bundesbank Leaves Rates Unchanged” (1987-03-05).") {
		t.Errorf("ambiguous title: %+v, %v", a, err)
	}
	if _, err := eng.Summarize(ctx, rag.SummaryRequest{Article: "no such thing at all"}); !errors.Is(err, rag.ErrNoSuchArticle) {
		t.Errorf("unknown article: %v", err)
	}
	empty := rag.Period{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2020, 1, 31, 0, 0, 0, 0, time.UTC)}
	if a, err := eng.Summarize(ctx, rag.SummaryRequest{Period: empty}); err != nil || a.Found || !strings.Contains(a.Text, "No article") {
		t.Errorf("empty period: %+v, %v", a, err)
	}
}

func TestSources(t *testing.T) {
	eng := newsEngine(t)
	srcs, _, err := eng.Sources(context.Background(), "Bundesbank dollars", rag.AskOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) < 2 || srcs[0].ArticleID != "bb-2" {
		t.Fatalf("sources %+v", srcs)
	}
	seen := map[string]bool{}
	for i, s := range srcs {
		if s.N != i+1 || s.Quote == "" || !strings.Contains(s.Passage, s.Quote) || seen[s.ArticleID] {
			t.Errorf("source %+v", s)
		}
		seen[s.ArticleID] = true
	}
}

// A year in a question may say when something happened, not when it was
// reported: when no article of that year answers, articles of any date that
// mention the year do, with a note that says so.
func TestAskDateMentionedNotPublished(t *testing.T) {
	files := map[string]string{
		"treaty.txt": seedArticle("2026-02-04", "https://example.org/treaty", "Treaty Anniversary",
			"The Treaty of Good-Neighbourliness and Friendly Cooperation was signed by Russia and China in 2001. Both sides praised it."),
		"rain.txt": seedArticle("2001-07-16", "https://example.org/rain", "Summer Rain",
			"Heavy rain fell on Moscow during the summer, forecasters said."),
		"bank.txt": seedArticle("2026-01-20", "https://example.org/bank", "Central Bank Briefing",
			"The central bank raised interest rates sharply in 2018 to fight inflation. Its new headquarters opened in 2024 after years of delays."),
		"football.txt": seedArticle("2024-05-02", "https://example.org/football", "Cup Final",
			"The home side won the cup final on penalties."),
	}
	lib := memoryLibrary(t, files, nil)
	eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{Now: func() time.Time { return time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC) }})
	tests := []struct {
		question, note, cites string
		found                 bool
	}{
		{"Which treaty did Russia and China sign in 2001?", "No article dated 2001-01-01 to 2001-12-31 answers this, so this answer comes from articles of other dates that mention 2001.", "https://example.org/treaty", true},
		{"What did Russia and China sign in July 2001?", "No article dated 2001-07-01 to 2001-07-31 answers this", "", false},
		{"Which treaty did Russia and China sign in 1996?", "", "", false},
		{"Did it rain in Moscow in 2001?", "Searched only articles dated 2001-01-01 to 2001-12-31.", "https://example.org/rain", true},
		// Articles of 2024 exist; the one that mentions 2024 does so about
		// something else, and the 2018 sentence must not answer.
		{"Did the central bank raise interest rates in 2024?", "", "", false},
		{"When did the central bank open its new headquarters in 2024?", "No article dated 2024-01-01 to 2024-12-31 answers this, so this answer comes from articles of other dates that mention 2024.", "https://example.org/bank", true},
	}
	for _, tt := range tests {
		t.Run(tt.question, func(t *testing.T) {
			a, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if a.Found != tt.found {
				t.Fatalf("found = %v, want %v: %s (%s)", a.Found, tt.found, a.Text, a.Note)
			}
			if !tt.found {
				if strings.Contains(a.Note, "mention") || len(a.Citations) != 0 {
					t.Errorf("a refusal drew on mentions: %q, note %q", a.Text, a.Note)
				}
				return
			}
			if strings.Contains(tt.note, "mention") && !strings.Contains(a.Text, "2024") && !strings.Contains(a.Text, "2001") {
				t.Errorf("an answer from mentions quotes no mention: %q", a.Text)
			}
			if !strings.Contains(a.Note, tt.note) {
				t.Errorf("note %q lacks %q", a.Note, tt.note)
			}
			if a.Citations[0].URL != tt.cites {
				t.Errorf("cites %s, want %s", a.Citations[0].URL, tt.cites)
			}
			if strings.Contains(tt.note, "mention") != a.Period.IsZero() {
				t.Errorf("period %v with note %q", a.Period, a.Note)
			}
		})
	}
}

// TestAsOfHidesLaterArticles replays the past: a question asked as of a
// day reads no article dated after it, and names no later date.
func TestAsOfHidesLaterArticles(t *testing.T) {
	eng := newsEngine(t)
	ctx := context.Background()
	asOf := time.Date(1987, 3, 20, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		question, notIn, has string
	}{
		{"What did the Bundesbank buy?", "1987-04-02", "Read only articles dated up to 1987-03-20"},
		{"How much trade did Russia and China do?", "2026", ""},
		{"What did the Bundesbank do last week?", "1987-04-02", ""},
		{"What happened in 2026?", "2026-02", "about 2026-01-01 to 2026-12-31, after 1987-03-20"},
	}
	for _, tt := range tests {
		a, err := eng.Ask(ctx, tt.question, rag.AskOptions{AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		shown := a.Text + " " + a.Note
		if tt.has == "Read only articles dated up to 1987-03-20" && (!a.Period.From.IsZero() || !a.Period.To.Equal(asOf)) {
			t.Errorf("%q: period %s, want up to the as-of day", tt.question, a.Period)
		}
		for _, c := range a.Citations {
			shown += " " + c.Day()
			if c.Date.After(asOf) {
				t.Errorf("%q cites %s, after the as-of date", tt.question, c.Day())
			}
		}
		if strings.Contains(shown, tt.notIn) || !strings.Contains(shown, tt.has) {
			t.Errorf("%q: %s (want no %q, and %q)", tt.question, shown, tt.notIn, tt.has)
		}
		srcs, _, err := eng.Sources(ctx, tt.question, rag.AskOptions{AsOf: asOf})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range srcs {
			if s.Date.After(asOf) {
				t.Errorf("sources of %q list %s", tt.question, s.Day())
			}
		}
	}
}

// TestSoftPeriods asks about "this week" and a day without a year when
// those days hold no answer: the days just before answer, and the note
// says so; an explicit range is never widened.
func TestSoftPeriods(t *testing.T) {
	eng := newsEngine(t) // as of Tuesday 2026-02-10; trade on 02-04, the plan on 02-05
	tests := []struct {
		question string
		found    bool
		note     string
	}{
		{"How much trade did Russia and China do this week?", true, "comes from the days around it: 2026-02-02 to 2026-02-10"},
		{"What did Xi say about the Five-Year Plan on Feb 7?", true, "comes from the days around it"},
		{"How much trade did Russia and China do between 2026-02-09 and 2026-02-10?", false, ""},
		{"What happened yesterday?", false, ""},
	}
	for _, tt := range tests {
		a, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if a.Found != tt.found || !strings.Contains(a.Note, tt.note) || (!tt.found && strings.Contains(a.Note, "days around")) {
			t.Errorf("%q: found %v, note %q; want found %v, note with %q", tt.question, a.Found, a.Note, tt.found, tt.note)
		}
		// The period is what was searched: the widened one.
		if strings.Contains(a.Note, "days around") && !strings.HasSuffix(a.Note, "days around it: "+a.Period.String()+", the nearest first.") {
			t.Errorf("%q: period %s, note %q", tt.question, a.Period, a.Note)
		}
	}
}

// TestAMonthReadsItsReports asks about a month: what happened in it is
// reported in it and in the month after, so both are read, the month
// after only where it names the month; a question with no words of its
// own lists the month's own articles.
func TestAMonthReadsItsReports(t *testing.T) {
	eng := newsEngine(t) // as of 2026-02-10; trade reported on 02-04, naming no January
	tests := []struct {
		question, from, to string
		found              bool
	}{
		{"How much trade did Russia and China do in February?", "2026-02-01", "2026-02-10", true}, // up to the day asked
		{"How much trade did Russia and China do in January?", "2026-01-01", "2026-02-10", false},
		{"How much trade did Russia and China do in January 2026?", "2026-01-01", "2026-02-10", false},
		{"How much trade did Russia and China do since January?", "2026-01-01", "2026-02-10", true},
		{"What happened in January?", "2026-01-01", "2026-01-31", false},
	}
	for _, tt := range tests {
		a, err := eng.Ask(context.Background(), tt.question, rag.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Period.From.Format(time.DateOnly) + " " + a.Period.To.Format(time.DateOnly); got != tt.from+" "+tt.to || a.Found != tt.found {
			t.Errorf("%q: period %s, found %v; want %s %s, %v (%s)", tt.question, got, a.Found, tt.from, tt.to, tt.found, a.Text)
		}
	}
}
