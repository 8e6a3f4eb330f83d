package bot

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/openaitest"
	"github.com/herald-news/herald/internal/rag/store"
)

// withLLM answers through a grounded engine over the fake OpenAI server.
func withLLM(fake *openaitest.Server, timeout time.Duration) func(*Options) {
	return func(o *Options) {
		model := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "sk-secret-test", ChatModel: "fake-model"})
		asOf := time.Date(2026, 2, 7, 12, 0, 0, 0, time.UTC)
		o.Engine = rag.New(o.Library.(store.Archive), embed.NewLocal(0), rag.Options{Model: model, Now: func() time.Time { return asOf }})
		o.Rewriter, o.LLMUsage = model, model.Usage
		o.AnswerTimeout = timeout
		o.RatePerMinute = 0
	}
}

var reMarkers = regexp.MustCompile(`\[(\d+)\]`)

func TestLLMAnswersOnDiscordUnderEachFault(t *testing.T) {
	t.Parallel() // waits on the clock
	faults := []struct {
		name  string
		fault openaitest.Fault
		model bool // answered by the model (else the marked fallback)
	}{
		{"ok", openaitest.OK, true},
		{"429 with Retry-After", openaitest.RateLimited, true},
		{"500", openaitest.ServerError, true},
		{"slow first token", openaitest.SlowFirstToken, false},
		{"dropped mid-stream", openaitest.DropMidStream, false},
		{"malformed JSON", openaitest.MalformedJSON, false},
		{"event: error", openaitest.EventError, false},
		{"keep-alives", openaitest.KeepAlives, true},
		{"invented citations", openaitest.BadCitations, false},
		{"follows an injected instruction", openaitest.FollowsInjection, true},
	}
	fake := openaitest.New()
	defer fake.Close()
	fake.SlowDelay = 10 * time.Second
	h := start(t, withLLM(fake, 2500*time.Millisecond))
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			fake.Faults(tt.fault)
			tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
			cb := h.callback(tok)
			if cb.Status != 204 {
				t.Fatalf("first response refused: %d %d", cb.Status, cb.Error)
			}
			msg := h.final(tok)
			text := msg.Text()
			if !strings.Contains(text, "[1]") || !strings.Contains(text, "2026-02-04") {
				t.Fatalf("no cited, dated answer:\n%s", text)
			}
			// Every marker in the text has its source listed.
			for _, m := range reMarkers.FindAllStringSubmatch(msg.Embeds[0].Description, -1) {
				if !strings.Contains(text, "["+m[1]+"] ") || m[1] == "7" || m[1] == "12" {
					t.Errorf("marker [%s] has no source:\n%s", m[1], text)
				}
			}
			fallback := strings.Contains(text, "offline extractive answer")
			if fallback == tt.model {
				t.Errorf("fallback shown = %v, want %v:\n%s", fallback, !tt.model, text)
			}
			if strings.Contains(text, "@everyone") || strings.Contains(text, "@here") {
				t.Errorf("a mention is rendered live:\n%s", text)
			}
		})
	}
	for _, r := range h.fake.Requests() {
		if r.Error != 0 && r.Error != 10015 {
			t.Errorf("Discord refused %s %s: %d", r.Method, r.Path, r.Error)
		}
	}
	if strings.Contains(h.logs.String(), "sk-secret-test") {
		t.Error("the API key reached the logs")
	}
}

func TestStreamedAnswersAreEditedProgressively(t *testing.T) {
	t.Parallel() // waits on the clock
	fake := openaitest.New()
	defer fake.Close()
	fake.TokenDelay = 150 * time.Millisecond
	h := start(t, func(o *Options) {
		withLLM(fake, 30*time.Second)(o)
		o.FastReply = 200 * time.Millisecond
	})
	tok := h.slash(member("1", false), "ask", str("question", "How much trade did Russia and China do?"))
	// The final edit is the one with the buttons.
	msg := h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "PATCH" && strings.Contains(r.Path, tok) && len(r.Message().CustomIDs()) > 0
	}).Message()
	if !strings.Contains(msg.Text(), "[1]") || !strings.Contains(msg.Text(), "Sources") {
		t.Fatalf("final answer: %s", msg.Text())
	}
	var edits []discordtest.Request
	for _, r := range h.fake.Requests() {
		if r.Method == "PATCH" && strings.Contains(r.Path, tok) {
			edits = append(edits, r)
		}
	}
	if len(edits) < 2 {
		t.Fatalf("%d edits; want streamed edits before the final one", len(edits))
	}
	for i := 1; i < len(edits)-1; i++ {
		if gap := edits[i].Time.Sub(edits[i-1].Time); gap < 900*time.Millisecond {
			t.Errorf("streamed edits %v apart, want at most one a second", gap)
		}
	}
	if !strings.HasSuffix(edits[0].Message().Embeds[0].Description, "…") {
		t.Errorf("a streamed edit is not marked as partial: %q", edits[0].Message().Embeds[0].Description)
	}
	stats := h.final(h.slash(member("2", true), "stats")).Text()
	if !strings.Contains(stats, "tokens today") {
		t.Errorf("stats: %s", stats)
	}
}

func TestFollowUpsAreRewrittenByTheModel(t *testing.T) {
	t.Parallel() // waits on the clock
	fake := openaitest.New()
	defer fake.Close()
	h := start(t, withLLM(fake, 10*time.Second))
	h.fake.AddChannel(&discordgo.Channel{ID: "400000000000000001", Type: discordgo.ChannelTypeGuildText, GuildID: "300000000000000001"})
	bot := &discordgo.User{ID: h.fake.BotID, Bot: true}
	asker := &discordgo.User{ID: "7"}
	q := &discordgo.Message{ID: h.fake.ID(), ChannelID: "400000000000000001", GuildID: "300000000000000001", Author: asker,
		Content: "<@" + h.fake.BotID + "> What did Putin say about trade?", Mentions: []*discordgo.User{bot}}
	h.fake.Dispatch("MESSAGE_CREATE", q)
	first := h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasSuffix(r.Path, "/messages") && r.Path != "/channels/400000000000000001/messages"
	})
	thread := strings.Split(first.Path, "/")[2]
	chats, _, _ := fake.Counts()
	h.fake.Dispatch("MESSAGE_CREATE", &discordgo.Message{ID: h.fake.ID(), ChannelID: thread, GuildID: "300000000000000001", Author: asker, Content: "and energy?"})
	_, _, err := h.fake.WaitFor(h.ctx(), len(h.fake.Requests()), func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+thread+"/messages"
	})
	if err != nil {
		t.Fatal(err)
	}
	if after, _, _ := fake.Counts(); after < chats+2 {
		t.Errorf("the follow-up was not rewritten by the model (%d chat calls)", after-chats)
	}
}
