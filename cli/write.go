package cli

import (
	"fmt"
	"os"
	"path/filepath"
)

// pendingWrite is new content for one file.
type pendingWrite struct {
	file *inputFile
	data []byte
	tmp  string
}

// writeFiles replaces the files' contents as safely as a file system allows: every new content
// is first written and synced to a temporary file next to its target, and only when all of them
// are written are they renamed over the targets, so a failure while writing (a full disk, a
// read-only directory) leaves every file as it was. Each rename is atomic; modes are kept.
func writeFiles(writes []*pendingWrite) error {
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
		if err := os.Rename(w.tmp, w.file.target); err != nil {
			return fmt.Errorf("%s: cannot be replaced (%v); %d of %d files were written before", w.file.name, err, i, len(writes))
		}
		w.tmp = ""
	}
	return nil
}

// stage writes the new content to a temporary file in the target's directory, so that the
// rename stays within one file system.
func (w *pendingWrite) stage() error {
	info, err := os.Stat(w.file.target)
	if err != nil {
		return fmt.Errorf("%s: %s", w.file.name, describeOSError(err))
	}
	tmp, err := os.CreateTemp(filepath.Dir(w.file.target), "."+filepath.Base(w.file.target)+".wsguard-*")
	if err != nil {
		return fmt.Errorf("%s: cannot write next to the file: %v", w.file.name, err)
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
		return fmt.Errorf("%s: cannot write: %v", w.file.name, err)
	}
	return nil
}
