package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/rag"
)

var reMention = regexp.MustCompile(`<@!?(\d+)>`)

// onMessage answers @mentions (in a thread started from the question), DMs,
// and follow-ups in the bot's own threads. Messages from bots, itself
// included, are ignored.
func (b *Bot) onMessage(s *discordgo.Session, m *discordgo.MessageCreate) {
	defer func() {
		if p := recover(); p != nil {
			b.metrics.errors.WithLabelValues("panic").Inc()
			b.log.Error("panic while handling a message", "panic", fmt.Sprint(p))
		}
	}()
	if m.Author == nil || m.Author.Bot || m.Author.ID == b.botID.Load().(string) {
		return
	}
	botID := b.botID.Load().(string)
	isDM := m.GuildID == "" && b.channelKind(m.ChannelID) != kindGuild
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			mentioned = true
		}
	}
	// Some Discord-compatible servers leave the mentions list empty.
	if botID != "" && (strings.Contains(m.Content, "<@"+botID+">") || strings.Contains(m.Content, "<@!"+botID+">")) {
		mentioned = true
	}
	ownThread := !isDM && b.threads.isOwn(m.ChannelID)
	received := b.opts.Now()
	if !isDM && !mentioned && !ownThread {
		return
	}
	channel := m.ChannelID
	if isDM && !b.opts.DMs {
		r := notice("Herald does not answer direct messages here. Use /ask in a server, or mention @Herald there.", colourMissing, "refused")
		b.send(channel, "", r)
		b.logRequest("dm", nil, received, r)
		return
	}
	question := strings.TrimSpace(reMention.ReplaceAllStringFunc(m.Content, func(tok string) string {
		if strings.Contains(tok, botID) {
			return ""
		}
		return tok
	}))
	if question == "" && ownThread && !mentioned {
		return // content not delivered (no Message Content intent), or an empty message
	}
	command := "mention"
	switch {
	case isDM:
		command = "dm"
	case ownThread && !mentioned:
		command = "follow-up"
	}
	b.metrics.questions.WithLabelValues(command).Inc()
	// finish sends r in reply and logs the request.
	finish := func(r reply) {
		reference := ""
		if channel == m.ChannelID {
			reference = m.ID
		}
		if !b.send(channel, reference, r) && channel != m.ChannelID {
			// The thread could not be written to: answer in the channel.
			b.send(m.ChannelID, m.ID, r)
		}
		b.logRequest(command, nil, received, r)
	}

	if err := b.admit(m.Author.ID, question); err != nil {
		finish(notice(err.Error(), colourError, "refused"))
		return
	}
	// A mention in a channel is answered in a thread started from it; one
	// inside a thread is answered there.
	if mentioned && !isDM && !b.isThread(m.ChannelID) {
		th, err := b.s.MessageThreadStartComplex(m.ChannelID, m.ID, &discordgo.ThreadStart{
			Name: truncate(stripInvisible(strings.Join(strings.Fields(question), " ")), maxThreadName), AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPublicThread,
		})
		switch {
		case err != nil:
			b.log.Warn("starting a thread; answering in the channel", "err", err)
		case th == nil || th.ID == "":
			b.log.Warn("starting a thread: the server returned no thread; answering in the channel")
		default:
			channel = th.ID
			b.threads.markOwn(th.ID)
		}
	}
	if !b.begin() {
		finish(notice("Herald is restarting; please ask again in a minute.", colourError, "draining"))
		return
	}
	defer b.inflight.Done()
	if !b.gate.reserve() {
		b.metrics.busy.Inc()
		finish(notice("Herald is busy answering other questions; please try again in a moment.", colourError, "busy"))
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.AnswerTimeout)
	defer cancel()
	if !b.gate.enter(ctx.Done()) {
		finish(notice("Herald is too busy to answer in time; please try again.", colourError, "timeout"))
		return
	}
	defer b.gate.release()
	_ = b.s.ChannelTyping(channel)

	full := question
	if ownThread || channel != m.ChannelID {
		full = b.standalone(ctx, b.threads.recent(channel), question)
	}
	r := b.answerMessage(ctx, command, full, question, b.feedback.userHash(m.Author.ID))
	if r.outcome == "answered" || r.outcome == "not-covered" {
		b.threads.remember(channel, full)
	}
	finish(r)
}

// answerMessage answers a message's question, recovering from a panic.
func (b *Bot) answerMessage(ctx context.Context, command, full, question, asker string) (r reply) {
	defer func() {
		if p := recover(); p != nil {
			b.metrics.errors.WithLabelValues("panic").Inc()
			b.log.Error("panic while answering", "command", command, "panic", fmt.Sprint(p))
			r = notice("Sorry, something went wrong while answering. Please try again.", colourError, "error")
		}
	}()
	a, err := b.opts.Engine.Ask(ctx, full, rag.AskOptions{Asker: asker})
	if err != nil {
		return b.failure(command, err)
	}
	a.Question = question
	return b.answerReply(a, question)
}

// standalone rewrites a follow-up with the language model when there is
// one, and with the heuristic otherwise (or when the model fails).
func (b *Bot) standalone(ctx context.Context, previous []string, q string) string {
	if len(previous) == 0 {
		return q
	}
	if b.opts.Rewriter != nil {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if s, err := b.opts.Rewriter.Rewrite(rctx, previous, q); err == nil && strings.TrimSpace(s) != "" {
			return s
		}
	}
	return standalone(previous, q)
}

// Channel kinds, as far as Herald needs to know them.
const (
	kindUnknown = iota
	kindGuild
	kindThread
	kindDM
)

// channelKind asks Discord once what a channel is, and remembers it.
func (b *Bot) channelKind(id string) int {
	if k := b.threads.kind(id); k != kindUnknown {
		return k
	}
	ch, err := b.s.Channel(id)
	if err != nil || ch == nil {
		return kindUnknown
	}
	k := kindGuild
	switch {
	case ch.IsThread():
		k = kindThread
		if ch.OwnerID != "" && ch.OwnerID == b.botID.Load().(string) {
			b.threads.markOwn(id)
		}
	case ch.Type == discordgo.ChannelTypeDM || ch.Type == discordgo.ChannelTypeGroupDM:
		k = kindDM
	}
	b.threads.setKind(id, k)
	return k
}

// isThread reports whether a channel is a thread.
func (b *Bot) isThread(channelID string) bool {
	return b.threads.isOwn(channelID) || b.channelKind(channelID) == kindThread
}

// send posts r to a channel (replying to message reference when set),
// overflow in further messages. It reports whether the first message went.
func (b *Bot) send(channel, reference string, r reply) bool {
	noFail := false
	for n, embeds := range r.embeds {
		msg := &discordgo.MessageSend{Content: r.content, Embeds: embeds, AllowedMentions: noMentions()}
		if n == 0 {
			msg.Components = r.components
			if reference != "" {
				// A deleted question must not lose its answer.
				msg.Reference = &discordgo.MessageReference{MessageID: reference, ChannelID: channel, FailIfNotExists: &noFail}
			}
		}
		if _, err := b.s.ChannelMessageSendComplex(channel, msg); err != nil {
			b.metrics.errors.WithLabelValues("discord").Inc()
			b.log.Warn("sending a message", "err", err)
			return n > 0
		}
	}
	return true
}
