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

// Library describes the indexed articles; the store of record
// (store.Archive) is one.
type Library interface {
	Stats(ctx context.Context) (rag.Stats, error)
	Articles(ctx context.Context, q rag.ArticleQuery) ([]rag.ArticleInfo, error)
}

// Reindexer reads the corpus again into the live index, for /reindex;
// *library.Library is one.
type Reindexer interface {
	Reindex(ctx context.Context) (rag.IngestReport, error)
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
	// Desk keeps follows and digests (/follow, /unfollow, /digest); nil
	// turns those commands off.
	Desk Desk
	// Feeds reports the feeds' state for /stats; nil when there is none.
	Feeds FeedStatus
	// Reindexer re-reads the corpus for /reindex; nil disables the command.
	Reindexer Reindexer
	// IndexBytes reports the index's size on disk for /stats.
	IndexBytes func() int64
	// DataDir holds feedback.jsonl, unless Feedback is set.
	DataDir string
	// Feedback keeps the votes on answers where every replica shares
	// them; nil keeps them in DataDir.
	Feedback FeedbackLog
	// StoreReady reports whether the store of record answers, for
	// /healthz; nil when it is in the process.
	StoreReady func(context.Context) error

	// ShardID and ShardCount split the servers among replicas: Discord
	// sends each replica the events of its shard's servers (and direct
	// messages to shard 0). Shard 0 registers the commands. ShardCount 0
	// or 1 is one replica for all.
	ShardID, ShardCount int

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

// The defaults of Options, which `herald serve` uses too. A zero
// RatePerMinute turns the rate limit off and a zero Queue means no queue:
// DefaultRatePerMinute and DefaultQueue are what serve asks for.
const (
	DefaultRatePerMinute   = 5
	DefaultRateBurst       = 3
	DefaultMaxConcurrent   = 4
	DefaultQueue           = 32
	DefaultMaxQuestion     = 1000
	DefaultFastReply       = 1500 * time.Millisecond
	DefaultAnswerTimeout   = time.Minute
	DefaultShutdownTimeout = 10 * time.Second
)

func (o *Options) defaults() {
	if o.APIURL == "" {
		o.APIURL = DefaultAPIURL
	}
	if o.RateBurst <= 0 {
		o.RateBurst = DefaultRateBurst
	}
	if o.MaxConcurrent <= 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.Queue < 0 {
		o.Queue = 0
	}
	if o.MaxQuestion <= 0 {
		o.MaxQuestion = DefaultMaxQuestion
	}
	if o.FastReply <= 0 {
		o.FastReply = DefaultFastReply
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = DefaultAnswerTimeout
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
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
	rest     *rest
	log      *slog.Logger
	limiter  *userLimiter
	gate     *gate
	answers  *answerStore
	feedback FeedbackLog
	metrics  *metrics
	threads  *threads
	// commands is the command table, by route; registered lists what
	// Discord registers.
	commands   map[string]command
	registered []command

	botID    atomic.Value // string
	appID    atomic.Value // string
	answered atomic.Int64
	// noEphemeral is set once the server refused an ephemeral message.
	noEphemeral atomic.Bool
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

// ErrNoToken means Options has no bot token.
var ErrNoToken = errors.New("no Discord bot token")

// New prepares a bot; Run connects it.
func New(opts Options) (*Bot, error) {
	opts.defaults()
	if opts.Token == "" {
		return nil, ErrNoToken
	}
	if opts.Engine == nil || opts.Library == nil {
		return nil, errors.New("bot: Engine and Library are required")
	}
	if opts.ShardCount > 1 && (opts.ShardID < 0 || opts.ShardID >= opts.ShardCount) {
		return nil, fmt.Errorf("bot: shard %d of %d: the shard ID must be from 0 to %d", opts.ShardID, opts.ShardCount, opts.ShardCount-1)
	}
	fb := opts.Feedback
	if fb == nil {
		f, err := openFeedback(opts.DataDir)
		if err != nil {
			return nil, err
		}
		fb = f
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
		return nil, fmt.Errorf("the Discord API base %q is not a URL", opts.APIURL)
	}
	// discordgo keeps the gateway, and asks the REST API only where the
	// gateway is. Herald's own REST calls go through rest, bounded by
	// deadlines: discordgo's would wait out any rate limit.
	s.Client = &http.Client{Timeout: restTimeout, Transport: apiTransport{base: base, next: http.DefaultTransport}}
	// Herald reconnects itself (reconnectLoop), so that a close that needs
	// the operator (an invalid token) ends the process instead of retrying
	// for ever.
	s.ShouldReconnectOnError = false
	s.ShouldRetryOnRateLimit = false
	s.MaxRestRetries = 0
	s.StateEnabled = false
	if opts.ShardCount > 1 {
		s.ShardID, s.ShardCount = opts.ShardID, opts.ShardCount
	}
	s.Identify.Intents = discordgo.IntentsGuilds | discordgo.IntentsGuildMessages | discordgo.IntentsDirectMessages
	if opts.MessageContent {
		s.Identify.Intents |= discordgo.IntentsMessageContent
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Bot{
		opts: opts, s: s, log: opts.Log,
		rest:     newREST(base.String(), opts.Token),
		limiter:  newUserLimiter(opts.RatePerMinute, opts.RateBurst),
		gate:     newGate(opts.MaxConcurrent, opts.Queue),
		answers:  newAnswerStore(5000),
		feedback: fb,
		metrics:  m,
		threads:  newThreads(10000),
		ctx:      ctx, cancel: cancel,
		readyCh: make(chan struct{}),
		fatal:   make(chan error, 1),
	}
	b.commands, b.registered = b.commandTable()
	m.trackSlots(b.gate.inUse)
	b.botID.Store("")
	b.appID.Store(opts.AppID)
	s.AddHandler(b.onEvent)
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
			// Name the address actually tried, not discord.com.
			return nil, fmt.Errorf("the Discord API at %s: %w", u.Redacted(), err)
		}
		return resp, nil
	}
	return t.next.RoundTrip(req)
}

// Ready reports whether the gateway is connected and the bot can answer.
func (b *Bot) Ready() bool { return b.ready.Load() && !b.draining.Load() }

// InviteURL is the link that adds the bot to a server with the scopes and
// permissions it needs: on discord.com, or on the Discord-compatible
// server that DISCORD_API_URL names.
func (b *Bot) InviteURL() string {
	perms := discordgo.PermissionViewChannel | discordgo.PermissionSendMessages | discordgo.PermissionSendMessagesInThreads |
		discordgo.PermissionCreatePublicThreads | discordgo.PermissionEmbedLinks | discordgo.PermissionReadMessageHistory
	site := "https://discord.com"
	if u, err := url.Parse(b.opts.APIURL); err == nil && b.apiHost() != "discord.com" {
		site = u.Scheme + "://" + u.Host
	}
	return fmt.Sprintf("%s/oauth2/authorize?client_id=%s&scope=bot+applications.commands&permissions=%d", site, b.appID.Load().(string), perms)
}

// apiHost is the host of the REST API: discord.com, or another server.
func (b *Bot) apiHost() string {
	u, err := url.Parse(b.opts.APIURL)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Hostname(), "www.")
}

// onReady records who the bot is, from a READY event (read leniently), and
// that it is connected.
func (b *Bot) onReady(user, app string) {
	if user != "" {
		b.botID.Store(user)
	}
	if b.appID.Load().(string) == "" {
		switch {
		case app != "":
			b.appID.Store(app)
		case user != "":
			// A bot's user ID is its application's ID.
			b.appID.Store(user)
		}
	}
	b.ready.Store(true)
	b.readyOnce.Do(func() { close(b.readyCh) })
}

// Handler serves /healthz and /metrics.
func (b *Bot) Handler() http.Handler { return b.opsHandler() }
