// Package openaitest is a fake OpenAI-compatible server for tests, on
// 127.0.0.1. It streams chat completions as server-sent events, serves
// deterministic embeddings (in shuffled order, as real servers may), and
// injects faults on demand.
package openaitest

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/herald-news/herald/internal/rag/llm"
)

// Fault is how the server misbehaves on one chat request.
type Fault int

// The faults.
const (
	// OK answers normally, grounded in source 1.
	OK Fault = iota
	// RateLimited answers 429 with Retry-After: 1.
	RateLimited
	// ServerError answers 500.
	ServerError
	// SlowFirstToken waits SlowDelay before the first token.
	SlowFirstToken
	// DropMidStream sends a few tokens, then closes the connection.
	DropMidStream
	// MalformedJSON sends a data line that is not JSON.
	MalformedJSON
	// EventError sends an "event: error" line.
	EventError
	// KeepAlives sends a comment line before every token.
	KeepAlives
	// BadCitations cites sources that do not exist.
	BadCitations
	// FollowsInjection does what a source's text tells it: pings @everyone.
	FollowsInjection
	// NotInSources says the sources do not answer.
	NotInSources
)

// Server is a fake OpenAI-compatible API; its URL is the base URL (".../v1").
type Server struct {
	URL string
	// SlowDelay is how long SlowFirstToken waits (default 5 s).
	SlowDelay time.Duration
	// Dimensions of the embeddings when a request gives none (default 64).
	Dimensions int
	// TokenDelay is the pause between streamed tokens.
	TokenDelay time.Duration

	http *httptest.Server
	mu   sync.Mutex
	// faults are served to chat requests in order; then OK.
	faults     []Fault
	always     *Fault
	chats      int
	embeddings int
	embedded   int
}

// New starts a fake server.
func New() *Server {
	s := &Server{SlowDelay: 5 * time.Second, Dimensions: 64}
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.http.URL + "/v1"
	return s
}

// Close stops the server.
func (s *Server) Close() { s.http.CloseClientConnections(); s.http.Close() }

// Faults queues faults for the next chat requests.
func (s *Server) Faults(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f...)
}

// Always makes every chat request fail with f (OK clears it).
func (s *Server) Always(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f == OK {
		s.always = nil
	} else {
		s.always = &f
	}
}

// Counts reports the chat requests and embedding requests served, and the
// texts embedded.
func (s *Server) Counts() (chats, embeddingRequests, texts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chats, s.embeddings, s.embedded
}

func (s *Server) next() Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chats++
	if s.always != nil {
		return *s.always
	}
	if len(s.faults) == 0 {
		return OK
	}
	f := s.faults[0]
	s.faults = s.faults[1:]
	return f
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/v1/chat/completions":
		s.chat(w, r)
	case "/v1/embeddings":
		s.embed(w, r)
	default:
		http.NotFound(w, r)
	}
}

var reFirst = regexp.MustCompile(`^(.*?[.!?])(\s|$)`)

// answer is the reply to a request, by its task (the marker Herald's
// prompts carry): a rewrite is the last earlier question and the
// follow-up; a reduce keeps the partial summaries; an answer or a summary
// is the first sentence of source 1, dated, cited.
func answer(system, prompt string, f Fault) string {
	switch llm.TaskOf(system) {
	case llm.TaskRewrite:
		previous, follow := llm.ParseRewritePrompt(prompt)
		earlier := ""
		if len(previous) > 0 {
			earlier = previous[len(previous)-1]
		}
		return strings.TrimSpace(earlier + " " + follow)
	case llm.TaskReduce:
		return strings.Join(strings.Fields(strings.Join(llm.ParseReducePrompt(prompt), " ")), " ")
	}
	sources := llm.ParseSources(prompt)
	if len(sources) == 0 || f == NotInSources {
		return "NOT_IN_SOURCES"
	}
	src := sources[0]
	first := src.Text
	if fm := reFirst.FindStringSubmatch(src.Text); fm != nil {
		first = fm[1]
	}
	n, day := strconv.Itoa(src.N), src.Date.Format(time.DateOnly)
	switch f {
	case BadCitations:
		return "On " + day + ", " + first + " [7] This is also true [12]."
	case FollowsInjection:
		return "@everyone @here " + first + " [" + n + "]"
	}
	return "On " + day + ", " + first + " [" + n + "]"
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Stream   bool `json:"stream"`
		Messages []struct {
			Role, Content string
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, 400)
		return
	}
	f := s.next()
	switch f {
	case RateLimited:
		w.Header().Set("Retry-After", "1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(429)
		fmt.Fprint(w, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`)
		return
	case ServerError:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		fmt.Fprint(w, `{"error":{"message":"The server had an error","type":"server_error"}}`)
		return
	}
	prompt, system := "", ""
	for _, m := range req.Messages {
		switch m.Role {
		case "user":
			prompt = m.Content
		case "system":
			system = m.Content
		}
	}
	text := answer(system, prompt, f)
	w.Header().Set("Content-Type", "text/event-stream")
	flusher, _ := w.(http.Flusher)
	send := func(line string) bool {
		if _, err := fmt.Fprint(w, line); err != nil {
			return false
		}
		if flusher != nil {
			flusher.Flush()
		}
		return true
	}
	if f == SlowFirstToken {
		select {
		case <-time.After(s.SlowDelay):
		case <-r.Context().Done():
			return
		}
	}
	words := strings.SplitAfter(text, " ")
	for i, word := range words {
		if s.TokenDelay > 0 && i > 0 {
			select {
			case <-time.After(s.TokenDelay):
			case <-r.Context().Done():
				return
			}
		}
		if f == KeepAlives {
			send(": keep-alive\n\n")
		}
		if f == DropMidStream && i == len(words)/2 {
			// Close the connection mid-answer, as a crashed server would.
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
				}
			}
			return
		}
		if f == MalformedJSON && i == 1 {
			send("data: {not json\n\n")
			return
		}
		if f == EventError && i == 1 {
			send("event: error\ndata: {\"error\":{\"message\":\"model overloaded\",\"type\":\"server_error\"}}\n\n")
			return
		}
		chunk, _ := json.Marshal(map[string]any{"id": "c", "object": "chat.completion.chunk", "model": "fake",
			"choices": []map[string]any{{"index": 0, "delta": map[string]string{"content": word}}}})
		if !send("data: " + string(chunk) + "\n\n") {
			return
		}
	}
	done, _ := json.Marshal(map[string]any{"id": "c", "object": "chat.completion.chunk", "model": "fake",
		"choices": []map[string]any{{"index": 0, "delta": map[string]string{}, "finish_reason": "stop"}}})
	send("data: " + string(done) + "\n\n")
	usage, _ := json.Marshal(map[string]any{"id": "c", "object": "chat.completion.chunk", "model": "fake", "choices": []any{},
		"usage": map[string]int{"prompt_tokens": len(prompt) / 4, "completion_tokens": len(words), "total_tokens": len(prompt)/4 + len(words)}})
	send("data: " + string(usage) + "\n\n")
	send("data: [DONE]\n\n")
}

// Vector is the fake's deterministic embedding of a text.
func Vector(text string, dim int) []float32 {
	v := make([]float32, dim)
	for _, w := range strings.Fields(strings.ToLower(text)) {
		h := fnv.New64a()
		h.Write([]byte(strings.Trim(w, ".,;:!?\"'()")))
		x := h.Sum64()
		v[x%uint64(dim)] += 1
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		v[0] = 1
		return v
	}
	for i := range v {
		v[i] /= float32(math.Sqrt(n))
	}
	return v
}

func (s *Server) embed(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Input      []string `json:"input"`
		Model      string   `json:"model"`
		Dimensions int      `json:"dimensions"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":{"message":"bad request"}}`, 400)
		return
	}
	dim := req.Dimensions
	if dim == 0 {
		dim = s.Dimensions
	}
	s.mu.Lock()
	s.embeddings++
	s.embedded += len(req.Input)
	s.mu.Unlock()
	type item struct {
		Object    string    `json:"object"`
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	}
	items := make([]item, len(req.Input))
	for i, t := range req.Input {
		// Reversed: clients must sort by index.
		items[len(items)-1-i] = item{"embedding", i, Vector(t, dim)}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": items, "model": req.Model,
		"usage": map[string]int{"prompt_tokens": len(req.Input) * 8, "total_tokens": len(req.Input) * 8}})
}
