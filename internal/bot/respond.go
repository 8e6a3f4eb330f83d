package bot

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/rag"
)

// reply is a message to send: embeds (several messages when over one
// message's limits), buttons for the first, or plain content.
type reply struct {
	content    string
	embeds     [][]*discordgo.MessageEmbed
	components []discordgo.MessageComponent
	// outcome, citations and miss are for logs and metrics.
	outcome   string
	citations int
	miss      bool
}

func notice(text string, colour int, outcome string) reply {
	return reply{embeds: [][]*discordgo.MessageEmbed{noticeEmbed(text, colour)}, outcome: outcome}
}

// first returns the first message's embeds.
func (r reply) first() []*discordgo.MessageEmbed {
	if len(r.embeds) == 0 {
		return nil
	}
	return r.embeds[0]
}

// tokenLife is how long an interaction token can be used; Herald stops
// using it a little earlier.
const tokenLife = 14*time.Minute + 30*time.Second

// respond answers an interaction within Discord's deadline. work runs under
// the concurrency gate; if it finishes within FastReply its reply is sent
// as the first response, otherwise the interaction is deferred first (so
// the 3 s deadline is always met) and the reply edited in. Overflow goes
// into followups.
func (b *Bot) respond(i *discordgo.InteractionCreate, command string, ephemeral bool, work func(ctx context.Context) (reply, error)) {
	b.respondWithin(i, command, ephemeral, b.opts.AnswerTimeout, func(ctx context.Context, _ func(string)) (reply, error) { return work(ctx) })
}

// streamEvery is the least time between two streamed edits of an answer.
const streamEvery = time.Second

// progress edits a deferred response with an answer's text as it streams,
// at most once every streamEvery.
type progress struct {
	mu       sync.Mutex
	deferred bool
	last     time.Time
	edits    int
}

// respondWithin is respond with its own time limit for the work. The limit
// never reaches past the interaction token's life, so the user always gets
// an answer or an apology.
func (b *Bot) respondWithin(i *discordgo.InteractionCreate, command string, ephemeral bool, limit time.Duration, work func(ctx context.Context, stream func(partial string)) (reply, error)) {
	received, arrived := b.opts.Now(), time.Now()
	b.metrics.questions.WithLabelValues(command).Inc()
	var flags discordgo.MessageFlags
	if ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	if !b.begin() {
		b.sendNow(i, notice("Herald is restarting; please ask again in a minute.", colourError, "draining"), discordgo.MessageFlagsEphemeral, received, arrived)
		return
	}
	defer b.inflight.Done()
	if !b.gate.reserve() {
		b.metrics.busy.Inc()
		b.sendNow(i, notice("Herald is busy answering other questions; please try again in a moment.", colourError, "busy"), discordgo.MessageFlagsEphemeral, received, arrived)
		return
	}

	var pr progress
	stream := func(partial string) {
		pr.mu.Lock()
		defer pr.mu.Unlock()
		now := b.opts.Now()
		if !pr.deferred || now.Sub(pr.last) < streamEvery {
			return
		}
		pr.last = now
		if pr.edits == 0 {
			b.metrics.streamEdit.Observe(now.Sub(received).Seconds())
		}
		pr.edits++
		e := &discordgo.MessageEmbed{Description: truncate(escapeAnswer(partial), maxEmbedDescription-2) + " …", Color: colourMissing}
		b.editOriginal(i, reply{embeds: [][]*discordgo.MessageEmbed{{e}}}, 3*time.Second)
	}
	done := make(chan reply, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				b.metrics.errors.WithLabelValues("panic").Inc()
				b.log.Error("panic while answering", "command", command, "panic", fmt.Sprint(p))
				done <- notice("Sorry, something went wrong while answering. Please try again.", colourError, "error")
			}
		}()
		ctx, cancel := context.WithTimeout(b.ctx, min(limit, tokenLife-time.Minute))
		defer cancel()
		if !b.gate.enter(ctx.Done()) {
			done <- notice("Herald is too busy to answer in time; please try again.", colourError, "timeout")
			return
		}
		defer b.gate.release()
		start := time.Now()
		r, err := work(ctx, stream)
		b.metrics.latency.WithLabelValues(command).Observe(time.Since(start).Seconds())
		if err != nil {
			r = b.failure(command, err)
		}
		done <- r
	}()

	var r reply
	select {
	case r = <-done:
		b.sendNow(i, r, flags, received, arrived)
	case <-time.After(b.opts.FastReply):
		pr.mu.Lock()
		err := withRetry(arrived.Add(firstResponseBudget), func() error {
			return acknowledged(b.s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
				Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Flags: flags},
			}, discordgo.WithRetryOnRatelimit(false)))
		})
		pr.deferred = err == nil // the first streamed edit may follow at once
		pr.mu.Unlock()
		b.metrics.firstReply.Observe(b.opts.Now().Sub(received).Seconds())
		if err != nil {
			b.metrics.errors.WithLabelValues("discord").Inc()
			b.log.Warn("deferring an interaction", "command", command, "err", err)
		}
		r = <-done
		if b.opts.Now().Sub(received) > tokenLife {
			b.log.Warn("answer too late for the interaction token; dropped", "command", command)
			r.outcome = "expired"
		} else {
			b.sendEdit(i, r, flags)
		}
	}
	b.logRequest(command, i.Interaction, received, r)
}

// failure turns an error into a polite reply.
func (b *Bot) failure(command string, err error) reply {
	var bad *badRequest
	if errors.As(err, &bad) {
		return notice(bad.msg, colourError, "refused")
	}
	var qe *rag.QuestionError
	if errors.As(err, &qe) {
		return notice(qe.Error(), colourError, "refused")
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		b.metrics.errors.WithLabelValues("timeout").Inc()
		return notice("Sorry, that took too long to answer. Please try again, or ask something narrower.", colourError, "timeout")
	}
	b.metrics.errors.WithLabelValues("answer").Inc()
	// Engine errors do not carry the question; still, content is logged
	// only when asked for.
	if b.opts.LogContent {
		b.log.Error("answering", "command", command, "err", err)
	} else {
		b.log.Error("answering", "command", command, "err_type", fmt.Sprintf("%T", errors.Unwrap(err)))
	}
	return notice("Sorry, something went wrong while answering. Please try again.", colourError, "error")
}

// badRequest is a user's mistake, shown to them as it is.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func refuse(format string, args ...any) error { return &badRequest{fmt.Sprintf(format, args...)} }

// sendNow sends r as the first response to the interaction, which arrived
// at arrived (by the wall clock; received is by the bot's clock).
func (b *Bot) sendNow(i *discordgo.InteractionCreate, r reply, flags discordgo.MessageFlags, received, arrived time.Time) {
	err := withRetry(arrived.Add(firstResponseBudget), func() error {
		return acknowledged(b.s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{
				Content: r.content, Embeds: r.first(), Components: r.components, Flags: flags, AllowedMentions: noMentions(),
			},
		}, discordgo.WithRetryOnRatelimit(false)))
	})
	b.metrics.firstReply.Observe(b.opts.Now().Sub(received).Seconds())
	if err != nil {
		b.metrics.errors.WithLabelValues("discord").Inc()
		b.log.Warn("responding to an interaction", "err", err)
		return
	}
	b.sendFollowups(i, r, flags)
}

// sendEdit puts r into the deferred response, overflow in followups.
func (b *Bot) sendEdit(i *discordgo.InteractionCreate, r reply, flags discordgo.MessageFlags) {
	if b.editOriginal(i, r, 30*time.Second) {
		b.sendFollowups(i, r, flags)
	}
}

// editOriginal replaces the interaction's response with r's first message,
// within limit; it reports success.
func (b *Bot) editOriginal(i *discordgo.InteractionCreate, r reply, limit time.Duration) bool {
	content, embeds, components := r.content, r.first(), r.components
	edit := &discordgo.WebhookEdit{Content: &content, Embeds: &embeds, Components: &components, AllowedMentions: noMentions()}
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	uri := discordgo.EndpointWebhookMessage(b.interactionApp(i), i.Token, "@original")
	if err := b.tokenRequest(ctx, "PATCH", uri, edit, i.Token); err != nil {
		b.metrics.errors.WithLabelValues("discord").Inc()
		b.log.Warn("editing an interaction response", "err", err)
		return false
	}
	return true
}

// tokenRequest sends a request on an interaction token's webhook, retried
// by withRetry until ctx's deadline. One bucket per token: edits of
// different answers do not queue behind each other (discordgo shares one
// bucket for all).
func (b *Bot) tokenRequest(ctx context.Context, method, uri string, body any, token string) error {
	deadline, _ := ctx.Deadline()
	return withRetry(deadline, func() error {
		_, err := b.s.RequestWithBucketID(method, uri, body, "interaction:"+token, discordgo.WithContext(ctx), discordgo.WithRetryOnRatelimit(false))
		return err
	})
}

// firstResponseBudget is how long after an interaction arrives its first
// response may still be retried: Discord refuses one after 3 s.
const firstResponseBudget = 2500 * time.Millisecond

// transient reports whether a Discord REST error is worth another try: a
// server error. discordgo itself retries a 502.
func transient(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500
}

// withRetry runs call until it succeeds or fails for good, retrying server
// errors with a doubling pause and rate limits after their retry_after,
// for as long as the next try can start before deadline. The calls it
// makes ask discordgo not to wait out rate limits itself: discordgo would
// wait any retry_after, however long, past Discord's 3 s window.
func withRetry(deadline time.Time, call func() error) error {
	backoff := 100 * time.Millisecond
	for {
		err := call()
		wait := backoff
		var rl *discordgo.RateLimitError
		limited := errors.As(err, &rl) && rl.RateLimit != nil && rl.TooManyRequests != nil
		if limited {
			wait = rl.RetryAfter
		}
		if err == nil || !(limited || transient(err)) || time.Now().Add(wait).After(deadline) {
			return err
		}
		time.Sleep(wait)
		if !limited {
			backoff *= 2
		}
	}
}

// acknowledged treats "already acknowledged" (40060) as success: a retried
// first response whose earlier try reached Discord despite the error.
func acknowledged(err error) error {
	var re *discordgo.RESTError
	if errors.As(err, &re) && re.Message != nil && re.Message.Code == discordgo.ErrCodeInteractionHasAlreadyBeenAcknowledged {
		return nil
	}
	return err
}

// sendFollowups sends the messages of r after the first.
func (b *Bot) sendFollowups(i *discordgo.InteractionCreate, r reply, flags discordgo.MessageFlags) {
	if len(r.embeds) < 2 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	uri := discordgo.EndpointWebhookToken(b.interactionApp(i), i.Token) + "?wait=true"
	for _, embeds := range r.embeds[1:] {
		params := &discordgo.WebhookParams{Embeds: embeds, Flags: flags, AllowedMentions: noMentions()}
		if err := b.tokenRequest(ctx, "POST", uri, params, i.Token); err != nil {
			b.metrics.errors.WithLabelValues("discord").Inc()
			b.log.Warn("sending a followup", "err", err)
			return
		}
	}
}

func (b *Bot) interactionApp(i *discordgo.InteractionCreate) string {
	if i.AppID != "" {
		return i.AppID
	}
	return b.appID.Load().(string)
}

// respondQuick sends a response that needs no work (autocomplete, button
// acknowledgements, refusals).
func (b *Bot) respondQuick(i *discordgo.InteractionCreate, resp *discordgo.InteractionResponse) {
	if resp.Data != nil && resp.Type != discordgo.InteractionApplicationCommandAutocompleteResult {
		resp.Data.AllowedMentions = noMentions()
	}
	err := withRetry(time.Now().Add(firstResponseBudget), func() error {
		return acknowledged(b.s.InteractionRespond(i.Interaction, resp, discordgo.WithRetryOnRatelimit(false)))
	})
	if err != nil {
		b.metrics.errors.WithLabelValues("discord").Inc()
		b.log.Warn("responding to an interaction", "err", err)
	}
}

// respondChoices answers an autocomplete. discordgo drops an empty choices
// list (omitempty), which Discord does not accept, so the payload is built
// here.
func (b *Bot) respondChoices(i *discordgo.InteractionCreate, choices []*discordgo.ApplicationCommandOptionChoice) {
	if choices == nil {
		choices = []*discordgo.ApplicationCommandOptionChoice{}
	}
	body := struct {
		Type discordgo.InteractionResponseType `json:"type"`
		Data struct {
			Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
		} `json:"data"`
	}{Type: discordgo.InteractionApplicationCommandAutocompleteResult}
	body.Data.Choices = choices
	uri := discordgo.EndpointInteractionResponse(i.ID, i.Token)
	if _, err := b.s.RequestWithBucketID("POST", uri, body, uri); err != nil {
		b.metrics.errors.WithLabelValues("discord").Inc()
		b.log.Warn("answering an autocomplete", "err", err)
	}
}

// logRequest writes the one log line of a request.
func (b *Bot) logRequest(command string, in *discordgo.Interaction, received time.Time, r reply) {
	attrs := []any{"command", command, "latency_ms", b.opts.Now().Sub(received).Milliseconds(), "citations", r.citations, "outcome", r.outcome}
	if r.miss {
		b.metrics.misses.Inc()
	}
	if b.opts.LogContent && in != nil && (in.Type == discordgo.InteractionApplicationCommand || in.Type == discordgo.InteractionApplicationCommandAutocomplete) {
		attrs = append(attrs, "options", fmt.Sprint(optionValues(in.ApplicationCommandData().Options)))
	}
	b.log.Info("request", attrs...)
}

func optionValues(opts []*discordgo.ApplicationCommandInteractionDataOption) map[string]any {
	m := map[string]any{}
	for _, o := range opts {
		m[o.Name] = o.Value
	}
	return m
}
