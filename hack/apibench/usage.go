package main

import (
	"fmt"
	"os"
	"time"

	"github.com/wsguard/wsguard/hack/loadgen/proc"
	"github.com/wsguard/wsguard/internal/testenv"
)

// processUsage is what one admission process used while the rounds ran: CPU time and admission
// requests answered from the first round to the last, resident memory at the end and at its
// highest in between, read from /proc as hack/loadgen does.
type processUsage struct {
	name string
	pid  int
	// namespaces is how many of the bench's namespaces the process admits.
	namespaces int
	cpu        time.Duration
	requests   int64
	mem        proc.Memory
	err        error
	// requestsBefore reads the process's own count of admission requests answered.
	requestsBefore int64
	readRequests   func() (int64, error)
}

type usage []*processUsage

// startUsage reads the processes' CPU time and request counts and resets their peak RSS, just
// before the rounds start.
func startUsage(w *testenv.Wsguard, k *kyvernoProcess) (usage, error) {
	u := usage{{name: "wsguard", pid: w.PID(), namespaces: 1}}
	if k != nil {
		u = append(u, &processUsage{name: "Kyverno", pid: k.PID(), namespaces: len(kyvernoVariants), readRequests: k.AdmissionRequests})
	}
	for _, p := range u {
		cpu, err := proc.CPUTime(p.pid)
		if err != nil {
			return nil, err
		}
		p.cpu = cpu
		if p.readRequests != nil {
			if p.requestsBefore, err = p.readRequests(); err != nil {
				return nil, fmt.Errorf("%s's metrics: %w", p.name, err)
			}
		}
		if err := proc.ResetPeak(p.pid); err != nil {
			return nil, err
		}
	}
	return u, nil
}

// finish reads the processes again after the last round; wsguardRequests is what wsguard's own
// metrics counted in between.
func (u usage) finish(wsguardRequests int64) {
	for _, p := range u {
		cpu, err := proc.CPUTime(p.pid)
		if err != nil {
			p.err = err
			continue
		}
		p.cpu = cpu - p.cpu
		if p.mem, err = proc.ReadMemory(p.pid); err != nil {
			p.err = err
			continue
		}
		if p.readRequests == nil {
			p.requests = wsguardRequests
			continue
		}
		n, err := p.readRequests()
		if err != nil {
			p.err = err
			continue
		}
		p.requests = n - p.requestsBefore
	}
}

// report prints each process's CPU per admission request it answered and per write in the
// namespaces it admits, and its memory. writes is the number of measured writes per namespace.
func (u usage) report(writes int) {
	fmt.Printf("\nadmission processes while measuring (CPU time from /proc/<pid>/stat, 10 ms ticks; RSS from /proc/<pid>/status)\n\n")
	fmt.Println("| process | admission requests | CPU time | CPU per request | CPU per write admitted | RSS at the end | peak RSS |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, p := range u {
		if p.err != nil {
			fmt.Fprintf(os.Stderr, "apibench: reading %s's usage: %v\n", p.name, p.err)
			continue
		}
		perRequest := "n/a"
		if p.requests > 0 {
			perRequest = ms(p.cpu / time.Duration(p.requests))
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s MiB | %s MiB |\n", p.name, p.requests, ms(p.cpu), perRequest,
			ms(p.cpu/time.Duration(writes*p.namespaces)), proc.MiB(p.mem.RSS), proc.MiB(p.mem.Peak))
	}
}
