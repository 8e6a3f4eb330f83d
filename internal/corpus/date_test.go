package corpus

import (
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in, want, err string
	}{
		{"2026-02-04", "2026-02-04T00:00:00Z", ""},
		{"2026-2-4", "2026-02-04T00:00:00Z", ""},
		{"1987-02-26T15:01:01Z", "1987-02-26T15:01:01Z", ""},
		{"2026-02-04T23:30:00-05:00", "2026-02-04T23:30:00Z", ""},
		{"February 4, 2026", "2026-02-04T00:00:00Z", ""},
		{"4 February 2026", "2026-02-04T00:00:00Z", ""},
		{"2026-13-45", "", "impossible date"},
		{"2026-02-30", "", "impossible date"},
		{"03/02/2026", "", "cannot parse"},
		{"2026", "", "does not name a day"},
		{"1700000000", "", "does not name a day"},
		{"1000.", "", "does not name a day"}, // found by FuzzParseText
		{"1000.0000000000", "", "does not name a day"},
		{"1987.3.", "", "does not name a day"},
		{"1000.0000.", "", "does not name a day"},
		{"March 2026", "", "does not name a day"},
		{"someday", "", "cannot parse"},
		{"", "", "no date"},
	}
	for _, tt := range tests {
		got, err := ParseDate(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseDate(%q) = %v, %v; want error ~%q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got.Format(time.RFC3339) != tt.want {
			t.Errorf("ParseDate(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitSentencesLongToken(t *testing.T) {
	text := strings.Repeat("a.", 20_000)
	if spans := SplitSentences(text); len(spans) != 1 || spans[0] != (Span{0, len(text)}) {
		t.Fatalf("a run of letters and periods is one sentence, got %d spans", len(spans))
	}
}

// BenchmarkSplitSentencesLongToken guards against the quadratic look-back
// that once made a 320 KB run of "a." take minutes.
func BenchmarkSplitSentencesLongToken(b *testing.B) {
	text := strings.Repeat("a.", 200_000)
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		SplitSentences(text)
	}
}
