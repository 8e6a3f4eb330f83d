package feeds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"time"
)

// UserAgent is how Herald names itself to the sites it fetches from.
const UserAgent = "Herald/1.0 (news bot; +https://github.com/herald-news/herald)"

// response is what one fetch brought.
type response struct {
	status       int
	body         []byte
	etag         string
	lastModified string
	// retryAfter is what a 429 or 503 asked to wait (0 if nothing).
	retryAfter time.Duration
}

// errTooLarge means a response exceeded the size limit.
var errTooLarge = errors.New("the response exceeds the size limit")

// fetch GETs url within ctx, conditionally on etag and lastModified, and
// reads at most maxBytes of its body.
func fetch(ctx context.Context, client *http.Client, url, etag, lastModified string, maxBytes int64, now time.Time) (response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	shown := Redact(url)
	if err != nil {
		return response{}, fmt.Errorf("fetching %s: %w", shown, err)
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/json, application/xml, text/xml, text/html;q=0.8, */*;q=0.5")
	if etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	if lastModified != "" {
		req.Header.Set("If-Modified-Since", lastModified)
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return response{}, fmt.Errorf("fetching %s: no complete answer in time: %w", shown, ctx.Err())
		}
		return response{}, fmt.Errorf("fetching %s: %w", shown, redactErr(err))
	}
	defer resp.Body.Close()
	r := response{status: resp.StatusCode, etag: resp.Header.Get("ETag"), lastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified:
		return r, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable:
		r.retryAfter = retryAfter(resp.Header.Get("Retry-After"), now)
		return r, fmt.Errorf("fetching %s: %s", shown, resp.Status)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return r, fmt.Errorf("fetching %s: %s", shown, resp.Status)
	}
	if resp.ContentLength > maxBytes {
		return r, fmt.Errorf("fetching %s: %w (%d bytes, the limit is %d)", shown, errTooLarge, resp.ContentLength, maxBytes)
	}
	r.body, err = io.ReadAll(io.LimitReader(resp.Body, maxBytes+1))
	switch {
	case err != nil && ctx.Err() != nil:
		return r, fmt.Errorf("fetching %s: no complete answer in time: %w", shown, ctx.Err())
	case err != nil:
		return r, fmt.Errorf("reading %s: %w", shown, err)
	case int64(len(r.body)) > maxBytes:
		return r, fmt.Errorf("fetching %s: %w (more than %d bytes)", shown, errTooLarge, maxBytes)
	}
	return r, nil
}

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Redact hides what a feed's URL may hold of secrets, for logs, errors
// and metrics: a user and password become "redacted", and a query "?…".
func Redact(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		return "(a feed URL that does not parse)"
	}
	if u.User != nil {
		u.User = neturl.User("redacted")
	}
	shown := u.Scheme + "://" + u.Host + u.EscapedPath()
	if u.User != nil {
		shown = u.Scheme + "://redacted@" + u.Host + u.EscapedPath()
	}
	if u.RawQuery != "" {
		shown += "?…"
	}
	return shown
}

// redactErr drops the request's URL from an error of the HTTP client
// (which quotes it, query and all): the caller names the redacted one.
func redactErr(err error) error {
	var ue *neturl.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
