package rag

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/rag/answer"
	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/retrieve"
)

// retrieval is what a question retrieved, and from where.
type retrieval struct {
	res retrieve.Result
	// empty, when set, says that no article is dated within the question's
	// period and names the nearest dates.
	empty string
	// mention, when set, names the date words that the passages, from
	// articles of other dates, mention.
	mention string
	// widened, when set, is the period searched instead of a soft one that
	// did not answer.
	widened Period
}

// retrieve finds the passages for q: the one decision behind Ask, Sources
// and Rank. A date may say when something happened rather than when it
// was reported. When it names a year and no article is dated within it,
// the passages are those of any date that mention the year (and month),
// searched with the date words kept. When articles of the period exist
// but none covers the question, they are narrowed to the sentences that
// mention it, so that the answer quotes the date.
func (e *Engine) retrieve(ctx context.Context, q Question, so retrieve.Options) (retrieval, error) {
	var r retrieval
	known := q.Known
	if !known.IsZero() {
		// Nothing dated after the as-of day: no bound to search with (a
		// bound costs a filtered search). When the archive cannot say (a
		// node of a cluster is down), the bound stays: slower, as right.
		if st, err := e.archive.Stats(ctx); err == nil && !dates.Day(st.Newest).After(known) {
			known = time.Time{}
			if q.Period.IsZero() {
				so.Period = Period{}
			}
		}
	}
	covered, why, err := e.retriever.CoveredBy(ctx, q.Period, known)
	if err != nil {
		return r, err
	}
	if !covered {
		r.empty = why
	} else {
		if r.res, err = e.retriever.Search(ctx, q.Query, so); err != nil {
			return r, err
		}
		if q.Month != "" {
			r.res.Passages = ofMonth(r.res.Passages, q.Period.From, q.Month)
		}
		if q.Period.IsZero() || retrieve.BestCoverage(r.res.Passages) >= answer.DefaultMinCoverage {
			return r, nil
		}
	}
	if q.Soft {
		// "this week", "yesterday": the days just before may answer, the
		// nearest first.
		wso := so
		wso.Period, wso.Recent = knownBy(dates.Widen(q.Period), known), true
		res, err := e.retriever.Search(ctx, q.Query, wso)
		if err != nil {
			return r, fmt.Errorf("searching the days before the question's dates: %w", err)
		}
		// A question with no words of its own ("what happened yesterday?")
		// asks for that day only.
		if len(res.Terms) > 0 && retrieve.BestCoverage(res.Passages) >= answer.DefaultMinCoverage {
			r.res, r.empty, r.widened = res, "", wso.Period
			return r, nil
		}
	}
	words := dates.MentionWords(q.DatePhrase, q.Period)
	if len(words) == 0 {
		return r, nil
	}
	mso := so
	mso.K, mso.Period, mso.Recent = 4*so.K, knownBy(Period{}, known), false
	res, err := e.retriever.Search(ctx, q.Text, mso)
	if err != nil {
		return r, fmt.Errorf("searching articles that mention the question's date: %w", err)
	}
	// No article is dated then, so the date cannot be a publication date
	// here: passages that name it may answer. When articles of that date
	// exist but do not answer, only sentences of other articles that name
	// it may.
	mentioned, err := e.retriever.Mentioning(ctx, res.Passages, q.Text, words, so.K, r.empty == "")
	if err != nil {
		return r, err
	}
	if retrieve.BestCoverage(mentioned) < answer.DefaultMinCoverage {
		return r, nil
	}
	res.Passages = mentioned
	r.res, r.mention = res, strings.Join(words, " ")
	return r, nil
}

// question is q as the answerer reads it: with the terms and weights of
// what was searched for, and, for passages that mention the date, the
// whole question and no period.
func (r retrieval) question(q Question) Question {
	if r.mention != "" {
		q.Query, q.Period = q.Text, Period{}
	}
	q.Terms, q.IDF, q.MaxIDF = r.res.Terms, r.res.IDF, r.res.MaxIDF
	return q
}

// notes say what the reader should know about how q was searched.
func (r retrieval) notes(q Question) []string {
	var notes []string
	switch {
	case r.mention != "" && r.empty != "":
		notes = append(notes, "No article in the corpus is dated "+q.Period.String()+", so this answer comes from articles that mention "+r.mention+".")
	case r.mention != "":
		notes = append(notes, "No article dated "+q.Period.String()+" answers this, so this answer comes from articles of other dates that mention "+r.mention+".")
	case !r.widened.IsZero():
		notes = append(notes, "No article dated "+q.Period.String()+" answers this, so this answer comes from the days around it: "+r.widened.String()+", the nearest first.")
	case !q.Period.IsZero():
		notes = append(notes, "Searched only articles dated "+q.Period.String()+".")
	case !q.Known.IsZero():
		notes = append(notes, "Read only articles dated up to "+q.Known.Format(time.DateOnly)+", the date the question is asked as of.")
	}
	if r.res.VectorError != nil {
		notes = append(notes, "The embedding service is unavailable, so only keyword search was used.")
	}
	return notes
}

// ofMonth keeps the passages of the month that starts at first, and those
// of later days that name the month: "Brazil's trade surplus in February"
// is read in February's articles and in March's reports of February.
func ofMonth(passages []retrieve.Passage, first time.Time, month string) []Passage {
	end := first.AddDate(0, 1, 0)
	name := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(month) + `\b`)
	var out []Passage
	for _, p := range passages {
		if p.Date.Before(end) || name.MatchString(p.Text) || name.MatchString(p.Title) {
			out = append(out, p)
		}
	}
	return out
}
