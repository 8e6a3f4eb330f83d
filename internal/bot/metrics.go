package bot

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/herald-news/herald/internal/rag"
)

// metrics are Herald's Prometheus series, in a registry of their own.
type metrics struct {
	registry    *prometheus.Registry
	questions   *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	firstReply  prometheus.Histogram
	misses      prometheus.Counter
	errors      *prometheus.CounterVec
	rateLimited prometheus.Counter
	busy        prometheus.Counter
	feedback    *prometheus.CounterVec
	streamEdit  prometheus.Histogram
	outcomes    *prometheus.CounterVec
	requests    *prometheus.HistogramVec
	// The live news: feed polls, the watcher, follows and digests.
	feedFetches *prometheus.CounterVec
	feedNew     *prometheus.CounterVec
	feedLag     prometheus.Histogram
	watch       *prometheus.CounterVec
	desk        *prometheus.CounterVec
}

// trackLLM exports the language model's token use.
func (m *metrics) trackLLM(usage func() rag.BudgetUsage) {
	m.registry.MustRegister(
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "herald_llm_tokens_today", Help: "LLM tokens used today (UTC)."},
			func() float64 { return float64(usage().Tokens) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "herald_llm_budget_refusals", Help: "LLM calls refused by a token budget."},
			func() float64 { return float64(usage().Refusals) }),
	)
}

// trackSlots exports how many questions hold an answer slot or wait for
// one.
func (m *metrics) trackSlots(inUse func() int) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "herald_answer_slots_in_use", Help: "Questions holding an answer slot or waiting for one.",
	}, func() float64 { return float64(inUse()) }))
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		questions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_questions_total", Help: "Questions and requests, by command.",
		}, []string{"command"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_answer_seconds", Help: "Time to write an answer, by command.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"command"}),
		firstReply: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herald_first_response_seconds", Help: "Time from receiving an interaction to its first response.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 1.5, 2, 2.5, 3},
		}),
		misses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_retrieval_misses_total", Help: "Questions the corpus did not answer.",
		}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_errors_total", Help: "Errors, by kind.",
		}, []string{"kind"}),
		rateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_rate_limited_total", Help: "Questions refused by the per-user rate limit.",
		}),
		busy: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "herald_busy_total", Help: "Questions refused because the queue was full.",
		}),
		feedback: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_feedback_total", Help: "Feedback votes, by vote.",
		}, []string{"vote"}),
		streamEdit: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herald_first_stream_edit_seconds", Help: "Time from receiving a question to the first streamed edit of its answer.",
			Buckets: []float64{.25, .5, 1, 1.5, 2, 2.5, 3, 5, 10},
		}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_outcomes_total", Help: "Requests by command and by what reached the user (answered, not-covered, refused, undelivered…).",
		}, []string{"command", "outcome"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "herald_request_seconds", Help: "Time from receiving a request to its reply's delivery (or failure), by command.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"command"}),
		feedFetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_feed_fetches_total", Help: "Polls of each feed, by outcome (ok, not-modified, rate-limited, error).",
		}, []string{"feed", "outcome"}),
		feedNew: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_feed_new_items_total", Help: "New or changed items indexed from each feed.",
		}, []string{"feed"}),
		feedLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "herald_feed_lag_seconds", Help: "Time from an item's publication to its being answerable.",
			Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600, 3 * 3600, 12 * 3600, 86400, 7 * 86400},
		}),
		watch: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_watch_events_total", Help: "Corpus watcher events (create, write, remove, rename, overflow) and updates (ok, error).",
		}, []string{"kind"}),
		desk: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "herald_desk_posts_total", Help: "Follow posts and digest runs, by outcome (posted, failed, paused).",
		}, []string{"kind", "outcome"}),
	}
	m.registry.MustRegister(m.feedFetches, m.feedNew, m.feedLag, m.watch, m.desk)
	m.registry.MustRegister(m.outcomes, m.requests, m.questions, m.latency, m.firstReply, m.misses, m.errors, m.rateLimited, m.busy, m.feedback, m.streamEdit,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
