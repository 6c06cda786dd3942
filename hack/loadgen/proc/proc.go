// Package proc runs the real `wsguard serve` process for the benchmark programs (hack/loadgen
// and hack/apibench) and reads its memory from /proc. It starts wsguard the way the end-to-end
// suite does: its own process, a kubeconfig for an envtest control plane, a throwaway serving
// certificate, production logging.
package proc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wsguard/wsguard/internal/testenv"
)

// Wsguard is a running `wsguard serve` process.
type Wsguard struct {
	// URL is the webhook server's base address, https://127.0.0.1:port.
	URL string
	// MetricsURL is the address of wsguard's Prometheus endpoint.
	MetricsURL string
	// CA is the PEM certificate that signed the serving certificate.
	CA  []byte
	cmd *exec.Cmd
	// exited receives the process's exit once; Stop and Start's readiness wait read it.
	exited chan error
	log    *os.File
}

// Build compiles the wsguard command of the module rooted at moduleDir into dir.
func Build(moduleDir, dir string) (string, error) {
	binary := filepath.Join(dir, "wsguard")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = moduleDir
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building wsguard: %v\n%s", err, out)
	}
	return binary, nil
}

// Start runs binary as `wsguard serve` against the control plane of kubeconfig, with logs in
// dir/wsguard.log, and waits until /readyz answers 200 (the webhook server serves and the
// caches have synced). The process dies with this program even if Stop is never called.
func Start(ctx context.Context, binary, kubeconfig, dir string) (*Wsguard, error) {
	certDir := filepath.Join(dir, "certs")
	ca, err := testenv.WriteServingCertificate(certDir, "127.0.0.1")
	if err != nil {
		return nil, err
	}
	port, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	probePort, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	metricsPort, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "wsguard.log"))
	if err != nil {
		return nil, err
	}
	// Production settings: JSON logs at info level, metrics served (and read only at the end).
	cmd := exec.Command(binary, "serve", "--kubeconfig", kubeconfig, "--cert-dir", certDir,
		"--webhook-port", strconv.Itoa(port), "--metrics-bind-address", fmt.Sprintf("127.0.0.1:%d", metricsPort),
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", probePort),
		"--log-format", "json", "--log-level", "info")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	w := &Wsguard{URL: fmt.Sprintf("https://127.0.0.1:%d", port), MetricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort), CA: ca, cmd: cmd, exited: make(chan error, 1), log: logFile}
	go func() { w.exited <- cmd.Wait() }()
	if err := w.waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort)); err != nil {
		_ = w.Stop()
		return nil, err
	}
	return w, nil
}

func (w *Wsguard) waitReady(ctx context.Context, url string) error {
	deadline := time.After(60 * time.Second)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-w.exited:
			w.exited <- err
			return fmt.Errorf("wsguard exited before it was ready (%v); see %s", err, w.log.Name())
		case <-deadline:
			return fmt.Errorf("wsguard was not ready within 60s; see %s", w.log.Name())
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// PID is the process ID of wsguard.
func (w *Wsguard) PID() int { return w.cmd.Process.Pid }

// Stop sends SIGTERM, as Kubernetes does, and waits for the process to exit (SIGKILL after 40s).
func (w *Wsguard) Stop() error {
	defer w.log.Close()
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.exited:
		return err
	case <-time.After(40 * time.Second):
		_ = w.cmd.Process.Kill()
		<-w.exited
		return errors.New("wsguard did not stop within 40s of SIGTERM and was killed")
	}
}

// HandlerTime reads wsguard_admission_duration_seconds from wsguard's metrics: how many
// admission requests the handlers answered, and the time they spent in total.
func (w *Wsguard) HandlerTime() (count int64, total time.Duration, err error) {
	resp, err := http.Get(w.MetricsURL)
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
