package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store"
)

// sampleEngine indexes the built-in sample corpus.
func sampleEngine(t testing.TB) (*rag.Engine, store.Archive) {
	t.Helper()
	lib, err := library.Sample(context.Background(), library.Config{})
	if err != nil {
		t.Fatal(err)
	}
	asOf := time.Date(2026, 2, 7, 12, 0, 0, 0, time.UTC)
	return rag.New(lib.Archive(), lib.Embedder(), rag.Options{Now: func() time.Time { return asOf }}), lib.Archive()
}

// fakeReindexer reports an unchanged re-read of the sample.
type fakeReindexer struct{ archive store.Archive }

func (f fakeReindexer) Reindex(ctx context.Context) (rag.IngestReport, error) {
	st, err := f.archive.Stats(ctx)
	return rag.IngestReport{Files: 5, Unchanged: 5, Chunks: st.Chunks}, err
}

// slowEngine delays every answer.
type slowEngine struct {
	Engine
	delay time.Duration
}

func (e slowEngine) Ask(ctx context.Context, q string, o rag.AskOptions) (rag.Answer, error) {
	select {
	case <-time.After(e.delay):
	case <-ctx.Done():
		return rag.Answer{}, ctx.Err()
	}
	return e.Engine.Ask(ctx, q, o)
}

type harness struct {
	t      *testing.T
	fake   *discordtest.Server
	bot    *Bot
	cancel context.CancelFunc
	done   chan error
	logs   *syncBuffer
	data   string
}

// syncBuffer collects log output and tells waiters when it grows.
type syncBuffer struct {
	mu      sync.Mutex
	b       strings.Builder
	changed chan struct{}
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
	return s.b.Write(p)
}

// waitCount waits until the logs hold sub at least n times.
func (s *syncBuffer) waitCount(ctx context.Context, sub string, n int) error {
	for {
		s.mu.Lock()
		if strings.Count(s.b.String(), sub) >= n {
			s.mu.Unlock()
			return nil
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%d of %d %q in the logs: %w", strings.Count(s.String(), sub), n, sub, ctx.Err())
		}
	}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a bot against a fake Discord; edit adjusts its options.
func start(t *testing.T, edit func(*Options)) *harness {
	t.Helper()
	fake := discordtest.New()
	t.Cleanup(fake.Close)
	// No test may send a null list: other Discord-compatible servers refuse it.
	fake.SetQuirks(discordtest.Quirks{RefuseNulls: true})
	eng, ix := sampleEngine(t)
	logs := &syncBuffer{}
	h := &harness{t: t, fake: fake, logs: logs, data: t.TempDir(), done: make(chan error, 1)}
	opts := Options{
		Token: fake.Token, APIURL: fake.URL, GuildID: "300000000000000001", DMs: true, MessageContent: true,
		Engine: eng, Library: ix, DataDir: h.data,
		IndexBytes: func() int64 { return 12345 },
		Reindexer:  fakeReindexer{ix},
		RefTime:    func() time.Time { return time.Date(2026, 2, 7, 12, 0, 0, 0, time.UTC) },
		Log:        testLogger(logs),
	}
	if edit != nil {
		edit(&opts)
	}
	b, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	h.bot = b
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.done <- b.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-h.done:
		case <-time.After(15 * time.Second):
			t.Error("the bot did not stop")
		}
	})
	registered := make(chan error, 1)
	go func() {
		_, _, err := fake.WaitFor(h.ctx(), 0, func(r discordtest.Request) bool { return r.Method == "PUT" && strings.HasSuffix(r.Path, "/commands") })
		registered <- err
	}()
	select {
	case err := <-registered:
		if err != nil {
			t.Fatalf("no commands registered: %v\n%s", err, logs.String())
		}
	case err := <-h.done:
		t.Fatalf("Run returned early: %v\n%s", err, logs.String())
	}
	return h
}

// testLogger logs everything, debug included, to w.
func testLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

func (h *harness) waitFor(match func(discordtest.Request) bool) discordtest.Request {
	h.t.Helper()
	r, _, err := h.fake.WaitFor(h.ctx(), 0, match)
	if err != nil {
		h.t.Fatalf("%v\nrequests: %+v\nlogs:\n%s", err, h.fake.Requests(), h.logs.String())
	}
	return r
}

// member is a server member; admin gives Manage Server.
func member(id string, admin bool) *discordgo.Member {
	var perms int64 = discordgo.PermissionSendMessages
	if admin {
		perms |= discordgo.PermissionManageGuild
	}
	return &discordgo.Member{User: &discordgo.User{ID: id, Username: "user" + id}, Permissions: perms}
}

func (h *harness) slash(user *discordgo.Member, name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) string {
	h.t.Helper()
	tok, err := h.fake.Interact(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: "300000000000000001", ChannelID: "400000000000000001", Member: user,
		Data: discordgo.ApplicationCommandInteractionData{ID: h.fake.ID(), Name: name, CommandType: discordgo.ChatApplicationCommand, Options: opts},
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return tok
}

func str(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: value}
}

// callback waits for the first response to the interaction with token.
func (h *harness) callback(token string) discordtest.Request {
	h.t.Helper()
	return h.waitFor(func(r discordtest.Request) bool { return strings.HasSuffix(r.Path, "/"+token+"/callback") })
}

// final waits for the message that carries the interaction's answer: the
// callback itself, or the edit of a deferred one.
func (h *harness) final(token string) discordtest.MessagePayload {
	h.t.Helper()
	cb := h.callback(token)
	if cb.Status != 204 {
		h.t.Fatalf("callback refused: %d %d %s", cb.Status, cb.Error, cb.Body)
	}
	p := cb.Message()
	var wrapper struct{ Type int }
	json.Unmarshal(cb.Body, &wrapper)
	if wrapper.Type != 5 {
		return p
	}
	// Skip streamed partial edits (they end with " …").
	edit := h.waitFor(func(r discordtest.Request) bool {
		if r.Method != "PATCH" || !strings.Contains(r.Path, "/"+token+"/messages/@original") {
			return false
		}
		e := r.Message().Embeds
		return len(e) == 0 || !strings.HasSuffix(e[0].Description, " …")
	})
	if edit.Status != 200 {
		h.t.Fatalf("edit refused: %d %d %s", edit.Status, edit.Error, edit.Body)
	}
	return edit.Message()
}

func TestCommandsAreRegisteredInOneBulkOverwrite(t *testing.T) {
	h := start(t, nil)
	puts := 0
	for _, r := range h.fake.Requests() {
		if r.Method == "PUT" {
			puts++
			if r.Path != "/applications/"+h.fake.AppID+"/guilds/300000000000000001/commands" {
				t.Errorf("registered at %s", r.Path)
			}
			var cmds []struct {
				Name        string  `json:"name"`
				Type        int     `json:"type"`
				Permissions *string `json:"default_member_permissions"`
			}
			json.Unmarshal(r.Body, &cmds)
			names := map[string]*string{}
			for _, c := range cmds {
				names[c.Name] = c.Permissions
			}
			for _, want := range []string{"ask", "summary", "sources", "latest", "help", "stats", "reindex", "Ask Herald"} {
				if _, ok := names[want]; !ok {
					t.Errorf("command %q not registered", want)
				}
			}
			if p := names["stats"]; p == nil || *p != "32" {
				t.Errorf("/stats default_member_permissions = %v, want Manage Server (32)", p)
			}
			if names["ask"] != nil {
				t.Error("/ask is hidden behind permissions")
			}
		}
	}
	if puts != 1 {
		t.Errorf("%d command registrations, want 1", puts)
	}
	if h.fake.Intents()&int(discordgo.IntentsMessageContent) == 0 {
		t.Error("Message Content intent not requested")
	}
	if !strings.Contains(h.logs.String(), "scope=bot+applications.commands") {
		t.Errorf("no invite URL logged:\n%s", h.logs.String())
	}
}

func TestAskIsAnsweredWithCitations(t *testing.T) {
	h := start(t, nil)
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
	msg := h.final(tok)
	text := msg.Text()
	for _, want := range []string{"$200 billion", "[1]", "[1] Putin and Xi Hold New Year Video Call, Point to $200 Billion in Trade — 2026-02-04 — <https://herald.example/sample/2026/02/04/putin-xi-new-year-call>", "Corpus: 5 articles, 2026-02-04 to 2026-02-06"} {
		if !strings.Contains(text, want) {
			t.Errorf("answer lacks %q:\n%s", want, text)
		}
	}
	ids := strings.Join(msg.CustomIDs(), " ")
	if !strings.Contains(ids, "sources:") || !strings.Contains(ids, "vote:up:") || !strings.Contains(ids, "vote:down:") {
		t.Errorf("buttons: %s", ids)
	}
	if msg.Flags&int(discordgo.MessageFlagsEphemeral) != 0 {
		t.Error("a public answer was sent as ephemeral")
	}
}

func TestSlowAnswersAreDeferredThenEdited(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, func(o *Options) {
		o.Engine = slowEngine{Engine: o.Engine, delay: 400 * time.Millisecond}
		o.FastReply = 50 * time.Millisecond
	})
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"),
		&discordgo.ApplicationCommandInteractionDataOption{Name: "private", Type: discordgo.ApplicationCommandOptionBoolean, Value: true})
	cb := h.callback(tok)
	var deferred struct {
		Type int `json:"type"`
		Data struct {
			Flags int `json:"flags"`
		} `json:"data"`
	}
	json.Unmarshal(cb.Body, &deferred)
	if deferred.Type != 5 || deferred.Data.Flags&int(discordgo.MessageFlagsEphemeral) == 0 {
		t.Fatalf("first response %s, want a private deferral", cb.Body)
	}
	if msg := h.final(tok); !strings.Contains(msg.Text(), "$200 billion") {
		t.Errorf("edited answer: %s", msg.Text())
	}
}

func TestSummaryWithAutocomplete(t *testing.T) {
	h := start(t, nil)
	tok, _ := h.fake.Interact(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommandAutocomplete, GuildID: "300000000000000001", Member: member("1", false),
		Data: discordgo.ApplicationCommandInteractionData{Name: "summary", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "article", Type: discordgo.ApplicationCommandOptionString, Value: "educ", Focused: true},
		}},
	})
	cb := h.callback(tok)
	var resp struct {
		Type int `json:"type"`
		Data struct {
			Choices []struct{ Name, Value string } `json:"choices"`
		} `json:"data"`
	}
	json.Unmarshal(cb.Body, &resp)
	if cb.Status != 204 || resp.Type != 8 || len(resp.Data.Choices) != 1 || !strings.Contains(resp.Data.Choices[0].Name, "Years of Education") {
		t.Fatalf("autocomplete: %d %s", cb.Status, cb.Body)
	}
	tok = h.slash(member("1", false), "summary", str("article", resp.Data.Choices[0].Value))
	text := h.final(tok).Text()
	if !strings.Contains(text, "Summary of “China and Russia Open Years of Education” (2026-02-06)") || !strings.Contains(text, "[1]") {
		t.Errorf("summary: %s", text)
	}

	// Empty autocomplete lists the newest articles, at most 25.
	tok, _ = h.fake.Interact(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommandAutocomplete, Member: member("1", false),
		Data: discordgo.ApplicationCommandInteractionData{Name: "summary", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "article", Type: discordgo.ApplicationCommandOptionString, Value: "", Focused: true},
		}},
	})
	json.Unmarshal(h.callback(tok).Body, &resp)
	if len(resp.Data.Choices) != 5 || !strings.HasPrefix(resp.Data.Choices[0].Name, "2026-02-06") {
		t.Errorf("choices: %+v", resp.Data.Choices)
	}
}

func TestCommands(t *testing.T) {
	h := start(t, nil)
	tests := []struct {
		name      string
		user      *discordgo.Member
		command   string
		opts      []*discordgo.ApplicationCommandInteractionDataOption
		want      []string
		ephemeral bool
	}{
		{"summary of a topic", member("1", false), "summary", []*discordgo.ApplicationCommandInteractionDataOption{str("topic", "APEC")}, []string{"Summary of “APEC”", "[1] Moscow Pledges Support"}, false},
		{"summary of dates", member("1", false), "summary", []*discordgo.ApplicationCommandInteractionDataOption{str("date", "2026-02-05..2026-02-06")}, []string{"Summary of 2026-02-05 to 2026-02-06"}, false},
		{"summary of words", member("1", false), "summary", []*discordgo.ApplicationCommandInteractionDataOption{str("date", "yesterday")}, []string{"Summary of 2026-02-06"}, false},
		{"summary with a bad date", member("1", false), "summary", []*discordgo.ApplicationCommandInteractionDataOption{str("date", "someday")}, []string{"I cannot read the date"}, true},
		{"summary of nothing", member("1", false), "summary", nil, []string{"Tell me what to summarise"}, true},
		{"summary of an unknown article", member("1", false), "summary", []*discordgo.ApplicationCommandInteractionDataOption{str("article", "nothing like this at all")}, []string{"No article matches"}, false},
		{"sources", member("1", false), "sources", []*discordgo.ApplicationCommandInteractionDataOption{str("question", "visa-free travel")}, []string{"Sources: visa-free travel", "2026-02-06", "> "}, false},
		{"latest", member("1", false), "latest", []*discordgo.ApplicationCommandInteractionDataOption{{Name: "count", Type: discordgo.ApplicationCommandOptionInteger, Value: float64(2)}}, []string{"Latest articles", "[1]", "[2]", "2026-02-06"}, false},
		{"help", member("1", false), "help", nil, []string{"/ask question:", "Ask Herald"}, true},
		{"stats refused", member("1", false), "stats", nil, []string{"Only members with the Manage Server permission"}, true},
		{"reindex refused", member("1", false), "reindex", nil, []string{"Only members with the Manage Server permission"}, true},
		{"stats", member("2", true), "stats", nil, []string{"Articles", "5", "2026-02-04 to 2026-02-06", "0.0 MB", "👍 0 · 👎 0"}, true},
		{"reindex", member("2", true), "reindex", nil, []string{"Re-read 5 files: 0 added, 0 updated, 5 unchanged"}, true},
		{"question too long", member("3", false), "ask", []*discordgo.ApplicationCommandInteractionDataOption{str("question", strings.Repeat("why ", 300))}, []string{"1199 characters long; please keep it under 1000"}, true},
		{"not covered", member("4", false), "ask", []*discordgo.ApplicationCommandInteractionDataOption{str("question", "Who won the cricket world cup?")}, []string{"does not seem to cover", "Closest articles"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := h.final(h.slash(tt.user, tt.command, tt.opts...))
			for _, w := range tt.want {
				if !strings.Contains(msg.Text(), w) {
					t.Errorf("reply lacks %q:\n%s", w, msg.Text())
				}
			}
			if got := msg.Flags&int(discordgo.MessageFlagsEphemeral) != 0; got != tt.ephemeral {
				t.Errorf("ephemeral = %v, want %v", got, tt.ephemeral)
			}
		})
	}
}

func TestButtons(t *testing.T) {
	h := start(t, nil)
	msg := h.final(h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?")))
	ids := msg.CustomIDs()
	click := func(user, id string) discordtest.MessagePayload {
		tok, _ := h.fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: "300000000000000001", Member: member(user, false),
			Data: discordgo.MessageComponentInteractionData{CustomID: id, ComponentType: discordgo.ButtonComponent}})
		return h.final(tok)
	}
	src := click("5", ids[0])
	if src.Flags&int(discordgo.MessageFlagsEphemeral) == 0 || !strings.Contains(src.Text(), "> Putin told Xi that trade between Russia and China has stayed above $200 billion") || !strings.Contains(src.Text(), "[1] Putin and Xi Hold New Year Video Call") {
		t.Errorf("sources: %+v\n%s", src.Flags, src.Text())
	}
	if got := click("5", ids[1]).Text(); !strings.Contains(got, "Thanks for the feedback") {
		t.Errorf("vote: %s", got)
	}
	if got := click("5", ids[1]).Text(); !strings.Contains(got, "already given feedback") {
		t.Errorf("second vote: %s", got)
	}
	click("6", ids[2])
	data, err := os.ReadFile(filepath.Join(h.data, "feedback.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 2 {
		t.Fatalf("feedback lines: %q", lines)
	}
	var fb Feedback
	json.Unmarshal([]byte(lines[0]), &fb)
	if fb.Vote != "up" || fb.Question != "How much trade did Russia and China do?" || !strings.Contains(fb.Answer, "$200 billion") ||
		len(fb.Citations) == 0 || fb.Citations[0].Date != "2026-02-04" || fb.User == "" || fb.User == "5" || fb.Time.IsZero() {
		t.Errorf("feedback %+v", fb)
	}
	if strings.Contains(string(data), `"5"`) {
		t.Error("a raw user ID was stored")
	}
	stats := h.final(h.slash(member("2", true), "stats")).Text()
	if !strings.Contains(stats, "👍 1 · 👎 1") || !strings.Contains(stats, "Questions answered") {
		t.Errorf("stats: %s", stats)
	}
	if got := click("5", "sources:unknown").Text(); !strings.Contains(got, "too old") {
		t.Errorf("expired sources: %s", got)
	}
}

func TestMessageCommandAsksAboutTheMessage(t *testing.T) {
	h := start(t, nil)
	target := &discordgo.Message{ID: h.fake.ID(), ChannelID: "400000000000000001", Content: "Is it true that Russians no longer need a visa for China?"}
	tok, _ := h.fake.Interact(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommand, GuildID: "300000000000000001", Member: member("1", false),
		Data: discordgo.ApplicationCommandInteractionData{Name: "Ask Herald", CommandType: discordgo.MessageApplicationCommand, TargetID: target.ID,
			Resolved: &discordgo.ApplicationCommandInteractionDataResolved{Messages: map[string]*discordgo.Message{target.ID: target}}},
	})
	if text := h.final(tok).Text(); !strings.Contains(text, "visa") || !strings.Contains(text, "[1]") {
		t.Errorf("answer: %s", text)
	}
}

func TestMentionThreadFollowUpAndDM(t *testing.T) {
	h := start(t, nil)
	h.fake.AddChannel(&discordgo.Channel{ID: "400000000000000001", Type: discordgo.ChannelTypeGuildText, GuildID: "300000000000000001"})
	bot := &discordgo.User{ID: h.fake.BotID, Username: "Herald", Bot: true}
	asker := &discordgo.User{ID: "7", Username: "asker"}
	question := &discordgo.Message{ID: h.fake.ID(), ChannelID: "400000000000000001", GuildID: "300000000000000001", Author: asker,
		Content: "<@" + h.fake.BotID + "> How much trade did Russia and China do?", Mentions: []*discordgo.User{bot}}
	h.fake.Dispatch("MESSAGE_CREATE", question)

	thread := h.waitFor(func(r discordtest.Request) bool {
		return strings.HasSuffix(r.Path, "/messages/"+question.ID+"/threads")
	})
	var th discordgo.Channel
	json.Unmarshal([]byte(strings.TrimSpace(string(thread.Body))), &th)
	var created []discordgo.Channel
	for _, r := range h.fake.Requests() {
		_ = r
	}
	_ = created
	answer := h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/channels/") && strings.HasSuffix(r.Path, "/messages") && r.Path != "/channels/400000000000000001/messages"
	})
	threadID := strings.Split(answer.Path, "/")[2]
	if !strings.Contains(answer.Message().Text(), "$200 billion") {
		t.Fatalf("answer in thread: %s", answer.Message().Text())
	}
	// A follow-up in the bot's thread, without a mention.
	n := len(h.fake.Requests())
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.ID(), ChannelID: threadID, GuildID: "300000000000000001", Author: asker, Content: "and what about energy?"})
	follow, _, err := h.fake.WaitFor(h.ctx(), n, func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+threadID+"/messages"
	})
	if err != nil {
		t.Fatal(err)
	}
	if text := follow.Message().Text(); !strings.Contains(strings.ToLower(text), "energy") || !strings.Contains(text, "[1]") {
		t.Errorf("follow-up answer: %s", text)
	}
	// Messages from bots, and messages elsewhere without a mention, are ignored.
	n = len(h.fake.Requests())
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.ID(), ChannelID: threadID, GuildID: "300000000000000001", Author: bot, Content: "echo"})
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.ID(), ChannelID: "400000000000000001", GuildID: "300000000000000001", Author: asker, Content: "just chatting"})
	// A DM is answered in the DM channel.
	dm := &discordgo.Message{ID: h.fake.ID(), ChannelID: "500000000000000001", Author: asker, Content: "What is the 15th Five-Year Plan?"}
	h.fake.Dispatch("MESSAGE_CREATE", dm)
	reply, idx, err := h.fake.WaitFor(h.ctx(), n, func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/channels/") && strings.HasSuffix(r.Path, "/messages")
	})
	if err != nil {
		t.Fatal(err)
	}
	if reply.Path != "/channels/500000000000000001/messages" || !strings.Contains(reply.Message().Text(), "15th Five-Year Plan") {
		t.Errorf("first message after the bot's own and the chat: %s %s", reply.Path, reply.Message().Text())
	}
	_ = idx
}

func TestDMsCanBeTurnedOff(t *testing.T) {
	h := start(t, func(o *Options) { o.DMs = false })
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.ID(), ChannelID: "500000000000000001", Author: &discordgo.User{ID: "7"}, Content: "What is the plan?"})
	r := h.waitFor(func(r discordtest.Request) bool { return r.Path == "/channels/500000000000000001/messages" })
	if !strings.Contains(r.Message().Text(), "does not answer direct messages") {
		t.Errorf("reply: %s", r.Message().Text())
	}
}

func TestRateLimitSlowsOnlyTheEagerUser(t *testing.T) {
	h := start(t, func(o *Options) { o.RatePerMinute, o.RateBurst = 1, 2 })
	ask := func(user string) string {
		return h.final(h.slash(member(user, false), "ask", str("question", "What about APEC?"))).Text()
	}
	for i := 0; i < 2; i++ {
		if text := ask("8"); strings.Contains(text, "Slow down") {
			t.Fatalf("question %d refused: %s", i+1, text)
		}
	}
	if text := ask("8"); !strings.Contains(text, "Slow down: you can ask again in") {
		t.Errorf("third question: %s", text)
	}
	if text := ask("9"); strings.Contains(text, "Slow down") {
		t.Errorf("another user was slowed: %s", text)
	}
}

func TestFiftyInteractionsAtOnceAreAllAcknowledgedInTime(t *testing.T) {
	h := start(t, func(o *Options) { o.RatePerMinute = 0 })
	var tokens []string
	for i := 0; i < 50; i++ {
		tokens = append(tokens, h.slash(member(string(rune('a'+i%26))+"x", false), "ask", str("question", "How much trade did Russia and China do?")))
	}
	for _, tok := range tokens {
		cb := h.callback(tok)
		if cb.Status != 204 {
			t.Errorf("callback %s: %d %d", tok, cb.Status, cb.Error)
		}
	}
	for _, tok := range tokens {
		if text := h.final(tok).Text(); !strings.Contains(text, "$200 billion") && !strings.Contains(text, "busy") {
			t.Errorf("answer: %s", text)
		}
	}
}

func TestShutdownFinishesAnswersInFlight(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, func(o *Options) {
		o.Engine = slowEngine{Engine: o.Engine, delay: 500 * time.Millisecond}
		o.FastReply = 50 * time.Millisecond
	})
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
	h.callback(tok) // deferred
	h.cancel()      // SIGTERM
	select {
	case err := <-h.done:
		h.done <- err
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	if text := h.final(tok).Text(); !strings.Contains(text, "$200 billion") {
		t.Errorf("the answer in flight was lost: %s", text)
	}
}

func TestInvalidTokenIsFatalWithAFix(t *testing.T) {
	t.Parallel() // waits on the clock
	fake := discordtest.New()
	defer fake.Close()
	eng, ix := sampleEngine(t)
	b, err := New(Options{Token: "wrong", APIURL: fake.URL, Engine: eng, Library: ix, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(context.Background()) }()
	select {
	case err := <-done:
		var fatal *FatalGatewayError
		if !errors.As(err, &fatal) || fatal.Code != 4004 || !fatal.Token || !strings.Contains(err.Error(), "the bot token is invalid") {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return on 4004")
	}
}

func TestHostileTextPingsNobody(t *testing.T) {
	h := start(t, nil)
	q := "@everyone @here <@&123> <@456> [click](javascript:alert(1)) \u200bHow much trade did Russia and China do?"
	msg := h.final(h.slash(member("1", false), "ask", str("question", q)))
	if strings.Contains(msg.Text(), "@everyone") || strings.Contains(msg.Text(), "[click](") {
		t.Errorf("unescaped: %s", msg.Text())
	}
	for _, r := range h.fake.Requests() {
		if r.Error == 50035 {
			t.Errorf("a request broke Discord's rules: %s %s", r.Path, r.Body)
		}
	}
}

func TestHealthzAndMetrics(t *testing.T) {
	h := start(t, nil)
	h.final(h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?")))
	srv := httptest.NewServer(h.bot.Handler())
	defer srv.Close()
	get := func(path string) (int, string) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{`herald_questions_total{command="ask"} 1`, "herald_answer_seconds_bucket", "herald_first_response_seconds", "herald_rate_limited_total"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(h.logs.String(), h.fake.Token) || strings.Contains(h.logs.String(), "How much trade") {
		t.Error("the logs hold the token or message content")
	}
	if err := h.logs.waitCount(h.ctx(), "command=ask", 1); err != nil || !strings.Contains(h.logs.String(), "outcome=answered") {
		t.Errorf("no request log line (%v):\n%s", err, h.logs.String())
	}
}

func TestGatewayDisconnectsAreResumed(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, func(o *Options) { o.Reconnect = true })
	h.fake.DisconnectGateway()
	h.waitFor(func(r discordtest.Request) bool { return r.Method == "GATEWAY" && r.Path == "RESUME" })
	if text := h.final(h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))).Text(); !strings.Contains(text, "$200 billion") {
		t.Errorf("after resuming: %s", text)
	}
}

func TestMentionWithoutAMentionsList(t *testing.T) {
	h := start(t, nil)
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.ID(), ChannelID: "500000000000000002", Author: &discordgo.User{ID: "7"},
		GuildID: "300000000000000001", Content: "<@!" + h.fake.BotID + "> What did Xi say about the Five-Year Plan?"})
	r := h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") && strings.Contains(r.Message().Text(), "Five-Year Plan")
	})
	if r.Status != 200 {
		t.Errorf("answer refused: %d", r.Error)
	}
}

func TestATokenResetWhileServingEndsRunWithTheFix(t *testing.T) {
	t.Parallel() // waits on the clock
	h := start(t, func(o *Options) { o.Reconnect = true })
	h.fake.RefuseSessions(4004)
	h.fake.DisconnectGateway()
	select {
	case err := <-h.done:
		h.done <- err
		var fatal *FatalGatewayError
		if !errors.As(err, &fatal) || fatal.Code != 4004 {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		var paths []string
		for _, r := range h.fake.Requests() {
			paths = append(paths, r.Method+" "+r.Path)
		}
		t.Fatalf("Run kept going after the token was refused\n%s\n%s", h.logs.String(), strings.Join(paths, "\n"))
	}
}

func TestDisallowedIntentsNameTheSwitch(t *testing.T) {
	t.Parallel() // waits on the clock
	fake := discordtest.New()
	defer fake.Close()
	fake.RefuseSessions(4014)
	eng, ix := sampleEngine(t)
	b, err := New(Options{Token: fake.Token, APIURL: fake.URL, Engine: eng, Library: ix, DataDir: t.TempDir(), MessageContent: true})
	if err != nil {
		t.Fatal(err)
	}
	err = b.Run(context.Background())
	if !strings.Contains(fmt.Sprint(err), "Message Content Intent") || !strings.Contains(fmt.Sprint(err), "stop asking for it") {
		t.Fatalf("Run: %v", err)
	}
}

// panicEngine fails the worst way.
type panicEngine struct{ Engine }

func (panicEngine) Ask(context.Context, string, rag.AskOptions) (rag.Answer, error) {
	var answers []rag.Answer
	return answers[len(answers)-1], nil // index out of range
}

func TestAPanicWhileAnsweringIsAnApology(t *testing.T) {
	h := start(t, func(o *Options) { o.Engine = panicEngine{o.Engine} })
	if text := h.final(h.slash(member("1", false), "ask", str("question", "anything?"))).Text(); !strings.Contains(text, "something went wrong") {
		t.Errorf("reply: %s", text)
	}
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.ID(), ChannelID: "500000000000000001", Author: &discordgo.User{ID: "7"}, Content: "anything?"})
	r := h.waitFor(func(r discordtest.Request) bool { return r.Path == "/channels/500000000000000001/messages" })
	if !strings.Contains(r.Message().Text(), "something went wrong") {
		t.Errorf("DM reply: %s", r.Message().Text())
	}
	// Still alive.
	if text := h.final(h.slash(member("1", false), "help")).Text(); !strings.Contains(text, "/ask") {
		t.Errorf("after the panic: %s", text)
	}
}

func TestInteractionsFromDMs(t *testing.T) {
	h := start(t, nil)
	user := &discordgo.User{ID: "9", Username: "dm-user"}
	tok, _ := h.fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, User: user, ChannelID: "500000000000000009",
		Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{str("question", "What is the 15th Five-Year Plan?")}}})
	msg := h.final(tok)
	if !strings.Contains(msg.Text(), "15th Five-Year Plan") {
		t.Fatalf("DM /ask: %s", msg.Text())
	}
	tok, _ = h.fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, User: user,
		Data: discordgo.ApplicationCommandInteractionData{Name: "stats"}})
	if text := h.final(tok).Text(); !strings.Contains(text, "Only members with the Manage Server permission") {
		t.Errorf("DM /stats: %s", text)
	}
	tok, _ = h.fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, User: user,
		Data: discordgo.MessageComponentInteractionData{CustomID: msg.CustomIDs()[1], ComponentType: discordgo.ButtonComponent}})
	if text := h.final(tok).Text(); !strings.Contains(text, "Thanks for the feedback") {
		t.Errorf("DM vote: %s", text)
	}
	// No match at all still answers the autocomplete, with an empty list.
	tok, _ = h.fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommandAutocomplete, User: user,
		Data: discordgo.ApplicationCommandInteractionData{Name: "summary", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "article", Type: discordgo.ApplicationCommandOptionString, Value: "zzzz no such title", Focused: true}}}})
	if cb := h.callback(tok); cb.Status != 204 || !strings.Contains(string(cb.Body), `"choices":[]`) {
		t.Errorf("empty autocomplete: %d %s", cb.Status, cb.Body)
	}
	if err := h.logs.waitCount(h.ctx(), "msg=request", 4); err != nil {
		t.Errorf("one log line per request: %v", err)
	}
}
