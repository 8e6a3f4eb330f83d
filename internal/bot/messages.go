package bot

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/rag"
)

var reMention = regexp.MustCompile(`<@!?(\d+)>`)

// Deadlines of the calls a message's answer makes before and after the
// answer is written.
const (
	// lookupTimeout bounds asking Discord what a channel is, or for its
	// recent messages.
	lookupTimeout = 3 * time.Second
	// threadTimeout bounds starting a thread for a mention's answer.
	threadTimeout = 5 * time.Second
	// typingTimeout bounds the typing indicator, which is best effort.
	typingTimeout = 2 * time.Second
	// sendReserve is kept from a message's deadline for sending its answer.
	sendReserve = 5 * time.Second
)

// onMessage answers @mentions (in a thread started from the question), DMs,
// and follow-ups in Herald's own threads. Messages from bots, Herald
// included, are ignored.
func (b *Bot) onMessage(m *discordgo.Message) {
	received, arrived := b.opts.Now(), time.Now()
	if m.Author == nil || m.Author.Bot || m.Author.ID == b.botID.Load().(string) {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, lookupTimeout)
	defer cancel()
	a, ok := b.addressed(ctx, m)
	if !ok {
		return
	}
	c := &call{command: a.command(), msg: m, user: m.Author.ID, received: received, arrived: arrived, channel: m.ChannelID}
	if b.opts.LogContent {
		c.logOptions = map[string]any{"question": a.question}
	}
	out := &channelOut{b: b, c: c}
	if a.mentioned && !a.dm && a.where.kind != kindThread {
		// A mention in a channel is answered in a thread started from it;
		// one inside a thread is answered there.
		out.thread = truncate(stripInvisible(strings.Join(strings.Fields(a.question), " ")), maxThreadName)
	}
	b.serve(c, command{name: c.command, handler: func(c *call) (job, error) {
		if a.dm && !b.opts.DMs {
			return job{}, refuse("Herald does not answer direct messages here. Use /ask in a server, or mention @Herald there.")
		}
		return b.messageJob(c, a.question, a.where.kind == kindThread)
	}}, out)
}

// address is how a message speaks to Herald.
type address struct {
	// where is the channel it was written in.
	where channelInfo
	// dm is set for a direct message, mentioned for a mention of Herald.
	dm, mentioned bool
	// question is the message's text without the mention.
	question string
}

func (a address) command() string {
	switch {
	case a.dm:
		return "dm"
	case !a.mentioned:
		return "follow-up"
	}
	return "mention"
}

// addressed reports whether a message is for Herald (a DM, a mention, or
// a follow-up in one of its threads), and how.
func (b *Bot) addressed(ctx context.Context, m *discordgo.Message) (address, bool) {
	botID := b.botID.Load().(string)
	var a address
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			a.mentioned = true
		}
	}
	// Some Discord-compatible servers leave the mentions list empty.
	if botID != "" && (strings.Contains(m.Content, "<@"+botID+">") || strings.Contains(m.Content, "<@!"+botID+">")) {
		a.mentioned = true
	}
	known := false
	if m.GuildID == "" {
		a.where, _ = b.channel(ctx, m.ChannelID)
		a.dm = a.where.kind != kindGuild && a.where.kind != kindThread
		known = true
	}
	if !a.dm && !known {
		// What the channel is matters to a mention (thread or not) and to
		// a message without one (a follow-up in Herald's own thread?):
		// ask the channel itself (it is remembered).
		a.where, _ = b.channel(ctx, m.ChannelID)
	}
	if !a.dm && !a.mentioned && !b.ownThread(a.where) {
		return a, false
	}
	a.question = strings.TrimSpace(reMention.ReplaceAllStringFunc(m.Content, func(tok string) string {
		if strings.Contains(tok, botID) {
			return ""
		}
		return tok
	}))
	if a.question == "" && !a.dm && !a.mentioned {
		return a, false // content not delivered (no Message Content intent), or an empty message
	}
	return a, true
}

// messageJob answers a message's question; in a thread, with the thread's
// earlier questions as context.
func (b *Bot) messageJob(c *call, question string, inThread bool) (job, error) {
	if err := b.checkQuestion(question); err != nil {
		return job{}, err
	}
	asker := b.feedback.UserHash(c.user)
	return job{limited: true, gated: true, run: func(ctx context.Context, _ func(string)) (reply, error) {
		full := question
		if inThread {
			full = b.standalone(ctx, b.recentQuestions(ctx, c.channel, c.msg.ID), question)
		}
		a, err := b.opts.Engine.Ask(ctx, full, rag.AskOptions{Asker: asker})
		if err != nil {
			return reply{}, err
		}
		a.Question = question
		r := b.answerReply(ctx, a, question)
		if c.channel != c.msg.ChannelID || inThread {
			b.threads.remember(c.channel, full)
		}
		return r, nil
	}}, nil
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

// channelOut delivers a message's reply: in a thread started from the
// message (a mention in a channel), or where the message was written (a
// thread, a DM). The whole request is bounded by its job's timeout, from
// when the message arrived.
type channelOut struct {
	b *Bot
	c *call
	// thread, when set, names the thread to start for the answer.
	thread string
}

// refuse replies where the message was written.
func (o *channelOut) refuse(r reply) reply {
	ctx, cancel := context.WithTimeout(o.b.ctx, editTimeout)
	defer cancel()
	if _, err := o.b.sendReply(ctx, o.c.msg.ChannelID, o.c.msg.ID, r); err != nil {
		return r.undelivered(err)
	}
	return r
}

// deliver starts the thread, shows the typing indicator, writes the
// answer and sends it; an answer the thread cannot take goes in the
// message's channel.
func (o *channelOut) deliver(j job) reply {
	b, c := o.b, o.c
	ctx, cancel := context.WithDeadline(b.ctx, c.arrived.Add(j.timeout))
	defer cancel()
	if o.thread != "" {
		if id, err := b.startThread(ctx, c.msg, o.thread); err != nil {
			b.log.Warn("starting a thread; answering in the channel", "err", err)
		} else {
			c.channel = id
		}
	}
	go b.typing(c.channel)
	wctx, wcancel := context.WithDeadline(ctx, c.arrived.Add(j.timeout-min(sendReserve, j.timeout/4)))
	done := make(chan reply, 1)
	go func() { done <- b.work(wctx, c.command, j, func(string) {}) }()
	r := b.await(wctx, done)
	wcancel()
	reference := ""
	if c.channel == c.msg.ChannelID {
		reference = c.msg.ID
	}
	sent, err := b.sendReply(ctx, c.channel, reference, r)
	if err != nil && sent == 0 && c.channel != c.msg.ChannelID {
		// The thread took nothing: answer in the channel.
		b.log.Warn("the thread could not take the answer; answering in the channel", "err", err)
		_, err = b.sendReply(ctx, c.msg.ChannelID, c.msg.ID, r)
	}
	if err != nil {
		b.metrics.errors.WithLabelValues("discord").Inc()
		return r.undelivered(err)
	}
	return r
}

// sendReply posts r to a channel (replying to message reference when set),
// overflow in further messages, and returns how many messages went. A
// reply whose first message went but whose overflow did not is reported as
// undelivered.
func (b *Bot) sendReply(ctx context.Context, channel, reference string, r reply) (sent int, err error) {
	noFail := false
	for n, embeds := range r.embeds {
		m := &message{Embeds: embeds, AllowedMentions: noMentions()}
		if n == 0 {
			m.Components = r.components
			if reference != "" {
				// A deleted question must not lose its answer.
				m.Reference = &discordgo.MessageReference{MessageID: reference, ChannelID: channel, FailIfNotExists: &noFail}
			}
		}
		if _, err := b.rest.do(ctx, request{method: http.MethodPost, path: "/channels/" + pathPart(channel) + "/messages", body: m, route: "send message"}); err != nil {
			return n, err
		}
	}
	return len(r.embeds), nil
}

// startThread starts a public thread from a message and returns its ID.
func (b *Bot) startThread(ctx context.Context, m *discordgo.Message, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, threadTimeout)
	defer cancel()
	body, err := b.rest.do(ctx, request{method: http.MethodPost, path: "/channels/" + pathPart(m.ChannelID) + "/messages/" + pathPart(m.ID) + "/threads",
		body: map[string]any{"name": name, "auto_archive_duration": 1440}, route: "start thread"})
	if err != nil {
		return "", err
	}
	var th discordgo.Channel
	decodeLenient(body, &th)
	if th.ID == "" {
		return "", errNoThread
	}
	b.threads.learn(channelInfo{id: th.ID, kind: kindThread, owner: b.botID.Load().(string), name: name})
	return th.ID, nil
}

// typing shows the typing indicator, at most once and briefly: it never
// delays an answer.
func (b *Bot) typing(channel string) {
	ctx, cancel := context.WithTimeout(b.ctx, typingTimeout)
	defer cancel()
	if _, err := b.rest.do(ctx, request{method: http.MethodPost, path: "/channels/" + pathPart(channel) + "/typing", route: "typing", once: true}); err != nil {
		b.log.Debug("the typing indicator failed", "err", err)
	}
}
