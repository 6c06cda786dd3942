package install

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wsguard/wsguard/internal/testenv"
)

// wsguardProcess is the wsguard binary run the way the chart's Deployment runs it, on this
// machine: there is no kubelet in the test, so the test plays its part (the Secret and
// ConfigMap volumes, the environment, the ports, the service account token).
type wsguardProcess struct {
	cmd    *exec.Cmd
	exited chan error
	log    *syncBuffer
	// WebhookPort is where the API server reaches it (webhook.url's port).
	WebhookPort int
	// MetricsURL and ReadyURL and LiveURL are the metrics endpoint and the probes' URLs.
	MetricsURL, ReadyURL, LiveURL string
	// MetricsSecure is the Deployment's --metrics-secure: /metrics is HTTPS and asks for a
	// bearer token the API server authenticates and authorizes.
	MetricsSecure bool
	// CertDir stands for the serving-certificate Secret volume.
	CertDir string
}

// startWsguard starts wsguard with the arguments of the Deployment namespace/name. Each
// argument that names a path or port is checked against the volume or container port it must
// match, then mapped onto this machine: the cert dir is certDir (kept up to date by the test
// with projectSecret), the config file is written from the ConfigMap, ports are free ones.
// It runs with a token of the Deployment's service account, so only the chart's RBAC applies.
func startWsguard(ctx context.Context, namespace, name string, webhookPort int, certDir string) (*wsguardProcess, error) {
	v, err := readDeployment(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	if len(v.container.Command) > 0 || len(v.container.Args) == 0 || v.container.Args[0] != "serve" {
		return nil, fmt.Errorf("want the image's entrypoint with args [serve ...], got command %v args %v", v.container.Command, v.container.Args)
	}
	p := &wsguardProcess{WebhookPort: webhookPort, CertDir: certDir, log: &syncBuffer{}, exited: make(chan error, 1)}
	// Next to certDir, which lives as long as the install: the process outlives the spec.
	dir, err := os.MkdirTemp(filepath.Dir(certDir), "wsguard-")
	if err != nil {
		return nil, err
	}
	args := []string{"serve"}
	for _, arg := range v.container.Args[1:] {
		flag, value, ok := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
		if !ok || !strings.HasPrefix(arg, "--") {
			return nil, fmt.Errorf("argument %q: want --flag=value", arg)
		}
		switch flag {
		case "webhook-port":
			if err := v.expectPort(value, "webhook"); err != nil {
				return nil, err
			}
			value = strconv.Itoa(webhookPort)
		case "metrics-bind-address", "health-probe-bind-address":
			portName := map[string]string{"metrics-bind-address": "metrics", "health-probe-bind-address": "probes"}[flag]
			if err := v.expectPort(strings.TrimPrefix(value, ":"), portName); err != nil {
				return nil, err
			}
			port, err := testenv.FreePort()
			if err != nil {
				return nil, err
			}
			value = fmt.Sprintf("127.0.0.1:%d", port)
			if flag == "metrics-bind-address" {
				p.MetricsURL = value + "/metrics"
			} else if p.ReadyURL, p.LiveURL, err = v.probeURLs(value); err != nil {
				return nil, err
			}
		case "metrics-secure":
			if p.MetricsSecure, err = strconv.ParseBool(value); err != nil {
				return nil, fmt.Errorf("--metrics-secure=%s: %w", value, err)
			}
		case "cert-dir":
			vol, ok := v.mounts[value]
			if !ok || vol.Secret == nil {
				return nil, fmt.Errorf("--cert-dir %s is not where a Secret volume is mounted", value)
			}
			value = certDir
		case "config":
			file, err := v.configFile(ctx, namespace, value, dir)
			if err != nil {
				return nil, err
			}
			value = file
		}
		args = append(args, "--"+flag+"="+value)
	}
	if p.MetricsURL == "" || p.ReadyURL == "" {
		return nil, fmt.Errorf("the Deployment sets no metrics or probe address: %v", v.container.Args)
	}
	if p.MetricsSecure {
		p.MetricsURL = "https://" + p.MetricsURL
	} else {
		p.MetricsURL = "http://" + p.MetricsURL
	}
	kubeconfigPath := filepath.Join(dir, "kubeconfig")
	if err := serviceAccountKubeconfig(ctx, namespace, v.deployment.Spec.Template.Spec.ServiceAccountName, kubeconfigPath); err != nil {
		return nil, err
	}
	args = append(args, "--kubeconfig="+kubeconfigPath)
	environ, err := v.environment(namespace)
	if err != nil {
		return nil, err
	}

	p.cmd = exec.Command(wsguardBin, args...)
	p.cmd.Env = append(os.Environ(), environ...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { p.exited <- p.cmd.Wait() }()
	return p, nil
}

// ready reports whether the readiness probe passes.
func (p *wsguardProcess) ready() bool {
	resp, err := http.Get(p.ReadyURL)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM, as the kubelet does, and waits for a clean exit.
func (p *wsguardProcess) stop(timeout time.Duration) error {
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	select {
	case err := <-p.exited:
		if err != nil {
			return fmt.Errorf("wsguard exited with %v:\n%s", err, p.log)
		}
		return nil
	case <-time.After(timeout):
		_ = p.cmd.Process.Kill()
		return fmt.Errorf("wsguard did not stop within %s:\n%s", timeout, p.log)
	}
}

// freeze stops the process without closing its sockets: the kernel still accepts
// connections, nothing answers them. thaw resumes it.
func (p *wsguardProcess) freeze() error { return p.cmd.Process.Signal(syscall.SIGSTOP) }
func (p *wsguardProcess) thaw() error   { return p.cmd.Process.Signal(syscall.SIGCONT) }

// syncBuffer is a bytes.Buffer safe for the process's writers and the test's readers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
