package desk_test

import (
	"testing"
	"time"

	"github.com/herald-news/herald/internal/desk"
)

func TestDigestNext(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, at, zone, after, want string
	}{
		{"later today", "08:00", "UTC", "2026-03-01T07:00:00Z", "2026-03-01T08:00:00Z"},
		{"tomorrow", "08:00", "UTC", "2026-03-01T08:00:00Z", "2026-03-02T08:00:00Z"},
		{"in Paris, winter", "08:00", "Europe/Paris", "2026-03-01T06:00:00Z", "2026-03-01T07:00:00Z"},
		{"in Paris, across the change to summer time", "08:00", "Europe/Paris", "2026-03-28T08:00:00Z", "2026-03-29T06:00:00Z"},
		{"in Shanghai, the local day ahead of UTC", "07:30", "Asia/Shanghai", "2026-03-01T23:00:00Z", "2026-03-01T23:30:00Z"},
	}
	for _, tt := range tests {
		g := desk.Digest{At: tt.at, Zone: tt.zone}
		if got := g.Next(utc(tt.after)); !got.Equal(utc(tt.want)) {
			t.Errorf("%s: next after %s is %s, want %s", tt.name, tt.after, got.UTC().Format(time.RFC3339), tt.want)
		}
	}
}

func TestDigestSettings(t *testing.T) {
	for _, tt := range []struct {
		at, zone string
		ok       bool
	}{{"08:00", "UTC", true}, {"8:05", "Europe/Paris", true}, {"25:00", "UTC", false}, {"noon", "UTC", false}, {"08:00", "Mars/Olympus", false}} {
		_, errAt := desk.ParseDigestTime(tt.at)
		_, errZone := desk.ParseZone(tt.zone)
		if ok := errAt == nil && errZone == nil; ok != tt.ok {
			t.Errorf("%s %s: ok %v, want %v (%v, %v)", tt.at, tt.zone, ok, tt.ok, errAt, errZone)
		}
	}
}
