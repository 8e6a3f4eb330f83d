package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestFullDiskKeepsThePreviousSnapshot ingests into a 256 KB tmpfs: a small
// corpus fits, then a larger one runs out of space. The ingest reports the
// error, and the previous snapshot is intact and answers. It needs to mount
// a tmpfs (root on Linux) and skips otherwise.
func TestFullDiskKeepsThePreviousSnapshot(t *testing.T) {
	data := filepath.Join(t.TempDir(), "small-disk")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs here (%v: %s): the injected-writer test in internal/rag covers a failing write", err, strings.TrimSpace(string(out)))
	}
	t.Cleanup(func() { exec.Command("umount", data).Run() })
	c := isolate(t)

	small := t.TempDir()
	os.WriteFile(filepath.Join(small, "zebra.md"), []byte("---\ntitle: Zebra Treaty\ndate: 2026-06-01\nurl: https://example.org/zebra\n---\nThe zebra treaty was signed in Ulan Bator by both governments.\n"), 0o644)
	if code, out, errOut := c.run("", "ingest", "--data", data, small); code != 0 {
		t.Fatalf("the small ingest: exit %d\n%s\n%s", code, out, errOut)
	}
	before, err := os.ReadFile(filepath.Join(data, "index.herald"))
	if err != nil {
		t.Fatal(err)
	}

	large := t.TempDir()
	var b strings.Builder
	for i := 0; i < 400; i++ {
		fmt.Fprintf(&b, `{"id":"big-%d","title":"Report %d","date":"2026-03-%02d","body":%q}`+"\n", i, i, 1+i%28,
			strings.Repeat(fmt.Sprintf("Officials in round %d discussed grain, energy and rail links at length. ", i), 12))
	}
	os.WriteFile(filepath.Join(large, "big.jsonl"), []byte(b.String()), 0o644)
	code, out, errOut := c.run("", "ingest", "--data", data, small, large)
	if code == 0 || !strings.Contains(errOut, "no space left on device") {
		t.Fatalf("the large ingest into a full disk: exit %d\n%s\n%s", code, out, errOut)
	}
	after, err := os.ReadFile(filepath.Join(data, "index.herald"))
	if err != nil || string(after) != string(before) {
		t.Fatalf("the snapshot changed or vanished: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(data, "*.tmp-*")); len(left) != 0 {
		t.Errorf("temporary files left on the full disk: %v", left)
	}
	if code, out, errOut := c.run("", "check", "--data", data); code != 0 || !strings.Contains(out, "is sound: 1 article") {
		t.Fatalf("check after the full disk: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := c.run("", "ask", "--data", data, "Where was the zebra treaty signed?"); code != 0 || !strings.Contains(out, "Ulan Bator") {
		t.Errorf("ask after the full disk: exit %d\n%s", code, out)
	}
	t.Logf("the failed ingest said: %s", strings.TrimSpace(errOut))
}
