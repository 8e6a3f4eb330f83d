package bot

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// userLimiter gives each user a token bucket of questions.
type userLimiter struct {
	mu      sync.Mutex
	every   time.Duration
	burst   int
	buckets map[string]*userBucket
}

type userBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// newUserLimiter allows perMinute questions a minute per user, with bursts
// of burst. perMinute ≤ 0 turns the limit off.
func newUserLimiter(perMinute float64, burst int) *userLimiter {
	if burst < 1 {
		burst = 1
	}
	l := &userLimiter{burst: burst, buckets: map[string]*userBucket{}}
	if perMinute > 0 {
		l.every = time.Duration(float64(time.Minute) / perMinute)
	}
	return l
}

// allow takes a token for user, or says how long until one is free.
func (l *userLimiter) allow(user string, now time.Time) (bool, time.Duration) {
	if l.every == 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[user]
	if !ok {
		if len(l.buckets) > 10000 {
			l.sweep(now)
		}
		b = &userBucket{lim: rate.NewLimiter(rate.Every(l.every), l.burst)}
		l.buckets[user] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep forgets users idle long enough for their bucket to be full again.
func (l *userLimiter) sweep(now time.Time) {
	idle := l.every * time.Duration(l.burst)
	for u, b := range l.buckets {
		if now.Sub(b.seen) > idle {
			delete(l.buckets, u)
		}
	}
}

// gate caps the answers being written at once, with a bounded queue of
// waiting ones.
type gate struct {
	slots   chan struct{}
	mu      sync.Mutex
	waiting int
	queue   int
}

func newGate(concurrency, queue int) *gate {
	if concurrency < 1 {
		concurrency = 1
	}
	return &gate{slots: make(chan struct{}, concurrency), queue: max(queue, 0)}
}

// reserve claims a place in the queue, or reports that it is full.
func (g *gate) reserve() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.waiting >= g.queue+cap(g.slots) {
		return false
	}
	g.waiting++
	return true
}

// unreserve gives back a place reserve claimed, for a question that will
// not enter after all.
func (g *gate) unreserve() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.waiting--
}

// enter waits for a slot after reserve; release must follow.
func (g *gate) enter(done <-chan struct{}) bool {
	select {
	case g.slots <- struct{}{}:
		return true
	case <-done:
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
		return false
	}
}

func (g *gate) release() {
	<-g.slots
	g.mu.Lock()
	g.waiting--
	g.mu.Unlock()
}

// inUse counts the questions that hold a slot or wait for one.
func (g *gate) inUse() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.waiting
}
