package testenv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// The launcher of the wsguard binary: `make run` (hack/dev), the end-to-end suite and the
// benchmark programs (hack/loadgen, hack/apibench) all run `wsguard serve` through it.

// WsguardOptions say how to run `wsguard serve` against a control plane.
type WsguardOptions struct {
	// Binary is the wsguard binary, as BuildWsguard makes it.
	Binary string
	// Kubeconfig is the control plane's, as Env.WriteKubeconfig writes it.
	Kubeconfig string
	// CertDir receives a throwaway serving certificate for 127.0.0.1 and localhost.
	CertDir string
	// WebhookPort, ProbePort and MetricsPort are the ports wsguard listens on, on 127.0.0.1;
	// 0 picks a free one.
	WebhookPort, ProbePort, MetricsPort int
	// NoMetrics turns the metrics endpoint off.
	NoMetrics bool
	// LogFormat and LogLevel are --log-format and --log-level; empty, wsguard's defaults (JSON,
	// info), which production runs.
	LogFormat, LogLevel string
	// Args are more flags for `wsguard serve`, after the ones the launcher sets (a benchmark's
	// --audit-interval, for one).
	Args []string
	// Output receives wsguard's standard output and error; nil discards them. An *os.File is
	// handed to the process, which writes through its own descriptor: the caller may close its
	// own once StartWsguard returns.
	Output io.Writer
}

// Wsguard is a running `wsguard serve` process.
type Wsguard struct {
	// URL is the webhook server's base address, https://127.0.0.1:port.
	URL string
	// MetricsURL is the address of wsguard's Prometheus endpoint; empty with NoMetrics.
	MetricsURL string
	// CA is the PEM certificate that signed the serving certificate: the webhook
	// configurations' caBundle.
	CA []byte

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit, once done is closed
}

// wsguardStopTimeout bounds how long Stop waits after SIGTERM: wsguard's own
// --graceful-shutdown-timeout (30s by default) and some time to exit.
const wsguardStopTimeout = 40 * time.Second

// BuildWsguard compiles the wsguard command of the module rooted at moduleDir into dir and
// returns the binary's path.
func BuildWsguard(moduleDir, dir string) (string, error) {
	binary := filepath.Join(dir, "wsguard")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = moduleDir
	if out, err := build.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building wsguard: %v\n%s", err, out)
	}
	return binary, nil
}

// StartWsguard writes a serving certificate, starts `wsguard serve` and waits until /readyz
// answers 200 (the webhook server serves and the caches have synced), at most a minute or
// until ctx ends. A process that does not become ready is stopped.
//
// wsguard runs in its own process group, so that a terminal's Ctrl-C reaches only the
// launching program, which then stops wsguard before the control plane; and if that program
// dies without calling Stop, the kernel kills wsguard: no process is left behind.
func StartWsguard(ctx context.Context, o WsguardOptions) (*Wsguard, error) {
	ca, err := WriteServingCertificate(o.CertDir, "127.0.0.1", "localhost")
	if err != nil {
		return nil, err
	}
	ports := []*int{&o.WebhookPort, &o.ProbePort, &o.MetricsPort}
	for _, p := range ports {
		if *p == 0 {
			if *p, err = FreePort(); err != nil {
				return nil, err
			}
		}
	}
	w := &Wsguard{URL: fmt.Sprintf("https://127.0.0.1:%d", o.WebhookPort), CA: ca, done: make(chan struct{})}
	metrics := "0"
	if !o.NoMetrics {
		metrics = fmt.Sprintf("127.0.0.1:%d", o.MetricsPort)
		w.MetricsURL = "http://" + metrics + "/metrics"
	}
	args := []string{"serve", "--kubeconfig", o.Kubeconfig, "--cert-dir", o.CertDir,
		"--webhook-port", strconv.Itoa(o.WebhookPort), "--metrics-bind-address", metrics,
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", o.ProbePort)}
	if o.LogFormat != "" {
		args = append(args, "--log-format", o.LogFormat)
	}
	if o.LogLevel != "" {
		args = append(args, "--log-level", o.LogLevel)
	}
	args = append(args, o.Args...)
	w.cmd = exec.Command(o.Binary, args...)
	w.cmd.Stdout, w.cmd.Stderr = o.Output, o.Output
	w.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := w.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", o.Binary, err)
	}
	go func() {
		w.err = w.cmd.Wait()
		close(w.done)
	}()
	if err := w.waitReady(ctx, fmt.Sprintf("http://127.0.0.1:%d/readyz", o.ProbePort)); err != nil {
		_ = w.Stop()
		return nil, err
	}
	return w, nil
}

func (w *Wsguard) waitReady(ctx context.Context, url string) error {
	deadline := time.After(time.Minute)
	for {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-w.done:
			return fmt.Errorf("wsguard exited before it was ready: %v", w.err)
		case <-deadline:
			return fmt.Errorf("wsguard was not ready within a minute (%s)", url)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// PID is the process ID of wsguard.
func (w *Wsguard) PID() int { return w.cmd.Process.Pid }

// Exited is closed when the process has exited, whoever stopped it; Stop then returns how.
func (w *Wsguard) Exited() <-chan struct{} { return w.done }

// Stop sends SIGTERM, as the kubelet does, and waits for the process to exit. It returns nil for
// a clean exit, the exit status otherwise, or an error when wsguard was still running 40s after
// SIGTERM and had to be killed. Called again, or after the process exited on its own, it returns
// the same.
func (w *Wsguard) Stop() error {
	select {
	case <-w.done:
		return w.err
	default:
	}
	_ = w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-w.done:
		return w.err
	case <-time.After(wsguardStopTimeout):
		_ = w.cmd.Process.Kill()
		<-w.done
		return errors.New("wsguard did not stop within 40s of SIGTERM and was killed")
	}
}
