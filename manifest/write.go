package manifest

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles replaces the content of every changed output's file (its Target: symlinks are
// followed) as safely as a file system allows: every new content is first written and synced
// to a temporary file next to its target, and only when all of them are written are they
// renamed over the targets, so a failure while writing (a full disk, a read-only directory)
// leaves every file as it was. Each rename is atomic; modes, owners and byte order marks are
// kept.
//
// Before anything is staged, every target is checked, and one that a rename cannot replace
// faithfully refuses the whole write: a file with other hard links (the rename would cut them
// off), a read-only file (no write bit: root could replace it, but its owner said not to), a
// file whose owner or group cannot be given to the new content (only root may give a file
// away), and anything that is not a regular file.
// Outputs of stdin cannot be written back: callers refuse that before they read.
func WriteFiles(outputs []Output) error {
	var writes []*pendingWrite
	for _, o := range outputs {
		if !o.Changed {
			continue
		}
		data := o.pieces()
		if o.File.BOM {
			data = append([][]byte{utf8BOM}, data...)
		}
		writes = append(writes, &pendingWrite{file: o.File, data: data})
	}
	for _, w := range writes {
		if err := w.check(); err != nil {
			return err
		}
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
	data [][]byte // the new content, in pieces
	tmp  string
	info os.FileInfo
}

// check refuses a target that a rename cannot replace with its identity kept.
func (w *pendingWrite) check() error {
	info, err := os.Stat(w.file.Target)
	if err != nil {
		return fmt.Errorf("%s: %s", w.file.Name, describeOSError(err))
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s: %s", w.file.Name, notRegular(info.Mode()))
	}
	if info.Mode().Perm()&0o222 == 0 {
		return fmt.Errorf("%s: is read-only (mode %04o); make it writable to let wsguard fix it, or run fix without -w and write the output yourself", w.file.Name, info.Mode().Perm())
	}
	if n := linkCount(info); n > 1 {
		return fmt.Errorf("%s: has %d hard links; wsguard fix -w replaces a file by renaming a new one over it, which would cut it off from its other links: fix it without -w and write the output yourself, or break the links first", w.file.Name, n)
	}
	w.info = info
	return nil
}

// stage writes the new content to a temporary file in the target's directory, so that the
// rename stays within one file system.
func (w *pendingWrite) stage() error {
	info := w.info
	tmp, err := os.CreateTemp(filepath.Dir(w.file.Target), "."+filepath.Base(w.file.Target)+".wsguard-*")
	if err != nil {
		return fmt.Errorf("%s: cannot write next to the file: %v", w.file.Name, err)
	}
	w.tmp = tmp.Name()
	for _, p := range w.data {
		if _, err = tmp.Write(p); err != nil {
			break
		}
	}
	if err == nil {
		err = tmp.Chmod(info.Mode().Perm())
	}
	if err == nil {
		err = keepOwner(tmp, info)
	}
	if err == nil {
		err = tmp.Chmod(info.Mode().Perm()) // again: chown may clear setuid and setgid bits
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
