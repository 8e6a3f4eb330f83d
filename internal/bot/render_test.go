package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag"
)

// hugeAnswer breaks every limit at once if rendered naively.
func hugeAnswer() rag.Answer {
	a := rag.Answer{Found: true, Answerer: "extractive", Note: strings.Repeat("note ", 300)}
	var text []string
	for i := 0; i < 60; i++ {
		text = append(text, fmt.Sprintf("%s [%d]", strings.Repeat("word ", 40), i%40+1))
	}
	a.Text = strings.Join(text, " ")
	for n := 1; n <= 40; n++ {
		a.Citations = append(a.Citations, rag.Citation{N: n, Title: strings.Repeat("Very Long Title ", 20), Date: time.Date(2026, 2, 4, 0, 0, 0, 0, time.UTC),
			URL: "https://example.org/" + strings.Repeat("x", 300), Quote: strings.Repeat("quoted text ", 500)})
	}
	return a
}

func TestRenderingRespectsDiscordLimits(t *testing.T) {
	st := rag.Stats{Articles: 3, Oldest: time.Now(), Newest: time.Now()}
	for name, pages := range map[string][][]*discordgo.MessageEmbed{
		"answer":  answerEmbeds(hugeAnswer(), strings.Repeat("a long question ", 40), st),
		"sources": sourcesEmbeds(hugeAnswer().Citations),
		"small":   answerEmbeds(rag.Answer{Text: "x", Found: true}, "q", st),
	} {
		if len(pages) == 0 {
			t.Fatalf("%s: nothing rendered", name)
		}
		var all strings.Builder
		for i, embeds := range pages {
			p := discordtest.MessagePayload{Embeds: embeds, AllowedMentions: nil}
			if err := discordtest.CheckMessage(withNoMentions(p)); err != "" {
				t.Errorf("%s: message %d breaks a limit: %s", name, i, err)
			}
			for _, e := range embeds {
				all.WriteString(e.Title + e.Description)
				for _, f := range e.Fields {
					all.WriteString(f.Value)
				}
			}
		}
		if name != "small" {
			for n := 1; n <= 40; n++ {
				if !strings.Contains(all.String(), fmt.Sprintf("[%d] Very Long Title", n)) {
					t.Errorf("%s: source [%d] lost in splitting", name, n)
				}
			}
		}
	}
}

func withNoMentions(p discordtest.MessagePayload) discordtest.MessagePayload {
	b, _ := jsonRoundTrip(&discordgo.MessageSend{Embeds: p.Embeds, AllowedMentions: noMentions()})
	return b
}

func TestSplitText(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want []string
	}{
		{"short", 10, []string{"short"}},
		{"one two three four", 9, []string{"one two", "three", "four"}},
		{"para one.\n\npara two is longer", 12, []string{"para one.", "para two is", "longer"}},
		{strings.Repeat("é", 25), 10, []string{strings.Repeat("é", 10), strings.Repeat("é", 10), strings.Repeat("é", 5)}},
	}
	for _, tt := range tests {
		got := splitText(tt.in, tt.n)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("splitText(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"@everyone look", "@\u200beveryone look"},
		{"[click](javascript:alert(1))", `\[click\](javascript:alert(1))`},
		{"> quote\n# head\n- item", "\\> quote\n\\# head\n\\- item"},
		{"a\u200bb\u202ec\x07d", "abcd"},
		{"*bold* _it_ `code` ||spoiler||", `\*bold\* \_it\_ \` + "`" + `code\` + "`" + ` \|\|spoiler\|\|`},
	}
	for _, tt := range tests {
		if got := escape(tt.in); got != tt.want {
			t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := escapeAnswer("Read [this](https://evil.example/login) [2]."); got != `Read \[this\](https://evil.example/login) [2].` {
		t.Errorf("escapeAnswer kept a masked link live: %q", got)
	}
	for _, tt := range []struct {
		a    rag.Answer
		want string
	}{
		// The short answer stays bold; what it and the sentences hold is
		// escaped.
		{rag.Answer{Short: "$200 *billion*", Text: "**$200 *billion*** — Trade was $200 *billion* [1]."}, `**$200 \*billion\*** — Trade was $200 \*billion\* [1].`},
		{rag.Answer{Text: "**Bold** claim [1]."}, `\*\*Bold\*\* claim [1].`},
	} {
		if got := answerText(tt.a); got != tt.want {
			t.Errorf("answerText(%q) = %q, want %q", tt.a.Text, got, tt.want)
		}
	}
	if got := safeURL("javascript:alert(1)"); strings.Contains(got, "<") {
		t.Errorf("safeURL made a link of %q", got)
	}
}

// longEngine answers everything with hugeAnswer.
type longEngine struct{ Engine }

func (longEngine) Ask(context.Context, string, rag.AskOptions) (rag.Answer, error) {
	return hugeAnswer(), nil
}

func TestLongAnswersOverflowIntoFollowups(t *testing.T) {
	h := start(t, func(o *Options) { o.Engine = longEngine{o.Engine} })
	tok := h.slash(member("1", false), "ask", str("question", "Tell me everything"))
	h.final(tok)
	h.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/webhooks/") && strings.Contains(r.Path, tok)
	})
	for _, r := range h.fake.Requests() {
		if r.Status >= 400 {
			t.Errorf("%s %s refused: %d %s", r.Method, r.Path, r.Error, r.Body)
		}
	}
}

func jsonRoundTrip(m *discordgo.MessageSend) (discordtest.MessagePayload, error) {
	data, err := json.Marshal(m)
	if err != nil {
		return discordtest.MessagePayload{}, err
	}
	var p discordtest.MessagePayload
	err = json.Unmarshal(data, &p)
	return p, err
}
