// Package sharedtest locates the shared test data that lives beside the
// repository (../shared) for tests that need it.
package sharedtest

import (
	"os"
	"path/filepath"
	"testing"
)

// Dir returns the shared data directory, or skips the test when it is
// absent. Under CI (CI=true) a missing directory fails the test instead.
func Dir(t testing.TB) string {
	t.Helper()
	if d := findShared(); d != "" {
		return d
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("../shared is missing: CI must run beside the shared data")
	}
	t.Skip("../shared is absent: skipping a test that reads the shared data")
	return ""
}

// Path returns a file or directory inside the shared data, skipping (or,
// under CI, failing) when it is absent.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(Dir(t), rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("shared data %s is missing: %v", rel, err)
		}
		t.Skipf("shared data %s is absent: %v", rel, err)
	}
	return p
}

// findShared walks up from the working directory to the module root and
// returns its sibling "shared" directory, if there is one.
func findShared() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			shared := filepath.Join(dir, "..", "shared")
			if info, err := os.Stat(shared); err == nil && info.IsDir() {
				return shared
			}
			return ""
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
