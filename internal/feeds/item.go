package feeds

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/herald-news/herald/internal/corpus"
	"github.com/mmcdole/gofeed"
)

// maxFuture is how far past now an item's date may lie (clocks and time
// zones differ); an item dated later is rejected.
const maxFuture = 24 * time.Hour

// Source is what an article read from a feed gives as its origin.
func Source(feedURL string) string { return "feed:" + feedURL }

// Article turns a feed item into an article: its title; its date,
// published or else updated; its link, resolved against the feed's, as
// both URL and ID (the GUID when it has no link but its GUID is a URL);
// and its body from the item's content or else its summary, as text. An
// item it cannot date or link, or with no text, is rejected with the
// reason; line is the item's position in the feed, for the rejection.
func Article(feedURL string, feed *gofeed.Feed, item *gofeed.Item, line int, now time.Time) (corpus.Article, *corpus.Rejection) {
	reject := func(field, format string, args ...any) (corpus.Article, *corpus.Rejection) {
		return corpus.Article{}, &corpus.Rejection{Path: Redact(feedURL), Line: line, Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	if item == nil {
		return reject("item", "an empty item")
	}
	date, err := itemDate(item, now)
	if err != nil {
		return reject("date", "%v", err)
	}
	link := itemLink(feedURL, feed, item)
	if link == "" {
		return reject("link", "the item has no link (and its guid %q is not a URL)", truncate(item.GUID, 80))
	}
	body := Text(item.Content)
	if body == "" {
		body = Text(item.Description)
	}
	title := Text(item.Title)
	if body == "" {
		body = title
	}
	a := corpus.Article{ID: link, Title: title, Date: date, URL: link, Body: body, Source: Source(feedURL), Line: line}
	a, rj := a.Finish()
	if rj != nil {
		rj.Path, rj.Line = Redact(feedURL), line
		return corpus.Article{}, rj
	}
	return a, nil
}

// numericDate is a date of numbers only, such as 03/02/2026 or 3.2.26.
var numericDate = regexp.MustCompile(`^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}\b`)

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// itemDate is when the item was published, else updated, in UTC.
func itemDate(item *gofeed.Item, now time.Time) (time.Time, error) {
	var d time.Time
	for _, raw := range []string{item.Published, item.Updated} {
		if m := numericDate.FindStringSubmatch(strings.TrimSpace(raw)); m != nil && atoi(m[1]) <= 12 && atoi(m[2]) <= 12 && m[1] != m[2] {
			return time.Time{}, fmt.Errorf("ambiguous date %q (day and month could be either way): a feed should give RFC 1123 or RFC 3339 dates", raw)
		}
	}
	switch {
	case item.PublishedParsed != nil:
		d = *item.PublishedParsed
	case item.UpdatedParsed != nil:
		d = *item.UpdatedParsed
	case item.Published != "" || item.Updated != "":
		return time.Time{}, fmt.Errorf("unreadable date %q", truncate(item.Published+item.Updated, 60))
	default:
		return time.Time{}, fmt.Errorf("the item has no published or updated date")
	}
	switch {
	case d.Year() < 1900:
		return time.Time{}, fmt.Errorf("impossible date %s", d.Format(time.RFC3339))
	case !now.IsZero() && d.After(now.Add(maxFuture)):
		return time.Time{}, fmt.Errorf("dated %s, in the future", d.UTC().Format(time.RFC3339))
	}
	return d.UTC(), nil
}

// itemLink is the item's link as an absolute http(s) URL, or "".
func itemLink(feedURL string, feed *gofeed.Feed, item *gofeed.Item) string {
	base, _ := url.Parse(feedURL)
	if feed != nil && feed.Link != "" {
		if u, err := base.Parse(feed.Link); err == nil {
			base = u
		}
	}
	for _, cand := range append([]string{item.Link}, append(item.Links, item.GUID)...) {
		cand = strings.TrimSpace(cand)
		if cand == "" {
			continue
		}
		u, err := base.Parse(cand)
		if cand == item.GUID {
			u, err = url.Parse(cand) // a GUID is a link only when absolute
		}
		if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
			u.Fragment = ""
			return u.String()
		}
	}
	return ""
}

// key identifies an item across fetches: its GUID, else its link.
func key(item *gofeed.Item, link string) string {
	if g := strings.TrimSpace(item.GUID); g != "" {
		return "guid:" + g
	}
	return "link:" + link
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
