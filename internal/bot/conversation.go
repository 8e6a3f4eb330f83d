package bot

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/bwmarrin/discordgo"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Channel kinds, as far as Herald needs to know them.
const (
	kindUnknown = iota
	kindGuild
	kindThread
	kindDM
)

// channelInfo is what Herald knows of a channel.
type channelInfo struct {
	id   string
	kind int
	// owner is who started a thread ("" when the server did not say).
	owner string
	// name is a thread's name: for Herald's threads, the first question.
	name string
}

// threads remembers what channels are, which threads are Herald's, and the
// recent questions of each thread, so that follow-ups ("and what about
// energy?") are understood. The memory is only a cache: whether a thread is
// Herald's is read from the thread itself (its owner), and its questions
// from its messages, when the memory has forgotten them or the bot has
// restarted.
type threads struct {
	channels *lru.Cache[string, channelInfo]
	turns    *lru.Cache[string, []string]
	mu       sync.Mutex // makes remember's read and write one step
}

// maxTurns is how many recent questions of a thread are kept.
const maxTurns = 4

// historyLimit is how many of a thread's messages are read to recover its
// questions.
const historyLimit = 50

func newThreads(size int) *threads {
	channels, _ := lru.New[string, channelInfo](size)
	turns, _ := lru.New[string, []string](size)
	return &threads{channels: channels, turns: turns}
}

// learn records what a channel is. A thread's owner, once known, is not
// forgotten because a later event about the thread leaves it out.
func (t *threads) learn(ch channelInfo) {
	if ch.id == "" {
		return
	}
	if old, ok := t.channels.Peek(ch.id); ok && ch.owner == "" {
		ch.owner = old.owner
	}
	t.channels.Add(ch.id, ch)
}

// ownThread reports whether a channel is a thread Herald started.
func (b *Bot) ownThread(ch channelInfo) bool {
	id := b.botID.Load().(string)
	return ch.kind == kindThread && id != "" && ch.owner == id
}

// remember adds a (standalone) question to a thread's turns.
func (t *threads) remember(id, question string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	turns, _ := t.turns.Get(id)
	turns = append(slices.Clone(turns), question)
	if len(turns) > maxTurns {
		turns = turns[len(turns)-maxTurns:]
	}
	t.turns.Add(id, turns)
}

// errNoThread means the server started no thread.
var errNoThread = errors.New("the server returned no thread")

// channel tells what a channel is: from memory, or by asking Discord once
// (the answer is remembered). ok is false when Discord could not tell.
func (b *Bot) channel(ctx context.Context, id string) (channelInfo, bool) {
	if ch, ok := b.threads.channels.Get(id); ok {
		return ch, true
	}
	body, err := b.rest.do(ctx, request{method: http.MethodGet, path: "/channels/" + pathPart(id), route: "get channel"})
	if err != nil {
		b.log.Debug("looking up a channel", "err", err)
		return channelInfo{id: id}, false
	}
	var ch discordgo.Channel
	if fields, err := decodeLenient(body, &ch); err != nil || len(fields) > 0 {
		b.log.Debug("a channel did not decode whole", "repaired", strings.Join(fields, ","), "err", err)
	}
	info := b.channelInfoOf(&ch)
	info.id = id
	b.threads.learn(info)
	return info, true
}

// channelInfoOf reads what Herald needs of a channel object.
func (b *Bot) channelInfoOf(ch *discordgo.Channel) channelInfo {
	info := channelInfo{id: ch.ID, kind: kindGuild, name: ch.Name}
	switch {
	case ch.IsThread():
		info.kind, info.owner = kindThread, ch.OwnerID
	case ch.Type == discordgo.ChannelTypeDM || ch.Type == discordgo.ChannelTypeGroupDM:
		info.kind = kindDM
	}
	return info
}

// recentQuestions returns a thread's recent questions, oldest first: from
// memory, or else read from the thread's messages before the one being
// answered (after a restart, or when the memory has forgotten the thread).
func (b *Bot) recentQuestions(ctx context.Context, channel, before string) []string {
	if turns, ok := b.threads.turns.Get(channel); ok {
		return slices.Clone(turns)
	}
	info, _ := b.channel(ctx, channel)
	hctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	body, err := b.rest.do(hctx, request{method: http.MethodGet, route: "read thread history",
		path: "/channels/" + pathPart(channel) + "/messages?limit=" + strconv.Itoa(historyLimit) + "&before=" + url.QueryEscape(before)})
	var msgs []*discordgo.Message
	if err == nil {
		_, err = decodeLenient(body, &msgs)
	}
	if err != nil {
		b.log.Debug("reading a thread's messages", "err", err)
	}
	turns := threadQuestions(info.name, msgs, b.botID.Load().(string))
	if len(turns) > 0 {
		b.threads.turns.Add(channel, turns)
	}
	return turns
}

// threadQuestions rebuilds a thread's standalone questions from its name
// (Herald names its threads after the first question) and its messages,
// newest first as Discord lists them: every message by a person is a
// follow-up, read as the heuristic reads follow-ups.
func threadQuestions(name string, newestFirst []*discordgo.Message, botID string) []string {
	var turns []string
	if name = strings.TrimSpace(strings.TrimSuffix(name, "…")); name != "" {
		turns = append(turns, name)
	}
	for i := len(newestFirst) - 1; i >= 0; i-- {
		m := newestFirst[i]
		if m == nil || m.Author == nil || m.Author.Bot || m.Author.ID == botID {
			continue
		}
		q := strings.TrimSpace(reMention.ReplaceAllString(m.Content, ""))
		if q == "" {
			continue
		}
		turns = append(turns, standalone(turns, q))
	}
	if len(turns) > maxTurns {
		turns = turns[len(turns)-maxTurns:]
	}
	return turns
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
