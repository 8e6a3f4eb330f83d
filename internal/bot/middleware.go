package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/herald-news/herald/internal/rag"
)

// call is one request from Discord being answered: an interaction, or a
// message that mentions Herald, a DM or a follow-up in Herald's thread.
type call struct {
	// command names the request in logs and metrics: "ask", "mention"…
	command string
	// user is the Discord user ID of who asked.
	user string
	// received is when the request arrived, by the bot's clock; arrived is
	// the same moment by the wall clock, for Discord's deadlines.
	received, arrived time.Time
	// in is the interaction (nil for a message), msg the message (nil for
	// an interaction).
	in  *discordgo.Interaction
	msg *discordgo.Message
	// channel is where a message's answer goes: its channel, or the thread
	// started for it.
	channel string
	// logOptions are the request's options, logged with HERALD_LOG_CONTENT.
	logOptions map[string]any
}

// A handler reads one request and returns the job that answers it, or a
// refusal (made with refuse) to show the user instead.
type handler func(c *call) (job, error)

// job is the work that answers a request.
type job struct {
	// limited jobs take a question from the user's rate budget.
	limited bool
	// gated jobs wait for one of the MaxConcurrent answer slots.
	gated bool
	// private replies are shown to the user alone (interactions).
	private bool
	// timeout bounds the work (default AnswerTimeout); it never reaches
	// past an interaction token's life.
	timeout time.Duration
	// run writes the reply; stream, when the reply is deferred, shows a
	// partial answer (an LLM's text as it comes).
	run func(ctx context.Context, stream func(partial string)) (reply, error)
}

// A deliverer takes a request's reply to Discord: an interaction's
// responses, or messages in a channel.
type deliverer interface {
	// refuse sends r at once, privately where it can, and returns it with
	// its outcome set to what reached the user.
	refuse(r reply) reply
	// deliver runs the job and sends its reply, and returns the reply with
	// its outcome set to what reached the user.
	deliver(j job) reply
}

// Outcomes of a request, as logged and counted.
const (
	outcomeAnswered    = "answered"
	outcomeNotCovered  = "not-covered"
	outcomeRefused     = "refused"
	outcomeForbidden   = "forbidden"
	outcomeBusy        = "busy"
	outcomeDraining    = "draining"
	outcomeTimeout     = "timeout"
	outcomeError       = "error"
	outcomeExpired     = "expired"
	outcomeUnreadable  = "unreadable"
	outcomeUndelivered = "undelivered"
)

// serve is the one middleware every request goes through: it recovers from
// a panic with an apology, checks the admin flag, lets the handler read the
// request, applies the user's rate limit, the drain and the answer slots,
// has the job delivered, and writes the request's log line and metrics.
func (b *Bot) serve(c *call, cmd command, out deliverer) {
	var r reply
	delivered := false
	defer func() {
		if p := recover(); p != nil {
			r = b.recovered(c.command, p)
			if !delivered {
				r = out.refuse(r)
			}
		}
		b.record(c, r)
	}()
	b.metrics.questions.WithLabelValues(c.command).Inc()
	refuseWith := func(rr reply) { r, delivered = out.refuse(rr), true }
	if !allowed(c.in, cmd.perm) {
		refuseWith(notice("Only members with the "+cmd.permName+" permission can use /"+c.command+".", colourError, outcomeForbidden))
		return
	}
	j, err := cmd.handler(c)
	if err != nil {
		refuseWith(b.failure(c.command, err))
		return
	}
	// Drain and the slots first: a question refused for those must not
	// spend the user's rate budget.
	if !b.begin() {
		refuseWith(notice("Herald is restarting; please ask again in a minute.", colourError, outcomeDraining))
		return
	}
	defer b.inflight.Done()
	if j.gated && !b.gate.reserve() {
		b.metrics.busy.Inc()
		refuseWith(notice("Herald is busy answering other questions; please try again in a moment.", colourError, outcomeBusy))
		return
	}
	if j.limited {
		if ok, wait := b.limiter.allow(c.user, b.opts.Now()); !ok {
			if j.gated {
				b.gate.unreserve()
			}
			b.metrics.rateLimited.Inc()
			refuseWith(notice(fmt.Sprintf("Slow down: you can ask again in %d s.", int(wait.Seconds()+0.999)), colourError, outcomeRefused))
			return
		}
	}
	if j.timeout <= 0 {
		j.timeout = b.opts.AnswerTimeout
	}
	if j.gated {
		run := j.run
		j.run = func(ctx context.Context, stream func(string)) (reply, error) {
			if !b.gate.enter(ctx.Done()) {
				return notice("Herald is too busy to answer in time; please try again.", colourError, outcomeTimeout), nil
			}
			defer b.gate.release()
			return run(ctx, stream)
		}
	}
	r, delivered = out.deliver(j), true
}

// work runs a job's run, timing it and turning a panic or an error into an
// apology: whatever happens, there is a reply to deliver.
func (b *Bot) work(ctx context.Context, command string, j job, stream func(string)) (r reply) {
	defer func() {
		if p := recover(); p != nil {
			r = b.recovered(command, p)
		}
	}()
	start := time.Now()
	r, err := j.run(ctx, stream)
	b.metrics.latency.WithLabelValues(command).Observe(time.Since(start).Seconds())
	if err != nil {
		return b.failure(command, err)
	}
	return r
}

// recovered logs a panic and returns the apology for it.
func (b *Bot) recovered(command string, p any) reply {
	b.metrics.errors.WithLabelValues("panic").Inc()
	b.log.Error("panic while answering", "command", command, "panic", fmt.Sprint(p))
	return notice("Sorry, something went wrong while answering. Please try again.", colourError, outcomeError)
}

// failure turns an error into a polite reply.
func (b *Bot) failure(command string, err error) reply {
	var bad *badRequest
	if errors.As(err, &bad) {
		return notice(bad.msg, colourError, bad.outcome)
	}
	var qe *rag.QuestionError
	if errors.As(err, &qe) {
		return notice(qe.Error(), colourError, outcomeRefused)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		b.metrics.errors.WithLabelValues("timeout").Inc()
		return notice("Sorry, that took too long to answer. Please try again, or ask something narrower.", colourError, outcomeTimeout)
	}
	b.metrics.errors.WithLabelValues("answer").Inc()
	// Engine errors say what was being done and why, without the question.
	b.log.Error("answering", "command", command, "err", err)
	return notice("Sorry, something went wrong while answering. Please try again.", colourError, outcomeError)
}

// badRequest is a request Herald will not take, shown to the user as it is.
type badRequest struct {
	msg     string
	outcome string
}

func (e *badRequest) Error() string { return e.msg }

// refuse makes a refusal: the user's mistake, or a request not taken.
func refuse(format string, args ...any) error {
	return &badRequest{msg: fmt.Sprintf(format, args...), outcome: outcomeRefused}
}

// unreadable is the refusal of a request Herald could not decode.
func unreadable() error {
	return &badRequest{msg: "Sorry, Herald could not read this request. Please try again.", outcome: outcomeUnreadable}
}

// record writes the request's one log line and counts its outcome.
func (b *Bot) record(c *call, r reply) {
	latency := b.opts.Now().Sub(c.received)
	if r.miss {
		b.metrics.misses.Inc()
	}
	b.metrics.outcomes.WithLabelValues(c.command, r.outcome).Inc()
	if r.answer && (r.outcome == outcomeAnswered || r.outcome == outcomeNotCovered) {
		b.answered.Add(1)
	}
	b.metrics.requests.WithLabelValues(c.command).Observe(latency.Seconds())
	attrs := []any{"command", c.command, "latency_ms", latency.Milliseconds(), "citations", r.citations, "outcome", r.outcome}
	if r.detail != "" {
		attrs = append(attrs, "detail", r.detail)
	}
	if b.opts.LogContent && len(c.logOptions) > 0 {
		attrs = append(attrs, "options", fmt.Sprint(c.logOptions))
	}
	level := slog.LevelInfo
	if r.outcome == outcomeUndelivered || r.outcome == outcomeError {
		level = slog.LevelWarn
	}
	b.log.Log(context.Background(), level, "request", attrs...)
}
