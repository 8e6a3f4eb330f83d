package retrieve

import (
	"context"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag/dates"
	"github.com/herald-news/herald/internal/rag/store"
)

// Covered reports whether any article is dated within the period. When
// none is, why says so and names the nearest dates that have articles.
func (r *Retriever) Covered(ctx context.Context, period dates.Period) (covered bool, why string, err error) {
	return r.CoveredBy(ctx, period, time.Time{})
}

// CoveredBy is Covered for a question asked as of known (zero: now): no
// day after known is read, nor named as a nearest date.
func (r *Retriever) CoveredBy(ctx context.Context, period dates.Period, known time.Time) (covered bool, why string, err error) {
	if period.IsZero() {
		return true, "", nil
	}
	if !known.IsZero() && period.From.After(known) {
		return false, "The question asks about " + period.String() + ", after " + known.Format(time.DateOnly) + ", the date it is asked as of: nothing was reported yet.", nil
	}
	some, err := r.archive.Articles(ctx, store.ArticleQuery{Period: period, Limit: 1})
	if err != nil {
		return false, "", fmt.Errorf("looking for articles dated %s: %w", period, err)
	}
	if len(some) > 0 {
		return true, "", nil
	}
	before, after, err := r.archive.NearestDays(ctx, period)
	if err != nil {
		return false, "", fmt.Errorf("looking for the dates nearest %s: %w", period, err)
	}
	var near []string
	if !before.IsZero() {
		near = append(near, before.Format(time.DateOnly)+" (before)")
	}
	if !after.IsZero() && (known.IsZero() || !after.After(known)) {
		near = append(near, after.Format(time.DateOnly)+" (after)")
	}
	msg := "No article in the corpus is dated " + period.String() + "."
	switch len(near) {
	case 0:
		msg += " The corpus has no articles yet."
	case 1:
		msg += " The nearest date with articles is " + near[0] + "."
	default:
		msg += " The nearest dates with articles are " + near[0] + " and " + near[1] + "."
	}
	return false, msg, nil
}
