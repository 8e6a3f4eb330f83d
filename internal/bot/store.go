package bot

import (
	"crypto/rand"
	"encoding/hex"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/herald-news/herald/internal/rag"
)

// answerStore remembers recent answers so that their buttons (sources,
// feedback) work, with a bounded size.
type answerStore struct {
	mu    sync.Mutex // makes vote's check and record one step
	items *lru.Cache[string, *storedAnswer]
}

type storedAnswer struct {
	answer rag.Answer
	voters map[string]bool
}

func newAnswerStore(size int) *answerStore {
	items, _ := lru.New[string, *storedAnswer](size)
	return &answerStore{items: items}
}

// put stores an answer and returns its key.
func (s *answerStore) put(a rag.Answer) string {
	b := make([]byte, 8)
	rand.Read(b)
	key := hex.EncodeToString(b)
	s.items.Add(key, &storedAnswer{answer: a, voters: map[string]bool{}})
	return key
}

func (s *answerStore) get(key string) (rag.Answer, bool) {
	it, ok := s.items.Get(key)
	if !ok {
		return rag.Answer{}, false
	}
	return it.answer, true
}

// vote records that user voted on key; false if they already had.
func (s *answerStore) vote(key, user string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.items.Get(key)
	if !ok || it.voters[user] {
		return false
	}
	it.voters[user] = true
	return true
}
