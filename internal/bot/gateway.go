package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// FatalGatewayError is a gateway close that retrying cannot fix: Fix says
// what the operator must do.
type FatalGatewayError struct {
	Code int
	Fix  string
	// Token is set when the bot token is the likely cause.
	Token bool
}

// Error names the close code and the fix.
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
		4004: "the bot token is invalid: copy it again from the Developer Portal (Bot → Reset Token)",
		4010: "invalid shard",
		4011: "sharding is required: the bot is in too many servers for one connection",
		4012: "invalid gateway API version",
		4013: "invalid intents",
		4014: "disallowed intents: enable \"Message Content Intent\" under Bot → Privileged Gateway Intents in the Developer Portal, or stop asking for it",
	}
	if fix, ok := fixes[ce.Code]; ok {
		return &FatalGatewayError{Code: ce.Code, Fix: fix, Token: ce.Code == 4004}
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
	if host := b.apiHost(); host != "discord.com" {
		b.log.Info("connected to a Discord-compatible server; the invite link points at it, not at discord.com", "server", host, "invite", b.InviteURL())
	} else {
		b.log.Info("connected to Discord; invite Herald with this link", "invite", b.InviteURL())
	}
	// Commands registered earlier keep working, and mentions and DMs need
	// none: a failed registration is reported, not fatal. One replica, the
	// first shard, registers them for all.
	if b.opts.ShardCount > 1 && b.opts.ShardID != 0 {
		b.log.Info("Herald is on Discord; shard 0 registers the commands", "shard", b.opts.ShardID, "shards", b.opts.ShardCount)
	} else if err := b.registerCommands(b.ctx); err != nil {
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
	refusals := 0
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
		if refusals = countRefusal(refusals, err); refusals >= maxRefusals {
			return refusedSessions(refusals, err)
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
	refusals := 0
	for !b.draining.Load() {
		err := b.s.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			b.log.Info("reconnected to the Discord gateway")
			return
		}
		fatal := fatalClose(err)
		if refusals = countRefusal(refusals, err); fatal == nil && refusals >= maxRefusals {
			fatal = refusedSessions(refusals, err)
		}
		if fatal != nil {
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

// maxRefusals is how many sessions in a row the gateway may close before
// they are ready, with a code that names no cause, before Herald stops and
// names the likeliest cause: the token.
const maxRefusals = 3

// countRefusal counts a gateway close that ended a session before READY
// with a code that names no cause (4000 to 4003, 4005: what a server may
// send for a bad token); any other failure, a dropped connection (1006)
// included, starts the count again.
func countRefusal(n int, err error) int {
	var ce *websocket.CloseError
	if errors.As(err, &ce) && (ce.Code >= 4000 && ce.Code <= 4003 || ce.Code == 4005) {
		return n + 1
	}
	return 0
}

// refusedSessions is the error of sessions the gateway kept closing before
// they were ready. Some Discord-compatible servers close with 4000 (an
// unknown error) rather than 4004 for a bad token.
func refusedSessions(n int, err error) error {
	code := 4000
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		code = ce.Code
	}
	return &FatalGatewayError{Code: code, Token: true, Fix: fmt.Sprintf("the gateway closed %d sessions in a row before they were ready: "+
		"the bot token is the likeliest cause: copy it again from the Developer Portal (Bot → Reset Token)", n)}
}
