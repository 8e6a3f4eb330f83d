package llm

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
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// retry is the one retry loop of chat completions and embeddings. It calls
// attempt until it succeeds, fails for good, or has been retried retries
// times: it retries 429s, 5xx and network errors, after a backoff (0.5 s
// doubling, with jitter) that the server's Retry-After overrides, and only
// when the next try can start before ctx's deadline. final, from attempt,
// says a failure must not be retried (a stream that already showed text).
//
// It is written here rather than taken from go-retryablehttp as go-openai's
// HTTP client: a retry must also not repeat a stream whose text was shown,
// must know whether a wait fits the caller's deadline, and must give the
// breaker and the budget one outcome per call.
func retry(ctx context.Context, retries int, attempt func(ctx context.Context) (final bool, err error)) error {
	for n := 0; ; n++ {
		holder := &retryAfterHolder{}
		final, err := attempt(context.WithValue(ctx, retryAfterKey{}, holder))
		if err == nil || final || n >= retries || !retryable(err) || ctx.Err() != nil {
			return err
		}
		if werr := wait(ctx, backoff(n, holder.get())); werr != nil {
			return werr
		}
	}
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
// a server's Retry-After wins, up to 30 s.
func backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, 30*time.Second)
	}
	d := min(500*time.Millisecond<<attempt, 8*time.Second)
	return time.Duration(float64(d) * (0.5 + rand.Float64()))
}

// wait waits d, or fails at once when ctx would expire first: there is no
// point waiting for a retry that cannot finish in time.
func wait(ctx context.Context, d time.Duration) error {
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

// retryAfterHolder carries a Retry-After from the HTTP layer to retry.
type retryAfterHolder struct {
	mu sync.Mutex
	d  time.Duration
}

func (h *retryAfterHolder) get() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.d
}

func (h *retryAfterHolder) set(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.d = d
}

func (d retryAfterDoer) Do(req *http.Request) (*http.Response, error) {
	resp, err := d.next.Do(req)
	if err != nil || resp.StatusCode < 400 {
		return resp, err
	}
	h, ok := req.Context().Value(retryAfterKey{}).(*retryAfterHolder)
	if !ok {
		return resp, nil
	}
	if v := resp.Header.Get("Retry-After"); v != "" {
		if secs, perr := strconv.ParseFloat(v, 64); perr == nil && secs >= 0 {
			h.set(time.Duration(secs * float64(time.Second)))
		} else if t, perr := http.ParseTime(v); perr == nil {
			h.set(time.Until(t))
		}
	}
	return resp, nil
}
