package bot

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// reply is what a request gets: embeds (several messages when over one
// message's limits), buttons for the first message, or autocomplete choices.
type reply struct {
	embeds     [][]*discordgo.MessageEmbed
	components []discordgo.MessageComponent
	// choices answers an autocomplete.
	choices []*discordgo.ApplicationCommandOptionChoice
	// outcome, citations, miss and detail are for the log line and metrics;
	// answer marks the reply of a question, counted as answered once
	// delivered.
	outcome   string
	citations int
	miss      bool
	detail    string
	answer    bool
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

// undelivered marks a reply that did not reach the user, saying why.
func (r reply) undelivered(err error) reply {
	r.outcome, r.detail = outcomeUndelivered, err.Error()
	return r
}

// Interaction response types Herald sends.
const (
	responseMessage  = 4
	responseDeferred = 5
	responseChoices  = 8
)

// message is the JSON of a message Herald sends: a channel message, an
// interaction response's data, an edit or a followup. Empty lists are left
// out, never sent as null, which other Discord-compatible servers refuse.
type message struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions,omitempty"`
	Reference       *discordgo.MessageReference       `json:"message_reference,omitempty"`
	Flags           discordgo.MessageFlags            `json:"flags,omitempty"`
}

// interactionResponse is the body of an interaction callback.
type interactionResponse struct {
	Type int `json:"type"`
	Data any `json:"data,omitempty"`
}

// choicesData answers an autocomplete; an empty list is sent as [].
type choicesData struct {
	Choices []*discordgo.ApplicationCommandOptionChoice `json:"choices"`
}

// tokenLife is how long an interaction token can be used; Herald stops
// using it a little earlier.
const tokenLife = 14*time.Minute + 30*time.Second

// firstResponseBudget is how long after an interaction arrives its first
// response may still be tried: Discord refuses one after 3 s.
const firstResponseBudget = 2500 * time.Millisecond

// streamEvery is the least time between two streamed edits of an answer.
const streamEvery = time.Second

// editTimeout bounds the edit or followups that carry a deferred answer.
const editTimeout = 30 * time.Second

// minDelivery is the least time a reply is given to be delivered, even
// past its request's deadline (an apology for an answer that overran).
const minDelivery = time.Second

// deliveryContext bounds the delivery of a reply due by end, the request's
// deadline: at least minDelivery, at most editTimeout.
func deliveryContext(end time.Time) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), min(editTimeout, max(time.Until(end), minDelivery)))
}

// interactionOut delivers replies to an interaction: the answer itself
// when it is ready within FastReply, else a deferral (so that Discord's 3 s
// deadline is always met) and an edit, with overflow in followups.
type interactionOut struct {
	b *Bot
	c *call

	mu sync.Mutex
	// private asks for ephemeral messages; plain is set for a message
	// sent again without the flag, to a server that refused it.
	private, plain bool
	// responded is set once a first response (a reply or a deferral) has
	// gone through: later ones must edit it.
	responded bool
}

func (o *interactionOut) flags() discordgo.MessageFlags {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.private && !o.plain && !o.b.noEphemeral.Load() {
		return discordgo.MessageFlagsEphemeral
	}
	return 0
}

func (o *interactionOut) setPrivate(p bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.private = p
}

func (o *interactionOut) hasResponded() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.responded
}

// refuse answers at once, privately: as the first response, or, when one
// already went (a panic after a deferral), as its edit.
func (o *interactionOut) refuse(r reply) reply {
	o.setPrivate(true)
	if o.hasResponded() {
		return o.finish(r, time.Now())
	}
	return o.sendFirst(r)
}

// grace is how long past its deadline a job may take to return before
// its answer is given up for an apology: for work that does not heed its
// context.
const grace = 2 * time.Second

// deliver runs the job within its time limit. Its reply is sent as the
// first response when it comes within FastReply; otherwise the interaction
// is deferred and the reply edited in. The limit never reaches past the
// interaction token's life, so the user always gets an answer or an
// apology.
func (o *interactionOut) deliver(j job) reply {
	b, c := o.b, o.c
	o.setPrivate(j.private)
	var pr progress
	stream := func(partial string) { pr.show(o, partial) }
	// The whole request ends within its timeout, as a message's does: the
	// work stops sendReserve before, to leave time for the edit.
	timeout := min(j.timeout, tokenLife-time.Minute)
	end := time.Now().Add(timeout)
	ctx, cancel := context.WithDeadline(b.ctx, end.Add(-min(sendReserve, timeout/4)))
	defer cancel()
	done := make(chan reply, 1)
	go func() { done <- b.work(ctx, c.command, j, stream) }()
	if c.in.Type == discordgo.InteractionApplicationCommandAutocomplete {
		return o.sendFirst(b.await(ctx, done)) // an autocomplete cannot be deferred
	}
	select {
	case r := <-done:
		return o.sendFirst(r)
	case <-time.After(b.opts.FastReply):
	}
	pr.mu.Lock()
	err := o.firstResponse(func(flags discordgo.MessageFlags) *interactionResponse {
		return &interactionResponse{Type: responseDeferred, Data: &message{Flags: flags}}
	})
	pr.deferred = err == nil // the first streamed edit may follow at once
	pr.mu.Unlock()
	b.metrics.firstReply.Observe(b.opts.Now().Sub(c.received).Seconds())
	if err != nil {
		// Nobody will see the answer: stop writing it.
		cancel()
		b.metrics.errors.WithLabelValues("discord").Inc()
		return reply{}.undelivered(err)
	}
	r := b.await(ctx, done)
	if b.opts.Now().Sub(c.received) > tokenLife {
		r.outcome, r.detail = outcomeExpired, "the answer came too late for the interaction token"
		return r
	}
	return o.finish(r, end)
}

// await waits for a job's reply, or gives it up for an apology once its
// deadline and a grace period have passed.
func (b *Bot) await(ctx context.Context, done <-chan reply) reply {
	select {
	case r := <-done:
		return r
	case <-ctx.Done():
	}
	select {
	case r := <-done:
		return r
	case <-time.After(grace):
		b.log.Warn("an answer did not stop at its deadline; apologising")
		return notice("Sorry, that took too long to answer. Please try again, or ask something narrower.", colourError, outcomeTimeout)
	}
}

// finish puts r into the deferred response, overflow in followups, by end.
func (o *interactionOut) finish(r reply, end time.Time) reply {
	ctx, cancel := deliveryContext(end)
	defer cancel()
	if err := o.edit(ctx, r, true); err != nil {
		o.b.metrics.errors.WithLabelValues("discord").Inc()
		return r.undelivered(err)
	}
	if err := o.followups(ctx, r); err != nil {
		o.b.metrics.errors.WithLabelValues("discord").Inc()
		return r.undelivered(err)
	}
	return r
}

// sendFirst sends r as the first response, overflow in followups.
func (o *interactionOut) sendFirst(r reply) reply {
	err := o.firstResponse(func(flags discordgo.MessageFlags) *interactionResponse {
		if o.c.in.Type == discordgo.InteractionApplicationCommandAutocomplete {
			choices := r.choices
			if choices == nil {
				choices = []*discordgo.ApplicationCommandOptionChoice{}
			}
			return &interactionResponse{Type: responseChoices, Data: &choicesData{Choices: choices}}
		}
		return &interactionResponse{Type: responseMessage, Data: &message{
			Embeds: r.first(), Components: r.components, Flags: flags, AllowedMentions: noMentions(),
		}}
	})
	o.b.metrics.firstReply.Observe(o.b.opts.Now().Sub(o.c.received).Seconds())
	if err != nil {
		o.b.metrics.errors.WithLabelValues("discord").Inc()
		return r.undelivered(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), editTimeout)
	defer cancel()
	if err := o.followups(ctx, r); err != nil {
		o.b.metrics.errors.WithLabelValues("discord").Inc()
		return r.undelivered(err)
	}
	return r
}

// firstResponse sends the interaction's first response, built for the
// flags to ask for; a server that refuses the ephemeral flag gets it again
// without.
func (o *interactionOut) firstResponse(build func(discordgo.MessageFlags) *interactionResponse) error {
	err := o.callback(build(o.flags()))
	if err != nil && o.refusedEphemeral(err) {
		if err = o.callback(build(o.flags())); err == nil {
			o.confirmPlain()
		}
	}
	if err == nil {
		o.mu.Lock()
		o.responded = true
		o.mu.Unlock()
	}
	return err
}

// callback sends an interaction's first response within Discord's window.
// "Already acknowledged" (40060) counts as sent: an earlier try reached
// Discord despite its error.
func (o *interactionOut) callback(resp *interactionResponse) error {
	ctx, cancel := context.WithDeadline(context.Background(), o.c.arrived.Add(firstResponseBudget))
	defer cancel()
	// A server error on an ephemeral response may be the server refusing
	// the flag: retry it once only, so that time is left to send it plain.
	ephemeral := false
	if m, ok := resp.Data.(*message); ok {
		ephemeral = m.Flags&discordgo.MessageFlagsEphemeral != 0
	}
	_, err := o.b.rest.do(ctx, request{method: http.MethodPost, path: "/interactions/" + pathPart(o.c.in.ID) + "/" + pathPart(o.c.in.Token) + "/callback",
		body: resp, route: "interaction callback", fewRetries: ephemeral})
	if errorCode(err) == codeAlreadyAcknowledged {
		return nil
	}
	return err
}

// refusedEphemeral reports whether err may be a server refusing the
// ephemeral flag (some Discord-compatible servers answer 500), and if so
// drops the flag for this request. On discord.com a server error is only
// a server error: the flag stays, and private replies stay private.
func (o *interactionOut) refusedEphemeral(err error) bool {
	if o.flags() == 0 || statusOf(err) < 500 || o.b.apiHost() == "discord.com" {
		return false
	}
	o.mu.Lock()
	o.plain = true
	o.mu.Unlock()
	return true
}

// confirmPlain records that the server took without the ephemeral flag what
// it refused with it: private replies go out as normal messages from now
// on, and the log says so once.
func (o *interactionOut) confirmPlain() {
	if o.b.noEphemeral.CompareAndSwap(false, true) {
		o.b.log.Warn("the server refuses ephemeral messages; private replies are sent as normal messages from now on")
	}
}

// edit replaces the deferred response with r's first message. A final
// edit carries the buttons; a streamed one leaves them out.
func (o *interactionOut) edit(ctx context.Context, r reply, final bool) error {
	m := &message{Embeds: r.first(), AllowedMentions: noMentions()}
	if final {
		m.Components = r.components
	}
	return o.tokenRequest(ctx, http.MethodPatch, "/messages/@original", m, "edit interaction response")
}

// followups sends the messages of r after the first.
func (o *interactionOut) followups(ctx context.Context, r reply) error {
	for _, embeds := range r.embeds[min(1, len(r.embeds)):] {
		send := func() error {
			return o.tokenRequest(ctx, http.MethodPost, "?wait=true",
				&message{Embeds: embeds, Flags: o.flags(), AllowedMentions: noMentions()}, "send followup")
		}
		err := send()
		if err != nil && o.refusedEphemeral(err) {
			if err = send(); err == nil {
				o.confirmPlain()
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// tokenRequest sends a request on the interaction's webhook. Each token is
// its own rate-limit bucket: edits of different answers do not queue
// behind each other.
func (o *interactionOut) tokenRequest(ctx context.Context, method, suffix string, body any, route string) error {
	path := "/webhooks/" + pathPart(o.b.interactionApp(o.c.in)) + "/" + pathPart(o.c.in.Token) + suffix
	_, err := o.b.rest.do(ctx, request{method: method, path: path, body: body, route: route, bucket: "interaction:" + o.c.in.Token,
		fewRetries: o.flags() != 0})
	return err
}

func (b *Bot) interactionApp(in *discordgo.Interaction) string {
	if in.AppID != "" {
		return in.AppID
	}
	return b.appID.Load().(string)
}

// progress edits a deferred response with an answer's text as it streams,
// at most once every streamEvery.
type progress struct {
	mu       sync.Mutex
	deferred bool
	last     time.Time
	edits    int
}

func (pr *progress) show(o *interactionOut, partial string) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	now := o.b.opts.Now()
	if !pr.deferred || now.Sub(pr.last) < streamEvery {
		return
	}
	pr.last = now
	if pr.edits == 0 {
		o.b.metrics.streamEdit.Observe(now.Sub(o.c.received).Seconds())
	}
	pr.edits++
	e := &discordgo.MessageEmbed{Description: truncate(escapeAnswer(partial), maxEmbedDescription-2) + " …", Color: colourMissing}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := o.edit(ctx, reply{embeds: [][]*discordgo.MessageEmbed{{e}}}, false); err != nil {
		o.b.log.Debug("a streamed edit failed; the final edit follows", "err", err)
	}
}
