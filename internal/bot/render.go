package bot

import (
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/rag"
)

// Discord's limits on what a message may hold.
const (
	maxEmbedTitle       = 256
	maxEmbedDescription = 4096
	maxEmbedFields      = 25
	maxFieldName        = 256
	maxFieldValue       = 1024
	maxFooter           = 2048
	maxEmbedTotal       = 6000
	maxEmbeds           = 10
	maxChoices          = 25
	maxChoiceName       = 100
	maxThreadName       = 100
)

// Herald's colours.
const (
	colourAnswer  = 0x2b6cb0
	colourMissing = 0x718096
	colourError   = 0xc53030
)

// noMentions parses no mention at all: no @everyone, @here, role or user
// ping can come from corpus text or a question.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// escape neutralises Markdown, masked links and mentions in text that comes
// from the corpus or from users. With brackets escaped no masked link can
// form; quote, heading and list markers matter only at a line's start.
func escape(s string) string {
	s = stripInvisible(s)
	var b strings.Builder
	lineStart := true
	for _, r := range s {
		switch {
		case strings.ContainsRune("\\*_~`|[]", r):
			b.WriteByte('\\')
		case lineStart && strings.ContainsRune(">#-", r):
			b.WriteByte('\\')
		case r == '@' || r == '<':
			b.WriteRune(r)
			b.WriteRune('\u200b') // breaks @everyone, <@id>, <#channel> and <t:…>
			lineStart = false
			continue
		}
		b.WriteRune(r)
		lineStart = r == '\n'
	}
	return b.String()
}

// stripInvisible drops control characters and invisible format characters
// (zero-width spaces and joiners, bidi overrides and isolates, soft hyphens,
// tag characters), which could hide text or spoof links, keeping newlines
// and tabs.
func stripInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			return -1
		}
		return r
	}, s)
}

// truncate cuts s to at most n runes, ending with an ellipsis when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRightFunc(string(r[:n-1]), func(r rune) bool { return r == ' ' || r == '\\' }) + "…"
}

// splitText cuts s into pieces of at most n runes, at a paragraph, line,
// sentence or word boundary when there is one in the second half of a piece.
func splitText(s string, n int) []string {
	var out []string
	for utf8.RuneCountInString(s) > n {
		r := []rune(s)
		cut := n
		window := string(r[:n])
		for _, sep := range []string{"\n\n", "\n", ". ", " "} {
			if i := strings.LastIndex(window, sep); i >= 0 && utf8.RuneCountInString(window[:i]) > n/2 {
				cut = utf8.RuneCountInString(window[:i+len(sep)])
				break
			}
		}
		piece := strings.TrimRight(string(r[:cut]), " \n")
		out = append(out, piece)
		s = strings.TrimLeft(string(r[cut:]), " \n")
	}
	if s != "" || len(out) == 0 {
		out = append(out, s)
	}
	return out
}

// sourceLine formats a citation as "[n] Title — YYYY-MM-DD — link".
func sourceLine(c rag.Citation) string {
	line := fmt.Sprintf("[%d] %s — %s", c.N, escape(c.Title), c.Day())
	if c.URL != "" {
		line += " — " + safeURL(c.URL)
	}
	return line
}

// safeURL shows a link only when it is plain http(s); anything else
// (javascript:, data:, spaces, angle brackets) is shown as inert text.
func safeURL(u string) string {
	u = stripInvisible(strings.TrimSpace(u))
	if (strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) && !strings.ContainsAny(u, " \t\n\r<>\"`") {
		return "<" + encodeURLMarkup(u) + ">"
	}
	return "`" + strings.NewReplacer("`", "'", "@", "@\u200b", "\n", " ", "\r", " ", "\t", " ").Replace(u) + "`"
}

// encodeURLMarkup percent-encodes the brackets and parentheses of a link,
// from which a masked link could be built; the rest of the link is left as
// it is, so that it still means the same.
func encodeURLMarkup(u string) string {
	var b strings.Builder
	for i := 0; i < len(u); i++ {
		c := u[i]
		if strings.IndexByte("[]()", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// footerText gives the corpus span and what wrote the answer.
func footerText(st rag.Stats, answerer string) string {
	s := "Herald"
	if st.Articles > 0 {
		s = fmt.Sprintf("Corpus: %d articles, %s to %s", st.Articles, st.Oldest.Format(time.DateOnly), st.Newest.Format(time.DateOnly))
	}
	if answerer != "" {
		s += " · " + answerer
	}
	return truncate(s, maxFooter)
}

// answerEmbeds renders an answer (or summary) as embeds within Discord's
// limits: the first holds the title, the text and the sources; text beyond
// one description continues in further embeds, and embeds beyond one
// message's limits are returned as overflow messages.
func answerEmbeds(a rag.Answer, title string, st rag.Stats) [][]*discordgo.MessageEmbed {
	colour := colourAnswer
	if !a.Found {
		colour = colourMissing
	}
	text := answerText(a)
	if a.Note != "" {
		text += "\n\n_" + escape(a.Note) + "_"
	}
	var embeds []*discordgo.MessageEmbed
	for i, part := range splitText(text, maxEmbedDescription) {
		e := &discordgo.MessageEmbed{Description: part, Color: colour}
		if i == 0 {
			e.Title = truncate(escapeTitle(title), maxEmbedTitle)
		}
		embeds = append(embeds, e)
	}
	cites := a.Citations
	name := "Sources"
	if !a.Found && len(a.Closest) > 0 {
		cites, name = a.Closest, "Closest articles"
	}
	last := embeds[len(embeds)-1]
	var lines []string
	for _, c := range cites {
		lines = append(lines, truncate(sourceLine(c), maxFieldValue))
	}
	for _, value := range packLines(lines, maxFieldValue) {
		last.Fields = append(last.Fields, &discordgo.MessageEmbedField{Name: name, Value: value})
		name = "\u200b" // continuation fields have a blank name
	}
	last.Footer = &discordgo.MessageEmbedFooter{Text: footerText(st, a.Answerer)}
	return packEmbeds(embeds)
}

// reEscapedMarker is a citation marker after escaping: \[3\].
var reEscapedMarker = regexp.MustCompile(`\\\[(\d{1,3})\\\]`)

// escapeAnswer escapes answer text but keeps its [n] citation markers
// readable. Only markers are unescaped, so "[text](link)" from a model or an
// article stays inert.
func escapeAnswer(s string) string {
	e := escape(s)
	var b strings.Builder
	last := 0
	for _, m := range reEscapedMarker.FindAllStringSubmatchIndex(e, -1) {
		// "[1](https://…)" must stay escaped: unescaped, it is a masked link.
		if m[1] < len(e) && e[m[1]] == '(' {
			continue
		}
		b.WriteString(e[last:m[0]])
		b.WriteString("[" + e[m[2]:m[3]] + "]")
		last = m[1]
	}
	b.WriteString(e[last:])
	return b.String()
}

// answerText escapes an answer's text for Discord, keeping the short
// answer in front in bold.
func answerText(a rag.Answer) string {
	lead := "**" + a.Short + "** — "
	if a.Short == "" || !strings.HasPrefix(a.Text, lead) {
		return escapeAnswer(a.Text)
	}
	return "**" + escape(a.Short) + "** — " + escapeAnswer(strings.TrimPrefix(a.Text, lead))
}

// escapeTitle escapes a title like any other text.
func escapeTitle(s string) string { return escape(s) }

// packLines joins lines into values of at most n runes each.
func packLines(lines []string, n int) []string {
	var out []string
	cur := ""
	for _, l := range lines {
		switch {
		case cur == "":
			cur = l
		case utf8.RuneCountInString(cur)+1+utf8.RuneCountInString(l) <= n:
			cur += "\n" + l
		default:
			out = append(out, cur)
			cur = l
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// embedSize counts the characters Discord counts toward the 6,000 total.
func embedSize(e *discordgo.MessageEmbed) int {
	n := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description)
	for _, f := range e.Fields {
		n += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if e.Footer != nil {
		n += utf8.RuneCountInString(e.Footer.Text)
	}
	if e.Author != nil {
		n += utf8.RuneCountInString(e.Author.Name)
	}
	return n
}

// packEmbeds groups embeds into messages of at most 10 embeds and 6,000
// characters. An embed over 6,000 on its own is split first: its fields
// move into continuation embeds. Nothing is dropped.
func packEmbeds(embeds []*discordgo.MessageEmbed) [][]*discordgo.MessageEmbed {
	var out [][]*discordgo.MessageEmbed
	var cur []*discordgo.MessageEmbed
	size := 0
	for _, whole := range embeds {
		for _, e := range fitEmbed(whole) {
			n := embedSize(e)
			if len(cur) == maxEmbeds || (len(cur) > 0 && size+n > maxEmbedTotal) {
				out = append(out, cur)
				cur, size = nil, 0
			}
			cur = append(cur, e)
			size += n
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// fitEmbed splits an embed whose fields take it over 6,000 characters or 25
// fields into several; the footer stays on the last.
func fitEmbed(e *discordgo.MessageEmbed) []*discordgo.MessageEmbed {
	if embedSize(e) <= maxEmbedTotal && len(e.Fields) <= maxEmbedFields {
		return []*discordgo.MessageEmbed{e}
	}
	footer, fields := e.Footer, e.Fields
	head := *e
	head.Fields, head.Footer = nil, nil
	out := []*discordgo.MessageEmbed{&head}
	cur := &head
	reserve := 0
	if footer != nil {
		reserve = utf8.RuneCountInString(footer.Text)
	}
	for _, f := range fields {
		n := utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
		if len(cur.Fields) == maxEmbedFields || embedSize(cur)+n+reserve > maxEmbedTotal {
			cur = &discordgo.MessageEmbed{Color: e.Color}
			out = append(out, cur)
		}
		cur.Fields = append(cur.Fields, f)
	}
	cur.Footer = footer
	return out
}

// sourcesEmbeds renders the passages behind an answer's citations, one
// embed each, packed into messages.
func sourcesEmbeds(cites []rag.Citation) [][]*discordgo.MessageEmbed {
	var embeds []*discordgo.MessageEmbed
	for _, c := range cites {
		desc := "> " + strings.ReplaceAll(escape(c.Quote), "\n", "\n> ")
		if c.Quote == "" {
			desc = "_(no quote)_"
		}
		if c.URL != "" {
			desc += "\n" + safeURL(c.URL)
		}
		embeds = append(embeds, &discordgo.MessageEmbed{
			Title:       truncate(fmt.Sprintf("[%d] %s — %s", c.N, escapeTitle(c.Title), c.Day()), maxEmbedTitle),
			Description: truncate(desc, maxEmbedDescription),
			Color:       colourAnswer,
		})
	}
	return packEmbeds(embeds)
}

// noticeEmbed is a short message: an error, a refusal, a hint.
func noticeEmbed(text string, colour int) []*discordgo.MessageEmbed {
	return []*discordgo.MessageEmbed{{Description: truncate(text, maxEmbedDescription), Color: colour}}
}
