package bot

import (
	"fmt"

	"github.com/bwmarrin/discordgo"
)

// The command names.
const (
	cmdAsk       = "ask"
	cmdSummary   = "summary"
	cmdSources   = "sources"
	cmdLatest    = "latest"
	cmdHelp      = "help"
	cmdReindex   = "reindex"
	cmdStats     = "stats"
	cmdAskHerald = "Ask Herald"
)

// adminPermissions are what /reindex and /stats require.
const adminPermissions = discordgo.PermissionManageGuild

// commands defines Herald's application commands.
func (b *Bot) commands() []*discordgo.ApplicationCommand {
	admin := int64(adminPermissions)
	minOne, maxLen := float64(1), b.opts.MaxQuestion
	contexts := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	if b.opts.DMs {
		contexts = &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	}
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	cmds := []*discordgo.ApplicationCommand{
		{
			Name: cmdAsk, Description: "Ask a question about the news; the answer cites its sources", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "Your question, e.g. How much trade did Russia and China do?", Required: true, MaxLength: maxLen},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private", Description: "Only you see the answer"},
			},
		},
		{
			Name: cmdSummary, Description: "Summarise an article, a topic or a date range, with citations", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "article", Description: "An article (start typing its title)", Autocomplete: true},
				{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "A topic, e.g. energy cooperation", MaxLength: maxLen},
				{Type: discordgo.ApplicationCommandOptionString, Name: "date", Description: "YYYY-MM-DD, a range YYYY-MM-DD..YYYY-MM-DD, or words like last week", MaxLength: 100},
			},
		},
		{
			Name: cmdSources, Description: "Which articles say this? Lists them with date, link and the best quote", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "A question or claim", Required: true, MaxLength: maxLen},
			},
		},
		{
			Name: cmdLatest, Description: "The newest articles", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: "How many (1 to 10, default 5)", MinValue: &minOne, MaxValue: 10},
			},
		},
		{Name: cmdHelp, Description: "What Herald can do", Contexts: contexts},
		{Name: cmdStats, Description: "Index and usage figures (admins)", DefaultMemberPermissions: &admin, Contexts: guildOnly},
		{Name: cmdAskHerald, Type: discordgo.MessageApplicationCommand, Contexts: guildOnly},
	}
	if b.opts.Reindex != nil {
		cmds = append(cmds, &discordgo.ApplicationCommand{
			Name: cmdReindex, Description: "Re-read the corpus and report what changed (admins)", DefaultMemberPermissions: &admin, Contexts: guildOnly,
		})
	}
	return cmds
}

// registerCommands replaces the application's commands with Herald's in one
// bulk overwrite: in DISCORD_GUILD_ID when set (instant), else globally.
func (b *Bot) registerCommands() error {
	appID := b.appID.Load().(string)
	if appID == "" {
		return fmt.Errorf("no application ID: set DISCORD_APP_ID (the READY event carried none)")
	}
	if _, err := b.s.ApplicationCommandBulkOverwrite(appID, b.opts.GuildID, b.commands()); err != nil {
		return fmt.Errorf("registering the slash commands: %w", err)
	}
	return nil
}

// isAdmin reports whether the interaction's member may use admin commands.
// Discord hides them from others, but a request is checked again here.
func isAdmin(i *discordgo.InteractionCreate) bool {
	if i.Member == nil {
		return false
	}
	return i.Member.Permissions&(adminPermissions|discordgo.PermissionAdministrator) != 0
}

const helpText = `**Herald answers questions about the news, citing every claim.**

` + "`/ask question:`" + ` a short answer; each sentence ends with [n], listed under Sources with title, date and link. Add ` + "`private:True`" + ` to see it alone.
` + "`/summary`" + ` of an ` + "`article:`" + ` (start typing its title), a ` + "`topic:`" + `, or a ` + "`date:`" + ` such as 2026-02-04, 2026-02-01..2026-02-28 or "last week".
` + "`/sources question:`" + ` the articles that back a claim, with the best quote from each.
` + "`/latest`" + ` the newest articles.
Right-click a message → Apps → **Ask Herald** to ask about it.
Mention @Herald with a question and it answers in a thread; ask follow-ups there. You can also DM it.

Dates in questions filter the articles: "in March 1987", "on Feb 4", "last week", "latest". If the corpus does not say, Herald says so rather than guess.`
