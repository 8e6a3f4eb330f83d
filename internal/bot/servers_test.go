package bot

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag"
)

// The tests in this file play what other Discord-compatible servers do,
// and what an independent server did to Herald: blocks that extend on every
// refused request, bodies with fields of unexpected types, interactions
// without data, a restart with the bot's threads in place, refused
// ephemeral flags and command fields, and a 4000 close for a bad token.

const (
	guild   = "300000000000000001"
	channel = "400000000000000001"
)

// recordingEngine remembers the questions it was asked.
type recordingEngine struct {
	Engine
	mu    sync.Mutex
	asked []string
}

func (e *recordingEngine) Ask(ctx context.Context, q string, o rag.AskOptions) (rag.Answer, error) {
	e.mu.Lock()
	e.asked = append(e.asked, q)
	e.mu.Unlock()
	return e.Engine.Ask(ctx, q, o)
}

func (e *recordingEngine) questions() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.asked...)
}

var asker = &discordgo.User{ID: "7", Username: "asker"}

// mention posts a message that mentions the bot in a text channel.
func (h *harness) mention(q string) *discordgo.Message {
	h.t.Helper()
	m := &discordgo.Message{ID: h.fake.ID(), ChannelID: channel, GuildID: guild, Author: asker,
		Content: "<@" + h.fake.BotID + "> " + q, Mentions: []*discordgo.User{{ID: h.fake.BotID, Bot: true}}}
	if err := h.fake.Post(m); err != nil {
		h.t.Fatal(err)
	}
	return m
}

// requestLine waits for the log line of the n-th request of command and
// returns it.
func (h *harness) requestLine(command string, n int) string {
	h.t.Helper()
	if err := h.logs.waitCount(h.ctx(), "command="+command+" ", n); err != nil {
		h.t.Fatalf("%v\n%s", err, h.logs.String())
	}
	var lines []string
	for _, l := range strings.Split(h.logs.String(), "\n") {
		if strings.Contains(l, "msg=request") && strings.Contains(l, "command="+command+" ") {
			lines = append(lines, l)
		}
	}
	return lines[n-1]
}

var reLatency = regexp.MustCompile(`latency_ms=(\d+)`)

func latencyOf(line string) time.Duration {
	m := reLatency.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	ms, _ := strconv.Atoi(m[1])
	return time.Duration(ms) * time.Millisecond
}

// TestA429ThatNeverEndsNeverHoldsAnAnswer blocks Discord routes with a
// rate limit that extends on every refused request, as an independent
// server did for 2 min 20 s. The typing indicator never delays an answer,
// a thread that cannot be started leaves the answer in the channel, an
// answer that cannot be delivered ends within the answer's deadline and
// is logged as such, and no answer slot stays held.
func TestA429ThatNeverEndsNeverHoldsAnAnswer(t *testing.T) {
	t.Parallel() // waits on the clock
	typing := func(r discordtest.Request) bool { return strings.HasSuffix(r.Path, "/typing") }
	threads := func(r discordtest.Request) bool { return strings.HasSuffix(r.Path, "/threads") }
	channels := func(r discordtest.Request) bool { return strings.HasPrefix(r.Path, "/channels/") }
	tests := []struct {
		name    string
		blocked []func(discordtest.Request) bool
		slow    time.Duration // engine delay
		outcome string
		within  time.Duration
		want    string // in the reply
	}{
		{"typing", []func(discordtest.Request) bool{typing}, 0, "outcome=answered", 2 * time.Second, "$200 billion"},
		{"typing and threads", []func(discordtest.Request) bool{typing, threads}, 0, "outcome=answered", threadTimeout + 2*time.Second, "$200 billion"},
		{"typing, and an answer past its deadline", []func(discordtest.Request) bool{typing}, time.Minute, "outcome=timeout", 4*time.Second + time.Second, "took too long"},
		{"every channel route", []func(discordtest.Request) bool{channels}, 0, "outcome=undelivered", 4*time.Second + time.Second, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := start(t, func(o *Options) {
				o.AnswerTimeout = 4 * time.Second
				if tt.slow > 0 {
					o.Engine = slowEngine{o.Engine, tt.slow}
				}
			})
			h.fake.AddChannel(&discordgo.Channel{ID: channel, Type: discordgo.ChannelTypeGuildText, GuildID: guild})
			for _, m := range tt.blocked {
				h.fake.Block(m, 2*time.Second)
			}
			asked := time.Now()
			h.mention("How much trade did Russia and China do?")
			line := h.requestLine("mention", 1)
			took := time.Since(asked)
			if !strings.Contains(line, tt.outcome) {
				t.Errorf("log line %q, want %s", line, tt.outcome)
			}
			if took > tt.within {
				t.Errorf("the request took %v, want at most %v", took, tt.within)
			}
			if tt.want != "" {
				r := h.waitFor(func(r discordtest.Request) bool {
					return r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") && r.Status == 200
				})
				if !strings.Contains(r.Message().Text(), tt.want) {
					t.Errorf("reply: %s", r.Message().Text())
				}
			}
			if n := h.bot.gate.inUse(); n != 0 {
				t.Errorf("%d answer slots held after the request", n)
			}
			typings := 0
			for _, r := range h.fake.Requests() {
				if typing(r) {
					typings++
				}
			}
			if typings > 1 {
				t.Errorf("the typing indicator was tried %d times", typings)
			}
			t.Logf("question to %s: %v; slots held after: %d", tt.outcome, took.Round(time.Millisecond), h.bot.gate.inUse())
		})
	}
}

// TestA429ThatNeverEndsOnInteractions blocks an interaction's edits with
// a retry_after longer than the edit's deadline: the deferred answer gives
// up at once rather than wait, is logged as undelivered, and frees its
// slot.
func TestA429ThatNeverEndsOnInteractions(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, func(o *Options) {
		o.FastReply = 10 * time.Millisecond
		o.Engine = slowEngine{o.Engine, 100 * time.Millisecond}
	})
	h.fake.Block(func(r discordtest.Request) bool { return r.Method == "PATCH" }, editTimeout+time.Second)
	asked := time.Now()
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
	if cb := h.callback(tok); cb.Status != 204 {
		t.Fatalf("deferral refused: %d", cb.Status)
	}
	line := h.requestLine("ask", 1)
	if !strings.Contains(line, "outcome=undelivered") || !strings.Contains(line, "rate limited") {
		t.Errorf("log line %q", line)
	}
	if took := time.Since(asked); took > 3*time.Second {
		t.Errorf("gave up after %v", took)
	}
	if n := h.bot.gate.inUse(); n != 0 {
		t.Errorf("%d slots held", n)
	}
}

// TestAnInteractionEndsNearItsAnswerTimeout: edits refused with a 429 that
// keeps extending are tried only until the request's deadline, not for a
// fresh edit window after it.
func TestAnInteractionEndsNearItsAnswerTimeout(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, func(o *Options) {
		o.FastReply = 10 * time.Millisecond
		o.AnswerTimeout = 4 * time.Second
		o.Engine = slowEngine{o.Engine, 3 * time.Second}
	})
	h.fake.Block(func(r discordtest.Request) bool { return r.Method == "PATCH" }, 2*time.Second)
	asked := time.Now()
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
	if cb := h.callback(tok); cb.Status != 204 {
		t.Fatalf("deferral refused: %d", cb.Status)
	}
	line := h.requestLine("ask", 1)
	took := time.Since(asked)
	// The whole request is due by 4 s (an overrun is given minDelivery).
	if limit := 4*time.Second + minDelivery + time.Second; took > limit {
		t.Errorf("the interaction ended after %v, past %v: %s", took, limit, line)
	}
	if !strings.Contains(line, "outcome=undelivered") {
		t.Errorf("log line %q", line)
	}
	if n := h.bot.gate.inUse(); n != 0 {
		t.Errorf("%d slots held", n)
	}
}

// TestOutcomesAndLatenciesAreTrue: a reply that was not delivered is never
// logged or counted as answered, and quick replies report the time they
// took.
func TestOutcomesAndLatenciesAreTrue(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, func(o *Options) {
		o.FastReply = 10 * time.Millisecond
		o.Engine = slowEngine{o.Engine, 100 * time.Millisecond}
	})
	callback := func(r discordtest.Request) bool { return strings.HasSuffix(r.Path, "/callback") }
	edit := func(r discordtest.Request) bool { return r.Method == "PATCH" }

	// The deferred answer's edit is refused for good (404).
	h.fake.Fail(edit, 404, 0, 1)
	h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
	if line := h.requestLine("ask", 1); !strings.Contains(line, "outcome=undelivered") {
		t.Errorf("refused edit logged as %q", line)
	}
	// A first response that never goes through.
	h.fake.Fail(callback, 500, 0, 100)
	h.slash(member("1", false), "help")
	if line := h.requestLine("help", 1); !strings.Contains(line, "outcome=undelivered") {
		t.Errorf("refused help logged as %q", line)
	}
	h.fake.ClearFaults()

	// Quick replies delayed by a rate limit report their real latency.
	h.fake.Fail(callback, 429, 400*time.Millisecond, 1)
	h.slash(member("2", false), "help")
	if line := h.requestLine("help", 2); !strings.Contains(line, "outcome=answered") || latencyOf(line) < 300*time.Millisecond {
		t.Errorf("help after a 429: %q", line)
	}
	h.fake.Fail(callback, 429, 400*time.Millisecond, 1)
	tok, _ := h.fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete, Member: member("2", false),
		Data: discordgo.ApplicationCommandInteractionData{Name: "summary", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "article", Type: discordgo.ApplicationCommandOptionString, Value: "putin", Focused: true}}}})
	if cb := h.callback(tok); cb.Status != 429 {
		t.Fatalf("first autocomplete callback: %d", cb.Status)
	}
	if line := h.requestLine("autocomplete", 1); !strings.Contains(line, "outcome=answered") || latencyOf(line) < 300*time.Millisecond {
		t.Errorf("autocomplete after a 429: %q", line)
	}

	srv := httptest.NewServer(h.bot.Handler())
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`herald_outcomes_total{command="ask",outcome="undelivered"} 1`,
		`herald_outcomes_total{command="help",outcome="undelivered"} 1`,
		`herald_outcomes_total{command="help",outcome="answered"} 1`,
		`herald_request_seconds_count{command="help"} 2`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(string(body), `command="ask",outcome="answered"`) {
		t.Error("/metrics counts the undelivered answer as answered")
	}
}

// TestRepliesWithUndecodableBodiesCountAsSent: the server applies a
// message and answers 200 with a field Herald's types do not expect. The
// reply counts as sent, and the rest of a long answer still goes out.
func TestRepliesWithUndecodableBodiesCountAsSent(t *testing.T) {
	h := start(t, func(o *Options) { o.Engine = longEngine{o.Engine} })
	posts := func(r discordtest.Request) bool { return r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") }
	h.fake.Mangle(func(r discordtest.Request) bool { return posts(r) || strings.HasSuffix(r.Path, "/threads") }, func(m map[string]any) {
		m["referenced_message"] = map[string]any{"id": "1", "author": map[string]any{"id": "7", "public_flags": "64"}}
		m["owner_id"] = 100000000000000002 // a number, not a string
		m["flags"] = "0"
	})
	h.fake.AddChannel(&discordgo.Channel{ID: channel, Type: discordgo.ChannelTypeGuildText, GuildID: guild})
	h.mention("Tell me everything")
	line := h.requestLine("mention", 1)
	if !strings.Contains(line, "outcome=answered") {
		t.Fatalf("log line %q", line)
	}
	pages := len(answerEmbeds(hugeAnswer(), "Tell me everything", h.bot.corpusStats(context.Background())))
	var sent []discordtest.Request
	for _, r := range h.fake.Requests() {
		if posts(r) {
			sent = append(sent, r)
		}
	}
	if len(sent) != pages || pages < 2 {
		t.Fatalf("%d messages sent, want all %d pages", len(sent), pages)
	}
	if !strings.HasPrefix(sent[0].Path, "/channels/") || sent[0].Path == "/channels/"+channel+"/messages" {
		t.Errorf("the answer did not go to the thread (whose response had an odd field): %s", sent[0].Path)
	}
}

// TestAButtonWithAStringFlagIsAnswered: an interaction whose message's
// author has public_flags as a string could not be decoded at all before.
// Now it is read, answered, and the repair is logged.
func TestAButtonWithAStringFlagIsAnswered(t *testing.T) {
	h := start(t, nil)
	msg := h.final(h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?")))
	tok, err := h.fake.InteractRaw(map[string]any{
		"type": 3, "guild_id": guild, "channel_id": channel,
		"member":  map[string]any{"user": map[string]any{"id": "5", "username": "u5", "public_flags": "0"}, "permissions": "2048"},
		"message": map[string]any{"id": "9", "author": map[string]any{"id": h.fake.BotID, "public_flags": "64", "bot": true}},
		"data":    map[string]any{"custom_id": msg.CustomIDs()[0], "component_type": "2"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if text := h.final(tok).Text(); !strings.Contains(text, "> Putin told Xi") {
		t.Errorf("sources: %s", text)
	}
	if !strings.Contains(h.logs.String(), "had fields of unexpected types") || !strings.Contains(h.logs.String(), "public_flags") {
		t.Errorf("the repair was not logged:\n%s", h.logs.String())
	}
}

// TestInteractionsWithoutDataGetAnApology: an interaction that cannot be
// read gets a short private apology and a log line, never a panic or
// silence.
func TestInteractionsWithoutDataGetAnApology(t *testing.T) {
	h := start(t, nil)
	for i, raw := range []map[string]any{
		{"type": 2, "guild_id": guild, "member": map[string]any{"user": map[string]any{"id": "1"}}},
		{"type": 3, "user": map[string]any{"id": "1"}},
		{"type": 2, "data": "not an object", "user": map[string]any{"id": "1"}},
		{"type": 4, "user": map[string]any{"id": "1"}},
	} {
		tok, err := h.fake.InteractRaw(raw)
		if err != nil {
			t.Fatal(err)
		}
		if raw["type"] == 4 {
			// An autocomplete can only be answered with choices: none.
			if cb := h.callback(tok); cb.Status != 204 || !strings.Contains(string(cb.Body), `"choices":[]`) {
				t.Errorf("payload %d: %d %s", i, cb.Status, cb.Body)
			}
			if line := h.requestLine("unreadable", i+1); !strings.Contains(line, "outcome=unreadable") {
				t.Errorf("payload %d: log line %q", i, line)
			}
			continue
		}
		msg := h.final(tok)
		if !strings.Contains(msg.Text(), "could not read this request") || msg.Flags&int(discordgo.MessageFlagsEphemeral) == 0 {
			t.Errorf("payload %d: reply %q (flags %d)", i, msg.Text(), msg.Flags)
		}
		if line := h.requestLine("unreadable", i+1); !strings.Contains(line, "outcome=unreadable") {
			t.Errorf("payload %d: log line %q", i, line)
		}
	}
	// One without a token cannot be answered: it is logged.
	h.fake.Dispatch("INTERACTION_CREATE", map[string]any{"type": 2, "id": 5})
	if err := h.logs.waitCount(h.ctx(), "has no token to answer it with", 1); err != nil {
		t.Error(err)
	}
	if strings.Contains(h.logs.String(), "panic") {
		t.Errorf("a panic:\n%s", h.logs.String())
	}
	// Still serving.
	if text := h.final(h.slash(member("1", false), "help")).Text(); !strings.Contains(text, "/ask") {
		t.Errorf("help: %s", text)
	}
}

// TestFollowUpInAThreadFromBeforeARestart: a thread Herald started before
// it restarted (or one its memory has forgotten) is known as Herald's from
// the thread itself, and its earlier questions are read from its messages.
func TestFollowUpInAThreadFromBeforeARestart(t *testing.T) {
	rec := &recordingEngine{}
	h := start(t, func(o *Options) { rec.Engine = o.Engine; o.Engine = rec })
	const thread, other = "600000000000000001", "600000000000000002"
	h.fake.AddChannel(&discordgo.Channel{ID: thread, Type: discordgo.ChannelTypeGuildPublicThread, GuildID: guild, ParentID: channel,
		OwnerID: h.fake.BotID, Name: "How much trade did Russia and China do?"})
	h.fake.AddChannel(&discordgo.Channel{ID: other, Type: discordgo.ChannelTypeGuildPublicThread, GuildID: guild, ParentID: channel,
		OwnerID: "8", Name: "someone else's thread"})
	h.fake.AddMessage(&discordgo.Message{ChannelID: thread, Author: &discordgo.User{ID: h.fake.BotID, Bot: true}, Content: ""})

	// A thread of someone else's: a message without a mention is not for Herald.
	h.fake.Post(&discordgo.Message{ChannelID: other, GuildID: guild, Author: asker, Content: "and what about energy?"})
	h.fake.Post(&discordgo.Message{ChannelID: thread, GuildID: guild, Author: asker, Content: "and what about energy?"})
	answer := h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+thread+"/messages"
	})
	if !strings.Contains(strings.ToLower(answer.Message().Text()), "energy") {
		t.Errorf("follow-up answer: %s", answer.Message().Text())
	}
	asked := rec.questions()
	if len(asked) != 1 || !strings.Contains(asked[0], "trade") || !strings.Contains(asked[0], "energy") {
		t.Errorf("questions asked: %q, want the thread's first question with the follow-up", asked)
	}
	for _, r := range h.fake.Requests() {
		if strings.HasPrefix(r.Path, "/channels/"+other+"/messages") && r.Method == "POST" {
			t.Error("answered in someone else's thread")
		}
	}
	// A second follow-up is read with both earlier questions, from memory.
	h.fake.Post(&discordgo.Message{ChannelID: thread, GuildID: guild, Author: asker, Content: "and visas?"})
	h.requestLine("follow-up", 2)
	if asked := rec.questions(); len(asked) != 2 || !strings.Contains(asked[1], "visas") || !strings.Contains(asked[1], "trade") {
		t.Errorf("second follow-up asked as %q", asked)
	}
	histories := 0
	for _, r := range h.fake.Requests() {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/channels/"+thread+"/messages") {
			histories++
		}
	}
	if histories != 1 {
		t.Errorf("the thread's history was read %d times, want once", histories)
	}
}

// TestARestartedBotAnswersInItsOldThreads restarts a real bot on the same
// server: the new one answers a follow-up in the old one's thread, with the
// thread's questions as context.
func TestARestartedBotAnswersInItsOldThreads(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, nil)
	h.fake.AddChannel(&discordgo.Channel{ID: channel, Type: discordgo.ChannelTypeGuildText, GuildID: guild})
	h.mention("How much trade did Russia and China do?")
	first := h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") && r.Path != "/channels/"+channel+"/messages"
	})
	thread := strings.Split(first.Path, "/")[2]
	h.cancel()
	<-h.done
	h.done <- nil

	// The same server, a new process.
	rec := &recordingEngine{}
	eng, ix := sampleEngine(t)
	rec.Engine = eng
	logs := &syncBuffer{}
	b, err := New(Options{Token: h.fake.Token, APIURL: h.fake.URL, GuildID: guild, MessageContent: true, Engine: rec, Library: ix,
		DataDir: h.data, Log: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	n := len(h.fake.Requests())
	// Under -race with the package's other tests in parallel, the second
	// start has taken over 10 s.
	slow, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	if _, _, err := h.fake.WaitFor(slow, n, func(r discordtest.Request) bool { return r.Method == "PUT" }); err != nil {
		select {
		case err := <-done:
			done <- err // for the deferred wait
			t.Fatalf("the restarted bot stopped: %v\n%s", err, logs.String())
		default:
		}
		t.Fatalf("the restarted bot registered no commands: %v\n%s", err, logs.String())
	}
	h.fake.Post(&discordgo.Message{ChannelID: thread, GuildID: guild, Author: asker, Content: "and what about energy?"})
	if _, _, err := h.fake.WaitFor(h.ctx(), n, func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+thread+"/messages"
	}); err != nil {
		t.Fatalf("no answer in the old thread: %v\n%s", err, logs.String())
	}
	if asked := rec.questions(); len(asked) != 1 || !strings.Contains(asked[0], "trade") {
		t.Errorf("asked %q", asked)
	}
}

// TestNoThreadBeforeAdmission: a mention that is refused (rate limit,
// busy, draining) gets its refusal in the channel, and no thread.
// TestNoThreadWhileDraining: a mention that comes while the bot shuts down
// is told to ask again, in the channel, and starts no thread.
func TestNoThreadWhileDraining(t *testing.T) {
	h := start(t, nil)
	h.fake.AddChannel(&discordgo.Channel{ID: channel, Type: discordgo.ChannelTypeGuildText, GuildID: guild})
	h.bot.draining.Store(true)
	defer h.bot.draining.Store(false)
	h.fake.Post(&discordgo.Message{ID: h.fake.ID(), ChannelID: channel, GuildID: guild, Author: &discordgo.User{ID: "7"},
		Content: "<@" + h.fake.BotID + "> How much trade did Russia and China do?"})
	if line := h.requestLine("mention", 1); !strings.Contains(line, "outcome=draining") {
		t.Errorf("log line %q", line)
	}
	told := false
	for _, r := range h.fake.Requests() {
		if strings.HasSuffix(r.Path, "/threads") {
			t.Errorf("a thread was started while draining: %s", r.Path)
		}
		if r.Path == "/channels/"+channel+"/messages" && strings.Contains(r.Message().Text(), "restarting") {
			told = true
		}
	}
	if !told {
		t.Error("the asker was not told to ask again")
	}
}

func TestNoThreadBeforeAdmission(t *testing.T) {
	release := make(chan struct{})
	h := start(t, func(o *Options) {
		o.RatePerMinute, o.RateBurst = 1, 1
		o.MaxConcurrent, o.Queue = 1, 1
		o.Engine = gatedEngine{o.Engine, release}
	})
	defer close(release)
	h.fake.AddChannel(&discordgo.Channel{ID: channel, Type: discordgo.ChannelTypeGuildText, GuildID: guild})
	post := func(user, q string) {
		h.fake.Post(&discordgo.Message{ID: h.fake.ID(), ChannelID: channel, GuildID: guild, Author: &discordgo.User{ID: user},
			Content: "<@" + h.fake.BotID + "> " + q})
	}
	post("7", "How much trade did Russia and China do?") // holds the only slot
	h.waitFor(func(r discordtest.Request) bool { return strings.HasSuffix(r.Path, "/threads") })
	post("7", "What about visas?") // the same user: slowed down
	slow := h.requestLine("mention", 1)
	post("8", "What about APEC?") // another user: waits in the queue, in its thread
	h.waitFor(func(r discordtest.Request) bool {
		return strings.HasSuffix(r.Path, "/threads") && strings.Contains(string(r.Body), "APEC")
	})
	post("9", "What about energy?") // a third: the queue is full
	busy := h.requestLine("mention", 2)
	if !strings.Contains(slow, "outcome=refused") || !strings.Contains(busy, "outcome=busy") {
		t.Errorf("log lines:\n%s\n%s", slow, busy)
	}
	threads := 0
	for _, r := range h.fake.Requests() {
		if strings.HasSuffix(r.Path, "/threads") {
			threads++
		}
	}
	if threads != 2 {
		t.Errorf("%d threads started, want 2 (for the admitted questions)", threads)
	}
	refusals := 0
	for _, r := range h.fake.Requests() {
		if r.Path == "/channels/"+channel+"/messages" && (strings.Contains(r.Message().Text(), "Slow down") || strings.Contains(r.Message().Text(), "busy")) {
			refusals++
		}
	}
	if refusals != 2 {
		t.Errorf("%d refusals in the channel, want 2", refusals)
	}
}

// TestInviteLinkFollowsTheServer: the invite link points at the configured
// server when it is not Discord.
func TestInviteLinkFollowsTheServer(t *testing.T) {
	h := start(t, nil)
	if got := h.bot.InviteURL(); !strings.HasPrefix(got, strings.TrimSuffix(h.fake.URL, "/api/v9")+"/oauth2/authorize?client_id="+h.fake.AppID) {
		t.Errorf("invite %s for server %s", got, h.fake.URL)
	}
	if !strings.Contains(h.logs.String(), "the invite link points at it, not at discord.com") {
		t.Errorf("the log does not say so:\n%s", h.logs.String())
	}
	eng, ix := sampleEngine(t)
	b, err := New(Options{Token: "t", AppID: "42", Engine: eng, Library: ix, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := b.InviteURL(); !strings.HasPrefix(got, "https://discord.com/oauth2/authorize?client_id=42&scope=bot+applications.commands&permissions=") {
		t.Errorf("invite on discord.com: %s", got)
	}
}

// TestStreamedEditsSendNoNulls: partial edits leave the buttons out rather
// than sending "components": null, which other servers refuse with 400.
func TestStreamedEditsSendNoNulls(t *testing.T) {
	release := make(chan struct{})
	h := start(t, func(o *Options) {
		o.FastReply = 10 * time.Millisecond
		o.Engine = streamingEngine{o.Engine, release}
	})
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
	partial := h.waitFor(func(r discordtest.Request) bool { return r.Method == "PATCH" && strings.Contains(r.Path, tok) })
	close(release)
	final := h.final(tok)
	if partial.Status != 200 || strings.Contains(string(partial.Body), "null") {
		t.Errorf("partial edit: %d %s", partial.Status, partial.Body)
	}
	if len(final.CustomIDs()) == 0 {
		t.Error("the final edit lost its buttons")
	}
}

// streamingEngine streams one partial answer, then answers once release
// is closed.
type streamingEngine struct {
	Engine
	release <-chan struct{}
}

func (e streamingEngine) Ask(ctx context.Context, q string, o rag.AskOptions) (rag.Answer, error) {
	time.Sleep(50 * time.Millisecond) // past the deferral
	if o.OnDelta != nil {
		o.OnDelta("Putin told Xi")
	}
	select {
	case <-e.release:
	case <-ctx.Done():
		return rag.Answer{}, ctx.Err()
	}
	return e.Engine.Ask(ctx, q, o)
}

// TestServersThatRefuseEphemeralMessages get private replies as normal
// messages, and the log says so.
func TestServersThatRefuseEphemeralMessages(t *testing.T) {
	h := start(t, func(o *Options) {
		o.FastReply = 10 * time.Millisecond
		o.Engine = slowEngine{o.Engine, 100 * time.Millisecond}
	})
	h.fake.SetQuirks(discordtest.Quirks{RefuseEphemeral: true, RefuseNulls: true})
	tok := h.slash(member("1", false), "help")
	cb := h.waitFor(func(r discordtest.Request) bool { return strings.Contains(r.Path, tok) && r.Status == 204 })
	if msg := cb.Message(); !strings.Contains(msg.Text(), "/ask") || msg.Flags != 0 {
		t.Errorf("help: %s (flags %d)", msg.Text(), msg.Flags)
	}
	if line := h.requestLine("help", 1); !strings.Contains(line, "outcome=answered") {
		t.Errorf("help logged as %q", line)
	}
	tok = h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"),
		&discordgo.ApplicationCommandInteractionDataOption{Name: "private", Type: discordgo.ApplicationCommandOptionBoolean, Value: true})
	if text := h.final(tok).Text(); !strings.Contains(text, "$200 billion") {
		t.Errorf("private answer: %s", text)
	}
	if line := h.requestLine("ask", 1); !strings.Contains(line, "outcome=answered") {
		t.Errorf("private answer logged as %q", line)
	}
	if !strings.Contains(h.logs.String(), "private replies are sent as normal messages") {
		t.Errorf("the log does not say so:\n%s", h.logs.String())
	}
}

// TestStrictServersGetBasicCommands: a server that refuses command fields
// it does not know gets the commands again with the basic fields only, and
// the log names what was dropped.
func TestStrictServersGetBasicCommands(t *testing.T) {
	t.Parallel() // waits on the clock
	fake := discordtest.New()
	defer fake.Close()
	fake.SetQuirks(discordtest.Quirks{StrictCommands: true})
	eng, ix := sampleEngine(t)
	logs := &syncBuffer{}
	b, err := New(Options{Token: fake.Token, APIURL: fake.URL, GuildID: guild, Engine: eng, Library: ix, DataDir: t.TempDir(), Log: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	defer func() { cancel(); <-done }()
	wait, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	put, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Method == "PUT" && r.Status == 200 })
	if err != nil {
		t.Fatalf("no commands registered: %v\n%s", err, logs.String())
	}
	if strings.Contains(string(put.Body), "autocomplete") || strings.Contains(string(put.Body), "null") {
		t.Errorf("basic commands still hold refused fields: %s", put.Body)
	}
	refusedPuts := 0
	for _, r := range fake.Requests() {
		if r.Method == "PUT" && r.Status == 400 {
			refusedPuts++
		}
	}
	log := logs.String()
	if refusedPuts != 1 || !strings.Contains(log, "only the basic fields") {
		t.Errorf("%d refused registrations; log:\n%s", refusedPuts, log)
	}
	for _, f := range []string{"autocomplete", "contexts", "max_length", "max_value", "min_value", "options=null"} {
		if !strings.Contains(log, f) {
			t.Errorf("the log does not name the dropped %s", f)
		}
	}
}

// TestA4000CloseForABadTokenNamesTheToken: a server that closes with 4000
// rather than 4004 for a bad token still gets an exit that names the token.
func TestA4000CloseForABadTokenNamesTheToken(t *testing.T) {
	t.Parallel() // waits on the clock
	fake := discordtest.New()
	defer fake.Close()
	fake.SetQuirks(discordtest.Quirks{BadTokenClose: 4000})
	eng, ix := sampleEngine(t)
	b, err := New(Options{Token: "wrong", APIURL: fake.URL, Engine: eng, Library: ix, DataDir: t.TempDir(), Log: testLogger(&syncBuffer{})})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(context.Background()) }()
	select {
	case err := <-done:
		var fatal *FatalGatewayError
		if !errors.As(err, &fatal) || fatal.Code != 4000 || !fatal.Token || !strings.Contains(err.Error(), "the bot token is the likeliest cause") {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not give up on repeated 4000 closes")
	}
}

// TestThreadsAreLearntFromTheGateway: the threads a GUILD_CREATE lists are
// known without asking Discord about each.
func TestThreadsAreLearntFromTheGateway(t *testing.T) {
	h := start(t, nil)
	const thread = "600000000000000009"
	h.fake.Dispatch("GUILD_CREATE", map[string]any{"id": guild, "channels": []any{map[string]any{"id": channel, "type": 0}},
		"threads": []any{map[string]any{"id": thread, "type": 11, "owner_id": h.fake.BotID, "parent_id": channel, "name": "What about APEC?"}}})
	time.Sleep(100 * time.Millisecond) // handlers run on their own goroutines
	h.fake.Post(&discordgo.Message{ChannelID: thread, GuildID: guild, Author: asker, Content: "and what about visas?"})
	h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+thread+"/messages"
	})
	for _, r := range h.fake.Requests() {
		if r.Method == "GET" && r.Path == "/channels/"+thread {
			t.Error("the thread was looked up though the gateway had listed it")
		}
	}
}

// TestAPrivateDeferredAnswerOnAServerThatRefusesEphemeral: the first
// private reply a fresh bot sends is a deferral; refused with its flag, it
// is sent again without.
func TestAPrivateDeferredAnswerOnAServerThatRefusesEphemeral(t *testing.T) {
	h := start(t, func(o *Options) {
		o.FastReply = 10 * time.Millisecond
		o.Engine = slowEngine{o.Engine, 100 * time.Millisecond}
	})
	h.fake.SetQuirks(discordtest.Quirks{RefuseEphemeral: true, RefuseNulls: true})
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"),
		&discordgo.ApplicationCommandInteractionDataOption{Name: "private", Type: discordgo.ApplicationCommandOptionBoolean, Value: true})
	edit := h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "PATCH" && strings.Contains(r.Path, tok) && r.Status == 200 && len(r.Message().CustomIDs()) > 0
	})
	if !strings.Contains(edit.Message().Text(), "$200 billion") {
		t.Errorf("answer: %s", edit.Message().Text())
	}
	if line := h.requestLine("ask", 1); !strings.Contains(line, "outcome=answered") {
		t.Errorf("logged as %q", line)
	}
}

// TestServerErrorsOnDiscordKeepRepliesPrivate: on discord.com a 5xx is a
// server error, not a refusal of the ephemeral flag: the flag stays.
func TestServerErrorsOnDiscordKeepRepliesPrivate(t *testing.T) {
	eng, ix := sampleEngine(t)
	b, err := New(Options{Token: "t", Engine: eng, Library: ix, DataDir: t.TempDir(), Log: testLogger(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	o := &interactionOut{b: b, c: &call{in: &discordgo.Interaction{}}}
	o.setPrivate(true)
	if o.refusedEphemeral(&restError{route: "interaction callback", status: 502}) || o.flags() == 0 || b.noEphemeral.Load() {
		t.Error("a 502 on discord.com dropped the ephemeral flag")
	}
}

// TestRateLimitsOfNothingDoNotFlood: a server that answers 429 with a
// retry_after of 0, or of 1e300 seconds, is not sent the request again in
// a tight loop.
func TestRateLimitsOfNothingDoNotFlood(t *testing.T) {
	t.Parallel() // waits on the clock
	for _, body := range []string{`{"retry_after": 0, "global": false}`, `{"retry_after": 1e300}`, `{"retry_after": -5}`} {
		t.Run(body, func(t *testing.T) {
			var hits atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(429)
				io.WriteString(w, body)
			}))
			defer srv.Close()
			rs := newREST(srv.URL, "t")
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := rs.do(ctx, request{method: "POST", path: "/channels/1/messages", route: "send message", body: map[string]string{}})
			if statusOf(err) != 429 {
				t.Errorf("err %v", err)
			}
			if n := hits.Load(); n > 8 {
				t.Errorf("%d requests in a second", n)
			}
		})
	}
}

// TestBadTimestampsAreDropped: an interaction and a message whose
// timestamps Discord would not write are still read and answered.
func TestBadTimestampsAreDropped(t *testing.T) {
	h := start(t, nil)
	tok, err := h.fake.InteractRaw(map[string]any{
		"type": 2, "guild_id": guild,
		"member": map[string]any{"user": map[string]any{"id": "1"}, "joined_at": "yesterday", "permissions": "0"},
		"data":   map[string]any{"name": "help", "type": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	if text := h.final(tok).Text(); !strings.Contains(text, "/ask") {
		t.Errorf("help: %s", text)
	}
	h.fake.Dispatch("MESSAGE_CREATE", map[string]any{"id": h.fake.ID(), "channel_id": "500000000000000001", "timestamp": "last Tuesday",
		"author": map[string]any{"id": "7", "username": "asker"}, "content": "What is the 15th Five-Year Plan?"})
	r := h.waitFor(func(r discordtest.Request) bool { return r.Path == "/channels/500000000000000001/messages" })
	if !strings.Contains(r.Message().Text(), "Five-Year Plan") {
		t.Errorf("DM answer: %s", r.Message().Text())
	}
	if !strings.Contains(h.logs.String(), "joined_at") || !strings.Contains(h.logs.String(), "timestamp") {
		t.Errorf("the dropped fields are not logged:\n%s", h.logs.String())
	}
}

// TestAThreadThatTakesPartOfAnAnswer: when the thread takes the first page
// of a long answer but not the rest, the answer is not posted again in the
// channel, and the request is logged as undelivered.
func TestAThreadThatTakesPartOfAnAnswer(t *testing.T) {
	h := start(t, func(o *Options) { o.Engine = longEngine{o.Engine} })
	h.fake.AddChannel(&discordgo.Channel{ID: channel, Type: discordgo.ChannelTypeGuildText, GuildID: guild})
	inThread := func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") && r.Path != "/channels/"+channel+"/messages"
	}
	h.mention("Tell me everything")
	first := h.waitFor(inThread)
	h.fake.Block(func(r discordtest.Request) bool { return r.Path == first.Path }, time.Minute)
	if line := h.requestLine("mention", 1); !strings.Contains(line, "outcome=undelivered") {
		t.Errorf("logged as %q", line)
	}
	for _, r := range h.fake.Requests() {
		if r.Path == "/channels/"+channel+"/messages" && r.Method == "POST" {
			t.Fatal("the answer was posted again in the channel")
		}
	}
}

// TestOwnershipIsComparedWhenUsed: a thread learnt before the bot knew its
// own ID (a GUILD_CREATE handled before READY) is still its own.
func TestOwnershipIsComparedWhenUsed(t *testing.T) {
	eng, ix := sampleEngine(t)
	b, err := New(Options{Token: "t", Engine: eng, Library: ix, DataDir: t.TempDir(), Log: testLogger(io.Discard)})
	if err != nil {
		t.Fatal(err)
	}
	b.threads.learn(b.channelInfoOf(&discordgo.Channel{ID: "9", Type: discordgo.ChannelTypeGuildPublicThread, OwnerID: "42"}))
	b.onReady("42", "")
	ch, _ := b.threads.channels.Get("9")
	if !b.ownThread(ch) {
		t.Error("the thread is not the bot's once it knows its ID")
	}
	// A later event without the owner does not take it away.
	b.threads.learn(b.channelInfoOf(&discordgo.Channel{ID: "9", Type: discordgo.ChannelTypeGuildPublicThread}))
	if ch, _ := b.threads.channels.Get("9"); !b.ownThread(ch) {
		t.Error("an event without owner_id took the thread away")
	}
}

// TestDroppedConnectionsDoNotBlameTheToken: sessions dropped without a
// close frame (1006), as a flaky network drops them, are retried; they do
// not end the bot with a message about the token.
func TestDroppedConnectionsDoNotBlameTheToken(t *testing.T) {
	t.Parallel() // it waits out the reconnection backoff
	h := start(t, func(o *Options) { o.Reconnect = true })
	h.fake.DropSessions(maxRefusals)
	n := len(h.fake.Requests())
	h.fake.DisconnectGateway()
	// As many dropped sessions as would end the bot if they counted as
	// refusals, then one that holds.
	for i := 0; i <= maxRefusals; i++ {
		r, at, err := h.fake.WaitFor(h.ctx(), n, func(r discordtest.Request) bool {
			return r.Method == "GATEWAY" && (r.Path == "IDENTIFY" || r.Path == "RESUME")
		})
		if err != nil {
			t.Fatalf("session %d: %v\n%s", i+1, err, h.logs.String())
		}
		_ = r
		n = at + 1
	}
	select {
	case err := <-h.done:
		h.done <- err
		t.Fatalf("Run ended: %v", err)
	default:
	}
	if text := h.final(h.slash(member("1", false), "help")).Text(); !strings.Contains(text, "/ask") {
		t.Errorf("after the drops: %s", text)
	}
}
