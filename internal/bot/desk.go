package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/desk"
	"github.com/herald-news/herald/internal/feeds"
	"github.com/herald-news/herald/internal/rag"
)

// Desk keeps the follows and digests that /follow, /unfollow and /digest
// set; *desk.Desk is one.
type Desk interface {
	Follow(f desk.Follow) (bool, error)
	Unfollow(guild, channel, topic string) int
	Follows(guild string) []desk.Follow
	SetDigest(g desk.Digest) error
	StopDigest(channel string) bool
	Digests(guild string) []desk.Digest
	Summarize(ctx context.Context, g desk.Digest) (rag.Answer, error)
}

// channelPermissions are what /follow, /unfollow and /digest require.
const channelPermissions = discordgo.PermissionManageChannels

// deskCommands are the commands of the news desk.
func (b *Bot) deskCommands(contexts *[]discordgo.InteractionContextType) []command {
	perm := int64(channelPermissions)
	channel := &discordgo.ApplicationCommandOption{Type: discordgo.ApplicationCommandOptionChannel, Name: "channel",
		Description:  "Where to post (default: this channel)",
		ChannelTypes: []discordgo.ChannelType{discordgo.ChannelTypeGuildText, discordgo.ChannelTypeGuildNews}}
	return []command{
		{name: cmdFollow, perm: channelPermissions, permName: "Manage Channels", handler: b.handleFollow, def: &discordgo.ApplicationCommand{
			Name: cmdFollow, Description: "Post new articles on a topic as they arrive; with no topic, list the follows", DefaultMemberPermissions: &perm, Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "Words of the topic, e.g. energy cooperation", MaxLength: 200},
				channel,
			},
		}},
		{name: cmdUnfollow, perm: channelPermissions, permName: "Manage Channels", handler: b.handleUnfollow, def: &discordgo.ApplicationCommand{
			Name: cmdUnfollow, Description: "Stop posting new articles on a topic", DefaultMemberPermissions: &perm, Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "A followed topic", Required: true, Autocomplete: true, MaxLength: 200},
				channel,
			},
		}},
		{name: cmdDigest, perm: channelPermissions, permName: "Manage Channels", handler: b.handleDigest, def: &discordgo.ApplicationCommand{
			Name: cmdDigest, Description: "A daily cited summary of the news, at a set time", DefaultMemberPermissions: &perm, Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				channel,
				{Type: discordgo.ApplicationCommandOptionString, Name: "time", Description: "Time of day, HH:MM (default 08:00)", MaxLength: 5},
				{Type: discordgo.ApplicationCommandOptionString, Name: "zone", Description: "Time zone, e.g. Europe/Paris (default UTC)", MaxLength: 64},
				{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "Only the news on this topic", MaxLength: 200},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "now", Description: "Post a digest now, once"},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "stop", Description: "Stop the channel's digest"},
			},
		}},
	}
}

// target is the channel a desk command names, or the one it was used in.
func target(c *call, data discordgo.ApplicationCommandInteractionData) string {
	if id := stringOption(data.Options, "channel"); id != "" {
		return id
	}
	return c.in.ChannelID
}

func boolOption(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) bool {
	if o := option(opts, name); o != nil {
		v, _ := o.Value.(bool)
		return v
	}
	return false
}

func (b *Bot) handleFollow(c *call) (job, error) {
	data, _ := commandData(c.in)
	topic, channel := stringOption(data.Options, "topic"), target(c, data)
	if c.in.GuildID == "" {
		return job{}, refuse("/follow works in a server's channels.")
	}
	if topic == "" {
		return job{private: true, run: func(context.Context, func(string)) (reply, error) { return b.deskList(c.in.GuildID), nil }}, nil
	}
	if err := b.checkQuestion(topic); err != nil {
		return job{}, err
	}
	return job{private: true, run: func(context.Context, func(string)) (reply, error) {
		added, err := b.opts.Desk.Follow(desk.Follow{GuildID: c.in.GuildID, ChannelID: channel, Topic: topic, By: c.user})
		if err != nil {
			return reply{}, refuse("%s", err.Error())
		}
		text := fmt.Sprintf("<#%s> now follows “%s”: each new article on it is posted there with its title, date, link and a cited sentence.", channel, escape(topic))
		if !added {
			text = fmt.Sprintf("<#%s> already follows “%s”.", channel, escape(topic))
		}
		return notice(text, colourAnswer, outcomeAnswered), nil
	}}, nil
}

func (b *Bot) handleUnfollow(c *call) (job, error) {
	data, _ := commandData(c.in)
	topic := stringOption(data.Options, "topic")
	channel := stringOption(data.Options, "channel")
	return job{private: true, run: func(context.Context, func(string)) (reply, error) {
		n := b.opts.Desk.Unfollow(c.in.GuildID, channel, topic)
		if n == 0 {
			return notice(fmt.Sprintf("No channel here follows “%s”. `/follow` with no topic lists the follows.", escape(topic)), colourMissing, outcomeRefused), nil
		}
		return notice(fmt.Sprintf("Stopped following “%s” (%d %s).", escape(topic), n, plural(n, "channel", "channels")), colourAnswer, outcomeAnswered), nil
	}}, nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// handleUnfollowAutocomplete offers the server's followed topics.
func (b *Bot) handleUnfollowAutocomplete(c *call) (job, error) {
	typed := typedSoFar(c.in)
	return job{run: func(context.Context, func(string)) (reply, error) {
		choices := []*discordgo.ApplicationCommandOptionChoice{}
		seen := map[string]bool{}
		for _, f := range b.opts.Desk.Follows(c.in.GuildID) {
			key := strings.ToLower(f.Topic)
			if seen[key] || !strings.Contains(key, typed) || len(choices) == maxChoices {
				continue
			}
			seen[key] = true
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: truncate(stripInvisible(f.Topic), maxChoiceName), Value: truncate(f.Topic, maxChoiceName)})
		}
		return reply{choices: choices, outcome: outcomeAnswered}, nil
	}}, nil
}

// deskList lists a server's follows and digests.
func (b *Bot) deskList(guild string) reply {
	var lines []string
	for _, f := range b.opts.Desk.Follows(guild) {
		line := fmt.Sprintf("• <#%s> follows “%s” (since %s)", f.ChannelID, escape(f.Topic), f.Since.UTC().Format(time.DateOnly))
		if f.Paused != "" {
			line += " — paused: " + escape(f.Paused)
		}
		lines = append(lines, line)
	}
	for _, g := range b.opts.Desk.Digests(guild) {
		line := fmt.Sprintf("• <#%s> gets a digest at %s %s", g.ChannelID, g.At, g.Zone)
		if g.Topic != "" {
			line += fmt.Sprintf(" on “%s”", escape(g.Topic))
		}
		if g.Paused != "" {
			line += " — paused: " + escape(g.Paused)
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return notice("No channel here follows a topic or gets a digest. Try `/follow topic:energy cooperation` or `/digest time:08:00 zone:Europe/Paris`.", colourMissing, outcomeAnswered)
	}
	return notice(strings.Join(lines, "\n"), colourAnswer, outcomeAnswered)
}

func (b *Bot) handleDigest(c *call) (job, error) {
	data, _ := commandData(c.in)
	if c.in.GuildID == "" {
		return job{}, refuse("/digest works in a server's channels.")
	}
	channel := target(c, data)
	g := desk.Digest{GuildID: c.in.GuildID, ChannelID: channel, Topic: stringOption(data.Options, "topic"), By: c.user,
		At: stringOption(data.Options, "time"), Zone: stringOption(data.Options, "zone")}
	if g.At == "" {
		g.At = "08:00"
	}
	if g.Zone == "" {
		g.Zone = "UTC"
	}
	var err error
	if g.At, err = desk.ParseDigestTime(g.At); err != nil {
		return job{}, refuse("%s", err.Error())
	}
	if _, err := desk.ParseZone(g.Zone); err != nil {
		return job{}, refuse("%s", err.Error())
	}
	switch {
	case boolOption(data.Options, "stop"):
		return job{private: true, run: func(context.Context, func(string)) (reply, error) {
			if !b.opts.Desk.StopDigest(channel) {
				return notice(fmt.Sprintf("<#%s> gets no digest.", channel), colourMissing, outcomeRefused), nil
			}
			return notice(fmt.Sprintf("<#%s> gets no more digests.", channel), colourAnswer, outcomeAnswered), nil
		}}, nil
	case boolOption(data.Options, "now"):
		return job{gated: true, limited: true, run: func(ctx context.Context, _ func(string)) (reply, error) {
			a, err := b.opts.Desk.Summarize(ctx, g)
			if err != nil {
				return reply{}, err
			}
			return b.digestReply(ctx, g, a), nil
		}}, nil
	}
	return job{private: true, run: func(context.Context, func(string)) (reply, error) {
		if err := b.opts.Desk.SetDigest(g); err != nil {
			return reply{}, refuse("%s", err.Error())
		}
		next := g.Next(b.opts.Now())
		return notice(fmt.Sprintf("<#%s> gets a cited summary of the news every day at %s (%s); the next on %s.", channel, g.At, g.Zone,
			next.Format("Monday 2 January 15:04 MST")), colourAnswer, outcomeAnswered), nil
	}}, nil
}

// digestReply renders a digest's summary.
func (b *Bot) digestReply(ctx context.Context, g desk.Digest, a rag.Answer) reply {
	title := "Today's news"
	if g.Topic != "" {
		title = "Today's news on " + g.Topic
	}
	return reply{embeds: answerEmbeds(a, title, b.corpusStats(ctx)), outcome: outcomeAnswered, citations: len(a.Citations), answer: true}
}

// PostArrivals posts new articles on followed topics in a channel
// (desk.Poster).
func (b *Bot) PostArrivals(ctx context.Context, channel string, news []desk.News, more int) error {
	var lines []string
	topics := map[string]bool{}
	var order []string
	for i, n := range news {
		c := n.Source.Citation
		c.N = i + 1
		line := sourceLine(c)
		if q := strings.TrimSpace(c.Quote); q != "" {
			line += "\n> " + escape(truncate(q, 300)) + fmt.Sprintf(" [%d]", c.N)
		}
		lines = append(lines, line)
		if !topics[n.Topic] {
			topics[n.Topic] = true
			order = append(order, "“"+escape(n.Topic)+"”")
		}
	}
	if more > 0 {
		lines = append(lines, fmt.Sprintf("…and %d more.", more))
	}
	title := truncate("New on "+strings.Join(order, ", "), maxEmbedTitle)
	var embeds [][]*discordgo.MessageEmbed
	for _, part := range packLines(lines, maxEmbedDescription) {
		embeds = append(embeds, []*discordgo.MessageEmbed{{Title: title, Description: part, Color: colourAnswer}})
	}
	_, err := b.sendReply(ctx, channel, "", reply{embeds: embeds})
	return accessError(err)
}

// PostDigest posts a digest's summary in its channel (desk.Poster).
func (b *Bot) PostDigest(ctx context.Context, g desk.Digest, a rag.Answer) error {
	_, err := b.sendReply(ctx, g.ChannelID, "", b.digestReply(ctx, g, a))
	return accessError(err)
}

// Tell sends a user a direct message (desk.Poster).
func (b *Bot) Tell(ctx context.Context, user, text string) error {
	body, err := b.rest.do(ctx, request{method: http.MethodPost, path: "/users/@me/channels", body: map[string]string{"recipient_id": user}, route: "open DM"})
	if err != nil {
		return err
	}
	var ch discordgo.Channel
	decodeLenient(body, &ch)
	if ch.ID == "" {
		return errors.New("opening a DM: Discord returned no channel")
	}
	_, err = b.sendReply(ctx, ch.ID, "", notice(text, colourError, ""))
	return err
}

// FeedPolled counts a feed poll in /metrics.
func (b *Bot) FeedPolled(p feeds.Poll) {
	b.metrics.feedFetches.WithLabelValues(p.Feed, p.Outcome).Inc()
	if p.New > 0 {
		b.metrics.feedNew.WithLabelValues(p.Feed).Add(float64(p.New))
	}
	for _, lag := range p.Lags {
		b.metrics.feedLag.Observe(lag.Seconds())
	}
}

// WatchEvent counts an event or update of the corpus watcher in /metrics.
func (b *Bot) WatchEvent(kind string) { b.metrics.watch.WithLabelValues(kind).Inc() }

// DeskPosted counts a follow post or digest run in /metrics.
func (b *Bot) DeskPosted(kind, outcome string) { b.metrics.desk.WithLabelValues(kind, outcome).Inc() }

// FeedStatus reports what the feed poller knows of each feed, for /stats;
// *feeds.Poller is one.
type FeedStatus interface {
	State() map[string]feeds.FeedState
}

// failingFeeds describes the feeds whose last poll failed, for /stats.
func (b *Bot) failingFeeds() (string, bool) {
	if b.opts.Feeds == nil {
		return "", false
	}
	state := b.opts.Feeds.State()
	var bad []string
	for u, st := range state {
		if st.Outcome == "error" || st.Outcome == "rate-limited" {
			bad = append(bad, fmt.Sprintf("%s: %s since %s", safeURL(feeds.Redact(u)), truncate(st.Error, 120), st.LastFetch.UTC().Format(time.RFC3339)))
		}
	}
	if len(bad) == 0 {
		return fmt.Sprintf("%d, all fetched", len(state)), true
	}
	sort.Strings(bad)
	return truncate(fmt.Sprintf("%d of %d failing:\n", len(bad), len(state))+strings.Join(bad, "\n"), 1024), true
}

// accessError turns Discord's refusals of a channel (403 Missing Access or
// Permissions, 404 Unknown Channel) into desk.ErrNoAccess.
func accessError(err error) error {
	switch statusOf(err) {
	case http.StatusForbidden, http.StatusNotFound:
		return fmt.Errorf("%w: %w", desk.ErrNoAccess, err)
	}
	return err
}
