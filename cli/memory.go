package cli

import (
	"os"
	"runtime/debug"
)

// Below boundFrom bytes of input, the Go runtime's memory settings are left alone.
const boundFrom = 8 << 20

// boundMemory asks the garbage collector to keep a run on a large input within 32 MiB plus
// seven times the input (a soft limit, runtime/debug.SetMemoryLimit), and returns what restores
// the limit before. Without it the heap may grow to twice what is live, and more while the
// collector catches up with a long run of decoding: documented in docs/benchmarks.md, "CLI
// memory". What a run holds is about four times its input (the text, a slim copy of every
// related object, and the findings), so the limit costs a little more collection and no
// more. An input whose facts take more than that is slower, never refused: the limit is soft.
// GOMEMLIMIT, when set, is the user's and is kept, as is a lower limit set before.
func boundMemory(inputBytes int64) (restore func()) {
	if inputBytes < boundFrom || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	limit := 32<<20 + 7*inputBytes
	if debug.SetMemoryLimit(-1) <= limit {
		return func() {}
	}
	before := debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(before) }
}
