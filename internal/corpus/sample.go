package corpus

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
)

//go:embed sample/*
var sampleFiles embed.FS

// Sample returns the built-in sample corpus: a handful of short, dated news
// articles on China–Russia relations, written for Herald. It lets Herald
// answer with no configuration and no files.
func Sample() ([]Article, error) {
	entries, err := fs.ReadDir(sampleFiles, "sample")
	if err != nil {
		return nil, fmt.Errorf("reading the sample corpus: %w", err)
	}
	var out []Article
	for _, e := range entries {
		name := path.Join("sample", e.Name())
		data, err := sampleFiles.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading the sample corpus: %w", err)
		}
		a, rej := ParseText("builtin:"+name, data)
		if rej != nil {
			return nil, fmt.Errorf("sample corpus: %w", rej)
		}
		out = append(out, a)
	}
	return out, nil
}
