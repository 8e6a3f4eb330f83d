package analysis

import (
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
