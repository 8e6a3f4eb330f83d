package bot

import (
	"container/list"
	"regexp"
	"strings"
	"sync"
)

// threadMemory remembers channels: which are the bot's threads and their
// recent questions, so that follow-ups ("and what about energy?") can be
// understood, and what kind each channel is.
type threadMemory struct {
	mu      sync.Mutex
	max     int
	order   *list.List // thread IDs, least recently used first
	threads map[string]*thread
}

type thread struct {
	own   bool // created by the bot
	kind  int  // what the channel is (kindUnknown until looked up)
	turns []string
	elem  *list.Element
}

// maxTurns is how many recent questions of a thread are kept.
const maxTurns = 4

func newThreadMemory(max int) *threadMemory {
	return &threadMemory{max: max, order: list.New(), threads: map[string]*thread{}}
}

func (m *threadMemory) touch(id string) *thread {
	t, ok := m.threads[id]
	if ok {
		m.order.MoveToBack(t.elem)
		return t
	}
	t = &thread{elem: m.order.PushBack(id)}
	m.threads[id] = t
	for m.order.Len() > m.max {
		old := m.order.Remove(m.order.Front()).(string)
		delete(m.threads, old)
	}
	return t
}

// markOwn records a thread the bot created.
func (m *threadMemory) markOwn(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touch(id).own = true
}

// isOwn reports whether the bot created the thread.
func (m *threadMemory) isOwn(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.threads[id]
	return ok && t.own
}

// kind returns what channel id is known to be.
func (m *threadMemory) kind(id string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.threads[id]; ok {
		return t.kind
	}
	return kindUnknown
}

// setKind records what channel id is.
func (m *threadMemory) setKind(id string, kind int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.touch(id).kind = kind
}

// remember adds a (standalone) question to a thread's turns.
func (m *threadMemory) remember(id, question string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.touch(id)
	t.turns = append(t.turns, question)
	if len(t.turns) > maxTurns {
		t.turns = t.turns[len(t.turns)-maxTurns:]
	}
}

// recent returns a thread's recent questions, oldest first.
func (m *threadMemory) recent(id string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.threads[id]; ok {
		return append([]string(nil), t.turns...)
	}
	return nil
}

var (
	reFollowLead = regexp.MustCompile(`(?i)^\s*(and\s+)?(what|how)\s+about\s+|^\s*(and|also|what\s+else|so)\b[\s,]*`)
	reReference  = regexp.MustCompile(`(?i)\b(it|its|they|them|their|this|that|these|those|he|she|his|her|there|then)\b`)
)

// standalone rewrites a follow-up into a question that stands on its own,
// using the thread's previous question: "and what about energy?" after "How
// much trade did Russia and China do?" becomes a search over both. A
// question that already stands alone is returned as it is.
func standalone(previous []string, q string) string {
	if len(previous) == 0 {
		return q
	}
	words := strings.Fields(q)
	lead := reFollowLead.MatchString(q)
	if !lead && !reReference.MatchString(q) && len(words) > 4 {
		return q
	}
	rest := strings.TrimSpace(reFollowLead.ReplaceAllString(q, ""))
	if rest == "" {
		rest = q
	}
	return previous[len(previous)-1] + " " + rest
}
