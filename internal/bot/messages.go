package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"

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
	isDM := m.GuildID == ""
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
	if !isDM && !mentioned && !ownThread {
		return
	}
	channel := m.ChannelID
	if isDM && !b.opts.DMs {
		b.send(channel, "", notice("Herald does not answer direct messages here. Use /ask in a server, or mention @Herald there.", colourMissing, "refused"))
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
	received := b.opts.Now()

	if err := b.admit(m.Author.ID, question); err != nil {
		b.send(channel, m.ID, notice(err.Error(), colourError, "refused"))
		return
	}
	// A mention in a channel is answered in a thread started from it; one
	// inside a thread is answered there.
	if mentioned && !isDM && !b.isThread(m.ChannelID) {
		th, err := b.s.MessageThreadStartComplex(m.ChannelID, m.ID, &discordgo.ThreadStart{
			Name: truncate(stripInvisible(strings.Join(strings.Fields(question), " ")), maxThreadName), AutoArchiveDuration: 1440, Type: discordgo.ChannelTypeGuildPublicThread,
		})
		if err != nil {
			b.log.Warn("starting a thread; answering in the channel", "err", err)
		} else {
			channel = th.ID
			b.threads.markOwn(th.ID)
		}
	}
	if !b.begin() {
		b.send(channel, m.ID, notice("Herald is restarting; please ask again in a minute.", colourError, "draining"))
		return
	}
	defer b.inflight.Done()
	if !b.gate.reserve() {
		b.metrics.busy.Inc()
		b.send(channel, m.ID, notice("Herald is busy answering other questions; please try again in a moment.", colourError, "busy"))
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, b.opts.AnswerTimeout)
	defer cancel()
	if !b.gate.enter(ctx.Done()) {
		b.send(channel, m.ID, notice("Herald is too busy to answer in time; please try again.", colourError, "timeout"))
		return
	}
	defer b.gate.release()
	_ = b.s.ChannelTyping(channel)

	full := question
	if ownThread || channel != m.ChannelID {
		full = standalone(b.threads.recent(channel), question)
	}
	a, err := b.opts.Engine.Ask(ctx, full, rag.AskOptions{})
	var r reply
	if err != nil {
		r = b.failure(command, err)
	} else {
		a.Question = question
		r = b.answerReply(a, question)
		b.threads.remember(channel, full)
	}
	reference := ""
	if channel == m.ChannelID {
		reference = m.ID
	}
	b.send(channel, reference, r)
	b.logRequest(command, nil, received, r)
}

// isThread reports whether a channel is a thread, asking Discord once per
// channel.
func (b *Bot) isThread(channelID string) bool {
	if b.threads.isOwn(channelID) {
		return true
	}
	ch, err := b.s.Channel(channelID)
	if err != nil {
		return false
	}
	if ch.OwnerID != "" && ch.OwnerID == b.botID.Load().(string) {
		b.threads.markOwn(channelID)
	}
	return ch.IsThread()
}

// send posts r to a channel (replying to message reference when set),
// overflow in further messages.
func (b *Bot) send(channel, reference string, r reply) {
	for n, embeds := range r.embeds {
		msg := &discordgo.MessageSend{Content: r.content, Embeds: embeds, AllowedMentions: noMentions()}
		if n == 0 {
			msg.Components = r.components
			if reference != "" {
				msg.Reference = &discordgo.MessageReference{MessageID: reference, ChannelID: channel}
			}
		}
		if _, err := b.s.ChannelMessageSendComplex(channel, msg); err != nil {
			b.metrics.errors.WithLabelValues("discord").Inc()
			b.log.Warn("sending a message", "err", err)
			return
		}
	}
}
