// Package feeds brings news from RSS 2.0, Atom and JSON Feed feeds into
// the store of record: it polls each feed on its own interval with
// jitter, asks only for what changed (ETag, Last-Modified), backs off on
// errors and honours Retry-After, bounds every fetch in time and size,
// turns each item into a dated article (its HTML into text), skips the
// items it has already read, and keeps what it fetched and when in the
// data directory so that a restart does not fetch everything again.
package feeds

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
)

// Feed is one feed to poll.
type Feed struct {
	// URL is the feed's address.
	URL string
	// Interval is how long to wait between polls (default 15 min).
	Interval time.Duration
	// FullText fetches each new item's page and indexes its main text
	// rather than the feed's summary.
	FullText bool
}

// DefaultInterval is how often a feed is polled unless it says otherwise.
const DefaultInterval = 15 * time.Minute

// MinInterval is the shortest interval a feed may ask for.
const MinInterval = 5 * time.Second

// Parse reads a list of feeds: whitespace- or comma-separated URLs (the
// HERALD_FEEDS variable), each optionally followed by its settings, as in
// a feeds file line. where names the list in errors.
func Parse(list, where string) ([]Feed, error) {
	var feeds []Feed
	fields := strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
	for i := 0; i < len(fields); i++ {
		line := fields[i]
		for i+1 < len(fields) && !strings.Contains(fields[i+1], "://") {
			i++
			line += " " + fields[i]
		}
		f, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", where, err)
		}
		for _, g := range feeds {
			if g.URL == f.URL {
				return nil, fmt.Errorf("%s: %s is listed twice", where, f.URL)
			}
		}
		feeds = append(feeds, f)
	}
	return feeds, nil
}

// ReadFile reads a feeds file: one feed a line, its URL then optional
// settings (interval=30m, fulltext), with # comments and blank lines.
func ReadFile(path string) ([]Feed, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the feeds file: %w", err)
	}
	defer f.Close()
	var feeds []Feed
	lines := map[string]int{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if i := strings.Index(line, "#"); i >= 0 && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			continue
		}
		feed, err := parseLine(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if first, dup := lines[feed.URL]; dup {
			return nil, fmt.Errorf("%s:%d: %s is listed twice (first on line %d)", path, n, feed.URL, first)
		}
		lines[feed.URL] = n
		feeds = append(feeds, feed)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(feeds) == 0 {
		return nil, fmt.Errorf("%s lists no feed: write one URL a line", path)
	}
	return feeds, nil
}

// parseLine reads "URL [interval=D] [fulltext[=true|false]]".
func parseLine(line string) (Feed, error) {
	fields := strings.Fields(line)
	u, err := url.Parse(fields[0])
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Feed{}, fmt.Errorf("%q is not an http(s) URL", fields[0])
	}
	f := Feed{URL: u.String(), Interval: DefaultInterval}
	for _, opt := range fields[1:] {
		key, val, hasVal := strings.Cut(opt, "=")
		switch key {
		case "interval":
			d, err := time.ParseDuration(val)
			if err != nil || d < MinInterval {
				return Feed{}, fmt.Errorf("%s: interval %q: give a duration of at least %v, like 30m", f.URL, val, MinInterval)
			}
			f.Interval = d
		case "fulltext":
			switch {
			case !hasVal || val == "true":
				f.FullText = true
			case val == "false":
			default:
				return Feed{}, fmt.Errorf("%s: fulltext=%q: say true or false", f.URL, val)
			}
		default:
			return Feed{}, fmt.Errorf("%s: unknown setting %q (known: interval=, fulltext)", f.URL, opt)
		}
	}
	return f, nil
}
