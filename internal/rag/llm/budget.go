package llm

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Ledger shares the tokens used between the processes that answer with
// one model (replicas of the bot): each records what it used, and every
// budget reads the day's totals from it. A Budget without one counts this
// process alone.
type Ledger interface {
	// Add records tokens used by user ("" for none) on day (YYYY-MM-DD).
	Add(ctx context.Context, day, user string, tokens int) error
	// Used reports the tokens used on day, in all and by user (0 when user
	// is ""), and how many users used any.
	Used(ctx context.Context, day, user string) (total, byUser, users int, err error)
}

// ledgerTimeout bounds a question to the ledger.
const ledgerTimeout = 2 * time.Second

// Budget counts the LLM tokens used each day (UTC), in all and per user,
// against limits. Calls reserve an estimate first and settle with the
// reported usage. With a Ledger, what every process has settled counts,
// and this process's reservations in flight are added to it (another
// process's are not seen until they settle).
type Budget struct {
	total, perUser int
	ledger         Ledger
	log            *slog.Logger

	mu       sync.Mutex
	day      string
	used     int            // settled by this process
	usedBy   map[string]int // settled by this process, by user
	held     int            // reserved and not yet settled
	heldBy   map[string]int
	refusals int
}

// NewBudget limits a day to total tokens and each user to perUser (0: no
// limit).
func NewBudget(total, perUser int) *Budget {
	return &Budget{total: total, perUser: perUser, usedBy: map[string]int{}, heldBy: map[string]int{}, log: slog.New(slog.DiscardHandler)}
}

// Share makes the budget count what every process records in ledger. When
// the ledger cannot be read, the budget counts this process's use and
// says so in log.
func (b *Budget) Share(ledger Ledger, log *slog.Logger) {
	b.ledger = ledger
	if log != nil {
		b.log = log
	}
}

func (b *Budget) roll(now time.Time) {
	if d := now.UTC().Format(time.DateOnly); d != b.day {
		b.day, b.used, b.usedBy, b.held, b.heldBy = d, 0, map[string]int{}, 0, map[string]int{}
	}
}

// Reservation is tokens booked for a call, on the day they were booked.
type Reservation struct {
	user   string
	tokens int
	day    string
}

// settled is the day's settled use, in all and by user, and the number of
// users: the ledger's, or this process's when there is none or it fails.
func (b *Budget) settled(ctx context.Context, day, user string) (total, byUser, users int) {
	if b.ledger != nil {
		ctx, cancel := context.WithTimeout(ctx, ledgerTimeout)
		defer cancel()
		total, byUser, users, err := b.ledger.Used(ctx, day, user)
		if err == nil {
			return total, byUser, users
		}
		b.log.Warn("the shared token ledger cannot be read; counting this process's tokens only", "err", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.day != day {
		return 0, 0, 0
	}
	return b.used, b.usedBy[user], len(b.usedBy)
}

// Reserve books n tokens for user, or reports that a limit would be passed.
func (b *Budget) Reserve(ctx context.Context, user string, n int, now time.Time) (Reservation, bool) {
	day := now.UTC().Format(time.DateOnly)
	var used, usedBy int
	if b.total > 0 || b.perUser > 0 {
		used, usedBy, _ = b.settled(ctx, day, user)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	used, usedBy = used+b.held, usedBy+b.heldBy[user]
	if (b.total > 0 && used+n > b.total) || (b.perUser > 0 && user != "" && usedBy+n > b.perUser) {
		b.refusals++
		return Reservation{}, false
	}
	b.held += n
	if user != "" {
		b.heldBy[user] += n
	}
	return Reservation{user: user, tokens: n, day: b.day}, true
}

// Settle replaces a reservation by the tokens used, and records them in
// the ledger. A reservation from a day that has ended is forgotten with
// that day; the use counts today.
func (b *Budget) Settle(ctx context.Context, r Reservation, used int, now time.Time) {
	b.mu.Lock()
	b.roll(now)
	if r.day == b.day {
		b.held = max(0, b.held-r.tokens)
		if r.user != "" {
			b.heldBy[r.user] = max(0, b.heldBy[r.user]-r.tokens)
		}
	}
	b.used += used
	if r.user != "" && used > 0 {
		b.usedBy[r.user] += used
	}
	day := b.day
	b.mu.Unlock()
	if b.ledger != nil && used > 0 {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ledgerTimeout)
		defer cancel()
		if err := b.ledger.Add(ctx, day, r.user, used); err != nil {
			b.log.Warn("the shared token ledger cannot be written; these tokens count on this process only", "tokens", used, "err", err)
		}
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

// Usage reports today's use: every process's with a ledger. Refusals are
// this process's.
func (b *Budget) Usage(now time.Time) BudgetUsage {
	day := now.UTC().Format(time.DateOnly)
	total, _, users := b.settled(context.Background(), day, "")
	b.mu.Lock()
	defer b.mu.Unlock()
	b.roll(now)
	return BudgetUsage{Day: b.day, Tokens: total + b.held, Limit: b.total, Users: users, Refusals: b.refusals}
}
