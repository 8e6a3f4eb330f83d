package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"

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
	cmdFollow    = "follow"
	cmdUnfollow  = "unfollow"
	cmdDigest    = "digest"
)

// command is one entry of Herald's command table: what Discord registers
// for it (nil for buttons and autocompletes), whether it needs Manage
// Server, and the handler that answers it. Every entry is served through
// the same middleware (serve).
type command struct {
	// name is how the request is logged and counted: "ask", "ask-herald",
	// "autocomplete", "button-vote"…
	name string
	def  *discordgo.ApplicationCommand
	// perm is the permission the member needs (0: none); permName names
	// it in the refusal.
	perm     int64
	permName string
	handler  handler
}

// adminPermissions are what /reindex and /stats require.
const adminPermissions = discordgo.PermissionManageGuild

// commandTable is every request Herald answers, keyed by its route: a
// slash or message command by its name, an autocomplete by
// "autocomplete:"+name, a button by "button:"+the prefix of its custom ID.
// registered lists the commands Discord registers, in order.
func (b *Bot) commandTable() (table map[string]command, registered []command) {
	admin := int64(adminPermissions)
	minOne, maxLen := float64(1), b.opts.MaxQuestion
	contexts := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	if b.opts.DMs {
		contexts = &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild, discordgo.InteractionContextBotDM}
	}
	guildOnly := &[]discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	registered = []command{
		{name: cmdAsk, handler: b.handleAsk, def: &discordgo.ApplicationCommand{
			Name: cmdAsk, Description: "Ask a question about the news; the answer cites its sources", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "Your question, e.g. How much trade did Russia and China do?", Required: true, MaxLength: maxLen},
				{Type: discordgo.ApplicationCommandOptionBoolean, Name: "private", Description: "Only you see the answer"},
			},
		}},
		{name: cmdSummary, handler: b.handleSummary, def: &discordgo.ApplicationCommand{
			Name: cmdSummary, Description: "Summarise an article, a topic or a date range, with citations", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "article", Description: "An article (start typing its title)", Autocomplete: true},
				{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "A topic, e.g. energy cooperation", MaxLength: maxLen},
				{Type: discordgo.ApplicationCommandOptionString, Name: "date", Description: "YYYY-MM-DD, a range YYYY-MM-DD..YYYY-MM-DD, or words like last week", MaxLength: 100},
			},
		}},
		{name: cmdSources, handler: b.handleSources, def: &discordgo.ApplicationCommand{
			Name: cmdSources, Description: "Which articles say this? Lists them with date, link and the best quote", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "question", Description: "A question or claim", Required: true, MaxLength: maxLen},
			},
		}},
		{name: cmdLatest, handler: b.handleLatest, def: &discordgo.ApplicationCommand{
			Name: cmdLatest, Description: "The newest articles", Contexts: contexts,
			Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionInteger, Name: "count", Description: "How many (1 to 10, default 5)", MinValue: &minOne, MaxValue: 10},
			},
		}},
		{name: cmdHelp, handler: b.handleHelp, def: &discordgo.ApplicationCommand{Name: cmdHelp, Description: "What Herald can do", Contexts: contexts}},
		{name: cmdStats, perm: adminPermissions, permName: "Manage Server", handler: b.handleStats, def: &discordgo.ApplicationCommand{
			Name: cmdStats, Description: "Index and usage figures (admins)", DefaultMemberPermissions: &admin, Contexts: guildOnly}},
		{name: "ask-herald", handler: b.handleAskHerald, def: &discordgo.ApplicationCommand{Name: cmdAskHerald, Type: discordgo.MessageApplicationCommand, Contexts: guildOnly}},
	}
	if b.opts.Desk != nil {
		registered = append(registered, b.deskCommands(guildOnly)...)
	}
	if b.opts.Reindexer != nil {
		registered = append(registered, command{name: cmdReindex, perm: adminPermissions, permName: "Manage Server", handler: b.handleReindex, def: &discordgo.ApplicationCommand{
			Name: cmdReindex, Description: "Re-read the corpus and report what changed (admins)", DefaultMemberPermissions: &admin, Contexts: guildOnly,
		}})
	}
	table = map[string]command{
		routeUnknown: {name: "unknown", handler: func(*call) (job, error) {
			return job{}, refuse("Unknown command: Herald's commands may have changed; try /help.")
		}},
		routeUnreadable:               {name: "unreadable", handler: func(*call) (job, error) { return job{}, unreadable() }},
		"autocomplete:" + cmdSummary:  {name: "autocomplete", handler: b.handleAutocomplete},
		"button:sources":              {name: "button-sources", handler: b.handleSourcesButton},
		"button:vote":                 {name: "button-vote", handler: b.handleVote},
		"autocomplete:" + cmdUnfollow: {name: "autocomplete", handler: b.handleUnfollowAutocomplete},
	}
	for _, c := range registered {
		table[c.def.Name] = c
	}
	return table, registered
}

// The routes of requests that are no command: one Herald does not have
// (any more), and one it could not decode.
const (
	routeUnknown    = "unknown"
	routeUnreadable = "unreadable"
)

// allowed reports whether the interaction's member has the permission a
// command needs. Discord hides such commands from others, but a request
// is checked again here.
func allowed(in *discordgo.Interaction, perm int64) bool {
	if perm == 0 {
		return true
	}
	if in == nil || in.Member == nil {
		return false
	}
	return in.Member.Permissions&(perm|discordgo.PermissionAdministrator) != 0
}

// errNoAppID means neither the options nor READY gave the application ID.
var errNoAppID = errors.New("no application ID: give it in the options (the READY event carried none)")

// registerTimeout bounds the registration of the commands.
const registerTimeout = 30 * time.Second

// registerCommands replaces the application's commands with Herald's in one
// bulk overwrite: in DISCORD_GUILD_ID when set (instant), else globally. A
// server that refuses fields it does not know (autocomplete, max_length,
// min_value, max_value, null lists…) gets the commands again with only the
// basic fields, once, and the log names what was dropped.
func (b *Bot) registerCommands(ctx context.Context) error {
	appID := b.appID.Load().(string)
	if appID == "" {
		return errNoAppID
	}
	path := "/applications/" + pathPart(appID) + "/commands"
	if b.opts.GuildID != "" {
		path = "/applications/" + pathPart(appID) + "/guilds/" + pathPart(b.opts.GuildID) + "/commands"
	}
	var defs []*discordgo.ApplicationCommand
	for _, c := range b.registered {
		defs = append(defs, c.def)
	}
	full, err := asJSONList(defs)
	if err != nil {
		return fmt.Errorf("encoding the slash commands: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, registerTimeout)
	defer cancel()
	put := func(body any) error {
		_, err := b.rest.do(ctx, request{method: http.MethodPut, path: path, body: body, route: "register commands"})
		return err
	}
	err = put(full)
	if statusOf(err) != http.StatusBadRequest {
		if err != nil {
			return fmt.Errorf("registering the slash commands: %w", err)
		}
		return nil
	}
	basic, dropped := basicCommands(full)
	b.log.Warn("the server refused the commands; registering them again with only the basic fields", "dropped", strings.Join(dropped, ", "), "err", err)
	if err := put(basic); err != nil {
		return fmt.Errorf("registering the slash commands with basic fields only: %w", err)
	}
	return nil
}

// asJSONList turns values into their generic JSON form.
func asJSONList(v any) ([]any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out []any
	err = json.Unmarshal(data, &out)
	return out, err
}

// basicCommands keeps only the command and option fields every
// Discord-compatible server knows, and drops every null; dropped names
// what went.
func basicCommands(cmds []any) (basic []any, dropped []string) {
	basicFields := map[string]bool{
		"name": true, "description": true, "type": true, "options": true, "required": true, "choices": true,
		"value": true, "default_member_permissions": true,
	}
	seen := map[string]bool{}
	var strip func(v any) any
	strip = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			out := map[string]any{}
			for k, val := range x {
				switch {
				case val == nil:
					seen[k+"=null"] = true
				case !basicFields[k]:
					seen[k] = true
				default:
					out[k] = strip(val)
				}
			}
			return out
		case []any:
			out := make([]any, len(x))
			for i, el := range x {
				out[i] = strip(el)
			}
			return out
		}
		return v
	}
	for _, c := range cmds {
		basic = append(basic, strip(c))
	}
	for k := range seen {
		dropped = append(dropped, k)
	}
	sort.Strings(dropped)
	return basic, dropped
}

const helpText = `**Herald answers questions about the news, citing every claim.**

` + "`/ask question:`" + ` a short answer; each sentence ends with [n], listed under Sources with title, date and link. Add ` + "`private:True`" + ` to see it alone.
` + "`/summary`" + ` of an ` + "`article:`" + ` (start typing its title), a ` + "`topic:`" + `, or a ` + "`date:`" + ` such as 2026-02-04, 2026-02-01..2026-02-28 or "last week".
` + "`/sources question:`" + ` the articles that back a claim, with the best quote from each.
` + "`/latest`" + ` the newest articles.
Right-click a message → Apps → **Ask Herald** to ask about it.
Mention @Herald with a question and it answers in a thread; ask follow-ups there. You can also DM it.

Dates in questions filter the articles: "in March 1987", "on Feb 4", "last week", "latest". If the corpus does not say, Herald says so rather than guess.`
