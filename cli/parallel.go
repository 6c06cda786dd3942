package cli

import "github.com/wsguard/wsguard/internal/parallel"

// forEach calls fn for every index below n on every core; see parallel.ForEach.
func forEach(n int, fn func(i int)) { parallel.ForEach(n, fn) }
