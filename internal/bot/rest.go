package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rest makes Herald's Discord REST calls, every one bounded by its context.
//
// It stands in for discordgo's REST methods, which wait out rate limits
// with sleeps that no deadline cuts short: a server that extends a block on
// every refused request held them for ever. Here a rate limit, a bucket
// that is empty or a server error is waited out only while the wait ends
// before the deadline; otherwise the call fails at once, and the caller
// apologises or moves on. Every wait is a select on the context.
type rest struct {
	base   string // the API base, without a trailing slash
	auth   string // "Bot <token>": never logged
	client *http.Client
	now    func() time.Time

	mu sync.Mutex
	// empty holds, per bucket, when a bucket that Discord said is empty
	// refills; global is when a global rate limit ends.
	empty  map[string]time.Time
	global time.Time
}

// restTimeout bounds a REST call whose context sets no nearer deadline.
const restTimeout = 20 * time.Second

// maxResponse bounds the body of a REST response that is read.
const maxResponse = 8 << 20

func newREST(base, token string) *rest {
	return &rest{
		base:   strings.TrimRight(base, "/"),
		auth:   "Bot " + strings.TrimPrefix(token, "Bot "),
		client: &http.Client{Timeout: restTimeout},
		now:    time.Now,
		empty:  map[string]time.Time{},
	}
}

// request is one REST call.
type request struct {
	method string
	// path is below the API base, query included: "/channels/1/messages".
	path string
	// body is sent as JSON when set.
	body any
	// route names the call in logs and errors without its tokens:
	// "interaction callback", "send message".
	route string
	// bucket is the rate-limit bucket (default: the method and path).
	bucket string
	// once makes a best-effort call: no retry of any kind.
	once bool
	// fewRetries retries a server error once only.
	fewRetries bool
}

func (r request) bucketKey() string {
	if r.bucket != "" {
		return r.bucket
	}
	path, _, _ := strings.Cut(r.path, "?")
	return r.method + " " + path
}

// restError is a REST call Discord refused, or one given up on.
type restError struct {
	route  string
	status int
	// code and message are Discord's JSON error, when it sent one.
	code    int
	message string
	// retryAfter is how long a rate limit had left to run when the call
	// was given up (status 429).
	retryAfter time.Duration
	// unsent is set when the call was given up before it was sent (its
	// bucket was empty for longer than the deadline allows).
	unsent bool
}

func (e *restError) Error() string {
	switch {
	case e.status == http.StatusTooManyRequests && e.unsent:
		return fmt.Sprintf("%s: rate limited for %v more, past the deadline: not sent", e.route, e.retryAfter.Round(time.Millisecond))
	case e.status == http.StatusTooManyRequests:
		return fmt.Sprintf("%s: HTTP 429: rate limited for %v, past the deadline", e.route, e.retryAfter.Round(time.Millisecond))
	case e.code != 0:
		return fmt.Sprintf("%s: HTTP %d: %s (Discord code %d)", e.route, e.status, e.message, e.code)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.route, e.status, e.message)
}

// Discord error codes Herald acts on.
const (
	codeUnknownInteraction  = 10062
	codeAlreadyAcknowledged = 40060
	codeMissingAccess       = 50001
	codeInvalidFormBody     = 50035
)

// errorCode is the Discord code of a refused call (0 for none).
func errorCode(err error) int {
	var re *restError
	if errors.As(err, &re) {
		return re.code
	}
	return 0
}

// statusOf is the HTTP status of a refused call (0 for a network error).
func statusOf(err error) int {
	var re *restError
	if errors.As(err, &re) {
		return re.status
	}
	return 0
}

// do sends req and returns the response body of a 2xx. It retries rate
// limits after their retry_after and server errors with a doubling pause,
// each only while the retry can start before ctx's deadline.
func (rs *rest) do(ctx context.Context, req request) ([]byte, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, restTimeout)
		defer cancel()
	}
	var payload []byte
	if req.body != nil {
		var err error
		if payload, err = json.Marshal(req.body); err != nil {
			return nil, fmt.Errorf("%s: encoding the request: %w", req.route, err)
		}
	}
	key := req.bucketKey()
	pause := 100 * time.Millisecond
	serverRetries := 0
	for {
		if wait := rs.blocked(key); wait > 0 {
			if req.once || !fits(ctx, wait) {
				return nil, &restError{route: req.route, status: http.StatusTooManyRequests, retryAfter: wait, unsent: true}
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s: %w", req.route, err)
			}
		}
		status, header, body, err := rs.send(ctx, req, payload)
		if err != nil {
			if ctx.Err() != nil || req.once || !idempotent(req.method) || !fits(ctx, pause) {
				return nil, fmt.Errorf("%s: %w", req.route, err)
			}
			if err := sleep(ctx, pause); err != nil {
				return nil, fmt.Errorf("%s: %w", req.route, err)
			}
			pause *= 2
			continue
		}
		rs.learn(key, header)
		switch {
		case status >= 200 && status < 300:
			return body, nil
		case status == http.StatusTooManyRequests:
			// A wait of nothing (or of less than the pause) would send
			// again at once, and again: never less than the pause, which
			// doubles, so that a server that keeps refusing is not flooded.
			wait, global := retryAfter(header, body)
			wait = max(wait, pause)
			pause *= 2
			rs.block(key, wait, global)
			if req.once || !fits(ctx, wait) {
				return nil, &restError{route: req.route, status: status, retryAfter: wait}
			}
			if err := sleep(ctx, wait); err != nil {
				return nil, fmt.Errorf("%s: %w", req.route, err)
			}
		case status >= 500 && !req.once && fits(ctx, pause) && (!req.fewRetries || serverRetries == 0):
			serverRetries++
			if err := sleep(ctx, pause); err != nil {
				return nil, fmt.Errorf("%s: %w", req.route, err)
			}
			pause *= 2
		default:
			return nil, refused(req.route, status, body)
		}
	}
}

// send makes one HTTP request.
func (rs *rest) send(ctx context.Context, req request, payload []byte) (int, http.Header, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, rs.base+req.path, body)
	if err != nil {
		// Never the error itself: it quotes the URL, which may hold a token.
		return 0, nil, nil, fmt.Errorf("%s %s: the request could not be made", req.method, rs.hostOf())
	}
	hr.Header.Set("Authorization", rs.auth)
	hr.Header.Set("User-Agent", "DiscordBot (https://github.com/herald-news/herald, 1)")
	if payload != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	resp, err := rs.client.Do(hr)
	if err != nil {
		// Never the URL: it may hold an interaction token.
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap()
		}
		return 0, nil, nil, fmt.Errorf("%s %s: %w", req.method, rs.hostOf(), err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil && resp.StatusCode < 300 {
		// The request was applied; the body is not needed to know it.
		err = nil
	}
	return resp.StatusCode, resp.Header, data, err
}

func (rs *rest) hostOf() string {
	host, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(rs.base, "https://"), "http://"), "/")
	return host
}

// block records that a bucket (or every bucket) is rate limited for wait,
// so that other calls wait too rather than be refused.
func (rs *rest) block(key string, wait time.Duration, global bool) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	until := rs.now().Add(wait)
	if global {
		rs.global = until
		return
	}
	if until.After(rs.empty[key]) {
		rs.empty[key] = until
	}
}

// blocked returns how long the bucket (or the global limit) stays empty.
func (rs *rest) blocked(key string) time.Duration {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	now := rs.now()
	until := rs.global
	if t, ok := rs.empty[key]; ok {
		if !t.After(now) {
			delete(rs.empty, key)
		} else if t.After(until) {
			until = t
		}
	}
	return max(0, until.Sub(now))
}

// learn records a bucket that a response said is empty, until it refills.
func (rs *rest) learn(key string, h http.Header) {
	if h.Get("X-RateLimit-Remaining") != "0" {
		return
	}
	secs, err := strconv.ParseFloat(h.Get("X-RateLimit-Reset-After"), 64)
	if err != nil || !(secs > 0) {
		return
	}
	secs = min(secs, maxWait.Seconds())
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if len(rs.empty) > 10000 {
		rs.empty = map[string]time.Time{} // forget stale buckets
	}
	rs.empty[key] = rs.now().Add(time.Duration(secs * float64(time.Second)))
}

// maxWait bounds a rate limit's wait as read: a longer one (or one that is
// not a number) counts as this long, which no deadline allows.
const maxWait = time.Hour

// retryAfter reads a 429's wait: the body's retry_after (seconds), else the
// Retry-After header, else one second.
func retryAfter(h http.Header, body []byte) (time.Duration, bool) {
	var rl struct {
		RetryAfter json.Number `json:"retry_after"`
		Global     bool        `json:"global"`
	}
	global := strings.EqualFold(h.Get("X-RateLimit-Global"), "true") || strings.EqualFold(h.Get("X-RateLimit-Scope"), "global")
	if json.Unmarshal(body, &rl) == nil {
		global = global || rl.Global
		if secs, err := rl.RetryAfter.Float64(); err == nil {
			return seconds(secs), global
		}
	}
	if secs, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil {
		return seconds(secs), global
	}
	return time.Second, global
}

// seconds turns a wait read from a server into a duration between 0 and
// maxWait: a negative wait is none, and one past maxWait (or NaN, or
// infinite) is maxWait.
func seconds(secs float64) time.Duration {
	switch {
	case secs >= 0 && secs < maxWait.Seconds():
		return time.Duration(secs * float64(time.Second))
	case secs < 0:
		return 0
	}
	return maxWait
}

// refused builds the error of a refused call from Discord's JSON error.
// The server's message is kept short and stripped of anything that looks
// like a path, which might quote a token.
func refused(route string, status int, body []byte) error {
	var e struct {
		Code    json.Number `json:"code"`
		Message string      `json:"message"`
	}
	re := &restError{route: route, status: status, message: http.StatusText(status)}
	if json.Unmarshal(body, &e) == nil {
		if n, err := e.Code.Int64(); err == nil {
			re.code = int(n)
		}
		if e.Message != "" {
			re.message = redactPaths(e.Message)
		}
	}
	return re
}

// idempotent methods may be sent again after a network error: a repeated
// POST could post twice.
func idempotent(method string) bool {
	return method == http.MethodGet || method == http.MethodPut || method == http.MethodPatch || method == http.MethodDelete
}

// fits reports whether a wait of d ends before ctx's deadline, with room
// for the request that follows it.
func fits(ctx context.Context, d time.Duration) bool {
	deadline, ok := ctx.Deadline()
	return !ok || time.Until(deadline) > d+50*time.Millisecond
}

// sleep waits d, or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// rePath matches a URL or an API path in a server's message.
var rePath = regexp.MustCompile(`\S*/(?:webhooks|interactions)/\S*`)

// redactPaths removes webhook and interaction paths, which hold tokens,
// from a server's message, and bounds its length.
func redactPaths(msg string) string {
	msg = rePath.ReplaceAllString(msg, "[path]")
	if len(msg) > 300 {
		msg = msg[:300] + "…"
	}
	return msg
}

// pathPart makes an ID or a token safe as one part of a path.
func pathPart(s string) string { return url.PathEscape(s) }
