package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// TestTheProcessEnvironmentIsNeverRead sets a chat model, an embedding
// model and a server in the process environment, as a developer's shell
// might, and runs commands the way the tests do: they answer offline, and
// the server hears nothing. run reads only the getenv it is given.
func TestTheProcessEnvironmentIsNeverRead(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); http.Error(w, "no", 500) }))
	defer srv.Close()
	t.Setenv("OPENAI_BASE_URL", srv.URL+"/v1")
	t.Setenv("OPENAI_API_KEY", "sk-from-the-shell")
	t.Setenv("HERALD_CHAT_MODEL", "shell-model")
	t.Setenv("HERALD_EMBED_MODEL", "shell-embed")
	t.Setenv("HERALD_DATA", t.TempDir())
	c := isolate(t)
	code, out, errOut := c.run("", "ask", "How much trade did Russia and China do?")
	if code != 0 || !strings.Contains(out, "$200 billion") || !strings.Contains(errOut, "built-in sample corpus") {
		t.Fatalf("exit %d:\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := c.run("", "summary", "--topic", "trade"); code != 0 || strings.Contains(out, "shell-model") {
		t.Errorf("summary: exit %d:\n%s", code, out)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server in the process environment got %d requests", n)
	}
}

// TestEveryVariableIsDocumented: each variable loadConfig reads is in
// .env.example and in the README's table.
func TestEveryVariableIsDocumented(t *testing.T) {
	src, err := os.ReadFile("config.go")
	if err != nil {
		t.Fatal(err)
	}
	example, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`env\("([A-Z_]+)"`).FindAllStringSubmatch(string(src), -1)
	if len(names) < 40 {
		t.Fatalf("found %d variables in config.go", len(names))
	}
	for _, m := range names {
		name := m[1]
		if !regexp.MustCompile(`(?m)^# ` + name + `=`).Match(example) {
			t.Errorf("%s is not in .env.example", name)
		}
		if !strings.Contains(string(readme), "| `"+name+"` |") {
			t.Errorf("%s is not in the README's configuration table", name)
		}
	}
}
