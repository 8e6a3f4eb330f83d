package rag

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// LLMConfig configures the OpenAI-compatible client (OpenAI, Azure OpenAI,
// Ollama's /v1, vLLM, llama.cpp server, LocalAI).
type LLMConfig struct {
	APIKey  string
	BaseURL string
	// ChatModel writes answers and summaries; EmbedModel embeds (both
	// optional).
	ChatModel  string
	EmbedModel string
	// EmbedDimensions asks the server for vectors of this length (0: the
	// model's own).
	EmbedDimensions int
	// MaxTokens bounds one answer (default 500).
	MaxTokens int
	// Retries after the first attempt on 429, 5xx and network errors
	// (default 3).
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

// Errors of the LLM client.
var (
	// ErrLLMUnavailable wraps every failure to get an answer from the model.
	ErrLLMUnavailable = errors.New("the language model is unavailable")
	// ErrBreakerOpen means recent calls failed and the model is not tried.
	ErrBreakerOpen = errors.New("circuit breaker open")
	// ErrBudget means a daily token budget is spent.
	ErrBudget = errors.New("daily token budget reached")
	// ErrTruncated means the stream ended without a finish reason.
	ErrTruncated = errors.New("the answer stream was cut off")
)

// LLM is an OpenAI-compatible chat client with retries, backoff, a circuit
// breaker and token budgets.
type LLM struct {
	cfg     LLMConfig
	client  *openai.Client
	breaker *breaker
	budget  *Budget
	now     func() time.Time
	// noStreamOptions is set once a server refused stream_options.
	noStreamOptions atomic.Bool
}

// NewLLM returns a client for cfg; no request is made until it is used.
func NewLLM(cfg LLMConfig) *LLM {
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 500
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
	return &LLM{
		cfg: cfg, client: openai.NewClientWithConfig(oc),
		breaker: &breaker{failures: cfg.BreakerFailures, cooldown: cfg.BreakerCooldown},
		budget:  NewBudget(cfg.DailyTokens, cfg.DailyTokensPerUser),
		now:     time.Now,
	}
}

// Model returns the chat model's name.
func (l *LLM) Model() string { return l.cfg.ChatModel }

// Usage reports the tokens used today, in all and by the busiest user.
func (l *LLM) Usage() BudgetUsage { return l.budget.Usage(l.now()) }

// ChatRequest is one completion.
type ChatRequest struct {
	System, User string
	// User is who asks, for the per-user budget ("" counts globally only).
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

// Chat streams a completion. It retries 429, 5xx and network failures
// before the first token with exponential backoff and jitter, honouring
// Retry-After; a stream that breaks after its first token is not retried
// (its text was already shown) and returns ErrTruncated.
func (l *LLM) Chat(ctx context.Context, req ChatRequest) (res ChatResult, err error) {
	max := req.MaxTokens
	if max <= 0 {
		max = l.cfg.MaxTokens
	}
	estimate := EstimateTokens(req.System) + EstimateTokens(req.User) + max
	// The budget first: a refusal must not take the breaker's trial call.
	reservation, ok := l.budget.Reserve(req.Asker, estimate, l.now())
	if !ok {
		return ChatResult{}, fmt.Errorf("%w: %w", ErrLLMUnavailable, ErrBudget)
	}
	if !l.breaker.allow(l.now()) {
		l.budget.Settle(reservation, 0, l.now())
		return ChatResult{}, fmt.Errorf("%w: %w", ErrLLMUnavailable, ErrBreakerOpen)
	}
	recorded := false
	defer func() {
		if !recorded { // a panic in a callback: free the breaker's trial
			l.breaker.record(false, l.now())
			l.budget.Settle(reservation, 0, l.now())
		}
	}()
	if deadline, ok := ctx.Deadline(); !ok || time.Until(deadline) > defaultChatTimeout {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultChatTimeout)
		defer cancel()
	}
	for attempt := 0; ; attempt++ {
		var started bool
		res, started, err = l.stream(ctx, req, max)
		if err == nil || started || attempt >= l.cfg.Retries || !retryable(err) || ctx.Err() != nil {
			break
		}
		if werr := sleepCtx(ctx, backoff(attempt, retryAfterOf(err))); werr != nil {
			err = werr
			break
		}
	}
	used := res.Tokens
	if used == 0 && res.Text != "" {
		used = EstimateTokens(req.System) + EstimateTokens(req.User) + EstimateTokens(res.Text)
	}
	// A call refused before any text (429, 5xx) is not charged.
	l.budget.Settle(reservation, used, l.now())
	recorded = true
	if err != nil {
		l.breaker.record(false, l.now())
		return res, fmt.Errorf("%w: %w", ErrLLMUnavailable, err)
	}
	l.breaker.record(true, l.now())
	return res, nil
}

// defaultChatTimeout bounds a call whose context sets no nearer deadline.
const defaultChatTimeout = 2 * time.Minute

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
func (l *LLM) stream(ctx context.Context, req ChatRequest, max int) (ChatResult, bool, error) {
	holder := &retryAfterHolder{}
	ctx = context.WithValue(ctx, retryAfterKey{}, holder)
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
		creq.MaxTokens = max
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
		return ChatResult{}, false, withRetryAfter(err, holder)
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

// retryable reports whether a failure may pass on retry: 429, 5xx, a
// network error, a stream cut off before its first token.
func retryable(err error) bool {
	var api *openai.APIError
	if errors.As(err, &api) {
		if code, _ := api.Code.(string); code == "insufficient_quota" {
			return false // no wait will help
		}
		return api.HTTPStatusCode == 429 || api.HTTPStatusCode >= 500
	}
	var req *openai.RequestError
	if errors.As(err, &req) {
		return req.HTTPStatusCode == 429 || req.HTTPStatusCode >= 500
	}
	var ue *url.Error
	if errors.As(err, &ue) && (strings.Contains(ue.Error(), "x509") || strings.Contains(ue.Error(), "unsupported protocol scheme")) {
		return false // a certificate or a bad URL does not mend itself
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, ErrTruncated) || errors.Is(err, io.ErrUnexpectedEOF)
}

// backoff is 0.5 s doubling per attempt, with ±50 % jitter, capped at 8 s;
// a server's Retry-After wins.
func backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, 30*time.Second)
	}
	d := min(500*time.Millisecond<<attempt, 8*time.Second)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// sleepCtx waits d, or fails at once when ctx would expire first: there is
// no point waiting for a retry that cannot finish in time.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d {
		return fmt.Errorf("waiting %v to retry would pass the deadline: %w", d.Round(time.Millisecond), context.DeadlineExceeded)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// retryAfterDoer records a response's Retry-After header into the
// request's holder, since go-openai does not expose headers on errors.
type retryAfterDoer struct{ next *http.Client }

type retryAfterKey struct{}

type retryAfterHolder struct {
	mu sync.Mutex
	d  time.Duration
}

func (d retryAfterDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.next.Do(req)
	if err == nil && resp.StatusCode >= 400 {
		if h, ok := req.Context().Value(retryAfterKey{}).(*retryAfterHolder); ok {
			if v := resp.Header.Get("Retry-After"); v != "" {
				if secs, perr := strconv.ParseFloat(v, 64); perr == nil && secs >= 0 {
					h.mu.Lock()
					h.d = time.Duration(secs * float64(time.Second))
					h.mu.Unlock()
				} else if t, perr := http.ParseTime(v); perr == nil {
					h.mu.Lock()
					h.d = time.Until(t)
					h.mu.Unlock()
				}
			}
		}
	}
	return resp, err
}

// retryAfterError carries a server's Retry-After with its error.
type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

func withRetryAfter(err error, h *retryAfterHolder) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.d > 0 {
		return &retryAfterError{err: err, after: h.d}
	}
	return err
}

func retryAfterOf(err error) time.Duration {
	var ra *retryAfterError
	if errors.As(err, &ra) {
		return ra.after
	}
	return 0
}

// breaker opens after consecutive failures and lets one trial through
// after its cooldown.
type breaker struct {
	mu       sync.Mutex
	failures int
	cooldown time.Duration
	run      int
	openedAt time.Time
	trial    bool
}

func (b *breaker) allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.run < b.failures {
		return true
	}
	if now.Sub(b.openedAt) >= b.cooldown && !b.trial {
		b.trial = true // half open: one call decides
		return true
	}
	return false
}

func (b *breaker) record(ok bool, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.trial = false
	if ok {
		b.run = 0
		return
	}
	b.run++
	if b.run >= b.failures {
		b.openedAt = now
	}
}

// EstimateTokens is a conservative token count: about one token per three
// characters or per word, whichever is more.
func EstimateTokens(s string) int {
	return max(len(s)/3, len(strings.Fields(s))) + 1
}

const rewriteSystem = `You rewrite a follow-up question from a conversation about news into one standalone question that can be searched for.
Keep names, places and dates from the earlier questions that the follow-up refers to. Reply with the question only.`

// Rewrite turns a follow-up ("and what about energy?") into a standalone
// question, given the conversation's previous questions, oldest first.
func (l *LLM) Rewrite(ctx context.Context, previous []string, followUp string) (string, error) {
	var b strings.Builder
	for i, p := range previous {
		fmt.Fprintf(&b, "Earlier question %d: %s\n", i+1, p)
	}
	fmt.Fprintf(&b, "Follow-up: %s\nStandalone question:", followUp)
	res, err := l.Chat(ctx, ChatRequest{System: rewriteSystem, User: b.String(), MaxTokens: 80})
	if err != nil {
		return "", err
	}
	q := strings.TrimSpace(strings.Trim(strings.TrimSpace(res.Text), `"`))
	if q == "" || len(q) > 500 {
		return "", errors.New("the model gave no usable question")
	}
	return q, nil
}
