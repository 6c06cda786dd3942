//go:build unix

package manifest

import (
	"fmt"
	"os"
	"syscall"
)

// linkCount is the number of hard links to a file; 1 where the system does not say.
func linkCount(info os.FileInfo) uint64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// keepOwner gives the new content the owner and group of the file it replaces. Only root may
// give a file to another user; anyone else who cannot is refused rather than left to take the
// file over.
func keepOwner(tmp *os.File, info os.FileInfo) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	mine, err := tmp.Stat()
	if err != nil {
		return err
	}
	if now, ok := mine.Sys().(*syscall.Stat_t); ok && now.Uid == st.Uid && now.Gid == st.Gid {
		return nil
	}
	if err := tmp.Chown(int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("it belongs to user %d, group %d, which cannot be kept (%v); fix it without -w and write the output yourself", st.Uid, st.Gid, err)
	}
	return nil
}
