package rag_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag"

	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/llm"
	"github.com/herald-news/herald/internal/rag/openaitest"
	"github.com/herald-news/herald/internal/rag/retrieve"
	"github.com/herald-news/herald/internal/rag/store/embedded"
)

func groundedEngine(t *testing.T, fake *openaitest.Server, cfg llm.Config) (*rag.Engine, *llm.Client) {
	t.Helper()
	lib := memoryLibrary(t, newsCorpus(), nil)
	cfg.BaseURL, cfg.APIKey, cfg.ChatModel = fake.URL, "test-key", "fake-model"
	model := llm.New(cfg)
	asOf := time.Date(2026, 2, 10, 12, 0, 0, 0, time.UTC)
	return rag.New(lib.Archive(), lib.Embedder(), rag.Options{Model: model, Now: func() time.Time { return asOf }}), model
}

func TestGroundedAnswersUnderEachFault(t *testing.T) {
	tests := []struct {
		name     string
		faults   []openaitest.Fault
		deadline time.Duration
		answerer string // "fake-model" or "extractive (fallback)"
		reason   string
		found    bool
	}{
		{"ok", nil, 0, "fake-model", "", true},
		{"429 with Retry-After, then ok", []openaitest.Fault{openaitest.RateLimited}, 0, "fake-model", "", true},
		{"500, then ok", []openaitest.Fault{openaitest.ServerError}, 0, "fake-model", "", true},
		{"500 every time", []openaitest.Fault{openaitest.ServerError, openaitest.ServerError, openaitest.ServerError, openaitest.ServerError}, 0, "extractive (fallback)", "is unavailable", true},
		{"slow first token past the deadline", []openaitest.Fault{openaitest.SlowFirstToken}, time.Second, "extractive (fallback)", "did not answer in time", true},
		{"connection dropped mid-stream", []openaitest.Fault{openaitest.DropMidStream}, 0, "extractive (fallback)", "", true},
		{"malformed JSON", []openaitest.Fault{openaitest.MalformedJSON}, 0, "extractive (fallback)", "", true},
		{"event: error", []openaitest.Fault{openaitest.EventError}, 0, "extractive (fallback)", "", true},
		{"keep-alive comments", []openaitest.Fault{openaitest.KeepAlives}, 0, "fake-model", "", true},
		{"citations to sources that do not exist", []openaitest.Fault{openaitest.BadCitations}, 0, "extractive (fallback)", "gave no grounded answer", true},
		{"the model says the sources do not answer", []openaitest.Fault{openaitest.NotInSources}, 0, "fake-model", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := openaitest.New()
			defer fake.Close()
			fake.SlowDelay = 3 * time.Second
			fake.Faults(tt.faults...)
			eng, _ := groundedEngine(t, fake, llm.Config{})
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			var streamed strings.Builder
			start := time.Now()
			a, err := eng.Ask(ctx, "How much trade did Russia and China do?", rag.AskOptions{OnDelta: func(d string) { streamed.WriteString(d) }})
			if err != nil {
				t.Fatalf("no answer: %v", err)
			}
			if tt.deadline > 0 && time.Since(start) > tt.deadline+2*time.Second {
				t.Errorf("answered after %v", time.Since(start))
			}
			if a.Answerer != tt.answerer || a.Found != tt.found {
				t.Fatalf("answerer %q found %v, want %q %v: %s", a.Answerer, a.Found, tt.answerer, tt.found, a.Text)
			}
			if tt.reason != "" && !strings.Contains(a.Fallback, tt.reason) {
				t.Errorf("fallback reason %q, want %q", a.Fallback, tt.reason)
			}
			if a.Answerer != "fake-model" && !strings.Contains(a.Note, "offline extractive answer") {
				t.Errorf("the fallback is not marked: %q", a.Note)
			}
			if !tt.found {
				if len(a.Citations) != 0 || !strings.Contains(a.Text, "does not seem to cover") {
					t.Errorf("not-found answer: %+v", a)
				}
				return
			}
			if len(a.Citations) == 0 || !strings.Contains(a.Text, "[1]") {
				t.Fatalf("uncited answer: %+v", a)
			}
			for _, c := range a.Citations {
				if c.Day() == "" || c.Title == "" || c.Quote == "" {
					t.Errorf("incomplete citation %+v", c)
				}
			}
			if strings.Contains(a.Text, "[7]") || strings.Contains(a.Text, "[12]") {
				t.Errorf("an invented source number survived: %s", a.Text)
			}
			if a.Answerer == "fake-model" {
				if !strings.Contains(a.Text, "On 2026-02-04") || a.Citations[0].URL != "https://example.org/trade" {
					t.Errorf("grounded answer %q cites %+v", a.Text, a.Citations)
				}
				if !strings.Contains(streamed.String(), "$200 billion") {
					t.Errorf("nothing streamed: %q", streamed.String())
				}
			}
		})
	}
}

func TestCircuitBreakerAndBudget(t *testing.T) {
	fake := openaitest.New()
	defer fake.Close()
	fake.Always(openaitest.ServerError)
	eng, _ := groundedEngine(t, fake, llm.Config{Retries: -1, BreakerFailures: 2, BreakerCooldown: time.Hour})
	ask := func() rag.Answer {
		a, err := eng.Ask(context.Background(), "How much trade did Russia and China do?", rag.AskOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	ask()
	ask()
	before, _, _ := fake.Counts()
	if a := ask(); !strings.Contains(a.Fallback, "resting") {
		t.Errorf("breaker: %q", a.Fallback)
	}
	if after, _, _ := fake.Counts(); after != before {
		t.Errorf("the open breaker let a request through")
	}

	fake2 := openaitest.New()
	defer fake2.Close()
	eng2, llm2 := groundedEngine(t, fake2, llm.Config{DailyTokens: 1000000, DailyTokensPerUser: 2000})
	a, _ := eng2.Ask(context.Background(), "How much trade did Russia and China do?", rag.AskOptions{Asker: "u1"})
	if a.Answerer != "fake-model" {
		t.Fatalf("first answer: %+v", a)
	}
	for i := 0; i < 10; i++ {
		a, _ = eng2.Ask(context.Background(), "How much trade did Russia and China do?", rag.AskOptions{Asker: "u1"})
	}
	if !strings.Contains(a.Fallback, "budget") {
		t.Errorf("per-user budget not enforced: %q", a.Fallback)
	}
	if a, _ := eng2.Ask(context.Background(), "How much trade did Russia and China do?", rag.AskOptions{Asker: "u2"}); a.Answerer != "fake-model" {
		t.Errorf("another user was refused: %+v", a.Fallback)
	}
	if u := llm2.Usage(); u.Tokens == 0 || u.Refusals == 0 {
		t.Errorf("usage %+v", u)
	}
}

func TestRemoteEmbeddings(t *testing.T) {
	fake := openaitest.New()
	defer fake.Close()
	client := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", EmbedModel: "fake-embed", EmbedDimensions: 32})
	emb, err := llm.NewEmbedder(context.Background(), client, llm.EmbedderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// An index built with it records it; the local embedder cannot open it.
	dir := t.TempDir()
	cfg := library.Config{Dir: dir, Embedder: emb}
	lib, _, err := library.Build(context.Background(), cfg, []string{writeCorpus(t, newsCorpus())}, library.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	var mismatch *embedded.MismatchError
	if _, err := library.Open(context.Background(), library.Config{Dir: dir, RequireIndex: true}); !errors.As(err, &mismatch) {
		t.Errorf("opening with another embedder: %v", err)
	}
	res, err := retrieve.New(lib.Archive(), emb).Search(context.Background(), "Bundesbank discount rate", retrieve.Options{})
	if err != nil || len(res.Passages) == 0 || res.Passages[0].ArticleID != "bb-1" || res.Passages[0].Similarity == 0 {
		t.Errorf("hybrid search with remote vectors: %v %+v", err, res.Passages)
	}
}

func TestSummariesByLLMMapReduce(t *testing.T) {
	fake := openaitest.New()
	defer fake.Close()
	lib := memoryLibrary(t, newsCorpus(), nil)
	model := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", ChatModel: "fake-model"})
	eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{Model: model, SummaryTokens: 60})
	period := rag.Period{From: time.Date(1987, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)}
	a, err := eng.Summarize(context.Background(), rag.SummaryRequest{Period: period})
	if err != nil {
		t.Fatal(err)
	}
	chats, _, _ := fake.Counts()
	if a.Answerer != "fake-model" || len(a.Citations) < 2 || chats < 3 {
		t.Fatalf("map-reduce summary by %q with %d citations in %d calls: %s", a.Answerer, len(a.Citations), chats, a.Text)
	}
	for _, c := range a.Citations {
		if !strings.Contains(a.Text, "["+strconv.Itoa(c.N)+"]") || c.Quote == "" {
			t.Errorf("citation %+v not used or unquoted", c)
		}
	}
	if !strings.Contains(a.Note, "call(s)") || a.Heading != "Summary of 1987-01-01 to 2026-12-31" {
		t.Errorf("heading %q note %q", a.Heading, a.Note)
	}
	fake.Always(openaitest.ServerError)
	a, err = eng.Summarize(context.Background(), rag.SummaryRequest{Article: "bb-1"})
	if err != nil || a.Answerer != "extractive (fallback)" || !strings.Contains(a.Note, "offline extractive summary") || !strings.Contains(a.Text, "[1]") {
		t.Errorf("fallback summary %+v, %v", a, err)
	}
}

// TestADownEmbeddingServerLeavesKeywordSearch: with the embedding server
// gone, questions are still answered, by BM25 alone, and the note says so.
func TestADownEmbeddingServerLeavesKeywordSearch(t *testing.T) {
	fake := openaitest.New()
	client := llm.New(llm.Config{BaseURL: fake.URL, APIKey: "k", EmbedModel: "e", EmbedDimensions: 16, Retries: -1})
	emb, err := llm.NewEmbedder(context.Background(), client, llm.EmbedderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	lib := memoryLibrary(t, newsCorpus(), emb)
	fake.Close()
	a, err := rag.New(lib.Archive(), emb, rag.Options{}).Ask(context.Background(), "What did the Bundesbank do with its discount rate?", rag.AskOptions{})
	if err != nil || !a.Found || !strings.Contains(a.Note, "only keyword search") {
		t.Fatalf("answer %+v, %v", a, err)
	}
}
