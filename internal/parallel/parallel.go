// Package parallel runs independent pieces of work on every core: decoding the documents of
// `wsguard check`, judging its objects, rendering what `wsguard fix` writes.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// ForEach calls fn for every index below n, on as many goroutines as Go may run at once. fn
// must touch nothing shared but what it only reads: each call owns its index.
func ForEach(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				fn(i)
			}
		})
	}
	wg.Wait()
}
