package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
	"github.com/herald-news/herald/internal/rag/openaitest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func TestServeAnswersOnDiscordAndStopsCleanly(t *testing.T) {
	c := isolate(t)
	fake := discordtest.New()
	defer fake.Close()
	addr := freeAddr(t)
	c.setenv("DISCORD_TOKEN", fake.Token)
	c.setenv("DISCORD_API_URL", fake.URL)
	c.setenv("DISCORD_GUILD_ID", "")
	c.setenv("DISCORD_APP_ID", "")
	c.setenv("HERALD_HTTP_ADDR", addr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var out, errOut strings.Builder
		done <- run(ctx, []string{"serve"}, c.getenv, strings.NewReader(""), &out, &errOut)
	}()
	wait, stop := context.WithTimeout(context.Background(), 15*time.Second)
	defer stop()
	put, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Method == "PUT" })
	if err != nil {
		t.Fatal(err)
	}
	if put.Path != "/applications/"+fake.AppID+"/commands" {
		t.Errorf("commands registered at %s, want global", put.Path)
	}
	tok, err := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "3", Member: &discordgo.Member{User: &discordgo.User{ID: "1"}},
		Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
			{Name: "question", Type: discordgo.ApplicationCommandOptionString, Value: "How much trade did Russia and China do?"}}}})
	if err != nil {
		t.Fatal(err)
	}
	cb, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return strings.Contains(r.Path, tok) })
	if err != nil {
		t.Fatal(err)
	}
	if cb.Status != 204 || !strings.Contains(cb.Message().Text(), "$200 billion") {
		t.Errorf("answer %d: %s", cb.Status, cb.Message().Text())
	}
	resp, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz %d %q", resp.StatusCode, body)
	}
	cancel() // as SIGTERM does
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop")
	}
}

func TestServeExplainsFatalSetupErrors(t *testing.T) {
	c := isolate(t)
	fake := discordtest.New()
	defer fake.Close()
	c.setenv("DISCORD_API_URL", fake.URL)
	c.setenv("DISCORD_TOKEN", "not-the-token")
	code, _, errOut := c.run("", "serve")
	if code != 1 || !strings.Contains(errOut, "code 4004") || !strings.Contains(errOut, "DISCORD_TOKEN") {
		t.Errorf("invalid token: exit %d: %s", code, errOut)
	}
	c.setenv("DISCORD_TOKEN", "")
	code, _, errOut = c.run("", "serve")
	if code != 2 || !strings.Contains(errOut, "set DISCORD_TOKEN") {
		t.Errorf("no token: exit %d: %s", code, errOut)
	}
}

// TestSecretsNeverReachTheOutput runs `herald serve` at debug level with a
// Discord token and an API key, forces every kind of error it can (the
// model failing in each way, Discord refusing responses, the token refused
// at the end), and checks that neither secret appears in anything Herald
// wrote: its logs, its errors, the replies it sent and /metrics.
func TestSecretsNeverReachTheOutput(t *testing.T) {
	const token, key = "discord-SECRET-token-0123456789", "sk-SECRET-key-9876543210"
	c := isolate(t)
	fake := discordtest.New()
	defer fake.Close()
	fake.Token = token
	llm := useFakeLLM(c)
	addr := freeAddr(t)
	c.setenv("OPENAI_API_KEY", key)
	c.setenv("DISCORD_TOKEN", token)
	c.setenv("DISCORD_API_URL", fake.URL)
	c.setenv("HERALD_HTTP_ADDR", addr)
	c.setenv("HERALD_LOG_LEVEL", "debug")
	c.setenv("HERALD_LLM_TIMEOUT", "3s")

	var out, errOut syncWriter
	done := make(chan error, 1)
	go func() {
		done <- run(context.Background(), []string{"serve"}, c.getenv, strings.NewReader(""), &out, &errOut)
	}()
	wait, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	if _, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Method == "PUT" }); err != nil {
		t.Fatal(err)
	}
	ask := func(user string) string {
		tok, err := fake.Interact(&discordgo.Interaction{Type: discordgo.InteractionApplicationCommand, GuildID: "3", Member: &discordgo.Member{User: &discordgo.User{ID: user}},
			Data: discordgo.ApplicationCommandInteractionData{Name: "ask", Options: []*discordgo.ApplicationCommandInteractionDataOption{
				{Name: "question", Type: discordgo.ApplicationCommandOptionString, Value: "How much trade did Russia and China do?"}}}})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	faults := []openaitest.Fault{openaitest.ServerError, openaitest.RateLimited, openaitest.MalformedJSON, openaitest.EventError, openaitest.DropMidStream, openaitest.BadCitations}
	for n, f := range faults {
		llm.Faults(f, f, f, f)
		tok := ask(fmt.Sprint(100 + n))
		if _, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool {
			return strings.Contains(r.Path, tok) && (r.Status == 204 || r.Status == 200) && strings.Contains(r.Message().Text(), "[1]")
		}); err != nil {
			t.Fatalf("fault %d: no answer: %v", f, err)
		}
	}
	// Discord refuses a first response for good.
	fake.Fail(func(r discordtest.Request) bool { return strings.HasSuffix(r.Path, "/callback") }, 500, 0, 100)
	ask("200")
	if _, _, err := fake.WaitFor(wait, 0, func(r discordtest.Request) bool { return r.Status == 500 }); err != nil {
		t.Fatal(err)
	}
	fake.ClearFaults()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// The token is refused: serve ends with an error.
	fake.RefuseSessions(4004)
	fake.DisconnectGateway()
	var runErr error
	select {
	case runErr = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after the token was refused")
	}
	if runErr == nil {
		t.Fatal("serve ended without an error after the token was refused")
	}
	var replies strings.Builder
	for _, r := range fake.Requests() {
		replies.Write(r.Body)
		replies.WriteString(r.Path)
	}
	everything := map[string]string{"stdout": out.String(), "stderr": errOut.String(), "the final error": runErr.Error(), "replies to Discord": replies.String(), "/metrics": string(metrics)}
	for where, text := range everything {
		for _, secret := range []string{token, key, "SECRET"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds %q", where, secret)
			}
		}
	}
	if !strings.Contains(errOut.String(), "level=") {
		t.Errorf("no logs captured: %q", errOut.String())
	}
	t.Logf("%d bytes of logs, %d requests checked; serve ended with: %v", len(errOut.String()), len(fake.Requests()), runErr)
}

// syncWriter is a strings.Builder safe for concurrent writes.
type syncWriter struct {
	mu sync.Mutex
	b  strings.Builder
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}
