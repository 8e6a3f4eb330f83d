package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
	"github.com/herald-news/herald/internal/rag"
)

// Engine answers; *rag.Engine is one.
type Engine interface {
	Ask(ctx context.Context, question string, opts rag.AskOptions) (rag.Answer, error)
	Summarize(ctx context.Context, req rag.SummaryRequest) (rag.Answer, error)
	Sources(ctx context.Context, question string, opts rag.AskOptions) ([]rag.Source, rag.Period, error)
}

// Rewriter rewrites a follow-up into a standalone question, given the
// thread's previous questions; *rag.LLM is one.
type Rewriter interface {
	Rewrite(ctx context.Context, previous []string, followUp string) (string, error)
}

// Library describes the indexed articles; *rag.Index is one.
type Library interface {
	Stats() rag.Stats
	Articles(period rag.Period) []rag.ArticleInfo
}

// Options configures a Bot.
type Options struct {
	// Token is the bot token (DISCORD_TOKEN). It is never logged.
	Token string
	// AppID is the application ID (DISCORD_APP_ID); taken from READY when
	// empty.
	AppID string
	// GuildID registers the commands in one server (instant updates);
	// empty registers them globally.
	GuildID string
	// APIURL is the base of the REST API (DISCORD_API_URL), default
	// https://discord.com/api/v9. The gateway URL is discovered from it.
	APIURL string
	// MessageContent requests the privileged Message Content intent, which
	// follow-ups without a mention in the bot's threads need.
	MessageContent bool
	// DMs allows questions by direct message.
	DMs bool

	Engine  Engine
	Library Library
	// Rewriter turns a follow-up into a standalone question (an LLM); nil
	// uses a heuristic.
	Rewriter Rewriter
	// LLMUsage reports the language model's token use today, for /stats
	// and /metrics; nil when there is no model.
	LLMUsage func() rag.BudgetUsage
	// Reindex re-reads the corpus for /reindex; nil disables the command.
	Reindex func(ctx context.Context) (rag.IngestReport, error)
	// IndexBytes reports the index's size on disk for /stats.
	IndexBytes func() int64
	// DataDir holds feedback.jsonl.
	DataDir string

	// RatePerMinute and RateBurst set each user's question budget.
	RatePerMinute float64
	RateBurst     int
	// MaxConcurrent answers are written at once, and up to Queue wait.
	MaxConcurrent int
	Queue         int
	// MaxQuestion bounds a question's length in characters.
	MaxQuestion int
	// FastReply is how long an interaction may wait for its answer before
	// it is deferred (default 1.5 s: well inside Discord's 3 s).
	FastReply time.Duration
	// AnswerTimeout bounds the writing of one answer (default 60 s).
	AnswerTimeout time.Duration
	// ShutdownTimeout bounds the wait for answers in flight at shutdown.
	ShutdownTimeout time.Duration
	// LogContent logs questions (HERALD_LOG_CONTENT); off by default.
	LogContent bool
	// Reconnect lets discordgo reconnect after gateway errors (on in
	// production, off in tests).
	Reconnect bool
	// Now is the clock (default time.Now).
	Now func() time.Time
	// RefTime is the reference time of relative dates such as "last week"
	// in /summary (HERALD_NOW; default Now).
	RefTime func() time.Time

	Log *slog.Logger
}

// DefaultAPIURL is Discord's REST API.
const DefaultAPIURL = "https://discord.com/api/v9"

func (o *Options) defaults() {
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.RateBurst <= 0 {
		o.RateBurst = 3
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = 4
	}
	if o.Queue < 0 {
		o.Queue = 0
	}
	if o.MaxQuestion <= 0 {
		o.MaxQuestion = 1000
	}
	if o.FastReply <= 0 {
		o.FastReply = 1500 * time.Millisecond
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = time.Minute
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = 10 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RefTime == nil {
		o.RefTime = o.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Bot is Herald on Discord.
type Bot struct {
	opts     Options
	s        *discordgo.Session
	log      *slog.Logger
	limiter  *userLimiter
	gate     *gate
	answers  *answerStore
	feedback *feedbackLog
	metrics  *metrics
	threads  *threadMemory

	botID    atomic.Value // string
	appID    atomic.Value // string
	answered atomic.Int64
	// readyOnce closes readyCh on the first READY.
	readyOnce sync.Once
	readyCh   chan struct{}
	ready     atomic.Bool
	// drainMu makes "not draining, so count this answer in" atomic with
	// respect to shutdown's "draining; wait for the answers counted in".
	drainMu  sync.Mutex
	draining atomic.Bool
	inflight sync.WaitGroup
	// ctx is cancelled at the end of the shutdown grace period.
	ctx    context.Context
	cancel context.CancelFunc
	// reconnecting is set while a reconnect loop runs; fatal receives a
	// gateway close that needs the operator.
	reconnecting atomic.Bool
	fatal        chan error
}

// restTimeout bounds every REST request.
const restTimeout = 20 * time.Second

// New prepares a bot; Run connects it.
func New(opts Options) (*Bot, error) {
	opts.defaults()
	if opts.Token == "" {
		return nil, errors.New("no Discord bot token: set DISCORD_TOKEN")
	}
	if opts.Engine == nil || opts.Library == nil {
		return nil, errors.New("bot: Engine and Library are required")
	}
	fb, err := openFeedback(opts.DataDir)
	if err != nil {
		return nil, err
	}
	m := newMetrics()
	if opts.LLMUsage != nil {
		m.trackLLM(opts.LLMUsage)
	}
	s, err := discordgo.New("Bot " + strings.TrimPrefix(opts.Token, "Bot "))
	if err != nil {
		return nil, fmt.Errorf("creating the Discord session: %w", err)
	}
	base, err := url.Parse(strings.TrimRight(opts.APIURL, "/"))
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("DISCORD_API_URL %q is not a URL", opts.APIURL)
	}
	// Every REST call is bounded: a stalled server must not hold a handler
	// (and its slot) forever.
	s.Client = &http.Client{Timeout: restTimeout, Transport: apiTransport{base: base, next: http.DefaultTransport}}
	// Herald reconnects itself (reconnectLoop), so that a close that needs
	// the operator (an invalid token) ends the process instead of retrying
	// for ever.
	s.ShouldReconnectOnError = false
	s.ShouldRetryOnRateLimit = true
	s.MaxRestRetries = 2
	s.StateEnabled = false
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if opts.MessageContent {
		s.Identify.Intents |= discordgo.IntentsMessageContent
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bot{
		opts: opts, s: s, log: opts.Log,
		limiter:  newUserLimiter(opts.RatePerMinute, opts.RateBurst),
		gate:     newGate(opts.MaxConcurrent, opts.Queue),
		answers:  newAnswerStore(5000),
		feedback: fb,
		metrics:  m,
		threads:  newThreadMemory(1000),
		ctx:      ctx, cancel: cancel,
		readyCh: make(chan struct{}),
		fatal:   make(chan error, 1),
	}
	b.botID.Store("")
	b.appID.Store(opts.AppID)
	s.AddHandler(b.onReady)
	s.AddHandler(b.onInteraction)
	s.AddHandler(b.onMessage)
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Disconnect) {
		b.ready.Store(false)
		if opts.Reconnect && !b.draining.Load() {
			go b.reconnectLoop()
		}
	})
	s.AddHandler(func(_ *discordgo.Session, _ *discordgo.Resumed) { b.ready.Store(true) })
	return b, nil
}

// apiTransport sends discordgo's requests for discord.com/api/v9 to the
// configured API base instead (a Discord-compatible server or a fake).
type apiTransport struct {
	base *url.URL
	next http.RoundTripper
}

func (t apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	const prefix = "/api/v9"
	if req.URL.Host == "discord.com" && strings.HasPrefix(req.URL.Path, prefix) {
		u := *req.URL
		u.Scheme, u.Host = t.base.Scheme, t.base.Host
		u.Path = t.base.Path + strings.TrimPrefix(req.URL.Path, prefix)
		u.RawPath = ""
		req = req.Clone(req.Context())
		req.URL, req.Host = &u, t.base.Host
		resp, err := t.next.RoundTrip(req)
		if err != nil {
			// Name the address actually tried (DISCORD_API_URL), not discord.com.
			return nil, fmt.Errorf("DISCORD_API_URL %s: %w", u.Redacted(), err)
		}
		return resp, nil
	}
	return t.next.RoundTrip(req)
}

// FatalGatewayError is a gateway close that retrying cannot fix.
type FatalGatewayError struct {
	Code int
	Fix  string
}

func (e *FatalGatewayError) Error() string {
	return fmt.Sprintf("Discord closed the connection with code %d: %s", e.Code, e.Fix)
}

// fatalClose explains the gateway close codes that need the operator.
func fatalClose(err error) error {
	var ce *websocket.CloseError
	if !errors.As(err, &ce) {
		return nil
	}
	fixes := map[int]string{
		4004: "the bot token is invalid: copy it again from the Developer Portal (Bot → Reset Token) into DISCORD_TOKEN",
		4010: "invalid shard",
		4011: "sharding is required: the bot is in too many servers for one connection",
		4012: "invalid gateway API version",
		4013: "invalid intents",
		4014: "disallowed intents: enable \"Message Content Intent\" under Bot → Privileged Gateway Intents in the Developer Portal, or set DISCORD_MESSAGE_CONTENT=false",
	}
	if fix, ok := fixes[ce.Code]; ok {
		return &FatalGatewayError{Code: ce.Code, Fix: fix}
	}
	return nil
}

// Run connects to Discord, registers the commands and serves until ctx is
// done; then it stops taking new work, lets answers in flight finish within
// ShutdownTimeout, and closes the connection.
func (b *Bot) Run(ctx context.Context) error {
	if err := b.open(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // stopped while connecting
		}
		return err
	}
	// Handlers run in their own goroutines: wait until READY is handled.
	select {
	case <-b.readyCh:
	case <-time.After(30 * time.Second):
		b.s.Close()
		return errors.New("the Discord gateway sent no READY within 30 s")
	case <-ctx.Done():
		return b.shutdown()
	}
	b.log.Info("connected to Discord; invite Herald with this link", "invite", b.InviteURL())
	// Commands registered earlier keep working, and mentions and DMs need
	// none: a failed registration is reported, not fatal.
	if err := b.registerCommands(); err != nil {
		b.metrics.errors.WithLabelValues("discord").Inc()
		b.log.Error("the slash commands could not be registered; mentions and DMs still work", "err", err)
	} else {
		scope := "global (may take up to an hour to appear)"
		if b.opts.GuildID != "" {
			scope = "server " + b.opts.GuildID
		}
		b.log.Info("Herald is on Discord", "commands", scope)
	}
	select {
	case <-ctx.Done():
		return b.shutdown()
	case err := <-b.fatal:
		b.shutdown()
		return err
	}
}

// open connects to the gateway, retrying transient failures with backoff
// until ctx is done. A close that needs the operator is returned at once.
func (b *Bot) open(ctx context.Context) error {
	wait := time.Second
	for attempt := 1; ; attempt++ {
		errc := make(chan error, 1)
		go func() { errc <- b.s.Open() }()
		var err error
		select {
		case err = <-errc:
		case <-ctx.Done():
			go func() {
				if <-errc == nil {
					b.s.Close()
				}
			}()
			return ctx.Err()
		}
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return nil
		}
		if fatal := fatalClose(err); fatal != nil {
			return fatal
		}
		if attempt == 5 {
			return fmt.Errorf("connecting to the Discord gateway (%d attempts): %w", attempt, err)
		}
		b.log.Warn("connecting to the Discord gateway; retrying", "attempt", attempt, "in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
		wait *= 2
	}
}

// reconnectLoop reopens the gateway after a disconnect, resuming the
// session, with exponential backoff; a close that needs the operator ends
// Run.
func (b *Bot) reconnectLoop() {
	if !b.reconnecting.CompareAndSwap(false, true) {
		return
	}
	defer b.reconnecting.Store(false)
	wait := time.Second
	for !b.draining.Load() {
		err := b.s.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			b.log.Info("reconnected to the Discord gateway")
			return
		}
		if fatal := fatalClose(err); fatal != nil {
			select {
			case b.fatal <- fatal:
			default:
			}
			return
		}
		b.log.Warn("reconnecting to the Discord gateway", "in", wait, "err", err)
		select {
		case <-time.After(wait):
		case <-b.ctx.Done():
			return
		}
		wait = min(2*wait, time.Minute)
	}
}

// begin counts an answer in flight, unless the bot is shutting down.
func (b *Bot) begin() bool {
	b.drainMu.Lock()
	defer b.drainMu.Unlock()
	if b.draining.Load() {
		return false
	}
	b.inflight.Add(1)
	return true
}

// shutdown drains and closes.
func (b *Bot) shutdown() error {
	b.drainMu.Lock()
	b.draining.Store(true)
	b.drainMu.Unlock()
	b.log.Info("shutting down: finishing answers in flight", "timeout", b.opts.ShutdownTimeout)
	done := make(chan struct{})
	go func() { b.inflight.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(b.opts.ShutdownTimeout):
		b.log.Warn("shutdown timeout: abandoning answers in flight")
		b.cancel()
	}
	b.cancel()
	b.ready.Store(false)
	if err := b.s.Close(); err != nil {
		return fmt.Errorf("closing the Discord connection: %w", err)
	}
	return nil
}

// Ready reports whether the gateway is connected and the bot can answer.
func (b *Bot) Ready() bool { return b.ready.Load() && !b.draining.Load() }

// InviteURL is the link that adds the bot to a server with the scopes and
// permissions it needs.
func (b *Bot) InviteURL() string {
	perms := discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionSendMessagesInThreads |
		discordgo.PermissionCreatePublicThreads | discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory
	return fmt.Sprintf("https://discord.com/oauth2/authorize?client_id=%s&scope=bot+applications.commands&permissions=%d", b.appID.Load().(string), perms)
}

func (b *Bot) onReady(s *discordgo.Session, r *discordgo.Ready) {
	if r.User != nil {
		b.botID.Store(r.User.ID)
	}
	if b.appID.Load().(string) == "" {
		switch {
		case r.Application != nil && r.Application.ID != "":
			b.appID.Store(r.Application.ID)
		case r.User != nil:
			// A bot's user ID is its application's ID.
			b.appID.Store(r.User.ID)
		}
	}
	b.ready.Store(true)
	b.readyOnce.Do(func() { close(b.readyCh) })
}

// Handler serves /healthz and /metrics.
func (b *Bot) Handler() http.Handler { return b.opsHandler() }
