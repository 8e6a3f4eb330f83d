// Package discordtest is a fake Discord for tests: a REST API on a loopback
// httptest server and a websocket gateway that a real discordgo session
// connects to. It enforces what Discord enforces: an interaction callback
// later than 3 s fails with 10062, over-long fields fail with 400/50035, and
// every message-creating request must set allowed_mentions to parse nothing.
//
// It also plays what other Discord-compatible servers do, on demand:
// faults (Fail), rate limits that extend on every refused request (Block),
// responses with fields of unexpected types (Mangle), interactions Discord
// would not send (InteractRaw), channel histories that outlive a bot
// (AddMessage, Post), and the Quirks: refused ephemeral flags, refused
// command fields, refused null lists, a 4000 close for a bad token.
package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Request is a REST request the fake received, and how it answered.
// Gateway IDENTIFY and RESUME are recorded too, with Method "GATEWAY".
type Request struct {
	Method string
	// Path is the path below the API base, such as /channels/1/messages.
	Path   string
	Body   []byte
	Status int
	// Error is the Discord error code of a refused request (0 when accepted).
	Error int
	Time  time.Time
	// Shard is the shard of a gateway IDENTIFY or RESUME.
	Shard int
}

// Message decodes the request's body as a message payload.
func (r Request) Message() MessagePayload {
	var m MessagePayload
	json.Unmarshal(r.Body, &m)
	if m.Data != nil { // an interaction callback wraps its message
		return *m.Data
	}
	return m
}

// MessagePayload is what a message-creating request carries.
type MessagePayload struct {
	Type            int                          `json:"type"`
	Data            *MessagePayload              `json:"data"`
	Content         string                       `json:"content"`
	Embeds          []*discordgo.MessageEmbed    `json:"embeds"`
	Components      []json.RawMessage            `json:"components"`
	Flags           int                          `json:"flags"`
	AllowedMentions *allowedMentions             `json:"allowed_mentions"`
	Choices         []map[string]json.RawMessage `json:"choices"`
	Name            string                       `json:"name"`
}

type allowedMentions struct {
	Parse       *[]string `json:"parse"`
	Users       []string  `json:"users"`
	Roles       []string  `json:"roles"`
	RepliedUser bool      `json:"replied_user"`
}

// Text gathers every visible string of the message.
func (m MessagePayload) Text() string {
	var b strings.Builder
	b.WriteString(m.Content)
	for _, e := range m.Embeds {
		b.WriteString("\n" + e.Title + "\n" + e.Description)
		for _, f := range e.Fields {
			b.WriteString("\n" + f.Name + "\n" + f.Value)
		}
		if e.Footer != nil {
			b.WriteString("\n" + e.Footer.Text)
		}
	}
	return b.String()
}

// CustomIDs lists the custom IDs of the message's buttons.
func (m MessagePayload) CustomIDs() []string {
	var ids []string
	for _, row := range m.Components {
		var r struct {
			Components []struct {
				CustomID string `json:"custom_id"`
			} `json:"components"`
		}
		json.Unmarshal(row, &r)
		for _, c := range r.Components {
			ids = append(ids, c.CustomID)
		}
	}
	return ids
}

// Server is a fake Discord.
type Server struct {
	// URL is the REST base, to be given as DISCORD_API_URL.
	URL   string
	Token string
	AppID string
	BotID string
	// CallbackDeadline is how late an interaction callback may come (3 s).
	CallbackDeadline time.Duration

	http   *httptest.Server
	nextID atomic.Int64
	// refuse, when set, closes the gateway with this code on IDENTIFY and
	// RESUME (4004: the token was reset).
	refuse atomic.Int64
	// drops is how many more sessions to drop, without a close frame, on
	// IDENTIFY.
	drops atomic.Int64

	mu       sync.Mutex
	requests []Request
	changed  chan struct{}
	// conns are the gateway sessions by shard (0 when unsharded), and
	// shards their count, from IDENTIFY.
	conns        map[int]*websocket.Conn
	shards       int
	connMu       sync.Mutex // serialises gateway writes
	seq          int64
	identified   chan struct{}
	intents      int
	interactions map[string]*interaction // by token
	channels     map[string]*discordgo.Channel
	messages     map[string][]*discordgo.Message // by channel, oldest first
	faults       []*fault
	blocks       []*block
	manglers     []*mangler
	quirks       Quirks
}

// Quirks are behaviours of other Discord-compatible servers that Discord
// itself does not have; each is off until set with SetQuirks.
type Quirks struct {
	// RefuseEphemeral answers 500 to any message with the ephemeral flag.
	RefuseEphemeral bool
	// StrictCommands answers 400 to commands with fields beyond the basic
	// ones (autocomplete, max_length, min_value, max_value, contexts…) or
	// with null lists.
	StrictCommands bool
	// RefuseNulls answers 400 to a message payload with a null list
	// ("components": null).
	RefuseNulls bool
	// BadTokenClose is the close code for an IDENTIFY with a wrong token
	// (default 4004; some servers send 4000).
	BadTokenClose int
}

// SetQuirks turns quirks on or off.
func (s *Server) SetQuirks(q Quirks) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.quirks = q
}

func (s *Server) quirk() Quirks {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.quirks
}

// block is a rate limit that lasts as long as requests keep coming: every
// refused request extends it.
type block struct {
	match      func(Request) bool
	retryAfter time.Duration
	until      time.Time
}

// Block rate-limits the requests that match, as one independent server
// does: each gets a 429 with retry_after, and each refused request pushes
// the end of the block to twice retry_after away, so that a client that
// waits retry_after and tries again is refused again, for as long as it
// keeps trying. It lasts until ClearFaults.
func (s *Server) Block(match func(Request) bool, retryAfter time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocks = append(s.blocks, &block{match: match, retryAfter: retryAfter, until: time.Now().Add(2 * retryAfter)})
}

// blocked returns the retry_after of req's block, extending it, or 0.
func (s *Server) blocked(req Request) time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, b := range s.blocks {
		if b.match(req) && time.Now().Before(b.until) {
			b.until = time.Now().Add(2 * b.retryAfter)
			return b.retryAfter
		}
	}
	return 0
}

// mangler rewrites the JSON of successful responses.
type mangler struct {
	match  func(Request) bool
	mangle func(map[string]any)
}

// Mangle rewrites the JSON object of every successful response to a
// request that matches, before it is sent: to give a field a type that
// Discord would not (public_flags as a string).
func (s *Server) Mangle(match func(Request) bool, mangle func(map[string]any)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.manglers = append(s.manglers, &mangler{match: match, mangle: mangle})
}

func (s *Server) mangled(req Request, reply any) any {
	s.mu.Lock()
	var fns []func(map[string]any)
	for _, m := range s.manglers {
		if m.match(req) {
			fns = append(fns, m.mangle)
		}
	}
	s.mu.Unlock()
	if len(fns) == 0 {
		return reply
	}
	data, _ := json.Marshal(reply)
	var obj map[string]any
	if json.Unmarshal(data, &obj) != nil {
		return reply
	}
	for _, fn := range fns {
		fn(obj)
	}
	return obj
}

// fault is a failure the fake serves to matching requests.
type fault struct {
	match      func(Request) bool
	status     int
	retryAfter time.Duration
	left       int
}

// Fail makes the next times requests that match fail with status: a 429
// carries retry_after (and the Retry-After and X-RateLimit headers) as
// Discord sends it; any other status an error body. The failed requests are
// recorded with their status.
func (s *Server) Fail(match func(Request) bool, status int, retryAfter time.Duration, times int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &fault{match: match, status: status, retryAfter: retryAfter, left: times})
}

// ClearFaults drops the faults not yet served, the blocks and the
// manglers.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.blocks, s.manglers = nil, nil, nil
}

// failure returns the fault to serve for req, if any, and uses it up.
func (s *Server) failure(req Request) *fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.left > 0 && f.match(req) {
			f.left--
			return f
		}
	}
	return nil
}

type interaction struct {
	created   time.Time
	responded bool
}

// New starts a fake Discord on 127.0.0.1. Close it when done.
func New() *Server {
	s := &Server{
		Token: "fake-token", AppID: "100000000000000001", BotID: "100000000000000002",
		CallbackDeadline: 3 * time.Second,
		changed:          make(chan struct{}),
		identified:       make(chan struct{}),
		interactions:     map[string]*interaction{},
		channels:         map[string]*discordgo.Channel{},
		messages:         map[string][]*discordgo.Message{},
		conns:            map[int]*websocket.Conn{},
		shards:           1,
	}
	s.nextID.Store(200000000000000000)
	s.http = httptest.NewServer(http.HandlerFunc(s.serve))
	s.URL = s.http.URL + "/api/v9"
	return s
}

func (s *Server) gatewayURL() string { return "ws" + strings.TrimPrefix(s.http.URL, "http") }

// Close stops the server.
func (s *Server) Close() {
	s.DisconnectGateway()
	s.http.Close()
}

// DropSessions makes the gateway drop the next n sessions on IDENTIFY or
// RESUME, as a flaky network does: the connection closes with no close
// frame (1006).
func (s *Server) DropSessions(n int) { s.drops.Store(int64(n)) }

// RefuseSessions makes the gateway close every IDENTIFY and RESUME with
// code (4004: invalid token; 4014: disallowed intents).
func (s *Server) RefuseSessions(code int) { s.refuse.Store(int64(code)) }

func (s *Server) refusing() bool { return s.refuse.Load() != 0 }

func (s *Server) refuseCode() int {
	if c := s.refuse.Load(); c != 0 {
		return int(c)
	}
	return 4004
}

// ID returns a fresh snowflake.
func (s *Server) ID() string { return fmt.Sprint(s.nextID.Add(1)) }

// AddChannel registers a channel the bot may look up.
func (s *Server) AddChannel(ch *discordgo.Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[ch.ID] = ch
}

// Identified is closed once a session has identified.
func (s *Server) Identified() <-chan struct{} { return s.identified }

// Intents returns the intents of the last IDENTIFY.
func (s *Server) Intents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.intents
}

// Requests returns every REST request so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitFor returns the first request (from index from on) that match
// accepts, waiting until ctx is done.
func (s *Server) WaitFor(ctx context.Context, from int, match func(Request) bool) (Request, int, error) {
	for {
		s.mu.Lock()
		for i := from; i < len(s.requests); i++ {
			if match(s.requests[i]) {
				r := s.requests[i]
				s.mu.Unlock()
				return r, i, nil
			}
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return Request{}, 0, fmt.Errorf("waiting for a request: %w", ctx.Err())
		}
	}
}

func (s *Server) record(r Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, r)
	close(s.changed)
	s.changed = make(chan struct{})
}

type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	// Like Discord's, the gateway lives at the root of its own URL
	// (discordgo dials it as "<url>/?v=…").
	if r.URL.Path == "/" && websocket.IsWebSocketUpgrade(r) {
		s.serveGateway(w, r)
		return
	}
	path, ok := strings.CutPrefix(r.URL.Path, "/api/v9")
	if !ok {
		http.NotFound(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	req := Request{Method: r.Method, Path: path, Body: body, Time: time.Now()}
	if wait := s.blocked(req); wait > 0 {
		req.Status = http.StatusTooManyRequests
		s.record(req)
		writeRateLimit(w, wait)
		return
	}
	if f := s.failure(req); f != nil {
		req.Status = f.status
		s.record(req)
		w.Header().Set("Content-Type", "application/json")
		if f.status == http.StatusTooManyRequests {
			writeRateLimit(w, f.retryAfter)
			return
		}
		w.WriteHeader(f.status)
		json.NewEncoder(w).Encode(apiError{0, fmt.Sprintf("%d: %s", f.status, http.StatusText(f.status))})
		return
	}
	status, reply := s.route(r, req)
	req.Status = status
	if e, ok := reply.(apiError); ok {
		req.Error = e.Code
	} else if status < 300 && reply != nil {
		reply = s.mangled(req, reply)
	}
	s.record(req)
	if reply == nil {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(reply)
}

// writeRateLimit answers 429 as Discord does: retry_after in the body and
// in the headers.
func writeRateLimit(w http.ResponseWriter, wait time.Duration) {
	secs := wait.Seconds()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", fmt.Sprint(int(math.Ceil(secs))))
	w.Header().Set("X-RateLimit-Limit", "5")
	w.Header().Set("X-RateLimit-Remaining", "0")
	w.Header().Set("X-RateLimit-Reset-After", fmt.Sprintf("%.3f", secs))
	w.Header().Set("X-RateLimit-Bucket", "fake-bucket")
	w.WriteHeader(http.StatusTooManyRequests)
	json.NewEncoder(w).Encode(map[string]any{"message": "You are being rate limited.", "retry_after": secs, "global": false})
}

// quirky applies the quirks to a request, and returns the refusal one of
// them makes, if any.
func (s *Server) quirky(req Request) (int, any, bool) {
	q := s.quirk()
	if req.Method == "PUT" && strings.HasSuffix(req.Path, "/commands") && q.StrictCommands {
		if bad := unknownCommandField(req.Body); bad != "" {
			return 400, apiError{50035, "Invalid Form Body: unknown field " + bad}, true
		}
	}
	if q.RefuseNulls && req.Method != "PUT" && len(req.Body) > 0 {
		if field := nullList(req.Body); field != "" {
			return 400, apiError{50035, "Invalid Form Body: " + field + " must be a list"}, true
		}
	}
	if q.RefuseEphemeral && len(req.Body) > 0 {
		p := Request{Body: req.Body}.Message()
		if p.Flags&int(discordgo.MessageFlagsEphemeral) != 0 {
			return 500, apiError{0, "500: Internal Server Error"}, true
		}
	}
	return 0, nil, false
}

// basicCommandFields are the command fields a strict server knows.
var basicCommandFields = map[string]bool{"name": true, "description": true, "type": true, "options": true,
	"required": true, "choices": true, "value": true, "default_member_permissions": true}

// unknownCommandField names a field of a command list that a strict server
// refuses, or "".
func unknownCommandField(body []byte) string {
	var cmds any
	json.Unmarshal(body, &cmds)
	bad := ""
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, val := range x {
				if !basicCommandFields[k] || val == nil {
					bad = k
				}
				walk(val)
			}
		case []any:
			for _, el := range x {
				walk(el)
			}
		}
	}
	walk(cmds)
	return bad
}

// nullList names a list field of a message payload sent as null, or "".
func nullList(body []byte) string {
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return ""
	}
	if data, ok := obj["data"].(map[string]any); ok {
		obj = data
	}
	for _, k := range []string{"components", "embeds", "sticker_ids", "attachments", "choices"} {
		if v, ok := obj[k]; ok && v == nil {
			return k
		}
	}
	return ""
}

func (s *Server) route(r *http.Request, req Request) (int, any) {
	if req.Path != "/gateway" && r.Header.Get("Authorization") != "Bot "+s.Token {
		return 401, apiError{0, "401: Unauthorized"}
	}
	if status, reply, refused := s.quirky(req); refused {
		return status, reply
	}
	path, query, _ := strings.Cut(req.Path, "?")
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case req.Method == "GET" && req.Path == "/gateway", req.Method == "GET" && req.Path == "/gateway/bot":
		return 200, map[string]any{"url": s.gatewayURL(), "shards": 1}
	case req.Method == "PUT" && parts[0] == "applications" && parts[len(parts)-1] == "commands":
		return s.putCommands(req)
	case req.Method == "POST" && parts[0] == "interactions" && len(parts) == 4 && parts[3] == "callback":
		return s.callback(parts[2], req)
	case parts[0] == "webhooks" && len(parts) >= 3:
		return s.webhook(parts[2], parts[3:], req)
	case parts[0] == "channels" && len(parts) >= 2:
		return s.channel(parts[1], parts[2:], query, req)
	case req.Method == "POST" && path == "/users/@me/channels":
		var body struct {
			Recipient string `json:"recipient_id"`
		}
		if json.Unmarshal(req.Body, &body); body.Recipient == "" {
			return 400, apiError{50035, "Invalid Form Body: recipient_id"}
		}
		dm := &discordgo.Channel{ID: s.ID(), Type: discordgo.ChannelTypeDM, Recipients: []*discordgo.User{{ID: body.Recipient}}}
		s.AddChannel(dm)
		return 200, dm
	}
	return 404, apiError{0, "404: Not Found " + req.Method + " " + req.Path}
}

func (s *Server) putCommands(req Request) (int, any) {
	var cmds []map[string]any
	if err := json.Unmarshal(req.Body, &cmds); err != nil {
		return 400, apiError{50035, "Invalid Form Body"}
	}
	for _, c := range cmds {
		name, _ := c["name"].(string)
		desc, _ := c["description"].(string)
		if name == "" || utf8.RuneCountInString(name) > 32 || utf8.RuneCountInString(desc) > 100 {
			return 400, apiError{50035, "Invalid Form Body: command " + name}
		}
		c["id"] = s.ID()
		c["application_id"] = s.AppID
	}
	return 200, cmds
}

func (s *Server) callback(token string, req Request) (int, any) {
	s.mu.Lock()
	in, ok := s.interactions[token]
	if ok && !in.responded && time.Since(in.created) <= s.CallbackDeadline {
		in.responded = true
	} else if ok && !in.responded {
		ok = false // too late: Discord has forgotten the interaction
	} else if ok {
		s.mu.Unlock()
		return 400, apiError{40060, "Interaction has already been acknowledged."}
	}
	s.mu.Unlock()
	if !ok {
		return 404, apiError{10062, "Unknown interaction"}
	}
	var p MessagePayload
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return 400, apiError{50035, "Invalid Form Body"}
	}
	switch p.Type {
	case 4, 7:
		if p.Data == nil {
			return 400, apiError{50035, "Invalid Form Body: data"}
		}
		if err := CheckMessage(*p.Data); err != "" {
			return 400, apiError{50035, "Invalid Form Body: " + err}
		}
	case 8:
		var raw struct {
			Data struct {
				Choices *json.RawMessage `json:"choices"`
			} `json:"data"`
		}
		json.Unmarshal(req.Body, &raw)
		if raw.Data.Choices == nil {
			return 400, apiError{50035, "Invalid Form Body: data.choices is required"}
		}
		if p.Data == nil || len(p.Data.Choices) > 25 {
			return 400, apiError{50035, "Invalid Form Body: too many choices"}
		}
		for _, c := range p.Data.Choices {
			var name, value string
			json.Unmarshal(c["name"], &name)
			json.Unmarshal(c["value"], &value)
			if name == "" || utf8.RuneCountInString(name) > 100 || utf8.RuneCountInString(value) > 100 {
				return 400, apiError{50035, "Invalid Form Body: choice over 100 characters"}
			}
		}
	case 5, 6:
	default:
		return 400, apiError{50035, fmt.Sprintf("Invalid Form Body: type %d", p.Type)}
	}
	return 204, nil
}

func (s *Server) webhook(token string, rest []string, req Request) (int, any) {
	s.mu.Lock()
	in, ok := s.interactions[token]
	valid := ok && in.responded && time.Since(in.created) < 15*time.Minute
	s.mu.Unlock()
	if !valid {
		return 404, apiError{10015, "Unknown Webhook"}
	}
	p := MessagePayload{}
	if err := json.Unmarshal(req.Body, &p); err != nil {
		return 400, apiError{50035, "Invalid Form Body"}
	}
	if err := CheckMessage(p); err != "" {
		return 400, apiError{50035, "Invalid Form Body: " + err}
	}
	return 200, s.message("", p)
}

func (s *Server) channel(id string, rest []string, query string, req Request) (int, any) {
	switch {
	case req.Method == "GET" && len(rest) == 1 && rest[0] == "messages":
		return 200, s.history(id, query)
	case req.Method == "GET" && len(rest) == 0:
		s.mu.Lock()
		ch, ok := s.channels[id]
		s.mu.Unlock()
		if !ok {
			return 404, apiError{10003, "Unknown Channel"}
		}
		return 200, ch
	case req.Method == "POST" && len(rest) == 1 && rest[0] == "typing":
		return 204, nil
	case req.Method == "POST" && len(rest) == 1 && rest[0] == "messages":
		var p MessagePayload
		if err := json.Unmarshal(req.Body, &p); err != nil {
			return 400, apiError{50035, "Invalid Form Body"}
		}
		if err := CheckMessage(p); err != "" {
			return 400, apiError{50035, "Invalid Form Body: " + err}
		}
		m := s.message(id, p)
		s.store(m)
		return 200, m
	case req.Method == "POST" && len(rest) == 3 && rest[0] == "messages" && rest[2] == "threads":
		var p MessagePayload
		json.Unmarshal(req.Body, &p)
		if p.Name == "" || utf8.RuneCountInString(p.Name) > 100 {
			return 400, apiError{50035, "Invalid Form Body: thread name"}
		}
		th := &discordgo.Channel{ID: s.ID(), Type: discordgo.ChannelTypeGuildPublicThread, ParentID: id, OwnerID: s.BotID, Name: p.Name}
		s.AddChannel(th)
		return 201, th
	}
	return 404, apiError{0, "404: Not Found"}
}

// store keeps a message in its channel's history.
func (s *Server) store(m *discordgo.Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages[m.ChannelID] = append(s.messages[m.ChannelID], m)
}

// history lists a channel's messages newest first, as Discord does, with
// its limit and before parameters.
func (s *Server) history(channel, query string) []*discordgo.Message {
	q, _ := url.ParseQuery(query)
	limit, err := strconv.Atoi(q.Get("limit"))
	if err != nil || limit <= 0 || limit > 100 {
		limit = 50
	}
	before := q.Get("before")
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []*discordgo.Message{}
	msgs := s.messages[channel]
	for i := len(msgs) - 1; i >= 0 && len(out) < limit; i-- {
		if before != "" && !snowflakeBefore(msgs[i].ID, before) {
			continue
		}
		out = append(out, msgs[i])
	}
	return out
}

// snowflakeBefore reports whether ID a is older than ID b.
func snowflakeBefore(a, b string) bool {
	x, _ := strconv.ParseUint(a, 10, 64)
	y, _ := strconv.ParseUint(b, 10, 64)
	return x < y
}

// Post stores a message in its channel's history (as a person wrote it)
// and dispatches it as MESSAGE_CREATE.
func (s *Server) Post(m *discordgo.Message) error {
	if m.ID == "" {
		m.ID = s.ID()
	}
	s.store(m)
	return s.Dispatch("MESSAGE_CREATE", m)
}

// AddMessage stores a message in its channel's history without
// dispatching it: what was said before the bot started.
func (s *Server) AddMessage(m *discordgo.Message) {
	if m.ID == "" {
		m.ID = s.ID()
	}
	s.store(m)
}

func (s *Server) message(channel string, p MessagePayload) *discordgo.Message {
	return &discordgo.Message{ID: s.ID(), ChannelID: channel, Content: p.Content, Embeds: p.Embeds,
		Author: &discordgo.User{ID: s.BotID, Username: "Herald", Bot: true}}
}

// CheckMessage applies Discord's limits and Herald's rule on mentions to a
// message payload, and returns what is wrong, or "" when it would be accepted.
func CheckMessage(p MessagePayload) string {
	if p.AllowedMentions == nil || p.AllowedMentions.Parse == nil || len(*p.AllowedMentions.Parse) != 0 ||
		len(p.AllowedMentions.Users) != 0 || len(p.AllowedMentions.Roles) != 0 {
		return "allowed_mentions must parse nothing"
	}
	n := func(s string) int { return utf8.RuneCountInString(s) }
	if n(p.Content) > 2000 {
		return "content over 2000"
	}
	if len(p.Embeds) > 10 {
		return "over 10 embeds"
	}
	total := 0
	for _, e := range p.Embeds {
		if n(e.Title) > 256 || n(e.Description) > 4096 || len(e.Fields) > 25 {
			return "embed title, description or field count over the limit"
		}
		total += n(e.Title) + n(e.Description)
		for _, f := range e.Fields {
			if n(f.Name) > 256 || n(f.Value) > 1024 || f.Name == "" || f.Value == "" {
				return "embed field over the limit or empty"
			}
			total += n(f.Name) + n(f.Value)
		}
		if e.Footer != nil {
			if n(e.Footer.Text) > 2048 {
				return "footer over 2048"
			}
			total += n(e.Footer.Text)
		}
	}
	if total > 6000 {
		return "embeds over 6000 in total"
	}
	return ""
}

// Dispatch sends a gateway event to the session that Discord would send
// it to: the shard of its guild ((guild_id >> 22) % shards), or shard 0
// for direct messages and events of no guild.
func (s *Server) Dispatch(event string, data any) error {
	shard := 0
	s.mu.Lock()
	shards := s.shards
	s.mu.Unlock()
	if shards > 1 {
		raw, _ := json.Marshal(data)
		var g struct {
			GuildID string `json:"guild_id"`
		}
		json.Unmarshal(raw, &g)
		if id, err := strconv.ParseUint(g.GuildID, 10, 64); err == nil {
			shard = int((id >> 22) % uint64(shards))
		}
	}
	s.mu.Lock()
	conn := s.conns[shard]
	s.seq++
	seq := s.seq
	s.mu.Unlock()
	if conn == nil {
		return fmt.Errorf("no gateway connection for shard %d", shard)
	}
	s.connMu.Lock()
	defer s.connMu.Unlock()
	return conn.WriteJSON(map[string]any{"op": 0, "t": event, "s": seq, "d": data})
}

// Interact dispatches an INTERACTION_CREATE, filling in its ID, token and
// application, and returns its token.
func (s *Server) Interact(i *discordgo.Interaction) (string, error) {
	i.ID, i.Token, i.AppID, i.Version = s.ID(), "tok-"+s.ID(), s.AppID, 1
	s.mu.Lock()
	s.interactions[i.Token] = &interaction{created: time.Now()}
	s.mu.Unlock()
	return i.Token, s.Dispatch("INTERACTION_CREATE", i)
}

// InteractRaw dispatches an INTERACTION_CREATE whose JSON is given as it
// is, filling in its ID, token, application and version (those may be
// overwritten by raw's own), and returns the token: for payloads Discord
// would not send, such as one without data.
func (s *Server) InteractRaw(raw map[string]any) (string, error) {
	tok := "tok-" + s.ID()
	event := map[string]any{"id": s.ID(), "token": tok, "application_id": s.AppID, "version": 1}
	for k, v := range raw {
		event[k] = v
	}
	if t, ok := event["token"].(string); ok {
		tok = t
	}
	s.mu.Lock()
	s.interactions[tok] = &interaction{created: time.Now()}
	s.mu.Unlock()
	return tok, s.Dispatch("INTERACTION_CREATE", event)
}

// DisconnectGateway drops every gateway connection (a transient outage).
func (s *Server) DisconnectGateway() {
	s.mu.Lock()
	conns := s.conns
	s.conns = map[int]*websocket.Conn{}
	s.mu.Unlock()
	for _, conn := range conns {
		conn.Close()
	}
}

// Shard returns the shard that events of a guild go to.
func (s *Server) Shard(guildID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := strconv.ParseUint(guildID, 10, 64)
	return int((id >> 22) % uint64(max(s.shards, 1)))
}

// GuildOfShard returns a new guild ID whose events go to shard of shards.
func (s *Server) GuildOfShard(shard, shards int) string {
	for {
		id := s.ID()
		n, _ := strconv.ParseUint(id, 10, 64)
		if int((n>>22)%uint64(shards)) == shard {
			return id
		}
		s.nextID.Add(1 << 22)
	}
}

// attach makes conn the session of a shard, closing the one it replaces.
func (s *Server) attach(shard int, conn *websocket.Conn) {
	s.mu.Lock()
	old := s.conns[shard]
	s.conns[shard] = conn
	s.mu.Unlock()
	if old != nil && old != conn {
		old.Close()
	}
}

var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	// A connection is a shard's once it identifies (or resumes).
	shard := 0
	defer func() {
		s.mu.Lock()
		if s.conns[shard] == conn {
			delete(s.conns, shard)
		}
		s.mu.Unlock()
	}()
	write := func(v any) error {
		s.connMu.Lock()
		defer s.connMu.Unlock()
		return conn.WriteJSON(v)
	}
	if write(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 41250}}) != nil {
		return
	}
	for {
		var frame struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := conn.ReadJSON(&frame); err != nil {
			return
		}
		switch frame.Op {
		case 1:
			write(map[string]any{"op": 11})
		case 2:
			var id struct {
				Token   string `json:"token"`
				Intents int    `json:"intents"`
				Shard   []int  `json:"shard"`
			}
			json.Unmarshal(frame.D, &id)
			if s.drops.Load() > 0 {
				s.drops.Add(-1)
				conn.Close()
				return
			}
			if s.refusing() || id.Token != "Bot "+s.Token {
				code := s.refuseCode()
				if q := s.quirk(); !s.refusing() && q.BadTokenClose != 0 {
					code = q.BadTokenClose
				}
				s.connMu.Lock()
				conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, "Authentication failed."))
				s.connMu.Unlock()
				conn.Close()
				return
			}
			s.record(Request{Method: "GATEWAY", Path: "IDENTIFY", Time: time.Now(), Shard: shardOf(id.Shard)})
			shard = shardOf(id.Shard)
			if len(id.Shard) == 2 && id.Shard[1] > 1 {
				s.mu.Lock()
				s.shards = id.Shard[1]
				s.mu.Unlock()
			}
			s.attach(shard, conn)
			s.mu.Lock()
			s.intents = id.Intents
			s.seq++
			seq := s.seq
			s.mu.Unlock()
			write(map[string]any{"op": 0, "t": "READY", "s": seq, "d": map[string]any{
				"v": 10, "session_id": fmt.Sprintf("fake-session-%d", shard), "resume_gateway_url": s.gatewayURL(),
				"user":        map[string]any{"id": s.BotID, "username": "Herald", "discriminator": "0", "bot": true},
				"application": map[string]any{"id": s.AppID},
				"guilds":      []any{},
			}})
			select {
			case <-s.identified:
			default:
				close(s.identified)
			}
		case 6:
			var resume struct {
				Session string `json:"session_id"`
			}
			json.Unmarshal(frame.D, &resume)
			if n, err := strconv.Atoi(strings.TrimPrefix(resume.Session, "fake-session-")); err == nil {
				shard = n
			}
			s.attach(shard, conn)
			s.record(Request{Method: "GATEWAY", Path: "RESUME", Time: time.Now(), Shard: shard})
			if s.drops.Load() > 0 {
				s.drops.Add(-1)
				conn.Close()
				return
			}
			if s.refusing() {
				s.connMu.Lock()
				conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
				s.connMu.Unlock()
				conn.Close()
				return
			}
			s.mu.Lock()
			s.seq++
			seq := s.seq
			s.mu.Unlock()
			write(map[string]any{"op": 0, "t": "RESUMED", "s": seq, "d": map[string]any{}})
		}
	}
}

// shardOf is the shard an IDENTIFY names (0 when unsharded).
func shardOf(pair []int) int {
	if len(pair) == 2 {
		return pair[0]
	}
	return 0
}
