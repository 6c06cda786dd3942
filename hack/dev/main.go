// Command dev is `make run`: a local control plane with wsguard serving it, no cluster needed.
//
// It starts kube-apiserver and etcd, creates a serving certificate, installs wsguard's webhook
// configurations (built by the same code as the shipped manifests, pointing at this machine),
// creates the opted-in namespace "demo", writes a kubeconfig, runs the wsguard binary and waits.
// Ctrl-C stops wsguard, then the control plane, and leaves no process behind.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/wsguard/wsguard/internal/testenv"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "make run: %v\n", err)
		os.Exit(1)
	}
}

func run() error {
	binary := flag.String("wsguard", "bin/wsguard", "the wsguard binary to run")
	dir := flag.String("dir", "bin/dev", "folder for the kubeconfig, certificates and logs")
	port := flag.Int("webhook-port", 9443, "port wsguard serves admission webhooks on")
	probePort := flag.Int("probe-port", 8081, "port of wsguard's /healthz and /readyz")
	metricsPort := flag.Int("metrics-port", 8080, "port of wsguard's /metrics")
	withCRDs := flag.Bool("crds", true, "install the Istio, Gateway API, Contour, Envoy Gateway, Traefik, Linkerd Server and Emissary Mapping CRDs, so that examples/mesh, examples/gateway-api, examples/contour, examples/envoy-gateway, examples/traefik-crd and examples/nginx-gateway-fabric apply, and the OpenReports Report CRD, so that the background audit writes Reports")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var crds []string
	if *withCRDs {
		step("locating the Istio, Gateway API, Contour and Envoy Gateway CRDs through the Go module proxy")
		var err error
		if crds, err = testenv.MeshCRDs(); err != nil {
			return fmt.Errorf("%w (run with --crds=false to start without them)", err)
		}
		step("locating the OpenReports Report CRD through the Go module proxy")
		reports, err := testenv.ReportsCRD()
		if err != nil {
			return fmt.Errorf("%w (run with --crds=false to start without it)", err)
		}
		crds = append(crds, reports)
	}
	step("starting kube-apiserver and etcd")
	env, err := testenv.Start(crds...)
	if err != nil {
		return err
	}
	defer func() {
		step("stopping the control plane")
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the control plane: %v\n", err)
		}
	}()

	kubeconfig := filepath.Join(*dir, "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}

	certDir := filepath.Join(*dir, "certs")
	step(fmt.Sprintf("starting wsguard on https://127.0.0.1:%d (serving certificate in %s)", *port, certDir))
	w, err := testenv.StartWsguard(ctx, testenv.WsguardOptions{
		Binary: *binary, Kubeconfig: kubeconfig, CertDir: certDir,
		WebhookPort: *port, ProbePort: *probePort, MetricsPort: *metricsPort,
		LogFormat: "console", LogLevel: "2", Output: os.Stderr,
	})
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w (run `make build` first)", err)
	}
	if err != nil {
		return err
	}
	defer func() {
		step("stopping wsguard")
		if err := w.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "wsguard: %v\n", err)
		}
	}()

	step("installing the webhook configurations and the opted-in namespace demo")
	if err := env.InstallWebhooks(ctx, w.URL, w.CA, nil); err != nil {
		return err
	}
	if err := env.CreateNamespace(ctx, "demo", true, nil); err != nil {
		return err
	}
	if err := env.CreateNamespace(ctx, "demo-warn", true, map[string]string{"wsguard.io/enforcement": "warn"}); err != nil {
		return err
	}

	kubectl := env.Kubectl()
	fmt.Printf(`
wsguard is serving a local control plane. Try:

  export KUBECONFIG=%[1]s
  %[2]s apply -n demo -f examples/
  %[2]s get -n demo deployment chat -o yaml
  %[2]s apply -n demo -f examples/unsafe/          # denied, with the field, the reason and the fix
  %[2]s apply -n demo-warn -f examples/unsafe/     # admitted with warnings (warn mode)
  %[2]s apply -n demo --dry-run=server -o yaml -f examples/deployment.yaml
  %[2]s apply -n demo -f examples/mesh/ -f examples/gateway-api/ -f examples/contour/httpproxy.yaml -f examples/envoy-gateway/backendtrafficpolicy.yaml -f examples/traefik-crd/ -f examples/nginx-gateway-fabric/
  %[2]s apply -n demo -f examples/mesh/unsafe/ -f examples/gateway-api/unsafe/ -f examples/contour/unsafe/ -f examples/envoy-gateway/unsafe/

The background audit reports what is already stored (docs/audit.md):
  %[2]s create namespace legacy && %[2]s apply -n legacy -f examples/unsafe/   # not opted in: admitted
  %[2]s label namespace legacy wsguard.io/inject=enabled                   # audited a moment later
  %[2]s get reports -n legacy -o wide

Metrics: http://127.0.0.1:%[3]d/metrics   Readiness: http://127.0.0.1:%[4]d/readyz
Press Ctrl-C to stop everything.
`, kubeconfig, kubectl, *metricsPort, *probePort)

	select {
	case <-ctx.Done():
		fmt.Println()
		return nil
	case <-w.Exited():
		return errors.New("wsguard exited on its own: see its log above")
	}
}

func step(msg string) {
	fmt.Printf("==> %s\n", msg)
}
