package bot

import (
	"context"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// opsHandler serves /healthz (200 once the index is loaded, the gateway
// connected and the store of record answering, 503 with the reason
// otherwise) and /metrics in Prometheus format.
func (b *Bot) opsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if !b.Ready() {
			http.Error(w, "not ready: not connected to Discord, or shutting down", http.StatusServiceUnavailable)
			return
		}
		if b.opts.StoreReady != nil {
			ctx, cancel := context.WithTimeout(r.Context(), storeCheckTimeout)
			defer cancel()
			if err := b.opts.StoreReady(ctx); err != nil {
				b.metrics.errors.WithLabelValues("store").Inc()
				http.Error(w, "not ready: the store of record does not answer: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	mux.Handle("/metrics", promhttp.HandlerFor(b.metrics.registry, promhttp.HandlerOpts{}))
	return mux
}

// storeCheckTimeout bounds /healthz's question to the store of record.
const storeCheckTimeout = 2 * time.Second
