package feeds

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/renameio/v2"
)

// StateFile is the name of the poller's state in the data directory.
const StateFile = "feeds.json"

// State is what the poller remembers of every feed across restarts.
type State struct {
	Feeds map[string]*FeedState `json:"feeds"`
}

// FeedState is what was fetched from one feed, and when.
type FeedState struct {
	ETag         string    `json:"etag,omitempty"`
	LastModified string    `json:"last_modified,omitempty"`
	LastFetch    time.Time `json:"last_fetch,omitzero"`
	// Outcome of the last poll: ok, not-modified, rate-limited or error.
	Outcome string `json:"outcome,omitempty"`
	Error   string `json:"error,omitempty"`
	// Items is how many items the feed held at its last fetch, New how
	// many of them were new or changed, Rejected how many could not be
	// read.
	Items    int       `json:"items"`
	New      int       `json:"new"`
	Rejected int       `json:"rejected"`
	NextPoll time.Time `json:"next_poll,omitzero"`
	// Failures counts the polls that failed in a row (for the backoff).
	Failures int `json:"failures,omitempty"`
	// Seen holds the items read, by GUID and by link: the hash of what
	// was indexed, and when the item was last in the feed.
	Seen map[string]Seen `json:"seen,omitempty"`
}

// Seen is one item read from a feed.
type Seen struct {
	ID   string    `json:"id"`
	Hash string    `json:"hash"`
	At   time.Time `json:"at"`
}

// forgetAfter is how long an item no longer in its feed is remembered.
const forgetAfter = 30 * 24 * time.Hour

// LoadState reads the state file; a missing one is an empty state.
func LoadState(path string) (State, error) {
	s := State{Feeds: map[string]*FeedState{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("reading the feeds' state: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil {
		return State{Feeds: map[string]*FeedState{}}, fmt.Errorf("reading the feeds' state %s: %w (delete it to fetch every feed afresh)", path, err)
	}
	if s.Feeds == nil {
		s.Feeds = map[string]*FeedState{}
	}
	return s, nil
}

// save writes the state whole: to a temporary file, synced, renamed. The
// feeds that are not in mine (another process's, such as a herald ingest
// --feeds beside the bot) keep what the file says of them.
func (s State) save(path string, mine map[string]bool) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("saving the feeds' state: %w", err)
	}
	if onDisk, err := LoadState(path); err == nil {
		merged := State{Feeds: make(map[string]*FeedState, len(s.Feeds)+len(onDisk.Feeds))}
		for u, f := range onDisk.Feeds {
			if !mine[u] {
				merged.Feeds[u] = f
			}
		}
		for u, f := range s.Feeds {
			if mine[u] {
				merged.Feeds[u] = f
			}
		}
		s = merged
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("saving the feeds' state: %w", err)
	}
	if err := renameio.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("saving the feeds' state: %w", err)
	}
	return nil
}

// forget drops the items that have not been in the feed for a while.
func (f *FeedState) forget(now time.Time) {
	for k, s := range f.Seen {
		if now.Sub(s.At) > forgetAfter {
			delete(f.Seen, k)
		}
	}
}
