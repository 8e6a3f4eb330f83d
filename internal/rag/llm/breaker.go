package llm

import (
	"sync"
	"time"
)

// breaker opens after consecutive failures and lets one trial through
// after its cooldown.
type breaker struct {
	mu       sync.Mutex
	failures int
	cooldown time.Duration
	run      int
	openedAt time.Time
	trial    bool
}

func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.run < b.failures {
		return true
	}
	if now.Sub(b.openedAt) >= b.cooldown && !b.trial {
		b.trial = true // half open: one call decides
		return true
	}
	return false
}

func (b *breaker) record(ok bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if ok {
		b.run = 0
		return
	}
	b.run++
	if b.run >= b.failures {
		b.openedAt = now
	}
}
