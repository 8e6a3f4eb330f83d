package llm

import (
	"sync"
	"time"
)

// Budget counts the LLM tokens used each day (UTC), in all and per user,
// against limits. Calls reserve an estimate first and settle with the
// reported usage.
type Budget struct {
	mu       sync.Mutex
	total    int
	perUser  int
	day      string
	used     int
	usedBy   map[string]int
	refusals int
}

// NewBudget limits a day to total tokens and each user to perUser (0: no
// limit).
func NewBudget(total, perUser int) *Budget {
	return &Budget{total: total, perUser: perUser, usedBy: map[string]int{}}
}

func (b *Budget) roll(now time.Time) {
	if d := now.UTC().Format(time.DateOnly); d != b.day {
		b.day, b.used, b.usedBy = d, 0, map[string]int{}
	}
}

// Reservation is tokens booked for a call, on the day they were booked.
type Reservation struct {
	user   string
	tokens int
	day    string
}

// Reserve books n tokens for user, or reports that a limit would be passed.
func (b *Budget) Reserve(user string, n int, now time.Time) (Reservation, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	if (b.total > 0 && b.used+n > b.total) || (b.perUser > 0 && user != "" && b.usedBy[user]+n > b.perUser) {
		b.refusals++
		return Reservation{}, false
	}
	b.used += n
	if user != "" {
		b.usedBy[user] += n
	}
	return Reservation{user: user, tokens: n, day: b.day}, true
}

// Settle replaces a reservation by the tokens used. A reservation from a
// day that has ended is forgotten with that day; the use counts today.
func (b *Budget) Settle(r Reservation, used int, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	delta := used
	if r.day == b.day {
		delta -= r.tokens
	}
	b.used = max(0, b.used+delta)
	if r.user != "" {
		b.usedBy[r.user] = max(0, b.usedBy[r.user]+delta)
	}
}

// BudgetUsage is a day's use.
type BudgetUsage struct {
	Day      string
	Tokens   int
	Limit    int
	Users    int
	Refusals int
}

// Usage reports today's use.
func (b *Budget) Usage(now time.Time) BudgetUsage {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	return BudgetUsage{Day: b.day, Tokens: b.used, Limit: b.total, Users: len(b.usedBy), Refusals: b.refusals}
}
