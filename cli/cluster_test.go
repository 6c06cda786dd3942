package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/internal/testsupport"
	"github.com/wsguard/wsguard/server"
)

// cluster is a real kube-apiserver with the real wsguard server (server.Run, what `wsguard
// serve` runs) behind the shipped webhook configurations, as in webhooks/suite_test.go.
type cluster struct {
	env      *testenv.Env
	client   client.Client
	warnings *testsupport.WarningRecorder
}

// startCluster starts the control plane with the mesh and Gateway API CRDs and wsguard, and
// stops both when the test ends.
func startCluster(t *testing.T) *cluster {
	t.Helper()
	log, err := server.NewLogger("error", "console")
	if err != nil {
		t.Fatal(err)
	}
	logf.SetLogger(log)
	crds, err := testenv.MeshCRDs()
	if err != nil {
		t.Fatal(err)
	}
	env, err := testenv.Start(crds...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stopping the control plane: %v", err)
		}
	})
	certDir := t.TempDir()
	caPEM, err := testenv.WriteServingCertificate(certDir, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	webhookPort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	probePort, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	opts := server.Options{
		WebhookPort: webhookPort, CertDir: certDir, CertName: "tls.crt", KeyName: "tls.key", TLSMinVersion: "1.2",
		MetricsAddr: "0", HealthProbeAddr: fmt.Sprintf("127.0.0.1:%d", probePort), ShutdownTimeout: "5s",
	}
	go func() { done <- server.Run(ctx, env.Config, opts, log) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("wsguard stopped with an error: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("wsguard did not stop within 30s")
		}
	})
	waitFor(t, "wsguard to become ready", func() error {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort))
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	})
	if err := env.InstallWebhooks(ctx, fmt.Sprintf("https://127.0.0.1:%d", webhookPort), caPEM, nil); err != nil {
		t.Fatal(err)
	}
	c := &cluster{env: env, warnings: &testsupport.WarningRecorder{}}
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = c.warnings
	if c.client, err = client.New(cfg, client.Options{}); err != nil {
		t.Fatal(err)
	}
	return c
}

// dryRun creates obj in a namespace with a server-side dry run, which goes through admission
// but stores nothing, and returns the object as the API server would store it, the admission
// warnings, and the error.
func (c *cluster) dryRun(ctx context.Context, obj *unstructured.Unstructured, namespace string) (*unstructured.Unstructured, []string, error) {
	obj = obj.DeepCopy()
	obj.SetNamespace(namespace)
	c.warnings.Take()
	err := c.client.Create(ctx, obj, client.DryRunAll)
	return obj, c.warnings.Take(), err
}

// waitFor polls check until it succeeds, failing the test with the last error after a minute.
// It waits for the cluster to take in what the test did (a namespace label, an informer
// event); it measures nothing.
func waitFor(t *testing.T, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
