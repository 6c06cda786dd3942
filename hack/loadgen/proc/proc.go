// Package proc runs the real `wsguard serve` process for the benchmark programs (hack/loadgen
// and hack/apibench), through the launcher `make run` and the end-to-end suite use too
// (testenv.StartWsguard), with production logging; and it reads what a process uses from /proc.
package proc

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wsguard/wsguard/internal/testenv"
)

// Start runs binary as `wsguard serve` (testenv.StartWsguard) with production settings: JSON
// logs at info level, into dir/wsguard.log, and metrics served (and read only at the end). Its
// serving certificate is written into dir/certs. args are more flags for `wsguard serve`. It
// returns once wsguard is ready.
func Start(ctx context.Context, binary, kubeconfig, dir string, args ...string) (*testenv.Wsguard, error) {
	logPath := filepath.Join(dir, "wsguard.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // wsguard writes through its own descriptor
	w, err := testenv.StartWsguard(ctx, testenv.WsguardOptions{
		Binary: binary, Kubeconfig: kubeconfig, CertDir: filepath.Join(dir, "certs"),
		LogFormat: "json", LogLevel: "info", Output: logFile, Args: args,
	})
	if err != nil {
		return nil, fmt.Errorf("%w; see %s", err, logPath)
	}
	return w, nil
}

// HandlerTime reads wsguard_admission_duration_seconds from wsguard's metrics at metricsURL:
// how many admission requests the handlers answered, and the time they spent in total.
func HandlerTime(metricsURL string) (count int64, total time.Duration, err error) {
	resp, err := http.Get(metricsURL)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	var seconds float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// Lines look like `wsguard_admission_duration_seconds_sum{kind="Ingress",...} 0.0123`.
		name, rest, _ := strings.Cut(sc.Text(), "{")
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, perr := strconv.ParseFloat(fields[len(fields)-1], 64)
		if perr != nil {
			continue
		}
		switch name {
		case "wsguard_admission_duration_seconds_sum":
			seconds += v
		case "wsguard_admission_duration_seconds_count":
			count += int64(v)
		}
	}
	return count, time.Duration(seconds * float64(time.Second)), sc.Err()
}

// Memory is a process's resident memory as /proc/<pid>/status reports it, in bytes.
type Memory struct {
	// RSS is the resident set now (VmRSS).
	RSS int64
	// Peak is the highest resident set since the process started or since ResetPeak (VmHWM).
	Peak int64
}

// ReadMemory reads VmRSS and VmHWM of a process.
func ReadMemory(pid int) (Memory, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value) // "12345 kB"
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch key {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.Peak = kb << 10
		}
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return m, nil
}

// ResetPeak sets a process's VmHWM back to its current RSS (writing 5 to clear_refs, Linux
// 4.0 and later), so that the next ReadMemory reports the peak of what ran in between. It
// needs to own the process or be root.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// CPUTime reads the CPU time (user and system) a process has used so far, from
// /proc/<pid>/stat, in clock ticks of 10ms.
func CPUTime(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces; fields after it start past its ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(string(data[i+1:]))
	// fields[0] is field 3 (state): utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var ticks int64
	for _, f := range fields[11:13] {
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	// USER_HZ is 100 on every Linux architecture Go supports.
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// LoadAverage is the machine's one-minute load average, from /proc/loadavg: above the number
// of cores, processes were waiting for one, and wall-clock figures say more about the machine
// than about wsguard.
func LoadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	if f := strings.Fields(string(data)); len(f) > 0 {
		return f[0]
	}
	return "?"
}

// MiB formats bytes as mebibytes with one decimal.
func MiB(bytes int64) string {
	return strconv.FormatFloat(float64(bytes)/(1<<20), 'f', 1, 64)
}

// CPUProfile has wsguard, started with --pprof-bind-address=addr, profile its CPU for the given
// duration and writes the profile to path (read it with go tool pprof). It blocks meanwhile.
func CPUProfile(addr string, d time.Duration, path string) error {
	client := &http.Client{Timeout: d + 30*time.Second}
	resp, err := client.Get(fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, int(d.Seconds())))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("/debug/pprof/profile: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
