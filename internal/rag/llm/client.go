// Package llm talks to an OpenAI-compatible server (OpenAI, Azure OpenAI,
// Ollama's /v1, vLLM, llama.cpp server, LocalAI): streamed chat completions
// for answers, summaries and follow-up rewrites, and embeddings, with
// retries, a circuit breaker and daily token budgets. Prompts come in from
// the answerers and summaries; text and vectors go back to them, and to
// ingest and retrieval.
package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Config configures the client.
type Config struct {
	APIKey  string
	BaseURL string
	// ChatModel writes answers and summaries; EmbedModel embeds (both
	// optional).
	ChatModel  string
	EmbedModel string
	// EmbedDimensions asks the server for vectors of this length (0: the
	// model's own).
	EmbedDimensions int
	// MaxTokens bounds one answer (default DefaultMaxTokens).
	MaxTokens int
	// Retries after the first attempt on 429, 5xx and network errors
	// (default 3; negative for none).
	Retries int
	// BreakerFailures consecutive failures open the circuit breaker for
	// BreakerCooldown (defaults 5 and 30 s).
	BreakerFailures int
	BreakerCooldown time.Duration
	// DailyTokens and DailyTokensPerUser bound the tokens used a day (0:
	// no limit).
	DailyTokens        int
	DailyTokensPerUser int
}

// DefaultMaxTokens bounds an answer when Config.MaxTokens is not set.
const DefaultMaxTokens = 500

// Errors of the client.
var (
	// ErrUnavailable wraps every failure to get an answer from the model.
	ErrUnavailable = errors.New("the language model is unavailable")
	// ErrBreakerOpen means recent calls failed and the model is not tried.
	ErrBreakerOpen = errors.New("circuit breaker open")
	// ErrBudget means a daily token budget is spent.
	ErrBudget = errors.New("daily token budget reached")
	// ErrTruncated means the stream ended without a finish reason.
	ErrTruncated = errors.New("the answer stream was cut off")
)

// Client is an OpenAI-compatible chat and embeddings client with retries,
// backoff, a circuit breaker and token budgets. It is safe for concurrent
// use.
type Client struct {
	cfg     Config
	client  *openai.Client
	breaker *breaker
	budget  *Budget
	now     func() time.Time
	// noStreamOptions is set once a server refused stream_options.
	noStreamOptions atomic.Bool
}

// New returns a client for cfg; no request is made until it is used.
func New(cfg Config) *Client {
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 3
	}
	if cfg.BreakerFailures <= 0 {
		cfg.BreakerFailures = 5
	}
	if cfg.BreakerCooldown <= 0 {
		cfg.BreakerCooldown = 30 * time.Second
	}
	oc := openai.DefaultConfig(cfg.APIKey)
	if cfg.BaseURL != "" {
		oc.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	}
	// No http.Client.Timeout: it would cut streams off. Deadlines come from
	// each request's context.
	oc.HTTPClient = retryAfterDoer{next: &http.Client{}}
	// Servers that send keep-alive comments between tokens must not trip
	// go-openai's limit on empty lines.
	oc.EmptyMessagesLimit = 100000
	return &Client{
		cfg: cfg, client: openai.NewClientWithConfig(oc),
		breaker: &breaker{failures: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown},
		budget:  NewBudget(cfg.DailyTokens, cfg.DailyTokensPerUser),
		now:     time.Now,
	}
}

// Model returns the chat model's name.
func (l *Client) Model() string { return l.cfg.ChatModel }

// ShareBudget makes the daily limits hold for every process that records
// its use in ledger (replicas of the bot), not for this one alone. Call it
// before the first request.
func (l *Client) ShareBudget(ledger Ledger, log *slog.Logger) { l.budget.Share(ledger, log) }

// Usage reports the tokens used today, in all and by the busiest user.
func (l *Client) Usage() BudgetUsage { return l.budget.Usage(l.now()) }

// ChatRequest is one completion.
type ChatRequest struct {
	// Task names the request's job; its marker opens the system message.
	Task   Task
	System string
	User   string
	// Asker is who asks, for the per-user budget ("" counts globally only).
	Asker     string
	MaxTokens int
	// OnDelta, when set, receives the text as it streams.
	OnDelta func(delta string)
}

// ChatResult is a completion's text and the tokens it used.
type ChatResult struct {
	Text   string
	Tokens int
	// FirstToken is the time from the call to the first streamed token.
	FirstToken time.Duration
}

// defaultChatTimeout bounds a call whose context sets no nearer deadline.
const defaultChatTimeout = 2 * time.Minute

// Chat streams a completion. It retries 429, 5xx and network failures
// before the first token (see retry); a stream that breaks after its first
// token is not retried (its text was already shown) and returns
// ErrTruncated.
func (l *Client) Chat(ctx context.Context, req ChatRequest) (res ChatResult, err error) {
	max := req.MaxTokens
	if max <= 0 {
		max = l.cfg.MaxTokens
	}
	if req.Task != "" {
		req.System = req.Task.Marker() + "\n" + req.System
	}
	estimate := EstimateTokens(req.System) + EstimateTokens(req.User) + max
	// The budget first: a refusal must not take the breaker's trial call.
	reservation, ok := l.budget.Reserve(ctx, req.Asker, estimate, l.now())
	if !ok {
		return ChatResult{}, fmt.Errorf("%w: %w", ErrUnavailable, ErrBudget)
	}
	if !l.breaker.allow(l.now()) {
		l.budget.Settle(ctx, reservation, 0, l.now())
		return ChatResult{}, fmt.Errorf("%w: %w", ErrUnavailable, ErrBreakerOpen)
	}
	recorded := false
	defer func() {
		if !recorded { // a panic in a callback: free the breaker's trial
			l.breaker.record(false, l.now())
			l.budget.Settle(ctx, reservation, 0, l.now())
		}
	}()
	if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > defaultChatTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultChatTimeout)
		defer cancel()
	}
	err = retry(ctx, l.cfg.Retries, func(ctx context.Context) (bool, error) {
		var started bool
		var err error
		res, started, err = l.stream(ctx, req, max)
		return started, err
	})
	used := res.Tokens
	if used == 0 && res.Text != "" {
		used = EstimateTokens(req.System) + EstimateTokens(req.User) + EstimateTokens(res.Text)
	}
	// A call refused before any text (429, 5xx) is not charged.
	l.budget.Settle(ctx, reservation, used, l.now())
	recorded = true
	if err != nil {
		l.breaker.record(false, l.now())
		return res, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	l.breaker.record(true, l.now())
	return res, nil
}

// reasoningModel reports models that take max_completion_tokens and no
// temperature (go-openai refuses the request otherwise).
func reasoningModel(model string) bool {
	m := strings.ToLower(model)
	for _, p := range []string{"o1", "o3", "o4", "gpt-5"} {
		if strings.HasPrefix(m, p) {
			return true
		}
	}
	return false
}

// stream makes one streamed call; started reports whether any text came.
func (l *Client) stream(ctx context.Context, req ChatRequest, max int) (ChatResult, bool, error) {
	start := l.now()
	creq := openai.ChatCompletionRequest{
		Model: l.cfg.ChatModel,
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: req.System},
			{Role: openai.ChatMessageRoleUser, Content: req.User},
		},
		Stream: true,
	}
	if reasoningModel(l.cfg.ChatModel) {
		creq.MaxCompletionTokens = max
	} else {
		// max_tokens, not max_completion_tokens: the OpenAI-compatible
		// servers (Ollama, vLLM, llama.cpp) read only the first.
		creq.MaxTokens = max   //lint:ignore SA1019 see above
		creq.Temperature = 0.1 // 0 would be omitted from the request
	}
	if !l.noStreamOptions.Load() {
		creq.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	}
	s, err := l.client.CreateChatCompletionStream(ctx, creq)
	if err != nil {
		var api *openai.APIError
		if creq.StreamOptions != nil && errors.As(err, &api) && api.HTTPStatusCode == 400 && strings.Contains(strings.ToLower(api.Message), "stream_options") {
			// An older server: ask again without usage reports, from now on.
			l.noStreamOptions.Store(true)
			return l.stream(ctx, req, max)
		}
		return ChatResult{}, false, err
	}
	defer s.Close()
	var res ChatResult
	var b strings.Builder
	finished := false
	for {
		chunk, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Text = b.String()
			return res, b.Len() > 0, err
		}
		if chunk.Usage != nil {
			res.Tokens = chunk.Usage.TotalTokens
		}
		for _, c := range chunk.Choices {
			if c.Delta.Content != "" {
				if b.Len() == 0 {
					res.FirstToken = l.now().Sub(start)
				}
				b.WriteString(c.Delta.Content)
				if req.OnDelta != nil {
					req.OnDelta(c.Delta.Content)
				}
			}
			switch c.FinishReason {
			case "":
			case openai.FinishReasonLength:
				// Cut at max_tokens: an unfinished sentence is no answer.
				res.Text = b.String()
				return res, true, fmt.Errorf("%w (the token limit was reached)", ErrTruncated)
			default:
				finished = true
			}
		}
	}
	res.Text = b.String()
	// io.EOF also ends a dropped stream: only a finish reason means done.
	if !finished {
		return res, b.Len() > 0, ErrTruncated
	}
	return res, true, nil
}
