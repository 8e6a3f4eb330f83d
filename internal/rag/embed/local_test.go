package embed

import (
	"context"
	"math"
	"slices"
	"testing"
)

// TestLocalIsDeterministic: the same text gets the same vector to the last
// bit, call after call (a map's order once made near-tied answers fall
// differently from run to run).
func TestLocalIsDeterministic(t *testing.T) {
	e := NewLocal(16) // few buckets: many features summed into each
	texts := []string{
		"Following Phillips' resignation CFTC commissioner Kalo Hineman, a Kansas farmer, or commissioner Robert Davis were considered the strongest candidates to head the agency, at least temporarily.",
		"Trade between Russia and China has stayed above $200 billion for the third year running, Putin told Xi.",
	}
	first, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for run := range 50 {
		again, err := e.Embed(context.Background(), texts)
		if err != nil {
			t.Fatal(err)
		}
		for i := range texts {
			if !slices.Equal(first[i], again[i]) {
				t.Fatalf("run %d: text %d got another vector", run, i)
			}
		}
	}
	for i, v := range first {
		norm := 0.0
		for _, x := range v {
			norm += float64(x) * float64(x)
		}
		if math.Abs(norm-1) > 1e-5 {
			t.Errorf("text %d: norm² %.6f, want 1", i, norm)
		}
	}
}

// BenchmarkLocalEmbed embeds one chunk-sized text (about 120 words).
func BenchmarkLocalEmbed(b *testing.B) {
	e := NewLocal(0)
	text := "Following Phillips' resignation CFTC commissioner Kalo Hineman, a Kansas farmer, or commissioner Robert Davis were considered the strongest candidates to head the agency, at least temporarily. " +
		"A White House associate personnel director, Mark Sullivan, emerged as a possible candidate to replace Susan Phillips as chairman of the Commodity Futures Trading Commission. " +
		"However, industry sources said the strong speculation about Sullivan suggests he now is the leading candidate, and that the administration wanted someone who shared its views on deregulation of the futures markets. " +
		"Trade between Russia and China has stayed above 200 billion dollars for the third year running, Putin told Xi during their video call."
	for b.Loop() {
		e.embed(text)
	}
}
