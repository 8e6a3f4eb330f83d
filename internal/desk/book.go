package desk

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/google/renameio/v2"
)

// File is the name of the desk's file in the data directory.
const File = "desk.json"

// book is what the desk keeps across restarts.
type book struct {
	Follows []Follow `json:"follows"`
	Digests []Digest `json:"digests"`
	// Posted records, by channel and link, when an article was posted.
	Posted map[string]time.Time `json:"posted"`
}

// rememberPosted is how long a posted article is remembered.
const rememberPosted = 30 * 24 * time.Hour

func loadBook(path string) (book, error) {
	bk := book{Posted: map[string]time.Time{}}
	if path == "" {
		return bk, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return bk, nil
	}
	if err != nil {
		return bk, fmt.Errorf("reading follows and digests: %w", err)
	}
	if err := json.Unmarshal(data, &bk); err != nil {
		return bk, fmt.Errorf("reading follows and digests from %s: %w", path, err)
	}
	if bk.Posted == nil {
		bk.Posted = map[string]time.Time{}
	}
	return bk, nil
}

func (bk book) save(path string) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(bk, "", "  ")
	if err != nil {
		return err
	}
	return renameio.WriteFile(path, data, 0o644)
}

// prune forgets articles posted long ago.
func (bk book) prune(now time.Time) {
	for k, at := range bk.Posted {
		if now.Sub(at) > rememberPosted {
			delete(bk.Posted, k)
		}
	}
}

// sameTopic compares topics as users type them.
func sameTopic(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// MaxFollows bounds the follows of one server.
const MaxFollows = 25

// Follow adds a follow, or resumes a paused one; it reports whether the
// channel did not follow the topic already.
func (d *Desk) Follow(f Follow) (bool, error) {
	f.Topic = strings.Join(strings.Fields(f.Topic), " ")
	if f.Topic == "" {
		return false, errors.New("a follow needs a topic")
	}
	if !d.opts.Engine.Searchable(f.Topic) {
		return false, fmt.Errorf("“%s” has no words to match news by: name a person, a place, a company or a subject", f.Topic)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for i, g := range d.book.Follows {
		if g.GuildID == f.GuildID {
			n++
		}
		if g.ChannelID == f.ChannelID && sameTopic(g.Topic, f.Topic) {
			resumed := g.Paused != ""
			d.book.Follows[i].Paused = ""
			d.resumeLocked(f.ChannelID)
			d.saveLocked()
			return resumed, nil
		}
	}
	if n >= MaxFollows {
		return false, fmt.Errorf("this server already follows %d topics, the most it may; /unfollow one first", MaxFollows)
	}
	if f.Since.IsZero() {
		f.Since = d.opts.Now()
	}
	d.book.Follows = append(d.book.Follows, f)
	d.resumeLocked(f.ChannelID)
	d.saveLocked()
	return true, nil
}

// resumeLocked resumes whatever was paused in a channel: someone with the
// permission just used it again. The caller holds mu.
func (d *Desk) resumeLocked(channel string) {
	for i := range d.book.Follows {
		if d.book.Follows[i].ChannelID == channel {
			d.book.Follows[i].Paused = ""
		}
	}
	for i := range d.book.Digests {
		if d.book.Digests[i].ChannelID == channel {
			d.book.Digests[i].Paused = ""
		}
	}
}

// Unfollow removes a server's follow of a topic, in one channel or, when
// channel is "", in every channel; it reports how many it removed.
func (d *Desk) Unfollow(guild, channel, topic string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	kept := d.book.Follows[:0]
	removed := 0
	for _, f := range d.book.Follows {
		if f.GuildID == guild && (channel == "" || f.ChannelID == channel) && sameTopic(f.Topic, topic) {
			removed++
			continue
		}
		kept = append(kept, f)
	}
	d.book.Follows = kept
	if removed > 0 {
		d.saveLocked()
	}
	return removed
}

// Follows lists a server's follows.
func (d *Desk) Follows(guild string) []Follow {
	d.mu.Lock()
	defer d.mu.Unlock()
	return ofGuild(d.book.Follows, guild, func(f Follow) string { return f.GuildID })
}

// Digests lists a server's digests.
func (d *Desk) Digests(guild string) []Digest {
	d.mu.Lock()
	defer d.mu.Unlock()
	return ofGuild(d.book.Digests, guild, func(g Digest) string { return g.GuildID })
}

// ofGuild is the items of one server, in order.
func ofGuild[T any](items []T, guild string, guildOf func(T) string) []T {
	var out []T
	for _, it := range items {
		if guildOf(it) == guild {
			out = append(out, it)
		}
	}
	return out
}
