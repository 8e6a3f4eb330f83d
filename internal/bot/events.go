package bot

import (
	"strings"

	"github.com/bwmarrin/discordgo"
)

// onEvent decodes the gateway events Herald acts on from their raw JSON,
// leniently: discordgo's own decoding gives up on a whole interaction when
// one field of it has an unexpected type (a Discord-compatible server that
// sends public_flags as a string), and then calls its handlers with
// nothing to answer. Here what can be read is answered, and what was
// repaired or lost is logged.
func (b *Bot) onEvent(_ *discordgo.Session, e *discordgo.Event) {
	if e == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			b.recovered(strings.ToLower(e.Type), p)
		}
	}()
	switch e.Type {
	case "READY":
		var r struct {
			User *struct {
				ID string `json:"id"`
			} `json:"user"`
			Application *struct {
				ID string `json:"id"`
			} `json:"application"`
		}
		fields, err := decodeLenient(e.RawData, &r)
		b.logDecode("the READY event", fields, err)
		var user, app string
		if r.User != nil {
			user = r.User.ID
		}
		if r.Application != nil {
			app = r.Application.ID
		}
		b.onReady(user, app)
	case "INTERACTION_CREATE":
		b.onInteractionEvent(e.RawData)
	case "MESSAGE_CREATE":
		var m discordgo.Message
		fields, err := decodeLenient(e.RawData, &m)
		b.logDecode("a message", fields, err)
		b.onMessage(&m)
	case "GUILD_CREATE", "THREAD_LIST_SYNC":
		// A guild's channels and active threads, and the threads synced
		// when the bot gains access to a channel: no lookup is needed
		// for them later.
		var g struct {
			Channels []*discordgo.Channel `json:"channels"`
			Threads  []*discordgo.Channel `json:"threads"`
		}
		decodeLenient(e.RawData, &g)
		for _, ch := range append(g.Channels, g.Threads...) {
			if ch != nil {
				b.threads.learn(b.channelInfoOf(ch))
			}
		}
	case "THREAD_CREATE", "THREAD_UPDATE", "CHANNEL_CREATE":
		var ch discordgo.Channel
		if _, err := decodeLenient(e.RawData, &ch); err == nil || ch.ID != "" {
			b.threads.learn(b.channelInfoOf(&ch))
		}
	}
}

// onInteractionEvent answers an interaction. One that lacks its ID or token
// cannot be answered at all, and is logged.
func (b *Bot) onInteractionEvent(raw []byte) {
	var in discordgo.Interaction
	fields, err := decodeLenient(raw, &in)
	b.logDecode("an interaction", fields, err)
	if in.ID == "" || in.Token == "" {
		b.metrics.errors.WithLabelValues("decode").Inc()
		b.log.Error("an interaction could not be read and has no token to answer it with", "err", err)
		return
	}
	b.onInteraction(&in, err)
}

// logDecode logs what a lenient decode repaired, or could not read.
func (b *Bot) logDecode(what string, repaired []string, err error) {
	if len(repaired) > 0 {
		b.log.Warn(what+" had fields of unexpected types; read as far as possible", "fields", strings.Join(repaired, ","))
	}
	if err != nil {
		b.metrics.errors.WithLabelValues("decode").Inc()
		b.log.Warn(what+" could not be read whole", "err", err)
	}
}
