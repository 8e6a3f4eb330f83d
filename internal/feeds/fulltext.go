package feeds

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"strings"

	readability "codeberg.org/readeck/go-readability/v2"
)

// fullText fetches an item's page, within the fetch timeout and size
// limit, and returns its main text (readability), paragraphs kept.
func (p *Poller) fullText(ctx context.Context, page string) (string, error) {
	u, err := url.Parse(page)
	if err != nil {
		return "", fmt.Errorf("reading the page's address: %w", err)
	}
	fctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	resp, err := fetch(fctx, p.opts.Client, page, "", "", p.opts.MaxBytes, p.opts.Now())
	if err != nil {
		return "", err
	}
	art, err := readability.FromReader(bytes.NewReader(resp.body), u)
	if err != nil {
		return "", fmt.Errorf("extracting the text of %s: %w", page, err)
	}
	var html strings.Builder
	if err := art.RenderHTML(&html); err != nil {
		return "", fmt.Errorf("extracting the text of %s: %w", page, err)
	}
	return Text(html.String()), nil
}
