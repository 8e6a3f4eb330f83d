package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag/embed"
	"github.com/herald-news/herald/internal/rag/store/storetest"
	"github.com/herald-news/herald/internal/rag/store/weaviate"
	"github.com/herald-news/herald/internal/rag/store/weaviate/weaviatetest"
)

// TestMain runs the package's tests in a private network namespace when a
// weaviate-server is at hand (see weaviatetest).
func TestMain(m *testing.M) { weaviatetest.Main(m) }

// onWeaviate configures c for collections of the test's own on the
// package's Weaviate node, dropped when the test ends.
func onWeaviate(t *testing.T, c *cli) string {
	t.Helper()
	node := weaviatetest.Server(t)
	prefix := fmt.Sprintf("Cli%d", time.Now().UnixNano()%1e9)
	c.setenv("HERALD_STORE", "weaviate")
	c.setenv("WEAVIATE_URL", node.URL)
	c.setenv("HERALD_WEAVIATE_PREFIX", prefix)
	t.Cleanup(func() {
		emb := embed.NewLocal(0)
		if a, err := weaviate.Open(context.Background(), weaviate.Config{URLs: []string{node.URL}, Prefix: prefix, Embedder: emb.Name(), Dimension: emb.Dimension()}); err == nil {
			a.Drop(context.Background())
		}
	})
	return prefix
}

// askJSON asks a question and decodes the answer.
func askJSON(t *testing.T, c *cli, question string) answerJSONFields {
	t.Helper()
	code, out, errOut := c.run("", "ask", "--json", question)
	if code != 0 {
		t.Fatalf("ask %q: exit %d: %s", question, code, errOut)
	}
	var a answerJSONFields
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("ask %q: %v:\n%s", question, err, out)
	}
	return a
}

// TestEveryCommandWorksOnWeaviate runs the commands an operator runs, with
// HERALD_STORE=weaviate, in the order they would.
func TestEveryCommandWorksOnWeaviate(t *testing.T) {
	c := isolate(t)
	prefix := onWeaviate(t, c)
	c.setenv("HERALD_NOW", "2026-02-10")
	dir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	squad := filepath.Join(t.TempDir(), "squad.json")
	os.WriteFile(squad, []byte(`{"version":"1.1","data":[{"title":"Cocoa","paragraphs":[{"context":"Showers continued throughout the week in the Bahia cocoa zone. Arrivals were 155,221 bags.","qas":[{"id":"q1","question":"How many bags arrived?","answers":[{"text":"155,221 bags","answer_start":70}]}]}]},{"title":"Grain","paragraphs":[{"context":"Wheat exports rose to 2.1 million tonnes in March, traders said.","qas":[{"id":"q2","question":"How much wheat was exported in March?","answers":[{"text":"2.1 million tonnes","answer_start":22}]}]}]}]}`), 0o644)
	// A new article beside a bad record: --strict writes neither.
	bad := storetest.WriteCorpus(t, map[string]string{
		"bad.jsonl": `{"id":"x","title":"X","date":"nope","body":"x"}` + "\n",
		"new.txt":   storetest.SeedArticle("2026-02-08", "https://example.org/new", "Grain Deal Signed", "Russia and China signed a grain deal."),
	})
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		want  []string
	}{
		{"ingest", []string{"ingest", dir}, "", 0, []string{"5 added, 0 updated, 0 unchanged, 0 removed, 0 rejected"}},
		{"ingest again", []string{"ingest", dir}, "", 0, []string{"0 added, 0 updated, 5 unchanged, 0 removed"}},
		{"a strict ingest with a rejection writes nothing", []string{"ingest", "--strict", dir, bad}, "", 1, []string{"1 added", "1 rejected"}},
		{"check", []string{"check"}, "", 0, []string{"the Weaviate collections " + prefix + "* at http://127.0.0.1:", "is sound: 5 articles"}},
		{"ask", []string{"ask", "What did the Bundesbank do with its discount rate in March 1987?"}, "", 0, []string{"discount rate unchanged", "[1] Bundesbank Leaves Rates Unchanged — 1987-03-05"}},
		{"sources", []string{"sources", "Bundesbank"}, "", 0, []string{"Bundesbank Buys Dollars — 1987-04-02", "Bundesbank Leaves Rates Unchanged — 1987-03-05"}},
		{"summary of an article", []string{"summary", "--article", "Five-Year Plan"}, "", 0, []string{"Summary of “Xi Outlines Five-Year Plan” (2026-02-05)", "[1]"}},
		{"summary of dates", []string{"summary", "--date", "1987-03-01..1987-04-30"}, "", 0, []string{"Summary of 1987-03-01 to 1987-04-30", "Bundesbank"}},
		{"chat", []string{"chat"}, "/ask How much trade did Russia and China do?\n/sources Bundesbank\n/quit\n", 0, []string{"$200 billion", "Bundesbank Buys Dollars"}},
		{"a rebuild in place", []string{"ingest", "--reindex", dir}, "", 0, []string{"0 added, 5 updated, 0 unchanged"}},
		{"eval squad on Weaviate", []string{"eval", "squad", "--store", "weaviate", "--retrieval", "hybrid", squad}, "", 0, []string{"2 questions over 2 articles", "weaviate store built", "hybrid"}},
	}
	for _, tt := range tests {
		code, out, errOut := c.run(tt.stdin, tt.args...)
		if code != tt.code {
			t.Fatalf("%s: exit %d, want %d: %s%s", tt.name, code, tt.code, out, errOut)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s%s", tt.name, w, out, errOut)
			}
		}
	}
	if a := askJSON(t, c, "What is the recipe for lasagna?"); *a.Found {
		t.Errorf("an answer from nowhere: %s", a.Answer)
	}
}

// TestCopyMovesAnIndexUpWithoutEmbedding copies a data directory's index
// into Weaviate: the answers are the same from either, a second copy
// writes nothing, and a copy after a removal removes.
func TestCopyMovesAnIndexUpWithoutEmbedding(t *testing.T) {
	c := isolate(t)
	dir := storetest.WriteCorpus(t, storetest.NewsCorpus())
	if code, out, errOut := c.run("", "ingest", dir); code != 0 {
		t.Fatalf("ingest: %s%s", out, errOut)
	}
	questions := []string{"How much trade did Russia and China do?", "What did the Bundesbank do with its discount rate in March 1987?", "Who won the Super Bowl in 2016?"}
	var local []answerJSONFields
	for _, q := range questions {
		local = append(local, askJSON(t, c, q))
	}
	prefix := onWeaviate(t, c)
	c.setenv("HERALD_STORE", "embedded") // copy reads the data directory whatever the store
	steps := []struct{ name, want string }{
		{"the first copy", "5 written (5 chunks), 0 unchanged, 0 removed"},
		{"a second copy", "0 written (0 chunks), 5 unchanged, 0 removed"},
	}
	for _, s := range steps {
		code, out, errOut := c.run("", "copy")
		if code != 0 || !strings.Contains(out, s.want) || !strings.Contains(out, prefix+"*") {
			t.Fatalf("%s: exit %d: %s%s", s.name, code, out, errOut)
		}
	}
	c.setenv("HERALD_STORE", "weaviate")
	for i, q := range questions {
		got := askJSON(t, c, q)
		if got.Answer != local[i].Answer || *got.Found != *local[i].Found || len(got.Citations) != len(local[i].Citations) {
			t.Errorf("%q on Weaviate:\n%s\nin the data directory:\n%s", q, got.Answer, local[i].Answer)
		}
	}
	os.Remove(filepath.Join(dir, "cocoa.md"))
	c.setenv("HERALD_STORE", "embedded")
	c.run("", "ingest", dir)
	if code, out, errOut := c.run("", "copy"); code != 0 || !strings.Contains(out, "0 written (0 chunks), 4 unchanged, 1 removed") {
		t.Fatalf("a copy after a removal: exit %d: %s%s", code, out, errOut)
	}
}

// TestAWeaviateThatFailsIsExplained: a cluster that is down, refuses the
// key, or is not configured gets an error that says so, in good time, and
// never shows the key.
func TestAWeaviateThatFailsIsExplained(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) }))
	defer refusing.Close()
	tests := []struct {
		name, url string
		args      []string
		want      string
	}{
		{"no URL", "", []string{"ask", "trade"}, "HERALD_STORE=weaviate needs WEAVIATE_URL"},
		{"down", closed.URL, []string{"ask", "trade"}, "no Weaviate node answers"},
		{"refusing the key", refusing.URL, []string{"check"}, "check WEAVIATE_API_KEY"},
		{"copy with no URL", "", []string{"copy"}, "set WEAVIATE_URL"},
	}
	for _, tt := range tests {
		c := isolate(t)
		c.setenv("HERALD_STORE", "weaviate")
		c.setenv("WEAVIATE_URL", tt.url)
		c.setenv("WEAVIATE_API_KEY", "sekrit-weaviate-key")
		c.setenv("HERALD_WEAVIATE_WRITE_TIMEOUT", "2s")
		start := time.Now()
		code, out, errOut := c.run("", tt.args...)
		if code == 0 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%s: exit %d: %s%s", tt.name, code, out, errOut)
		}
		if strings.Contains(out+errOut, "sekrit") {
			t.Errorf("%s: the key is shown: %s", tt.name, errOut)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("%s: took %v", tt.name, took)
		}
	}
}

// replica is one herald serve of a test, with its own data directory.
type replica struct {
	cancel context.CancelFunc
	done   chan error
}

// startReplica runs herald serve as shard of shards, with c's
// configuration and a data directory of its own.
func startReplica(t *testing.T, c *cli, shard, shards int) *replica {
	t.Helper()
	env := map[string]string{}
	for k, v := range c.env {
		env[k] = v
	}
	env["HERALD_SHARD_ID"], env["HERALD_SHARD_COUNT"] = fmt.Sprint(shard), fmt.Sprint(shards)
	env["HERALD_DATA"] = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{cancel: cancel, done: make(chan error, 1)}
	go func() {
		var out, errOut strings.Builder
		err := run(ctx, []string{"serve"}, func(k string) string { return env[k] }, strings.NewReader(""), &out, &errOut)
		if err != nil {
			err = fmt.Errorf("%w\n%s", err, errOut.String())
		}
		r.done <- err
	}()
	return r
}

// stop stops a replica as SIGTERM does.
func (r *replica) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// TestTwoReplicasShareOneWeaviate runs two herald serve replicas, shards 0
// and 1, on one Weaviate behind one Discord: each answers its shard's
// servers, one registers the commands, votes on either count on both, and
// when one is stopped and started again the other answers all along.
func TestTwoReplicasShareOneWeaviate(t *testing.T) {
	c := isolate(t)
	onWeaviate(t, c)
	if code, out, errOut := c.run("", "ingest", storetest.WriteCorpus(t, storetest.NewsCorpus())); code != 0 {
		t.Fatalf("ingest: %s%s", out, errOut)
	}
	fake := discordtest.New()
	defer fake.Close()
	c.setenv("DISCORD_TOKEN", fake.Token)
	c.setenv("DISCORD_API_URL", fake.URL)
	c.setenv("HERALD_MAX_CONCURRENT", "8")
	wait, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	identified := func(shard, from int) int {
		_, n, err := fake.WaitFor(wait, from, func(r discordtest.Request) bool { return r.Path == "IDENTIFY" && r.Shard == shard })
		if err != nil {
			t.Fatalf("shard %d did not connect: %v", shard, err)
		}
		return n
	}
	a := startReplica(t, c, 0, 2)
	defer a.stop(t)
	identified(0, 0)
	b := startReplica(t, c, 1, 2)
	identified(1, 0)
	guilds := []string{fake.GuildOfShard(0, 2), fake.GuildOfShard(1, 2)}

	ask := func(guild, user, question string) (discordtest.MessagePayload, error) {
		tok, err := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: guild,
			Member: &discordgo.Member{User: &discordgo.User{ID: user}, Permissions: discordgo.PermissionManageGuild},
			Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: "question", Type: discordgo.ApplicationCommandOptionString, Value: question}}}})
		if err != nil {
			return discordtest.MessagePayload{}, err
		}
		return final(wait, fake, tok)
	}
	click := func(guild, user, id string) (discordtest.MessagePayload, error) {
		tok, err := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionMessageComponent, GuildID: guild,
			Member: &discordgo.Member{User: &discordgo.User{ID: user}, Permissions: discordgo.PermissionManageGuild},
			Data:   discordgo.MessageComponentInteractionData{CustomID: id, ComponentType: discordgo.ButtonComponent}})
		if err != nil {
			return discordtest.MessagePayload{}, err
		}
		return final(wait, fake, tok)
	}
	// Each shard's server is answered, by its replica.
	for _, g := range guilds {
		msg, err := ask(g, "7", "How much trade did Russia and China do?")
		if err != nil || !strings.Contains(msg.Text(), "$200 billion") {
			t.Fatalf("server %s (shard %d): %v %s", g, fake.Shard(g), err, msg.Text())
		}
		var vote string
		for _, id := range msg.CustomIDs() {
			if strings.HasPrefix(id, "vote:up:") {
				vote = id
			}
		}
		if got, err := click(g, "7", vote); err != nil || !strings.Contains(got.Text(), "Thanks for the feedback") {
			t.Fatalf("vote on shard %d: %v %s", fake.Shard(g), err, got.Text())
		}
	}
	puts := 0
	for _, r := range fake.Requests() {
		if r.Method == "PUT" && strings.HasSuffix(r.Path, "/commands") {
			puts++
		}
	}
	if puts != 1 {
		t.Errorf("the commands were registered %d times, want once (by shard 0)", puts)
	}
	// The votes of both replicas count on either.
	stats := func(guild string) string {
		tok, _ := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: guild,
			Member: &discordgo.Member{User: &discordgo.User{ID: "7"}, Permissions: discordgo.PermissionManageGuild},
			Data:   discordgo.ApplicationCommandInteractionData{Name: "stats"}})
		msg, _ := final(wait, fake, tok)
		return msg.Text()
	}
	for _, g := range guilds {
		if s := stats(g); !strings.Contains(s, "👍 2 · 👎 0") {
			t.Errorf("/stats on shard %d:\n%s", fake.Shard(g), s)
		}
	}

	// Shard 1's replica stops and comes back while shard 0's answers.
	answered, failed := 0, 0
	streamDone := make(chan struct{})
	go func() {
		defer close(streamDone)
		for i := 0; i < 30; i++ {
			msg, err := ask(guilds[0], fmt.Sprint(100+i), "What did the Bundesbank do with its discount rate in March 1987?")
			if err == nil && strings.Contains(msg.Text(), "discount rate unchanged") {
				answered++
			} else {
				failed++
			}
		}
	}()
	b.stop(t)
	from := len(fake.Requests())
	b = startReplica(t, c, 1, 2)
	defer b.stop(t)
	identified(1, from)
	<-streamDone
	if failed > 0 {
		t.Errorf("%d of %d questions to shard 0 failed while shard 1 restarted", failed, answered+failed)
	}
	if msg, err := ask(guilds[1], "8", "How much trade did Russia and China do?"); err != nil || !strings.Contains(msg.Text(), "$200 billion") {
		t.Errorf("shard 1 after its restart: %v %s", err, msg.Text())
	}
}

// final waits for an interaction's last message: its callback, or the
// edit of its deferred response.
func final(ctx context.Context, fake *discordtest.Server, tok string) (discordtest.MessagePayload, error) {
	from := 0
	for {
		r, n, err := fake.WaitFor(ctx, from, func(r discordtest.Request) bool { return strings.Contains(r.Path, tok) })
		if err != nil {
			return discordtest.MessagePayload{}, err
		}
		from = n + 1
		if m := r.Message(); m.Text() != "" && !(r.Method == "POST" && strings.Contains(string(r.Body), `"type":5`)) {
			return m, nil
		}
	}
}

// TestServeApologisesWhileWeaviateIsDown: with its only Weaviate node
// killed, herald serve answers questions with an apology within the
// deadline and /healthz says why it is not ready; once the node is back,
// it answers again.
func TestServeApologisesWhileWeaviateIsDown(t *testing.T) {
	nodes := weaviatetest.Cluster(t, 1)
	c := isolate(t)
	c.setenv("HERALD_STORE", "weaviate")
	c.setenv("WEAVIATE_URL", nodes[0].URL)
	c.setenv("HERALD_WEAVIATE_TIMEOUT", "2s")
	if code, out, errOut := c.run("", "ingest", storetest.WriteCorpus(t, storetest.NewsCorpus())); code != 0 {
		t.Fatalf("ingest: %s%s", out, errOut)
	}
	fake := discordtest.New()
	defer fake.Close()
	addr := freeAddr(t)
	c.setenv("DISCORD_TOKEN", fake.Token)
	c.setenv("DISCORD_API_URL", fake.URL)
	c.setenv("HERALD_HTTP_ADDR", addr)
	c.setenv("HERALD_RATE_PER_MINUTE", "0")
	r := startReplica(t, c, 0, 1)
	defer r.stop(t)
	wait, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	if _, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Path == "IDENTIFY" }); err != nil {
		t.Fatal(err)
	}
	ask := func() (string, time.Duration) {
		start := time.Now()
		tok, err := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "3",
			Member: &discordgo.Member{User: &discordgo.User{ID: "1"}},
			Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: "question", Type: discordgo.ApplicationCommandOptionString, Value: "How much trade did Russia and China do?"}}}})
		if err != nil {
			t.Fatal(err)
		}
		msg, err := final(wait, fake, tok)
		if err != nil {
			t.Fatal(err)
		}
		return msg.Text(), time.Since(start)
	}
	health := func() (int, string) {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for code, _ := health(); code == 0; code, _ = health() { // until the HTTP server listens
		time.Sleep(100 * time.Millisecond)
	}
	if text, _ := ask(); !strings.Contains(text, "$200 billion") {
		t.Fatalf("before the outage: %s", text)
	}
	nodes[0].Kill()
	text, took := ask()
	if strings.Contains(text, "$200 billion") || !strings.Contains(strings.ToLower(text), "sorry") || took > 10*time.Second {
		t.Errorf("during the outage, after %v: %s", took, text)
	}
	if code, body := health(); code != http.StatusServiceUnavailable || !strings.Contains(body, "store of record") {
		t.Errorf("/healthz during the outage: %d %s", code, body)
	}
	if err := nodes[0].Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if text, _ := ask(); !strings.Contains(text, "$200 billion") {
		t.Errorf("after the outage: %s", text)
	}
	if code, body := health(); code != http.StatusOK {
		t.Errorf("/healthz after the outage: %d %s", code, body)
	}
}
