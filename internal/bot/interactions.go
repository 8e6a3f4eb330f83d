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

// onInteraction routes every interaction. A panic in one request is logged
// and never takes the bot down.
func (b *Bot) onInteraction(s *discordgo.Session, i *discordgo.InteractionCreate) {
	defer func() {
		if p := recover(); p != nil {
			b.metrics.errors.WithLabelValues("panic").Inc()
			b.log.Error("panic while handling an interaction", "panic", fmt.Sprint(p))
		}
	}()
	switch i.Type {
	case discordgo.InteractionApplicationCommand:
		b.onCommand(i)
	case discordgo.InteractionApplicationCommandAutocomplete:
		b.onAutocomplete(i)
	case discordgo.InteractionMessageComponent:
		b.onButton(i)
	}
}

func userOf(i *discordgo.InteractionCreate) string {
	if i.Member != nil && i.Member.User != nil {
		return i.Member.User.ID
	}
	if i.User != nil {
		return i.User.ID
	}
	return ""
}

func option(opts []*discordgo.ApplicationCommandInteractionDataOption, name string) *discordgo.ApplicationCommandInteractionDataOption {
	for _, o := range opts {
		if o.Name == name {
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

func (b *Bot) onCommand(i *discordgo.InteractionCreate) {
	data := i.ApplicationCommandData()
	opts := data.Options
	switch data.Name {
	case cmdAsk:
		private := false
		if o := option(opts, "private"); o != nil {
			private, _ = o.Value.(bool)
		}
		b.askInteraction(i, cmdAsk, stringOption(opts, "question"), private)
	case cmdAskHerald:
		question := ""
		if data.Resolved != nil {
			if m, ok := data.Resolved.Messages[data.TargetID]; ok && m != nil {
				question = m.Content
			}
		}
		b.askInteraction(i, "ask-herald", question, false)
	case cmdSummary:
		b.summaryInteraction(i, opts)
	case cmdSources:
		b.sourcesInteraction(i, stringOption(opts, "question"))
	case cmdLatest:
		count := 5
		if o := option(opts, "count"); o != nil {
			if f, ok := o.Value.(float64); ok {
				count = min(max(int(f), 1), 10)
			}
		}
		b.respond(i, cmdLatest, false, func(context.Context) (reply, error) { return b.latest(count), nil })
	case cmdHelp:
		b.metrics.questions.WithLabelValues(cmdHelp).Inc()
		b.respondQuick(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Embeds: noticeEmbed(helpText, colourAnswer), Flags: discordgo.MessageFlagsEphemeral}})
		b.logRequest(cmdHelp, i.Interaction, b.opts.Now(), reply{outcome: "answered"})
	case cmdStats, cmdReindex:
		if !isAdmin(i) {
			b.refuseInteraction(i, data.Name, "Only members with the Manage Server permission can use /"+data.Name+".", "forbidden")
			return
		}
		if data.Name == cmdStats {
			b.respond(i, cmdStats, true, func(context.Context) (reply, error) { return b.stats(), nil })
			return
		}
		b.respondWithin(i, cmdReindex, true, reindexTimeout, func(ctx context.Context, _ func(string)) (reply, error) { return b.reindex(ctx) })
	default:
		b.refuseInteraction(i, "unknown", "Unknown command: Herald's commands may have changed; try /help.", "refused")
	}
}

// reindexTimeout bounds /reindex: as long as its interaction token allows.
const reindexTimeout = 13 * time.Minute

// refuseInteraction answers an interaction privately with a refusal or a
// hint, and logs the request.
func (b *Bot) refuseInteraction(i *discordgo.InteractionCreate, command, text, outcome string) {
	b.metrics.questions.WithLabelValues(command).Inc()
	received := b.opts.Now()
	b.respondQuick(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: noticeEmbed(text, colourError), Flags: discordgo.MessageFlagsEphemeral}})
	b.logRequest(command, i.Interaction, received, reply{outcome: outcome})
}

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

// admit applies the question checks and the user's rate limit; it returns
// a refusal to show, or nil.
func (b *Bot) admit(user, question string) error {
	if err := b.checkQuestion(question); err != nil {
		return err
	}
	if ok, wait := b.limiter.allow(user, b.opts.Now()); !ok {
		b.metrics.rateLimited.Inc()
		return refuse("Slow down: you can ask again in %d s.", int(wait.Seconds()+0.999))
	}
	return nil
}

func (b *Bot) askInteraction(i *discordgo.InteractionCreate, command, question string, private bool) {
	if err := b.admit(userOf(i), question); err != nil {
		b.refuseInteraction(i, command, err.Error(), "refused")
		return
	}
	asker := b.feedback.userHash(userOf(i))
	b.respondWithin(i, command, private, b.opts.AnswerTimeout, func(ctx context.Context, stream func(string)) (reply, error) {
		var acc strings.Builder
		a, err := b.opts.Engine.Ask(ctx, question, rag.AskOptions{Asker: asker, OnDelta: func(d string) {
			acc.WriteString(d)
			stream(acc.String())
		}})
		if err != nil {
			return reply{}, err
		}
		return b.answerReply(a, question), nil
	})
}

// answerReply renders an answer with its buttons.
func (b *Bot) answerReply(a rag.Answer, title string) reply {
	key := b.answers.put(a)
	b.answered.Add(1)
	r := reply{embeds: answerEmbeds(a, title, b.opts.Library.Stats()), outcome: "answered", citations: len(a.Citations), miss: !a.Found}
	if !a.Found {
		r.outcome = "not-covered"
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

func (b *Bot) summaryInteraction(i *discordgo.InteractionCreate, opts []*discordgo.ApplicationCommandInteractionDataOption) {
	article, topic, date := stringOption(opts, "article"), stringOption(opts, "topic"), stringOption(opts, "date")
	req := rag.SummaryRequest{Topic: topic}
	err := func() error {
		if article == "" && topic == "" && date == "" {
			return refuse("Tell me what to summarise: an `article`, a `topic` or a `date`.")
		}
		if utf8.RuneCountInString(topic) > b.opts.MaxQuestion {
			return refuse("That topic is too long; please keep it under %d characters.", b.opts.MaxQuestion)
		}
		if article != "" {
			req.Article = b.resolveArticle(article)
		}
		if date != "" {
			p, ok := rag.ParsePeriod(date, b.opts.RefTime())
			if !ok {
				return refuse("I cannot read the date %q: use YYYY-MM-DD, YYYY-MM-DD..YYYY-MM-DD, a month such as March 1987, or words such as last week.", truncate(date, 50))
			}
			req.Period = p
		}
		if ok, wait := b.limiter.allow(userOf(i), b.opts.Now()); !ok {
			b.metrics.rateLimited.Inc()
			return refuse("Slow down: you can ask again in %d s.", int(wait.Seconds()+0.999))
		}
		return nil
	}()
	if err != nil {
		b.refuseInteraction(i, cmdSummary, err.Error(), "refused")
		return
	}
	b.respond(i, cmdSummary, false, func(ctx context.Context) (reply, error) {
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
		return b.answerReply(a, title), nil
	})
}

// articleKey is the autocomplete value of an article: article IDs (often
// URLs) can be longer than the 100 characters a choice value may hold.
func articleKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "a:" + hex.EncodeToString(sum[:8])
}

// resolveArticle turns an autocomplete key back into an article ID; typed
// text is passed on as it is (an ID or words of a title).
func (b *Bot) resolveArticle(v string) string {
	if !strings.HasPrefix(v, "a:") {
		return v
	}
	for _, a := range b.opts.Library.Articles(rag.Period{}) {
		if articleKey(a.ID) == v {
			return a.ID
		}
	}
	return v
}

// onAutocomplete offers article titles that contain what was typed,
// newest first.
func (b *Bot) onAutocomplete(i *discordgo.InteractionCreate) {
	typed := ""
	for _, o := range i.ApplicationCommandData().Options {
		if o.Focused {
			typed, _ = o.Value.(string)
		}
	}
	typed = strings.ToLower(strings.TrimSpace(typed))
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	for _, a := range b.opts.Library.Articles(rag.Period{}) {
		if typed != "" && !strings.Contains(strings.ToLower(a.Title), typed) {
			continue
		}
		name := truncate(stripInvisible(a.Date.Format(time.DateOnly)+" — "+a.Title), maxChoiceName)
		choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: name, Value: articleKey(a.ID)})
		if len(choices) == maxChoices {
			break
		}
	}
	b.respondChoices(i, choices)
	b.logRequest("autocomplete", i.Interaction, b.opts.Now(), reply{outcome: "answered", citations: len(choices)})
}

func (b *Bot) sourcesInteraction(i *discordgo.InteractionCreate, question string) {
	if err := b.admit(userOf(i), question); err != nil {
		b.refuseInteraction(i, cmdSources, err.Error(), "refused")
		return
	}
	b.respond(i, cmdSources, false, func(ctx context.Context) (reply, error) {
		srcs, period, err := b.opts.Engine.Sources(ctx, question, rag.AskOptions{})
		if err != nil {
			return reply{}, err
		}
		return b.sourcesReply(question, srcs, period), nil
	})
}

func (b *Bot) sourcesReply(question string, srcs []rag.Source, period rag.Period) reply {
	if len(srcs) == 0 {
		r := notice("No article in the corpus matches this.", colourMissing, "not-covered")
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
	e.Footer = &discordgo.MessageEmbedFooter{Text: footerText(b.opts.Library.Stats(), "")}
	return reply{embeds: packEmbeds([]*discordgo.MessageEmbed{e}), outcome: "answered", citations: len(srcs)}
}

func (b *Bot) latest(count int) reply {
	infos := b.opts.Library.Articles(rag.Period{})
	if len(infos) > count {
		infos = infos[:count]
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
		Footer: &discordgo.MessageEmbedFooter{Text: footerText(b.opts.Library.Stats(), "")}}
	return reply{embeds: [][]*discordgo.MessageEmbed{{e}}, outcome: "answered", citations: len(infos)}
}

func (b *Bot) stats() reply {
	st := b.opts.Library.Stats()
	up, down := b.feedback.counts()
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
	return reply{embeds: [][]*discordgo.MessageEmbed{{e}}, outcome: "answered"}
}

func (b *Bot) reindex(ctx context.Context) (reply, error) {
	rep, err := b.opts.Reindex(ctx)
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
	return notice(text, colourAnswer, "answered"), nil
}

// onButton handles "Show sources" and the feedback buttons.
func (b *Bot) onButton(i *discordgo.InteractionCreate) {
	id := i.MessageComponentData().CustomID
	received, outcome := b.opts.Now(), "answered"
	command, _, _ := strings.Cut(id, ":")
	defer func() { b.logRequest("button-"+command, i.Interaction, received, reply{outcome: outcome}) }()
	ephemeral := func(embeds []*discordgo.MessageEmbed) {
		b.respondQuick(i, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Embeds: embeds, Flags: discordgo.MessageFlagsEphemeral}})
	}
	switch {
	case strings.HasPrefix(id, "sources:"):
		a, ok := b.answers.get(strings.TrimPrefix(id, "sources:"))
		if !ok {
			outcome = "expired"
			ephemeral(noticeEmbed("This answer is too old for its sources to be shown; please ask again.", colourMissing))
			return
		}
		pages := sourcesEmbeds(a.Citations)
		b.sendNow(i, reply{embeds: pages}, discordgo.MessageFlagsEphemeral, b.opts.Now(), time.Now())
	case strings.HasPrefix(id, "vote:"):
		parts := strings.SplitN(id, ":", 3)
		if len(parts) != 3 || (parts[1] != "up" && parts[1] != "down") {
			return
		}
		user := b.feedback.userHash(userOf(i))
		a, ok := b.answers.get(parts[2])
		if !ok {
			outcome = "expired"
			ephemeral(noticeEmbed("This answer is too old to take feedback; thank you all the same.", colourMissing))
			return
		}
		if !b.answers.vote(parts[2], user) {
			outcome = "refused"
			ephemeral(noticeEmbed("You have already given feedback on this answer.", colourMissing))
			return
		}
		fb := Feedback{Time: b.opts.Now().UTC(), Vote: parts[1], Question: a.Question, Answer: a.Text, User: user}
		for _, c := range a.Citations {
			fb.Citations = append(fb.Citations, FeedbackCitation{N: c.N, Title: c.Title, Date: c.Day(), URL: c.URL})
		}
		if err := b.feedback.record(fb); err != nil {
			outcome = "error"
			b.metrics.errors.WithLabelValues("feedback").Inc()
			b.log.Error("recording feedback", "err", err)
			ephemeral(noticeEmbed("Sorry, your feedback could not be saved.", colourError))
			return
		}
		b.metrics.feedback.WithLabelValues(parts[1]).Inc()
		ephemeral(noticeEmbed("Thanks for the feedback.", colourAnswer))
	}
}
