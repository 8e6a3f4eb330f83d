package bot

import (
	"container/list"
	"crypto/rand"
	"encoding/hex"
	"sync"

	"github.com/herald-news/herald/internal/rag"
)

// answerStore remembers recent answers so that their buttons (sources,
// feedback) work, with a bounded size.
type answerStore struct {
	mu    sync.Mutex
	max   int
	order *list.List // of string keys, oldest first
	items map[string]*storedAnswer
}

type storedAnswer struct {
	answer rag.Answer
	voters map[string]bool
	elem   *list.Element
}

func newAnswerStore(max int) *answerStore {
	return &answerStore{max: max, order: list.New(), items: map[string]*storedAnswer{}}
}

// put stores an answer and returns its key.
func (s *answerStore) put(a rag.Answer) string {
	b := make([]byte, 8)
	rand.Read(b)
	key := hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.items[key] = &storedAnswer{answer: a, voters: map[string]bool{}, elem: s.order.PushBack(key)}
	for s.order.Len() > s.max {
		old := s.order.Remove(s.order.Front()).(string)
		delete(s.items, old)
	}
	return key
}

func (s *answerStore) get(key string) (rag.Answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[key]
	if !ok {
		return rag.Answer{}, false
	}
	return it.answer, true
}

// vote records that user voted on key; false if they already had.
func (s *answerStore) vote(key, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items[key]
	if !ok || it.voters[user] {
		return false
	}
	it.voters[user] = true
	return true
}
