package corpus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// DefaultMaxFileBytes is the default size limit of a single-article file and
// of one JSON Lines record.
const DefaultMaxFileBytes = 10 << 20

// Options controls how a corpus is read.
type Options struct {
	// MaxFileBytes limits a single-article file and each JSON Lines record
	// (default DefaultMaxFileBytes).
	MaxFileBytes int64
}

// Handler receives what Walk reads.
type Handler struct {
	// Article is called for each good article; an error stops the walk.
	Article func(Article) error
	// Reject is called for each rejected file or record.
	Reject func(*Rejection)
	// FileDone, if set, is called after each file with its counts.
	FileDone func(FileResult)
}

// FileResult tells what one file gave.
type FileResult struct {
	Path     string
	Articles int
	Rejected int
	// Bytes is the file's size.
	Bytes int64
}

// Ignored reports whether a file or folder name under a corpus folder is
// not the corpus's: hidden (.name, as editors' swap files and temporary
// files are), an editor's backup (name~, #name#), or vim's write test
// (4913).
func Ignored(name string) bool {
	return strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") ||
		(strings.HasPrefix(name, "#") && strings.HasSuffix(name, "#")) || name == "4913"
}

// Files lists the article files under roots: files are taken as they are,
// directories walked recursively in lexical order, skipping the entries
// Ignored names.
// Roots that cannot be read are reported as rejections.
func Files(roots []string, reject func(*Rejection)) []string {
	var files []string
	for _, root := range roots {
		info, err := os.Stat(root)
		if err != nil {
			reject(&Rejection{Path: root, Reason: describeFSError(err)})
			continue
		}
		if !info.IsDir() {
			files = append(files, root)
			continue
		}
		err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				reject(&Rejection{Path: path, Reason: describeFSError(err)})
				return nil
			}
			if path != root && Ignored(d.Name()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			switch {
			case d.Type().IsRegular():
				files = append(files, path)
			case d.Type()&fs.ModeSymlink != 0:
				target, err := os.Stat(path)
				switch {
				case err != nil:
					reject(&Rejection{Path: path, Reason: "broken symbolic link: " + describeFSError(err)})
				case target.Mode().IsRegular():
					files = append(files, path)
				case target.IsDir():
					reject(&Rejection{Path: path, Reason: "symbolic link to a directory is not followed: give its target as a path instead"})
				}
			}
			return nil
		})
		if err != nil {
			reject(&Rejection{Path: root, Reason: describeFSError(err)})
		}
	}
	sort.Strings(files)
	return files
}

// Walk reads every article in files (as listed by Files). Bad files and
// records are passed to h.Reject and never stop the rest. It returns early
// only when ctx is done or h.Article fails.
func Walk(ctx context.Context, files []string, opts Options, h Handler) error {
	limit := opts.MaxFileBytes
	if limit <= 0 {
		limit = DefaultMaxFileBytes
	}
	for _, path := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		res := FileResult{Path: path}
		reject := func(r *Rejection) {
			res.Rejected++
			h.Reject(r)
		}
		visit := func(a Article) error {
			res.Articles++
			return h.Article(a)
		}
		if err := readFile(path, limit, &res, visit, reject); err != nil {
			return err
		}
		if h.FileDone != nil {
			h.FileDone(res)
		}
	}
	return nil
}

func readFile(path string, limit int64, res *FileResult, visit func(Article) error, reject func(*Rejection)) error {
	f, err := os.Open(path)
	if err != nil {
		reject(&Rejection{Path: path, Reason: describeFSError(err)})
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		reject(&Rejection{Path: path, Reason: describeFSError(err)})
		return nil
	}
	res.Bytes = info.Size()
	if isJSONLines(path) {
		return ReadJSONLines(path, f, limit, visit, reject)
	}
	if info.Size() > limit {
		reject(&Rejection{Path: path, Reason: fmt.Sprintf("file is %s, over the %s limit", humanBytes(info.Size()), humanBytes(limit))})
		return nil
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		reject(&Rejection{Path: path, Reason: describeFSError(err)})
		return nil
	}
	if int64(len(data)) > limit {
		reject(&Rejection{Path: path, Reason: fmt.Sprintf("file is over the %s limit", humanBytes(limit))})
		return nil
	}
	if len(bytes.TrimSpace(data)) == 0 {
		reject(&Rejection{Path: path, Reason: "empty file"})
		return nil
	}
	a, rej := ParseText(path, data)
	if rej != nil {
		reject(rej)
		return nil
	}
	a.End = int64(len(data))
	return visit(a)
}

func describeFSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return err.Error()
}
