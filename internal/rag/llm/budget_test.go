package llm_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/llm"
)

// memoryLedger is a Ledger in memory that can be made to fail.
type memoryLedger struct {
	mu     sync.Mutex
	byDay  map[string]map[string]int
	broken bool
}

func (m *memoryLedger) Add(_ context.Context, day, user string, tokens int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken {
		return errors.New("down")
	}
	if m.byDay == nil {
		m.byDay = map[string]map[string]int{}
	}
	if m.byDay[day] == nil {
		m.byDay[day] = map[string]int{}
	}
	m.byDay[day][user] += tokens
	return nil
}

func (m *memoryLedger) Used(_ context.Context, day, user string) (total, byUser, users int, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.broken {
		return 0, 0, 0, errors.New("down")
	}
	for u, n := range m.byDay[day] {
		total += n
		if u != "" {
			users++
		}
	}
	if user != "" {
		byUser = m.byDay[day][user]
	}
	return total, byUser, users, nil
}

// TestBudgetsShareALedger: two processes' budgets with one ledger hold the
// limits together; without it, each would hold them alone.
func TestBudgetsShareALedger(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ledger := &memoryLedger{}
	a, b := llm.NewBudget(1000, 600), llm.NewBudget(1000, 600)
	a.Share(ledger, nil)
	b.Share(ledger, nil)
	steps := []struct {
		name    string
		budget  *llm.Budget
		user    string
		reserve int
		use     int
		granted bool
	}{
		{"a first call on replica A", a, "u1", 400, 400, true},
		{"the same user on replica B, past its own limit with A's", b, "u1", 300, 0, false},
		{"another user on B", b, "u2", 500, 500, true},
		{"anyone on A, past the day's limit with B's", a, "u3", 200, 0, false},
		{"a small call that fits", a, "u3", 100, 100, true},
	}
	for _, s := range steps {
		r, ok := s.budget.Reserve(ctx, s.user, s.reserve, now)
		if ok != s.granted {
			t.Fatalf("%s: granted = %v", s.name, ok)
		}
		if ok {
			s.budget.Settle(ctx, r, s.use, now)
		}
	}
	if ua, ub := a.Usage(now), b.Usage(now); ua.Tokens != 1000 || ub.Tokens != 1000 || ua.Users != 3 {
		t.Errorf("usage seen by A %+v and by B %+v, want 1000 tokens by 3 users on both", ua, ub)
	}
	// A ledger that fails leaves each budget counting its own use.
	ledger.broken = true
	if _, ok := b.Reserve(ctx, "u4", 400, now); !ok {
		t.Error("B refused a call it alone has room for while the ledger is down")
	}
	if _, ok := b.Reserve(ctx, "u4", 400, now); ok {
		t.Error("B granted a call past its own use (500 + 400 held + 400)")
	}
	// A new day starts from nothing.
	if _, ok := a.Reserve(ctx, "u1", 600, now.Add(24*time.Hour)); !ok {
		t.Error("the next day's first call was refused")
	}
}
