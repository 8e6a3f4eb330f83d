package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/herald-news/herald/internal/rag/openaitest"
)

func useFakeLLM(c *cli) *openaitest.Server {
	c.t.Helper()
	fake := openaitest.New()
	c.t.Cleanup(fake.Close)
	c.setenv("OPENAI_BASE_URL", fake.URL)
	c.setenv("OPENAI_API_KEY", "sk-test-secret")
	c.setenv("HERALD_CHAT_MODEL", "fake-model")
	return fake
}

func TestAskStreamsAnLLMAnswer(t *testing.T) {
	c := isolate(t)
	useFakeLLM(c)
	code, out, errOut := c.run("", "ask", "How much trade did Russia and China do?")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"On 2026-02-04, Russian President Vladimir Putin and Chinese President Xi Jinping spoke by video link", "[1]",
		"[1] Putin and Xi Hold New Year Video Call, Point to $200 Billion in Trade — 2026-02-04 — https://herald.example/"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "On 2026-02-04, Russian President") != 1 {
		t.Errorf("the streamed answer was printed twice:\n%s", out)
	}
	if strings.Contains(out+errOut, "sk-test-secret") {
		t.Error("the API key was printed")
	}
}

func TestAskUnderLLMFaults(t *testing.T) {
	faults := []struct {
		name     string
		fault    openaitest.Fault
		answerer string
	}{
		{"429", openaitest.RateLimited, "fake-model"},
		{"500", openaitest.ServerError, "fake-model"},
		{"slow first token", openaitest.SlowFirstToken, "extractive (fallback)"},
		{"dropped stream", openaitest.DropMidStream, "extractive (fallback)"},
		{"malformed JSON", openaitest.MalformedJSON, "extractive (fallback)"},
		{"event: error", openaitest.EventError, "extractive (fallback)"},
		{"keep-alives", openaitest.KeepAlives, "fake-model"},
		{"invented citations", openaitest.BadCitations, "extractive (fallback)"},
	}
	for _, tt := range faults {
		t.Run(tt.name, func(t *testing.T) {
			c := isolate(t)
			fake := useFakeLLM(c)
			fake.SlowDelay = 6 * time.Second
			c.setenv("HERALD_LLM_TIMEOUT", "3s")
			fake.Faults(tt.fault)
			code, out, errOut := c.run("", "ask", "--json", "How much trade did Russia and China do?")
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var a struct {
				Answer    string `json:"answer"`
				Found     bool   `json:"found"`
				Answerer  string `json:"answerer"`
				Fallback  string `json:"fallback"`
				Citations []struct {
					N    int    `json:"n"`
					Date string `json:"date"`
				} `json:"citations"`
			}
			if err := json.Unmarshal([]byte(out), &a); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if a.Answerer != tt.answerer || !a.Found || len(a.Citations) == 0 || !strings.Contains(a.Answer, "[1]") {
				t.Fatalf("answer %+v", a)
			}
			if (a.Answerer == "extractive (fallback)") != (a.Fallback != "") {
				t.Errorf("fallback %q for answerer %q", a.Fallback, a.Answerer)
			}
			for _, c := range a.Citations {
				if c.N > len(a.Citations) || c.Date != "2026-02-04" {
					t.Errorf("citation %+v", c)
				}
			}
		})
	}
}
