package desk

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/herald-news/herald/internal/rag"
)

// ParseDigestTime reads a time of day, "HH:MM" (24-hour).
func ParseDigestTime(s string) (string, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return "", fmt.Errorf("%q is not a time of day: give HH:MM, like 08:00 or 18:30", s)
	}
	return t.Format("15:04"), nil
}

// ParseZone reads an IANA time zone, like Europe/Paris ("" is UTC).
func ParseZone(s string) (*time.Location, error) {
	if s == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not a time zone Herald knows: give one like Europe/Paris, Asia/Shanghai or UTC", s)
	}
	return loc, nil
}

// SetDigest sets a channel's daily digest (replacing the one it had).
func (d *Desk) SetDigest(g Digest) error {
	if _, err := ParseDigestTime(g.At); err != nil {
		return err
	}
	if _, err := ParseZone(g.Zone); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if g.Since.IsZero() {
		g.Since = d.opts.Now()
	}
	for i, old := range d.book.Digests {
		if old.ChannelID == g.ChannelID {
			d.book.Digests[i] = g
			d.resumeLocked(g.ChannelID)
			d.saveLocked()
			return nil
		}
	}
	d.book.Digests = append(d.book.Digests, g)
	d.resumeLocked(g.ChannelID)
	d.saveLocked()
	return nil
}

// StopDigest removes a channel's digest; it reports whether there was one.
func (d *Desk) StopDigest(channel string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i, g := range d.book.Digests {
		if g.ChannelID == channel {
			d.book.Digests = append(d.book.Digests[:i], d.book.Digests[i+1:]...)
			d.saveLocked()
			return true
		}
	}
	return false
}

// Next is when a digest runs next after t.
func (g Digest) Next(after time.Time) time.Time {
	loc, err := ParseZone(g.Zone)
	if err != nil {
		loc = time.UTC
	}
	at, err := time.Parse("15:04", g.At)
	if err != nil {
		return time.Time{}
	}
	local := after.In(loc)
	next := time.Date(local.Year(), local.Month(), local.Day(), at.Hour(), at.Minute(), 0, 0, loc)
	if !next.After(after) {
		next = time.Date(local.Year(), local.Month(), local.Day()+1, at.Hour(), at.Minute(), 0, 0, loc)
	}
	return next
}

// Summarize writes a digest's summary as of now (the desk's clock): the
// articles of the day before and of today (in UTC days, as articles are
// dated), on its topic when it has one.
func (d *Desk) Summarize(ctx context.Context, g Digest) (rag.Answer, error) {
	return d.summarize(ctx, g, d.opts.Now())
}

func (d *Desk) summarize(ctx context.Context, g Digest, now time.Time) (rag.Answer, error) {
	req := rag.SummaryRequest{Topic: g.Topic, Period: rag.Period{From: day(now.Add(-24 * time.Hour)), To: day(now)}}
	sctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	defer cancel()
	return d.opts.Engine.Summarize(sctx, req)
}

func day(t time.Time) time.Time {
	y, m, dd := t.UTC().Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}

// digests runs the digests whose time has come since they last ran.
func (d *Desk) digests(ctx context.Context, now time.Time) {
	d.mu.Lock()
	var due []Digest
	for _, g := range d.book.Digests {
		last := g.Last
		if last.IsZero() {
			last = g.Since
		}
		if g.Paused == "" && !now.Before(g.Next(last)) {
			due = append(due, g)
		}
	}
	d.mu.Unlock()
	for _, g := range due {
		d.runDigest(ctx, g, now)
	}
}

// runDigest writes and posts one digest, and records that it ran.
func (d *Desk) runDigest(ctx context.Context, g Digest, now time.Time) {
	a, err := d.summarize(ctx, g, now)
	var qe *rag.QuestionError
	switch {
	case errors.As(err, &qe):
		// Nothing to summarise is news too: say so.
		a = rag.Answer{Text: "No article arrived on this since the last digest."}
	case err != nil:
		d.opts.Observe("digest", "failed")
		d.opts.Log.Error("writing a digest", "channel", g.ChannelID, "err", err)
		d.markRun(g.ChannelID, now) // tomorrow, then
		return
	}
	pctx, cancel := context.WithTimeout(ctx, d.opts.Timeout)
	err = d.poster.PostDigest(pctx, g, a)
	cancel()
	switch {
	case errors.Is(err, ErrNoAccess):
		d.opts.Observe("digest", "paused")
		d.lost(ctx, g.ChannelID, err)
	case err != nil:
		d.opts.Observe("digest", "failed")
		d.opts.Log.Error("posting a digest", "channel", g.ChannelID, "err", err)
	default:
		d.opts.Observe("digest", "posted")
		d.opts.Log.Info("posted a digest", "channel", g.ChannelID, "citations", len(a.Citations))
	}
	d.markRun(g.ChannelID, now)
}

func (d *Desk) markRun(channel string, now time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for i := range d.book.Digests {
		if d.book.Digests[i].ChannelID == channel {
			d.book.Digests[i].Last = now
		}
	}
	d.saveLocked()
}
