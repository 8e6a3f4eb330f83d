package bot

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Feedback is one 👍 or 👎 on an answer, as stored in feedback.jsonl.
type Feedback struct {
	Time      time.Time          `json:"time"`
	Vote      string             `json:"vote"` // "up" or "down"
	Question  string             `json:"question"`
	Answer    string             `json:"answer"`
	Citations []FeedbackCitation `json:"citations"`
	// User is a keyed hash of the Discord user ID, never the ID itself.
	User string `json:"user"`
}

// FeedbackCitation is a citation as stored with feedback.
type FeedbackCitation struct {
	N     int    `json:"n"`
	Title string `json:"title"`
	Date  string `json:"date"`
	URL   string `json:"url,omitempty"`
}

// FeedbackLog keeps the votes on answers. The default is a file in
// Options.DataDir; replicas of the bot share one elsewhere
// (Options.Feedback), so that every vote counts once and a user's hash is
// the same on each.
type FeedbackLog interface {
	// Record stores a vote, its user already hashed.
	Record(ctx context.Context, fb Feedback) error
	// Counts reports the votes so far.
	Counts(ctx context.Context) (up, down int, err error)
	// UserHash is a keyed hash of a Discord user ID, never the ID itself.
	UserHash(userID string) string
}

// feedbackLog appends feedback to a JSON Lines file and counts votes.
type feedbackLog struct {
	mu   sync.Mutex
	path string
	key  []byte
	up   int
	down int
}

// openFeedback opens (or starts) dir/feedback.jsonl and its hashing key
// dir/feedback.key, and counts the votes already there.
func openFeedback(dir string) (*feedbackLog, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("opening feedback: %w", err)
	}
	f := &feedbackLog{path: filepath.Join(dir, "feedback.jsonl")}
	keyPath := filepath.Join(dir, "feedback.key")
	key, err := os.ReadFile(keyPath)
	if os.IsNotExist(err) || len(key) < 32 {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("making the feedback key: %w", err)
		}
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			return nil, fmt.Errorf("saving the feedback key: %w", err)
		}
	} else if err != nil {
		return nil, fmt.Errorf("reading the feedback key: %w", err)
	}
	f.key = key
	if file, err := os.Open(f.path); err == nil {
		sc := bufio.NewScanner(file)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			var fb Feedback
			if json.Unmarshal(sc.Bytes(), &fb) == nil {
				f.count(fb.Vote)
			}
		}
		file.Close()
	}
	return f, nil
}

func (f *feedbackLog) count(vote string) {
	if vote == "up" {
		f.up++
	} else if vote == "down" {
		f.down++
	}
}

// UserHash is a keyed hash of a user ID.
func (f *feedbackLog) UserHash(userID string) string {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(userID))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// Record appends one vote.
func (f *feedbackLog) Record(_ context.Context, fb Feedback) error {
	line, err := json.Marshal(fb)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	file, err := os.OpenFile(f.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("recording feedback: %w", err)
	}
	if _, err := file.Write(append(line, '\n')); err != nil {
		file.Close()
		return fmt.Errorf("recording feedback: %w", err)
	}
	if err := file.Close(); err != nil {
		return fmt.Errorf("recording feedback: %w", err)
	}
	f.count(fb.Vote)
	return nil
}

// Counts reports the votes in the file.
func (f *feedbackLog) Counts(context.Context) (up, down int, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.up, f.down, nil
}
