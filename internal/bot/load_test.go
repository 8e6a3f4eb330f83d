package bot

import (
	"fmt"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
)

// TestLoad500QuestionsFrom100Users drives the bot, configured as `herald
// serve` is by default (5 questions a minute per user, a burst of 3, 4
// answers at once, 32 waiting), with 500 /ask questions from 100 users: 90
// who keep within their budget, asking once per round with the bot's clock
// moved 12 s between rounds, and 10 who fire 5 questions at once. Every
// interaction must be acknowledged within 3 s (the fake Discord refuses a
// later callback); every question gets an answer or a polite refusal; only
// the 10 are told to slow down; goroutines return to their baseline.
func TestLoad500QuestionsFrom100Users(t *testing.T) {
	if testing.Short() {
		t.Skip("500 questions")
	}
	var clockOffset atomic.Int64
	h := start(t, func(o *Options) {
		o.RatePerMinute, o.RateBurst, o.MaxConcurrent, o.Queue = 5, 3, 4, 32
		o.Now = func() time.Time { return time.Now().Add(time.Duration(clockOffset.Load())) }
	})
	// Warm up with one question, so that the baseline is the bot's steady
	// state (its gateway, heartbeat and housekeeping goroutines).
	if text := h.final(h.slash(member("warm-up", false), "ask", str("question", "How much trade did Russia and China do?"))).Text(); !strings.Contains(text, "$200 billion") {
		t.Fatalf("warm-up answer: %q", text)
	}
	baseline := 0
	for k := 0; k < 10; k++ {
		baseline = max(baseline, botGoroutines())
		time.Sleep(20 * time.Millisecond)
	}
	questions := []string{"How much trade did Russia and China do?", "What did Xi say about the 15th Five-Year Plan?",
		"What happened yesterday?", "Who won the Super Bowl in 2016?", "Latest on energy cooperation"}

	type asked struct {
		token, user string
		at          time.Time
		flood       bool
	}
	var (
		mu    sync.Mutex
		sent  []asked
		begin = time.Now()
	)
	ask := func(user string, q string, flood bool) {
		at := time.Now()
		tok := h.slash(member(user, false), "ask", str("question", q))
		mu.Lock()
		sent = append(sent, asked{tok, user, at, flood})
		mu.Unlock()
	}
	// Round 0: the 10 flooders fire 5 questions each at once.
	var wg sync.WaitGroup
	for u := 0; u < 10; u++ {
		for k := 0; k < 5; k++ {
			wg.Add(1)
			go func() { defer wg.Done(); ask(fmt.Sprintf("flood-%d", u), questions[k], true) }()
		}
	}
	// Five rounds of the 90 others, 10 ms apart, 12 s of bot time per round.
	for round := 0; round < 5; round++ {
		for u := 0; u < 90; u++ {
			ask(fmt.Sprintf("user-%d", u), questions[(u+round)%len(questions)], false)
			time.Sleep(10 * time.Millisecond) // pacing the load, not waiting for it
		}
		clockOffset.Add(int64(12 * time.Second))
	}
	wg.Wait()
	sendTime := time.Since(begin)
	if len(sent) != 500 {
		t.Fatalf("%d questions sent", len(sent))
	}

	var acks []time.Duration
	outcomes, slowed := map[string]int{}, map[string]int{}
	for _, a := range sent {
		cb := h.callback(a.token)
		if cb.Status != 204 {
			t.Fatalf("%s: callback refused (%d %d): acknowledged after %v", a.user, cb.Status, cb.Error, cb.Time.Sub(a.at))
		}
		acks = append(acks, cb.Time.Sub(a.at))
		p := h.final(a.token)
		text := messageText(p)
		switch {
		case strings.Contains(text, "Slow down: you can ask again in"):
			outcomes["slow down"]++
			slowed[a.user]++
			if !a.flood {
				t.Errorf("%s, within budget, was told to slow down", a.user)
			}
		case strings.Contains(text, "busy"):
			outcomes["busy"]++
			t.Errorf("%s was refused as busy: %s", a.user, text)
		case len(p.Embeds) > 0 && (hasField(p, "Sources") || hasField(p, "Closest articles") || strings.Contains(text, "No article in the corpus is dated")):
			outcomes["answered"]++
		default:
			t.Errorf("%s got neither an answer nor a refusal: %q", a.user, text)
		}
	}
	if sendTime > time.Minute {
		t.Errorf("the 500 questions took %v to send, over a minute", sendTime)
	}
	for u, n := range slowed {
		if n != 2 {
			t.Errorf("%s was told to slow down %d times, want 2 of 5 (a burst of 3)", u, n)
		}
	}
	if len(slowed) != 10 {
		t.Errorf("%d flooders were slowed, want 10", len(slowed))
	}
	if outcomes["slow down"] != 10*2 {
		t.Errorf("%d slow-down messages, want 20 (2 of each flooder's 5): %v", outcomes["slow down"], outcomes)
	}
	sort.Slice(acks, func(i, j int) bool { return acks[i] < acks[j] })
	// The bot's goroutines go back to the baseline once the answers are out
	// (idle HTTP keep-alive connections to the fake are the pool's, not the
	// bot's, and are not counted).
	deadline := time.Now().Add(10 * time.Second)
	for botGoroutines() > baseline && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("500 questions from 100 users sent in %v; outcomes %v; acknowledged p50 %v, p99 %v, max %v; bot goroutines %d (baseline %d), all goroutines %d; heap in use %.1f MB",
		sendTime.Round(time.Millisecond), outcomes, acks[len(acks)/2].Round(time.Millisecond), acks[len(acks)*99/100].Round(time.Millisecond),
		acks[len(acks)-1].Round(time.Millisecond), botGoroutines(), baseline, runtime.NumGoroutine(), float64(ms.HeapInuse)/(1<<20))
	if n := botGoroutines(); n > baseline {
		var b strings.Builder
		pprof.Lookup("goroutine").WriteTo(&b, 1)
		t.Errorf("%d bot goroutines after the load, baseline %d:\n%s", n, baseline, b.String())
	}
	if acks[len(acks)-1] >= 3*time.Second {
		t.Errorf("an acknowledgement took %v", acks[len(acks)-1])
	}
	if ms.HeapInuse > 200<<20 {
		t.Errorf("heap in use %.0f MB after the load", float64(ms.HeapInuse)/(1<<20))
	}
}

// messageText joins a message's content, embed titles and descriptions.
func messageText(p discordtest.MessagePayload) string {
	parts := []string{p.Content}
	for _, e := range p.Embeds {
		parts = append(parts, e.Title, e.Description)
	}
	return strings.Join(parts, "\n")
}

func hasField(p discordtest.MessagePayload, name string) bool {
	for _, e := range p.Embeds {
		for _, f := range e.Fields {
			if f.Name == name {
				return true
			}
		}
	}
	return false
}

var _ = discordgo.InteractionApplicationCommand

// botGoroutines counts the goroutines running the bot's code or discordgo's,
// leaving out the test's, the fake Discord's and idle HTTP connections.
func botGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "discordtest.") || strings.Contains(g, "testing.tRunner") || strings.Contains(g, "persistConn") || strings.Contains(g, "net/http.(*conn).serve") {
			continue
		}
		if strings.Contains(g, "herald-news/herald/internal/") || strings.Contains(g, "bwmarrin/discordgo") {
			count++
		}
	}
	return count
}
