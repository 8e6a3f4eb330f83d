package analysis

import (
	"slices"
	"strings"
	"testing"
)

func TestIndexAnalyzerFoldsDemonyms(t *testing.T) {
	an := NewIndex()
	tests := []struct{ a, b string }{
		{"Russian trade", "Russia's trade"},
		{"Russians voted", "Russia voted"},
		{"Chinese exports", "China exports"},
		{"the Afghans", "Afghanistan"},
		{"French wine", "France wine"},
	}
	for _, tt := range tests {
		if a, b := an.Terms(nil, tt.a), an.Terms(nil, tt.b); strings.Join(a, " ") != strings.Join(b, " ") {
			t.Errorf("%q → %v but %q → %v", tt.a, a, tt.b, b)
		}
	}
	if got := New().Terms(nil, "Russian"); len(got) != 1 || got[0] == "russia" {
		t.Errorf("the embedder's analyzer folded a demonym: %v", got)
	}
}

func TestAbbreviationsAreWords(t *testing.T) {
	an := NewIndex()
	tests := []struct {
		text string
		want []string
	}{
		{"U.S. jobless rate", []string{"usa", "jobless", "rate"}},
		{"the US rate", []string{"usa", "rate"}},
		{"tell us the rate", []string{"us", "rate"}}, // the pronoun, not the country
		{"U.K. banks and the E.C.", []string{"uk", "bank", "ec"}},
		{"U.S.-Japan trade", []string{"usa", "japan", "trade"}},
		{"Reagan, 1.5 pct", []string{"reagan", "1.5", "pct"}},
		{"Möngke Khan and Erdoğan", []string{"mongk", "khan", "erdogan"}},
		{"Mo\u0308ngke", []string{"mongk"}}, // a combining accent
		{"Straße in Łódź", []string{"strass", "lodz"}},
		{"Путин", []string{"путин"}},
	}
	for _, tt := range tests {
		if got := an.Terms(nil, tt.text); !slices.Equal(got, tt.want) {
			t.Errorf("Terms(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}
