package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/bot/discordtest"
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
	isolate(t)
	fake := discordtest.New()
	defer fake.Close()
	addr := freeAddr(t)
	t.Setenv("DISCORD_TOKEN", fake.Token)
	t.Setenv("DISCORD_API_URL", fake.URL)
	t.Setenv("DISCORD_GUILD_ID", "")
	t.Setenv("DISCORD_APP_ID", "")
	t.Setenv("HERALD_HTTP_ADDR", addr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		var out, errOut strings.Builder
		done <- run(ctx, []string{"serve"}, strings.NewReader(""), &out, &errOut)
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
	isolate(t)
	fake := discordtest.New()
	defer fake.Close()
	t.Setenv("DISCORD_API_URL", fake.URL)
	t.Setenv("DISCORD_TOKEN", "not-the-token")
	code, _, errOut := herald(t, "", "serve")
	if code != 1 || !strings.Contains(errOut, "code 4004") || !strings.Contains(errOut, "DISCORD_TOKEN") {
		t.Errorf("invalid token: exit %d: %s", code, errOut)
	}
	t.Setenv("DISCORD_TOKEN", "")
	code, _, errOut = herald(t, "", "serve")
	if code != 2 || !strings.Contains(errOut, "set DISCORD_TOKEN") {
		t.Errorf("no token: exit %d: %s", code, errOut)
	}
}
