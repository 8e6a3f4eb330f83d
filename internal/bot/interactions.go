package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/rag"
)

// onInteraction routes an interaction through the command table. One that
// could not be read whole still gets an apology when it has a token.
func (b *Bot) onInteraction(in *discordgo.Interaction, decodeErr error) {
	c := &call{in: in, user: userOf(in), received: b.opts.Now(), arrived: time.Now()}
	cmd := b.route(in)
	if decodeErr != nil && in.Data == nil {
		cmd = b.commands[routeUnreadable]
	}
	c.command = cmd.name
	if b.opts.LogContent {
		if data, ok := commandData(in); ok {
			c.logOptions = optionValues(data.Options)
		}
	}
	b.serve(c, cmd, &interactionOut{b: b, c: c})
}

// route finds the interaction's command.
func (b *Bot) route(in *discordgo.Interaction) command {
	if in.Data == nil {
		return b.commands[routeUnreadable]
	}
	key := ""
	switch in.Type {
	case discordgo.InteractionApplicationCommand:
		if data, ok := commandData(in); ok {
			key = data.Name
		}
	case discordgo.InteractionApplicationCommandAutocomplete:
		if data, ok := commandData(in); ok {
			key = "autocomplete:" + data.Name
		}
	case discordgo.InteractionMessageComponent:
		if data, ok := in.Data.(discordgo.MessageComponentInteractionData); ok {
			prefix, _, _ := strings.Cut(data.CustomID, ":")
			key = "button:" + prefix
		}
	}
	if cmd, ok := b.commands[key]; ok && key != "" {
		return cmd
	}
	return b.commands[routeUnknown]
}

// commandData is the data of a command or autocomplete interaction.
func commandData(in *discordgo.Interaction) (discordgo.ApplicationCommandInteractionData, bool) {
	data, ok := in.Data.(discordgo.ApplicationCommandInteractionData)
	return data, ok
}

// componentData is the data of a button interaction.
func componentData(in *discordgo.Interaction) (discordgo.MessageComponentInteractionData, bool) {
	data, ok := in.Data.(discordgo.MessageComponentInteractionData)
	return data, ok
}

func userOf(in *discordgo.Interaction) string {
	if in.Member != nil && in.Member.User != nil {
		return in.Member.User.ID
	}
	if in.User != nil {
		return in.User.ID
	}
	return ""
}

func option(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o != nil && o.Name == name {
			return o
		}
	}
	return nil
}

func stringOption(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) string {
	if o := option(opts, name); o != nil {
		if s, ok := o.Value.(string); ok {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

func optionValues(opts []*discordgo.ApplicationCommandInteractionDataOption) map[string]any {
	m := map[string]any{}
	for _, o := range opts {
		if o != nil {
			m[o.Name] = o.Value
		}
	}
	return m
}

// reindexTimeout bounds /reindex: as long as its interaction token allows.
const reindexTimeout = 13 * time.Minute

// checkQuestion refuses empty and over-long questions.
func (b *Bot) checkQuestion(q string) error {
	q = strings.TrimSpace(q)
	if q == "" {
		return refuse("Ask me something about the news, for example: How much trade did Russia and China do?")
	}
	if n := utf8.RuneCountInString(q); n > b.opts.MaxQuestion {
		return refuse("That question is %d characters long; please keep it under %d.", n, b.opts.MaxQuestion)
	}
	return nil
}

func (b *Bot) handleAsk(c *call) (job, error) {
	data, _ := commandData(c.in)
	private := false
	if o := option(data.Options, "private"); o != nil {
		private, _ = o.Value.(bool)
	}
	return b.askJob(c, stringOption(data.Options, "question"), private)
}

func (b *Bot) handleAskHerald(c *call) (job, error) {
	data, _ := commandData(c.in)
	question := ""
	if data.Resolved != nil {
		if m, ok := data.Resolved.Messages[data.TargetID]; ok && m != nil {
			question = m.Content
		}
	}
	return b.askJob(c, question, false)
}

// askJob answers a question, streaming an LLM's text as it comes.
func (b *Bot) askJob(c *call, question string, private bool) (job, error) {
	if err := b.checkQuestion(question); err != nil {
		return job{}, err
	}
	asker := b.feedback.UserHash(c.user)
	return job{limited: true, gated: true, private: private, run: func(ctx context.Context, stream func(string)) (reply, error) {
		var acc strings.Builder
		a, err := b.opts.Engine.Ask(ctx, question, rag.AskOptions{Asker: asker, OnDelta: func(d string) {
			acc.WriteString(d)
			stream(acc.String())
		}})
		if err != nil {
			return reply{}, err
		}
		return b.answerReply(ctx, a, question), nil
	}}, nil
}

// corpusStats describes the corpus for footers and /stats; a failure to
// read it leaves them without the corpus span.
func (b *Bot) corpusStats(ctx context.Context) rag.Stats {
	st, err := b.opts.Library.Stats(ctx)
	if err != nil {
		b.log.Warn("reading the index's statistics", "err", err)
	}
	return st
}

// answerReply renders an answer with its buttons.
func (b *Bot) answerReply(ctx context.Context, a rag.Answer, title string) reply {
	key := b.answers.put(a)
	r := reply{embeds: answerEmbeds(a, title, b.corpusStats(ctx)), outcome: outcomeAnswered, citations: len(a.Citations), miss: !a.Found, answer: true}
	if !a.Found {
		r.outcome = outcomeNotCovered
	}
	var buttons []discordgo.MessageComponent
	if len(a.Citations) > 0 {
		buttons = append(buttons, discordgo.Button{Label: "Show sources", Style: discordgo.SecondaryButton, CustomID: "sources:" + key})
	}
	buttons = append(buttons,
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👍"}, Style: discordgo.SecondaryButton, CustomID: "vote:up:" + key},
		discordgo.Button{Emoji: &discordgo.ComponentEmoji{Name: "👎"}, Style: discordgo.SecondaryButton, CustomID: "vote:down:" + key},
	)
	r.components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}
	return r
}

func (b *Bot) handleSummary(c *call) (job, error) {
	data, _ := commandData(c.in)
	article, topic, date := stringOption(data.Options, "article"), stringOption(data.Options, "topic"), stringOption(data.Options, "date")
	req := rag.SummaryRequest{Topic: topic}
	if article == "" && topic == "" && date == "" {
		return job{}, refuse("Tell me what to summarise: an `article`, a `topic` or a `date`.")
	}
	if utf8.RuneCountInString(topic) > b.opts.MaxQuestion {
		return job{}, refuse("That topic is too long; please keep it under %d characters.", b.opts.MaxQuestion)
	}
	if article != "" {
		req.Article = b.resolveArticle(c.in, article)
	}
	if date != "" {
		p, ok := rag.ParsePeriod(date, b.opts.RefTime())
		if !ok {
			return job{}, refuse("I cannot read the date %q: use YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, a month such as March 1987, or words such as last week.", truncate(date, 50))
		}
		req.Period = p
	}
	return job{limited: true, gated: true, run: func(ctx context.Context, _ func(string)) (reply, error) {
		a, err := b.opts.Engine.Summarize(ctx, req)
		if err != nil {
			if errors.Is(err, rag.ErrNoSuchArticle) {
				return reply{}, refuse("No article matches %q. Start typing a title and pick one from the list.", truncate(article, 80))
			}
			return reply{}, err
		}
		title := a.Heading
		if title == "" {
			title = "Summary"
		}
		return b.answerReply(ctx, a, title), nil
	}}, nil
}

// articleKey is the autocomplete value of an article: article IDs (often
// URLs) can be longer than the 100 characters a choice value may hold.
func articleKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "a:" + hex.EncodeToString(sum[:8])
}

// resolveArticle turns an autocomplete key back into an article ID; typed
// text is passed on as it is (an ID or words of a title).
func (b *Bot) resolveArticle(_ *discordgo.Interaction, v string) string {
	if !strings.HasPrefix(v, "a:") {
		return v
	}
	ctx, cancel := context.WithTimeout(b.ctx, lookupTimeout)
	defer cancel()
	all, err := b.opts.Library.Articles(ctx, rag.ArticleQuery{})
	if err != nil {
		b.log.Warn("listing articles to resolve an autocomplete choice", "err", err)
	}
	for _, a := range all {
		if articleKey(a.ID) == v {
			return a.ID
		}
	}
	return v
}

// typedSoFar is what the user has typed in an autocomplete's focused
// option, lower-cased.
func typedSoFar(in *discordgo.Interaction) string {
	data, _ := commandData(in)
	typed := ""
	for _, o := range data.Options {
		if o != nil && o.Focused {
			typed, _ = o.Value.(string)
		}
	}
	return strings.ToLower(strings.TrimSpace(typed))
}

// handleAutocomplete offers article titles that contain what was typed,
// newest first.
func (b *Bot) handleAutocomplete(c *call) (job, error) {
	typed := typedSoFar(c.in)
	return job{run: func(ctx context.Context, _ func(string)) (reply, error) {
		choices := []*discordgo.ApplicationCommandOptionChoice{}
		arts, err := b.opts.Library.Articles(ctx, rag.ArticleQuery{TitleContains: typed, Limit: maxChoices})
		if err != nil {
			return reply{}, err
		}
		for _, a := range arts {
			name := truncate(stripInvisible(a.Date.Format(time.DateOnly)+" — "+a.Title), maxChoiceName)
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: name, Value: articleKey(a.ID)})
			if len(choices) == maxChoices {
				break
			}
		}
		return reply{choices: choices, outcome: outcomeAnswered, citations: len(choices)}, nil
	}}, nil
}

func (b *Bot) handleSources(c *call) (job, error) {
	data, _ := commandData(c.in)
	question := stringOption(data.Options, "question")
	if err := b.checkQuestion(question); err != nil {
		return job{}, err
	}
	return job{limited: true, gated: true, run: func(ctx context.Context, _ func(string)) (reply, error) {
		srcs, period, err := b.opts.Engine.Sources(ctx, question, rag.AskOptions{})
		if err != nil {
			return reply{}, err
		}
		return b.sourcesReply(ctx, question, srcs, period), nil
	}}, nil
}

func (b *Bot) sourcesReply(ctx context.Context, question string, srcs []rag.Source, period rag.Period) reply {
	if len(srcs) == 0 {
		r := notice("No article in the corpus matches this.", colourMissing, outcomeNotCovered)
		r.miss = true
		return r
	}
	e := &discordgo.MessageEmbed{Title: truncate("Sources: "+escapeTitle(question), maxEmbedTitle), Color: colourAnswer}
	for _, s := range srcs {
		value := "> " + escape(s.Quote)
		if s.URL != "" {
			value += "\n" + safeURL(s.URL)
		}
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{
			Name:  truncate(fmt.Sprintf("[%d] %s — %s", s.N, escapeTitle(s.Title), s.Day()), maxFieldName),
			Value: truncate(value, maxFieldValue),
		})
	}
	if !period.IsZero() {
		e.Description = "_Only articles dated " + period.String() + "._"
	}
	e.Footer = &discordgo.MessageEmbedFooter{Text: footerText(b.corpusStats(ctx), "")}
	return reply{embeds: packEmbeds([]*discordgo.MessageEmbed{e}), outcome: outcomeAnswered, citations: len(srcs)}
}

func (b *Bot) handleLatest(c *call) (job, error) {
	data, _ := commandData(c.in)
	count := 5
	if o := option(data.Options, "count"); o != nil {
		if f, ok := o.Value.(float64); ok {
			count = min(max(int(f), 1), 10)
		}
	}
	return job{gated: true, run: func(ctx context.Context, _ func(string)) (reply, error) { return b.latest(ctx, count) }}, nil
}

func (b *Bot) latest(ctx context.Context, count int) (reply, error) {
	infos, err := b.opts.Library.Articles(ctx, rag.ArticleQuery{Limit: count})
	if err != nil {
		return reply{}, err
	}
	var lines []string
	for n, a := range infos {
		lines = append(lines, sourceLine(rag.Citation{N: n + 1, Title: a.Title, Date: a.Date, URL: a.URL}))
	}
	text := strings.Join(lines, "\n")
	if text == "" {
		text = "The corpus has no articles yet."
	}
	e := &discordgo.MessageEmbed{Title: "Latest articles", Description: truncate(text, maxEmbedDescription), Color: colourAnswer,
		Footer: &discordgo.MessageEmbedFooter{Text: footerText(b.corpusStats(ctx), "")}}
	return reply{embeds: [][]*discordgo.MessageEmbed{{e}}, outcome: outcomeAnswered, citations: len(infos)}, nil
}

func (b *Bot) handleHelp(*call) (job, error) {
	return job{private: true, run: func(context.Context, func(string)) (reply, error) {
		return reply{embeds: [][]*discordgo.MessageEmbed{noticeEmbed(helpText, colourAnswer)}, outcome: outcomeAnswered}, nil
	}}, nil
}

func (b *Bot) handleStats(*call) (job, error) {
	return job{private: true, run: func(ctx context.Context, _ func(string)) (reply, error) { return b.stats(ctx) }}, nil
}

func (b *Bot) stats(ctx context.Context) (reply, error) {
	st, err := b.opts.Library.Stats(ctx)
	if err != nil {
		return reply{}, err
	}
	up, down, err := b.feedback.Counts(ctx)
	if err != nil {
		return reply{}, fmt.Errorf("counting the feedback: %w", err)
	}
	llm := "off (offline answers)"
	if b.opts.LLMUsage != nil {
		u := b.opts.LLMUsage()
		llm = fmt.Sprintf("%d tokens today", u.Tokens)
		if u.Limit > 0 {
			llm += fmt.Sprintf(" of %d", u.Limit)
		}
		if u.Refusals > 0 {
			llm += fmt.Sprintf(", %d over budget", u.Refusals)
		}
	}
	span := "—"
	if st.Articles > 0 {
		span = st.Oldest.Format(time.DateOnly) + " to " + st.Newest.Format(time.DateOnly)
	}
	size := "—"
	if b.opts.IndexBytes != nil {
		size = fmt.Sprintf("%.1f MB", float64(b.opts.IndexBytes())/(1<<20))
	}
	e := &discordgo.MessageEmbed{Title: "Herald statistics", Color: colourAnswer, Fields: []*discordgo.MessageEmbedField{
		{Name: "Articles", Value: fmt.Sprint(st.Articles), Inline: true},
		{Name: "Chunks", Value: fmt.Sprint(st.Chunks), Inline: true},
		{Name: "Date span", Value: span, Inline: true},
		{Name: "Index size", Value: size, Inline: true},
		{Name: "Questions answered", Value: fmt.Sprint(b.answered.Load()), Inline: true},
		{Name: "Feedback", Value: fmt.Sprintf("👍 %d · 👎 %d", up, down), Inline: true},
		{Name: "Embedder", Value: fmt.Sprintf("%s (%d dimensions)", st.Embedder, st.Dimension), Inline: false},
		{Name: "Language model", Value: llm, Inline: false},
	}}
	if feedsLine, ok := b.failingFeeds(); ok {
		e.Fields = append(e.Fields, &discordgo.MessageEmbedField{Name: "Feeds", Value: feedsLine})
	}
	return reply{embeds: [][]*discordgo.MessageEmbed{{e}}, outcome: outcomeAnswered}, nil
}

func (b *Bot) handleReindex(*call) (job, error) {
	return job{private: true, timeout: reindexTimeout, run: func(ctx context.Context, _ func(string)) (reply, error) {
		rep, err := b.opts.Reindexer.Reindex(ctx)
		if err != nil {
			return reply{}, err
		}
		text := fmt.Sprintf("Re-read %d files: %d added, %d updated, %d unchanged, %d removed, %d rejected; %d chunks in the index; %.1f s.",
			rep.Files, rep.Added, rep.Updated, rep.Unchanged, rep.Removed, len(rep.Rejected), rep.Chunks, rep.Duration.Seconds())
		for n, r := range rep.Rejected {
			if n == 5 {
				text += fmt.Sprintf("\n… and %d more rejections (see the server log).", len(rep.Rejected)-5)
				break
			}
			text += "\n• " + escape(r.Error())
		}
		return notice(text, colourAnswer, outcomeAnswered), nil
	}}, nil
}

// handleSourcesButton shows, privately, the passage behind every citation
// of an answer.
func (b *Bot) handleSourcesButton(c *call) (job, error) {
	data, _ := componentData(c.in)
	key := strings.TrimPrefix(data.CustomID, "sources:")
	return job{private: true, run: func(ctx context.Context, _ func(string)) (reply, error) {
		a, ok := b.answers.get(key)
		if !ok {
			return notice("This answer is too old for its sources to be shown; please ask again.", colourMissing, outcomeExpired), nil
		}
		return reply{embeds: sourcesEmbeds(a.Citations), outcome: outcomeAnswered, citations: len(a.Citations)}, nil
	}}, nil
}

// handleVote records a 👍 or 👎 on an answer in the feedback log.
func (b *Bot) handleVote(c *call) (job, error) {
	data, _ := componentData(c.in)
	parts := strings.SplitN(data.CustomID, ":", 3)
	if len(parts) != 3 || (parts[1] != "up" && parts[1] != "down") {
		return job{}, refuse("This button is not one of Herald's.")
	}
	vote, key := parts[1], parts[2]
	user := b.feedback.UserHash(c.user)
	return job{private: true, run: func(ctx context.Context, _ func(string)) (reply, error) {
		a, ok := b.answers.get(key)
		if !ok {
			return notice("This answer is too old to take feedback; thank you all the same.", colourMissing, outcomeExpired), nil
		}
		if !b.answers.vote(key, user) {
			return notice("You have already given feedback on this answer.", colourMissing, outcomeRefused), nil
		}
		fb := Feedback{Time: b.opts.Now().UTC(), Vote: vote, Question: a.Question, Answer: a.Text, User: user}
		for _, ct := range a.Citations {
			fb.Citations = append(fb.Citations, FeedbackCitation{N: ct.N, Title: ct.Title, Date: ct.Day(), URL: ct.URL})
		}
		if err := b.feedback.Record(ctx, fb); err != nil {
			b.metrics.errors.WithLabelValues("feedback").Inc()
			b.log.Error("recording feedback", "err", err)
			return notice("Sorry, your feedback could not be saved.", colourError, outcomeError), nil
		}
		b.metrics.feedback.WithLabelValues(vote).Inc()
		return notice("Thanks for the feedback.", colourAnswer, outcomeAnswered), nil
	}}, nil
}
