package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag/store/storetest"
)

// TestServeKeepsTheNewsCurrent runs herald serve as an operator would,
// with a feed, a watched folder and a channel that follows a topic: an
// item added to the feed, a file dropped in the folder and an ingest run
// beside the bot all become answerable and are posted to the channel,
// with no restart.
func TestServeKeepsTheNewsCurrent(t *testing.T) {
	c := isolate(t)
	fake := discordtest.New()
	defer fake.Close()
	corpusDir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	var items atomic.Value
	items.Store("")
	var fail atomic.Bool
	feed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>https://wire.example/</link>%s</channel></rss>`, items.Load())
	}))
	defer feed.Close()
	addr := freeAddr(t)
	for k, v := range map[string]string{
		"DISCORD_TOKEN": fake.Token, "DISCORD_API_URL": fake.URL, "DISCORD_GUILD_ID": "3", "HERALD_HTTP_ADDR": addr,
		"HERALD_CORPUS": corpusDir, "HERALD_FEEDS": feed.URL + " interval=5s", "HERALD_RELOAD_EVERY": "200ms", "HERALD_POST_EVERY": "1s",
	} {
		c.setenv(k, v)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	logs := &syncWriter{}
	go func() { done <- run(ctx, []string{"serve"}, c.getenv, strings.NewReader(""), io.Discard, logs) }()
	wait, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	if _, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Method == "PUT" }); err != nil {
		t.Fatalf("%v\n%s", err, logs.String())
	}
	manager := &discordgo.Member{User: &discordgo.User{ID: "8"}, Permissions: discordgo.PermissionManageChannels}
	slash := func(name string, opts ...*discordgo.ApplicationCommandInteractionDataOption) string {
		t.Helper()
		tok, err := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "3", ChannelID: "4", Member: manager,
			Data: discordgo.ApplicationCommandInteractionData{Name: name, Options: opts}})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	answer := func(tok string) string {
		t.Helper()
		cb, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return strings.Contains(r.Path, tok) })
		if err != nil {
			t.Fatalf("%v\n%s", err, logs.String())
		}
		return cb.Message().Text()
	}
	option := func(name, v string) *discordgo.ApplicationCommandInteractionDataOption {
		return &discordgo.ApplicationCommandInteractionDataOption{Name: name, Type: discordgo.ApplicationCommandOptionString, Value: v}
	}
	if got := answer(slash("follow", option("topic", "gas pipeline"))); !strings.Contains(got, "now follows") {
		t.Fatalf("follow: %s", got)
	}
	posted := func(title string) {
		t.Helper()
		if _, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool {
			return r.Method == "POST" && r.Path == "/channels/4/messages" && strings.Contains(r.Message().Text(), title)
		}); err != nil {
			t.Fatalf("%q was not posted to the following channel: %v\n%s", title, err, logs.String())
		}
	}
	answers := func(question, title string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			got := answer(slash("ask", option("question", question)))
			if strings.Contains(got, title) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q does not cite %q: %s", question, title, got)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	// An item appears in the feed.
	day := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC1123Z)
	items.Store(`<item><title>Gas Pipeline Talks Resume</title><link>https://wire.example/gas</link><guid>gas</guid><pubDate>` + day +
		`</pubDate><description>&lt;p&gt;Talks on the Power of Siberia 2 gas pipeline resumed in Beijing, officials said.&lt;/p&gt;</description></item>`)
	posted("Gas Pipeline Talks Resume")
	answers("What about the Power of Siberia 2 gas pipeline talks in Beijing?", "Gas Pipeline Talks Resume")

	// A file dropped into the watched folder.
	today := time.Now().UTC().Format(time.DateOnly)
	if err := os.WriteFile(filepath.Join(corpusDir, "pipeline.txt"), []byte(storetest.SeedArticle(today, "https://example.org/pipeline-route",
		"Gas Pipeline Route Agreed", "The route of the gas pipeline through Mongolia was agreed, the ministry said.")), 0o644); err != nil {
		t.Fatal(err)
	}
	posted("Gas Pipeline Route Agreed")
	answers("Which route was agreed for the gas pipeline through Mongolia?", "Gas Pipeline Route Agreed")

	// herald ingest, run beside the bot on its data directory.
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "price.txt"), []byte(storetest.SeedArticle(today, "https://example.org/pipeline-price",
		"Gas Pipeline Price Settled", "The gas price for the pipeline deliveries was settled at last, negotiators said.")), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := c.run("", "ingest", other); code != 0 {
		t.Fatalf("ingest beside the bot: %d %s %s", code, out, errOut)
	}
	posted("Gas Pipeline Price Settled")
	answers("What gas price for the pipeline deliveries was settled?", "Gas Pipeline Price Settled")

	// A failing feed leaves the bot ready, and /stats names it.
	fail.Store(true)
	time.Sleep(6 * time.Second)
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/healthz %d while a feed fails", resp.StatusCode)
	}
	admin := &discordgo.Member{User: &discordgo.User{ID: "9"}, Permissions: discordgo.PermissionManageGuild}
	tok, err := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "3", ChannelID: "4", Member: admin,
		Data: discordgo.ApplicationCommandInteractionData{Name: "stats"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := answer(tok); !strings.Contains(got, "1 of 1 failing") || !strings.Contains(got, "500") {
		t.Errorf("/stats with a failing feed: %s", got)
	}
	resp, err = http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`herald_feed_fetches_total{feed="` + feed.URL + `",outcome="ok"}`, `herald_feed_fetches_total{feed="` + feed.URL + `",outcome="error"}`,
		`herald_feed_new_items_total`, `herald_feed_lag_seconds_count 1`, `herald_watch_events_total{kind="create"}`, `herald_desk_posts_total{kind="follow",outcome="posted"} 3`} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestIngestFeedsPollsOnceForCron polls a feed from the command line, as a
// cron job would, lists the feeds, and answers from what came in.
func TestIngestFeedsPollsOnceForCron(t *testing.T) {
	c := isolate(t)
	day := time.Now().UTC().Add(-time.Hour).Format(time.RFC1123Z)
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>`+
			`<item><title>Grain Corridor Reopens</title><link>https://wire.example/grain</link><pubDate>`+day+`</pubDate>`+
			`<description>The grain corridor through the Black Sea reopened on Monday, port officials said.</description></item>`+
			`<item><title>Undated</title><link>https://wire.example/undated</link><description>No date.</description></item></channel></rss>`)
	}))
	defer good.Close()
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusForbidden) }))
	defer bad.Close()
	feedsFile := filepath.Join(t.TempDir(), "feeds.txt")
	os.WriteFile(feedsFile, []byte("# the wires\n"+good.URL+" interval=30m\n"+bad.URL+"\n"), 0o644)
	c.setenv("HERALD_FEEDS", feedsFile)

	code, out, errOut := c.run("", "feeds")
	if code != 0 || strings.Count(out, "never fetched") != 2 {
		t.Fatalf("feeds before a poll: %d %s %s", code, out, errOut)
	}
	code, out, errOut = c.run("", "ingest", "--feeds")
	if code != 0 || !strings.Contains(out, good.URL+": ok, 2 items, 1 new, 1 rejected") || !strings.Contains(out, bad.URL+": error") ||
		!strings.Contains(out, "403") {
		t.Fatalf("ingest --feeds: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = c.run("", "feeds")
	if code != 0 || !strings.Contains(out, "ok, 2 items (1 new, 1 rejected)") || !strings.Contains(out, "error: fetching "+bad.URL+": 403 Forbidden") {
		t.Errorf("feeds after a poll: %s", out)
	}
	code, out, errOut = c.run("", "ask", "When did the grain corridor through the Black Sea reopen?")
	if code != 0 || !strings.Contains(out, "Grain Corridor Reopens") {
		t.Errorf("ask: %d %s %s", code, out, errOut)
	}
	// Polled again: nothing new.
	if code, out, _ = c.run("", "ingest", "--feeds"); code != 0 || !strings.Contains(out, good.URL+": ok, 2 items, 0 new") {
		t.Errorf("a second poll: %s", out)
	}
}
