package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// StdinName is how files and messages name standard input, which paths name "-".
const StdinName = "<stdin>"

// manifestExtensions are the files a directory contributes; files named on the command line are
// read whatever their name.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// File is one file of the input, read whole.
type File struct {
	// Name is the path as the user gave it or as the walk found it; StdinName for stdin.
	Name string
	// Target is the file WriteFiles replaces: Name with symlinks resolved, so that a link keeps
	// pointing at the written file. Empty for stdin.
	Target string
	// Data is the file's content, without a byte order mark.
	Data []byte
	// BOM is true when the file started with a UTF-8 byte order mark, which Data leaves out
	// and WriteFiles puts back.
	BOM bool
	// Docs are the file's documents, in order; Load sets them only for files read without error.
	Docs []*Document
}

// source is a file to read.
type source struct {
	path string
	// walked is true for files found in a directory, false for files named on the command line.
	walked bool
}

// collectFiles expands the paths into the files to read, in order: files as given, directories
// walked recursively in lexical order, each file once. Hidden files and directories are left
// out of walks (.git, editor swap files); a path that cannot be read is an error.
func collectFiles(paths []string) ([]source, []Skip, []*Error) {
	var out []source
	var skipped []Skip
	var errs []*Error
	seen := map[string]bool{}
	walking := false
	add := func(p string) {
		key := p
		if abs, err := filepath.Abs(p); err == nil {
			key = abs
		}
		if !seen[key] {
			seen[key] = true
			out = append(out, source{path: p, walked: walking})
		}
	}
	for _, p := range paths {
		if p == "-" {
			add(p)
			continue
		}
		info, err := os.Stat(p)
		if err != nil {
			errs = append(errs, &Error{File: p, Message: describeOSError(err)})
			continue
		}
		if !info.IsDir() {
			if !info.Mode().IsRegular() {
				errs = append(errs, &Error{File: p, Message: notRegular(info.Mode())})
				continue
			}
			add(p)
			continue
		}
		found := 0
		walking = true
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				errs = append(errs, &Error{File: path, Message: describeOSError(err)})
				return nil
			}
			hidden := path != p && strings.HasPrefix(d.Name(), ".")
			if d.IsDir() {
				if hidden {
					return filepath.SkipDir
				}
				return nil
			}
			if !hidden && manifestExtensions[strings.ToLower(filepath.Ext(path))] {
				found++
				// A FIFO, socket or device named *.yaml is never opened: opening a FIFO blocks
				// until something writes to it. Symlinks are followed to what they point at.
				mode := d.Type()
				if mode&fs.ModeSymlink != 0 {
					if info, err := os.Stat(path); err == nil {
						mode = info.Mode()
					}
				}
				if !mode.IsRegular() && mode&fs.ModeSymlink == 0 {
					skipped = append(skipped, Skip{File: path, Reason: notRegular(mode)})
					return nil
				}
				add(path)
			}
			return nil
		})
		walking = false
		if err != nil {
			errs = append(errs, &Error{File: p, Message: describeOSError(err)})
		} else if found == 0 {
			// Most likely a wrong path in a CI script: say so rather than pass with nothing read.
			errs = append(errs, &Error{File: p, Message: "holds no .yaml, .yml or .json files"})
		}
	}
	return out, skipped, errs
}

// Skip is a file of a directory walk that was left out without being opened, and why.
type Skip struct {
	File   string
	Reason string
}

// notRegular describes a file that is not a regular file, for messages.
func notRegular(mode fs.FileMode) string {
	what := "not a regular file"
	switch {
	case mode&fs.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case mode&fs.ModeSocket != 0:
		what = "a socket"
	case mode&fs.ModeDevice != 0:
		what = "a device"
	}
	return "is " + what + ", not a regular file; it was not read (use -f - to read a stream from stdin)"
}

// readInput reads one file, or stdin for "-", refusing files above limit and files that are
// not text.
func readInput(path string, stdin io.Reader, limit int64) (*File, *Error) {
	f := &File{Name: path}
	var r io.Reader
	size := int64(-1) // unknown for stdin
	if path == "-" {
		f.Name = StdinName
		r = stdin
	} else {
		// Checked before opening: opening a FIFO blocks until something writes to it.
		if info, err := os.Stat(path); err != nil {
			return nil, &Error{File: path, Message: describeOSError(err)}
		} else if !info.Mode().IsRegular() {
			return nil, &Error{File: path, Message: notRegular(info.Mode())}
		}
		file, err := os.Open(path)
		if err != nil {
			return nil, &Error{File: path, Message: describeOSError(err)}
		}
		defer file.Close()
		if info, err := file.Stat(); err == nil {
			if info.Size() > limit {
				return nil, tooLarge(path, info.Size(), limit)
			}
			size = info.Size()
		}
		if f.Target, err = filepath.EvalSymlinks(path); err != nil {
			return nil, &Error{File: path, Message: describeOSError(err)}
		}
		r = file
	}
	// Read one byte past the limit to tell "exactly at the limit" from "above it", without
	// ever holding more than that in memory (stdin has no size to ask for).
	data, err := readAll(io.LimitReader(r, limit+1), size)
	if err != nil {
		return nil, &Error{File: f.Name, Message: describeOSError(err)}
	}
	if int64(len(data)) > limit {
		return nil, tooLarge(f.Name, -1, limit)
	}
	if err := checkText(data); err != nil {
		return nil, &Error{File: f.Name, Message: err.Error()}
	}
	f.BOM = bytes.HasPrefix(data, utf8BOM)
	f.Data = bytes.TrimPrefix(data, utf8BOM)
	return f, nil
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// readAll is io.ReadAll into a buffer of the size the file says it has (size, -1 when
// unknown): a large file is then held once, not in a buffer doubled as it fills.
func readAll(r io.Reader, size int64) ([]byte, error) {
	if size < 0 {
		return io.ReadAll(r)
	}
	// One byte more, to read the end of the file without growing the buffer.
	data := make([]byte, 0, size+1)
	for {
		n, err := r.Read(data[len(data):cap(data)])
		data = data[:len(data)+n]
		if errors.Is(err, io.EOF) {
			return data, nil
		}
		if err != nil {
			return data, err
		}
		if len(data) == cap(data) {
			// The file grew since it was looked at: read on as io.ReadAll does.
			data = append(data, 0)[:len(data)]
		}
	}
}

func tooLarge(name string, size, limit int64) *Error {
	what := "more than " + humanSize(limit)
	if size >= 0 {
		what = humanSize(size) + ", more than " + humanSize(limit)
	}
	return &Error{File: name, Message: fmt.Sprintf("is too large (%s); split it, or raise the limit with --max-file-size", what)}
}

// checkText refuses binary content: YAML and JSON are UTF-8 text, and NUL bytes or invalid
// UTF-8 mean an archive, an image or a UTF-16 file that no manifest reader accepts.
func checkText(data []byte) error {
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return fmt.Errorf("is not a text file (a NUL byte at offset %d); manifests are UTF-8 YAML or JSON", i)
	}
	if !utf8.Valid(data) {
		i := 0
		for i < len(data) {
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		return fmt.Errorf("is not UTF-8 text (an invalid byte at line %d); manifests are UTF-8 YAML or JSON", lineAt(data, i))
	}
	return nil
}

// lineAt returns the 1-based line of a byte offset.
func lineAt(data []byte, offset int) int {
	offset = min(offset, len(data))
	return bytes.Count(data[:offset], []byte{'\n'}) + 1
}

// humanSize renders a byte count for messages.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}

// describeOSError drops the path from file-system errors: messages name the file already.
func describeOSError(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "does not exist"
	case errors.Is(err, fs.ErrPermission):
		return "cannot be read: permission denied"
	}
	return "cannot be read: " + err.Error()
}
