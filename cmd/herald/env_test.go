package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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

// TestParseAsOf: a reference day or time, and errors that say what is
// wrong with it.
func TestParseAsOf(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{in: "1987-10-20", want: "1987-10-20T23:59:59Z"},
		{in: "1987-10-20T09:30:00Z", want: "1987-10-20T09:30:00Z"},
		{in: "1987-02-30", err: "1987-02-30 is no date (day out of range)"},
		{in: "1987-13-01", err: "1987-13-01 is no date (month out of range)"},
		{in: "yesterday", err: "want YYYY-MM-DD or an RFC 3339 time"},
	}
	for _, tt := range tests {
		got, err := parseAsOf(tt.in)
		switch {
		case tt.err != "" && (err == nil || err.Error() != tt.err):
			t.Errorf("parseAsOf(%q) error = %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || got.Format(time.RFC3339) != tt.want):
			t.Errorf("parseAsOf(%q) = %v, %v; want %s", tt.in, got.Format(time.RFC3339), err, tt.want)
		}
	}
}
