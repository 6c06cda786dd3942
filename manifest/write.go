package manifest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// WriteFiles replaces the content of every changed output's file (its Target: symlinks are
// followed) as safely as a file system allows: every new content is first written and synced
// to a temporary file next to its target, and only when all of them are written are they
// renamed over the targets, so a failure while writing (a full disk, a read-only directory)
// leaves every file as it was. Each rename is atomic; modes and byte order marks are kept.
// Outputs of stdin cannot be written back: callers refuse that before they read.
func WriteFiles(outputs []Output) error {
	var writes []*pendingWrite
	for _, o := range outputs {
		if !o.Changed {
			continue
		}
		data := o.Data
		if o.File.BOM {
			data = append(slices.Clip(utf8BOM), data...)
		}
		writes = append(writes, &pendingWrite{file: o.File, data: data})
	}
	defer func() {
		for _, w := range writes {
			if w.tmp != "" {
				os.Remove(w.tmp)
			}
		}
	}()
	for _, w := range writes {
		if err := w.stage(); err != nil {
			return err
		}
	}
	for i, w := range writes {
		if err := os.Rename(w.tmp, w.file.Target); err != nil {
			return fmt.Errorf("%s: cannot be replaced (%v); %d of %d files were written before", w.file.Name, err, i, len(writes))
		}
		w.tmp = ""
	}
	return nil
}

// pendingWrite is new content for one file.
type pendingWrite struct {
	file *File
	data []byte
	tmp  string
}

// stage writes the new content to a temporary file in the target's directory, so that the
// rename stays within one file system.
func (w *pendingWrite) stage() error {
	info, err := os.Stat(w.file.Target)
	if err != nil {
		return fmt.Errorf("%s: %s", w.file.Name, describeOSError(err))
	}
	tmp, err := os.CreateTemp(filepath.Dir(w.file.Target), "."+filepath.Base(w.file.Target)+".wsguard-*")
	if err != nil {
		return fmt.Errorf("%s: cannot write next to the file: %v", w.file.Name, err)
	}
	w.tmp = tmp.Name()
	_, err = tmp.Write(w.data)
	if err == nil {
		err = tmp.Chmod(info.Mode().Perm())
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: cannot write: %v", w.file.Name, err)
	}
	return nil
}
