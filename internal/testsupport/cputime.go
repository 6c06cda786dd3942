package testsupport

import (
	"syscall"
	"time"
)

// CPUTime is the CPU time (user and system, every thread, the garbage collector's too) the
// test process has used. Reported per op next to the wall time, it depends far less on what
// else the machine runs: on a shared machine, ns/op also counts the time a benchmark waited for
// a core.
func CPUTime(tb TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatalf("reading the CPU time: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
