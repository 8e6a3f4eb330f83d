package bot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/corpus"
	"github.com/herald-news/herald/internal/desk"
	"github.com/herald-news/herald/internal/rag"
	"github.com/herald-news/herald/internal/rag/library"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// clock is a settable clock for the desk's digests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// newsroom is a bot with a news desk over a library in a data directory,
// where articles can arrive.
type newsroom struct {
	*harness
	lib    *library.Library
	desk   *desk.Desk
	clock  *clock
	corpus string
	path   string
}

const followChannel = "400000000000000001"

func startNewsroom(t *testing.T, deskPath string) *newsroom {
	t.Helper()
	ctx := context.Background()
	corpusDir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	n := &newsroom{clock: &clock{t: time.Date(2026, 2, 9, 11, 0, 0, 0, time.UTC)}, corpus: corpusDir, path: deskPath}
	var arrived func(context.Context, []string)
	lib, _, err := library.Build(ctx, library.Config{Dir: t.TempDir(), Arrived: func(ctx context.Context, ids []string) { arrived(ctx, ids) }}, []string{corpusDir}, library.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	n.lib = lib
	eng := rag.New(lib.Archive(), lib.Embedder(), rag.Options{Now: n.clock.now})
	logs := &syncBuffer{}
	n.desk, err = desk.Open(desk.Options{Path: deskPath, Engine: eng, Batch: 50 * time.Millisecond, PostEvery: 700 * time.Millisecond, Now: n.clock.now, Log: testLogger(logs)})
	if err != nil {
		t.Fatal(err)
	}
	arrived = n.desk.Arrived
	n.harness = start(t, func(o *Options) {
		o.Engine, o.Library, o.Desk, o.Log = eng, lib.Archive(), n.desk, testLogger(logs)
	})
	n.harness.logs = logs
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go n.desk.Run(ctx, n.bot)
	return n
}

// arrive writes an article file and has the library read it, as the
// watcher would.
func (n *newsroom) arrive(name, date, url, title, body string) {
	n.t.Helper()
	p := filepath.Join(n.corpus, name)
	if err := os.WriteFile(p, []byte(storetest.SeedArticle(date, url, title, body)), 0o644); err != nil {
		n.t.Fatal(err)
	}
	if _, err := n.lib.Update(context.Background(), []string{p}); err != nil {
		n.t.Fatal(err)
	}
}

func manager(id string) *discordgo.Member {
	m := member(id, false)
	m.Permissions |= discordgo.PermissionManageChannels
	return m
}

func boolOpt(name string, v bool) *discordgo.ApplicationCommandInteractionDataOption {
	return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionBoolean, Value: v}
}

// posts returns the messages posted in a channel since request from.
func (n *newsroom) posts(channel string, from int) []discordtest.MessagePayload {
	var out []discordtest.MessagePayload
	for _, r := range n.fake.Requests()[from:] {
		if r.Method == "POST" && r.Path == "/channels/"+channel+"/messages" && r.Status == 200 {
			out = append(out, r.Message())
		}
	}
	return out
}

// nextPost waits for a post in a channel after request from, and returns
// it with the index to wait from next.
func (n *newsroom) nextPost(channel string, from int) (discordtest.MessagePayload, int) {
	n.t.Helper()
	r, i, err := n.fake.WaitFor(n.ctx(), from, func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+channel+"/messages"
	})
	if err != nil {
		n.t.Fatalf("no post in %s: %v\nlogs:\n%s", channel, err, n.logs.String())
	}
	return r.Message(), i + 1
}

func TestFollowsPostNewsAsItArrives(t *testing.T) {
	deskPath := filepath.Join(t.TempDir(), desk.File)
	n := startNewsroom(t, deskPath)

	// Only members who manage channels may follow.
	if p := n.final(n.slash(member("7", false), cmdFollow, str("topic", "gas pipeline"))); !strings.Contains(p.Embeds[0].Description, "Manage Channels") {
		t.Fatalf("a member without Manage Channels: %+v", p.Embeds[0])
	}
	if p := n.final(n.slash(manager("8"), cmdFollow, str("topic", "the of and"))); !strings.Contains(p.Embeds[0].Description, "no words to match news by") {
		t.Errorf("a topic of stop words only: %+v", p.Embeds[0])
	}
	p := n.final(n.slash(manager("8"), cmdFollow, str("topic", "gas pipeline")))
	if !strings.Contains(p.Embeds[0].Description, "now follows “gas pipeline”") {
		t.Fatalf("follow: %+v", p.Embeds[0])
	}
	from := len(n.fake.Requests())

	// An article on the topic is posted with its title, date, link and a
	// cited sentence; one on something else is not.
	n.arrive("wheat.txt", "2026-02-09", "https://example.org/wheat", "Wheat Exports Grow", "Russian wheat exports to China grew, traders said.")
	n.arrive("gas.txt", "2026-02-09", "https://example.org/gas", "Gas Pipeline Talks Resume", "Talks on the Power of Siberia 2 gas pipeline resumed in Beijing, officials said. A deal could come this year.")
	post, next := n.nextPost(followChannel, from)
	e := post.Embeds[0]
	if !strings.Contains(e.Title, "New on “gas pipeline”") || !strings.Contains(e.Description, "Gas Pipeline Talks Resume") ||
		!strings.Contains(e.Description, "2026-02-09") || !strings.Contains(e.Description, "https://example.org/gas") ||
		!strings.Contains(e.Description, "> Talks on the Power of Siberia 2 gas pipeline resumed") {
		t.Errorf("the post: %+v", e)
	}
	if strings.Contains(e.Description, "Wheat") {
		t.Errorf("an article off the topic was posted: %s", e.Description)
	}
	if post.AllowedMentions == nil {
		t.Error("a post without allowed_mentions")
	}

	// Three at once, within the channel's posting interval: one message.
	// The same story again (from a feed, same link) is not posted twice.
	for i, name := range []string{"gas2", "gas3", "gas4"} {
		n.arrive(name+".txt", "2026-02-09", "https://example.org/"+name, "Gas Pipeline Update "+string(rune('A'+i)), "The gas pipeline talks went on in Beijing, officials said.")
	}
	dup := corpus.Article{Title: "Gas Pipeline Talks Resume", URL: "https://example.org/gas", ID: "feed-copy",
		Date: time.Date(2026, 2, 9, 10, 0, 0, 0, time.UTC), Body: "Talks on the gas pipeline resumed in Beijing.", Source: "feed:https://example.org/rss"}
	dup, _ = dup.Finish()
	if _, err := n.lib.Add(context.Background(), []corpus.Article{dup}); err != nil {
		t.Fatal(err)
	}
	post, next = n.nextPost(followChannel, next)
	if d := post.Embeds[0].Description; strings.Count(d, "Gas Pipeline Update") != 3 || strings.Contains(d, "Gas Pipeline Talks Resume") {
		t.Errorf("the batched post: %s", d)
	}
	time.Sleep(time.Second)
	if extra := n.posts(followChannel, next); len(extra) != 0 {
		t.Errorf("%d posts more than one per batch: %+v", len(extra), extra[0].Embeds[0])
	}

	// Listed, and kept across a restart.
	if p := n.final(n.slash(manager("8"), cmdFollow)); !strings.Contains(p.Embeds[0].Description, "follows “gas pipeline”") {
		t.Errorf("the list: %+v", p.Embeds[0])
	}
	reopened, err := desk.Open(desk.Options{Path: deskPath, Engine: n.bot.opts.Engine.(desk.Engine)})
	if err != nil || len(reopened.Follows("300000000000000001")) != 1 {
		t.Fatalf("after a restart: %v, %v", reopened.Follows("300000000000000001"), err)
	}

	// Herald loses access to the channel: the follow is paused, and
	// whoever set it up is told once, by DM.
	n.fake.Fail(func(r discordtest.Request) bool {
		return r.Method == "POST" && r.Path == "/channels/"+followChannel+"/messages"
	}, 403, 0, 100)
	before := len(n.fake.Requests())
	n.arrive("gas5.txt", "2026-02-09", "https://example.org/gas5", "Gas Pipeline Deal Near", "A gas pipeline deal is near, officials said.")
	dm := n.waitFor(func(r discordtest.Request) bool { return r.Method == "POST" && r.Path == "/users/@me/channels" })
	if !strings.Contains(string(dm.Body), `"8"`) {
		t.Errorf("the DM went to %s, not to who set the follow", dm.Body)
	}
	toldReq := n.waitFor(func(r discordtest.Request) bool {
		return r.Method == "POST" && strings.HasPrefix(r.Path, "/channels/") && strings.HasSuffix(r.Path, "/messages") &&
			!strings.Contains(r.Path, followChannel) && r.Time.After(dm.Time)
	})
	told := toldReq.Message()
	if !strings.Contains(told.Embeds[0].Description, "can no longer post in <#"+followChannel+">") {
		t.Errorf("the admin was told: %+v", told.Embeds[0])
	}
	n.arrive("gas6.txt", "2026-02-09", "https://example.org/gas6", "Gas Pipeline Deal Signed", "The gas pipeline deal was signed, officials said.")
	time.Sleep(time.Second)
	dms := 0
	for _, r := range n.fake.Requests()[before:] {
		if r.Path == "/users/@me/channels" {
			dms++
		}
	}
	if dms != 1 {
		t.Errorf("the admin was told %d times, want once", dms)
	}
	if f := n.desk.Follows("300000000000000001"); len(f) != 1 || f[0].Paused == "" {
		t.Errorf("the follow is not paused: %+v", f)
	}

	// Unfollowed, with the followed topics offered as the user types.
	tok, _ := n.fake.Interact(&discordgo.Interaction{
		Type: discordgo.InteractionApplicationCommandAutocomplete, GuildID: "300000000000000001", Member: manager("8"),
		Data: discordgo.ApplicationCommandInteractionData{Name: cmdUnfollow, Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "topic", Type: discordgo.ApplicationCommandOptionString, Value: "GAS", Focused: true},
		}},
	})
	if cb := n.callback(tok); !strings.Contains(string(cb.Body), `"value":"gas pipeline"`) {
		t.Errorf("autocomplete of /unfollow: %d %s", cb.Status, cb.Body)
	}
	// Unfollowed.
	if p := n.final(n.slash(manager("8"), cmdUnfollow, str("topic", "Gas  Pipeline"))); !strings.Contains(p.Embeds[0].Description, "Stopped following") {
		t.Errorf("unfollow: %+v", p.Embeds[0])
	}
	if f := n.desk.Follows("300000000000000001"); len(f) != 0 {
		t.Errorf("still following: %+v", f)
	}
}

func TestDigestsRunDailyAndNow(t *testing.T) {
	n := startNewsroom(t, filepath.Join(t.TempDir(), desk.File))
	n.arrive("gas.txt", "2026-02-09", "https://example.org/gas", "Gas Pipeline Talks Resume", "Talks on the Power of Siberia 2 gas pipeline resumed in Beijing, officials said.")

	// A one-off digest, now.
	p := n.final(n.slash(manager("8"), cmdDigest, boolOpt("now", true)))
	if !strings.Contains(p.Embeds[0].Title, "Today's news") || !strings.Contains(p.Embeds[0].Description, "[1]") {
		t.Fatalf("digest now: %+v", p.Embeds[0])
	}

	// A daily one at 12:30 in Paris (11:30 UTC): nothing before, one at
	// the time, and the next only a day later.
	if p := n.final(n.slash(manager("8"), cmdDigest, str("time", "12:30"), str("zone", "Europe/Paris"))); !strings.Contains(p.Embeds[0].Description, "every day at 12:30 (Europe/Paris)") {
		t.Fatalf("digest: %+v", p.Embeds[0])
	}
	if p := n.final(n.slash(manager("8"), cmdDigest, str("zone", "Mars/Olympus"))); !strings.Contains(p.Embeds[0].Description, "not a time zone") {
		t.Errorf("a bad zone: %+v", p.Embeds[0])
	}
	from := len(n.fake.Requests())
	n.clock.set(time.Date(2026, 2, 9, 11, 29, 0, 0, time.UTC))
	time.Sleep(600 * time.Millisecond)
	if got := n.posts(followChannel, from); len(got) != 0 {
		t.Fatalf("a digest before its time: %+v", got[0].Embeds[0])
	}
	n.clock.set(time.Date(2026, 2, 9, 11, 31, 0, 0, time.UTC))
	post, next := n.nextPost(followChannel, from)
	raw, _ := json.Marshal(post.Embeds)
	if whole := string(raw); !strings.Contains(post.Embeds[0].Title, "Today's news") || !strings.Contains(whole, "Gas Pipeline Talks Resume") {
		t.Errorf("the digest: %s", whole)
	}
	n.clock.set(time.Date(2026, 2, 10, 11, 0, 0, 0, time.UTC))
	time.Sleep(600 * time.Millisecond)
	if got := n.posts(followChannel, next); len(got) != 0 {
		t.Errorf("a second digest the same day: %+v", got[0].Embeds[0])
	}
	n.clock.set(time.Date(2026, 2, 10, 11, 31, 0, 0, time.UTC))
	n.nextPost(followChannel, next)

	// Stopped.
	if p := n.final(n.slash(manager("8"), cmdDigest, boolOpt("stop", true))); !strings.Contains(p.Embeds[0].Description, "no more digests") {
		t.Errorf("stop: %+v", p.Embeds[0])
	}
}
