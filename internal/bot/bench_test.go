package bot

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/openaitest"
	"github.com/herald-news/herald/internal/sharedtest"
)

// BenchmarkFirstResponse50 dispatches 50 /ask interactions at once to a bot
// on the sample corpus and reports the time from INTERACTION_CREATE to the
// first response (as the fake Discord receives it), and the heap in use.
//
//	go test -run '^$' -bench FirstResponse -benchtime 5x ./internal/bot
func BenchmarkFirstResponse50(b *testing.B) {
	eng, ix := sampleEngine(b)
	benchFirstResponse(b, eng, ix, "How much trade did Russia and China do?")
}

// BenchmarkFirstResponse50Reuters does the same while serving the full
// Reuters-21578 index (../shared).
func BenchmarkFirstResponse50Reuters(b *testing.B) {
	lib, _, err := library.InMemory(context.Background(), library.Config{}, nil)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := lib.Ingest(context.Background(), []string{sharedtest.Path(b, "datasets/reuters21578/reuters21578.jsonl")}); err != nil {
		b.Fatal(err)
	}
	benchFirstResponse(b, rag.New(lib.Archive(), lib.Embedder(), rag.Options{}), lib.Archive(), "What did the Bundesbank do in March 1987?")
}

// benchBot runs a bot on eng and ix against a fake Discord until the
// benchmark ends, and returns the fake and a context for waiting.
func benchBot(b *testing.B, eng Engine, ix Library) (*discordtest.Server, context.Context) {
	fake := discordtest.New()
	b.Cleanup(fake.Close)
	bot, err := New(Options{Token: fake.Token, APIURL: fake.URL, Engine: eng, Library: ix, DataDir: b.TempDir(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- bot.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	wait, stop := context.WithTimeout(context.Background(), time.Minute)
	b.Cleanup(stop)
	if _, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Method == "PUT" }); err != nil {
		b.Fatal(err)
	}
	return fake, wait
}

func benchFirstResponse(b *testing.B, eng Engine, ix Library, question string) {
	fake, wait := benchBot(b, eng, ix)
	var lat []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		sent := map[string]time.Time{}
		for i := 0; i < 50; i++ {
			u := &discordgo.Member{User: &discordgo.User{ID: "u" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + string(rune('0'+n%10))}}
			in := &discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "3", Member: u,
				Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
					{Name: "question", Type: discordgo.ApplicationCommandOptionString, Value: question}}}}
			start := time.Now()
			tok, err := fake.Interact(in)
			if err != nil {
				b.Fatal(err)
			}
			sent[tok] = start
		}
		for tok, start := range sent {
			r, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return strings.Contains(r.Path, "/"+tok+"/callback") })
			if err != nil {
				b.Fatal(err)
			}
			if r.Status != 204 {
				b.Fatalf("callback refused: %d", r.Error)
			}
			lat = append(lat, r.Time.Sub(start))
		}
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MB")
}

// BenchmarkFirstStreamedEdit measures the time from INTERACTION_CREATE to
// the first streamed edit of an LLM answer, with the fake OpenAI server
// streaming a token every 100 ms and the default 1.5 s fast-reply window.
//
//	go test -run '^$' -bench FirstStreamedEdit -benchtime 5x ./internal/bot
func BenchmarkFirstStreamedEdit(b *testing.B) {
	llmFake := openaitest.New()
	defer llmFake.Close()
	llmFake.TokenDelay = 100 * time.Millisecond
	_, ix := sampleEngine(b)
	model := llm.New(llm.Config{BaseURL: llmFake.URL, APIKey: "k", ChatModel: "fake-model"})
	fake, wait := benchBot(b, rag.New(ix, embed.NewLocal(0), rag.Options{Model: model}), ix)
	var firsts []time.Duration
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		in := &discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "3", Member: &discordgo.Member{User: &discordgo.User{ID: "u" + string(rune('a'+n))}},
			Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: "question", Type: discordgo.ApplicationCommandOptionString, Value: "How much trade did Russia and China do?"}}}}
		start := time.Now()
		tok, err := fake.Interact(in)
		if err != nil {
			b.Fatal(err)
		}
		r, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Method == "PATCH" && strings.Contains(r.Path, tok) })
		if err != nil {
			b.Fatal(err)
		}
		firsts = append(firsts, r.Time.Sub(start))
		// Let the answer finish before the next question.
		fake.WaitFor(wait, 0, func(r discordtest.Request) bool {
			return r.Method == "PATCH" && strings.Contains(r.Path, tok) && len(r.Message().CustomIDs()) > 0
		})
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	b.ReportMetric(float64(firsts[len(firsts)/2].Milliseconds()), "first-edit-p50-ms")
	b.ReportMetric(float64(firsts[len(firsts)-1].Milliseconds()), "first-edit-max-ms")
}
