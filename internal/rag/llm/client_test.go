package llm_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/openaitest"
)

// sourcePrompt is a user message with one source, which the fake answers.
var sourcePrompt = llm.SourcesBlock([]llm.Source{{N: 1, Title: "t", Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Text: "x."}})

func TestClientRegressions(t *testing.T) {
	t.Run("a budget refusal in the half-open state does not wedge the breaker", func(t *testing.T) {
		fake := openaitest.New()
		defer fake.Close()
		c := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", ChatModel: "m", Retries: -1, BreakerFailures: 1, BreakerCooldown: 10 * time.Millisecond, DailyTokensPerUser: 2000})
		fake.Always(openaitest.ServerError)
		c.Chat(context.Background(), llm.ChatRequest{User: sourcePrompt})
		fake.Always(openaitest.OK)
		time.Sleep(20 * time.Millisecond) // past the cooldown
		if _, err := c.Chat(context.Background(), llm.ChatRequest{User: strings.Repeat("long ", 3000), Asker: "big"}); !errors.Is(err, llm.ErrBudget) {
			t.Fatalf("want a budget refusal, got %v", err)
		}
		if _, err := c.Chat(context.Background(), llm.ChatRequest{User: sourcePrompt}); err != nil {
			t.Fatalf("the breaker stayed open: %v", err)
		}
	})
	t.Run("a reservation from yesterday settles today without going negative", func(t *testing.T) {
		b := llm.NewBudget(0, 0)
		day1 := time.Date(2026, 2, 4, 23, 59, 0, 0, time.UTC)
		r, _ := b.Reserve(context.Background(), "u", 600, day1)
		b.Settle(context.Background(), r, 100, day1.Add(2*time.Minute))
		if u := b.Usage(day1.Add(3 * time.Minute)); u.Tokens != 100 {
			t.Errorf("usage %+v, want 100", u)
		}
	})
	t.Run("refused calls are not charged", func(t *testing.T) {
		fake := openaitest.New()
		defer fake.Close()
		fake.Always(openaitest.ServerError)
		c := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", ChatModel: "m", Retries: -1})
		c.Chat(context.Background(), llm.ChatRequest{User: "hello"})
		if u := c.Usage(); u.Tokens != 0 {
			t.Errorf("charged %d tokens for a 500", u.Tokens)
		}
	})
	t.Run("reasoning models reach the server", func(t *testing.T) {
		fake := openaitest.New()
		defer fake.Close()
		c := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", ChatModel: "o3-mini"})
		if _, err := c.Chat(context.Background(), llm.ChatRequest{User: sourcePrompt}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a 429 is retried after its Retry-After", func(t *testing.T) {
		fake := openaitest.New()
		defer fake.Close()
		fake.Faults(openaitest.RateLimited)
		c := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", ChatModel: "m"})
		start := time.Now()
		if _, err := c.Chat(context.Background(), llm.ChatRequest{User: sourcePrompt}); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took < 900*time.Millisecond {
			t.Errorf("retried after %v, before the server's Retry-After of 1 s", took)
		}
	})
	t.Run("a retry that cannot finish in time is not waited for", func(t *testing.T) {
		fake := openaitest.New()
		defer fake.Close()
		fake.Faults(openaitest.RateLimited)
		c := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", ChatModel: "m"})
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		start := time.Now()
		if _, err := c.Chat(ctx, llm.ChatRequest{User: sourcePrompt}); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want the deadline, got %v", err)
		}
		if took := time.Since(start); took > 200*time.Millisecond {
			t.Errorf("gave up after %v", took)
		}
	})
}

func TestTaskMarkers(t *testing.T) {
	for _, task := range []llm.Task{llm.TaskAnswer, llm.TaskSummary, llm.TaskReduce, llm.TaskRewrite} {
		if got := llm.TaskOf(task.Marker() + "\nYou answer…"); got != task {
			t.Errorf("TaskOf(%q) = %q", task.Marker(), got)
		}
	}
	if got := llm.TaskOf("You answer questions"); got != "" {
		t.Errorf("a system message without a marker: %q", got)
	}
	prev, follow := llm.ParseRewritePrompt(llm.RewritePrompt([]string{"How much trade?", "And\nenergy?"}, "and visas?"))
	if len(prev) != 2 || prev[1] != "And energy?" || follow != "and visas?" {
		t.Errorf("rewrite prompt read back as %q, %q", prev, follow)
	}
	if got := llm.ParseReducePrompt(llm.ReducePrompt([]string{"a [1]", "b [2]"}, "March")); len(got) != 2 || got[1] != "b [2]" {
		t.Errorf("reduce prompt read back as %q", got)
	}
	srcs := llm.ParseSources(llm.SourcesBlock([]llm.Source{{N: 3, Title: `A "quoted" title`, URL: "https://x", Date: time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC), Text: "Some\ntext."}}))
	if len(srcs) != 1 || srcs[0].N != 3 || srcs[0].Title != `A "quoted" title` || srcs[0].Text != "Some text." || srcs[0].URL != "https://x" {
		t.Errorf("sources read back as %+v", srcs)
	}
}

func TestEmbedder(t *testing.T) {
	fake := openaitest.New()
	defer fake.Close()
	c := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", EmbedModel: "fake-embed", EmbedDimensions: 32})
	emb, err := llm.NewEmbedder(context.Background(), c, llm.EmbedderOptions{Batch: 3, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"one", "two words", "three little words", "four", "five", "six", "seven", "eight", "nine", "ten"}
	vecs, err := emb.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		want := openaitest.Vector(texts[i], 32)
		for j := range v {
			if d := v[j] - want[j]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("text %d: vector out of order or wrong", i)
			}
		}
	}
	if _, reqs, n := fake.Counts(); reqs != 4 || n != 10 {
		t.Errorf("%d requests for %d texts, want 4 batches of at most 3", reqs, n)
	}
	emb.Embed(context.Background(), []string{"a question"})
	emb.Embed(context.Background(), []string{"a question"})
	if _, reqs, _ := fake.Counts(); reqs != 5 {
		t.Errorf("the question embedding was not cached: %d requests", reqs)
	}
	if emb.Dimension() != 32 || emb.Name() != "openai-compatible:fake-embed@32" || emb.VectorWeight() != 0.8 {
		t.Errorf("%s %d %v", emb.Name(), emb.Dimension(), emb.VectorWeight())
	}
	if _, err := llm.NewEmbedder(context.Background(), llm.New(llm.Config{}), llm.EmbedderOptions{}); !errors.Is(err, llm.ErrNoEmbedModel) {
		t.Errorf("no model: %v", err)
	}
}
