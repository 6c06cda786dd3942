// Package e2e runs the wsguard binary as its own process against a real kube-apiserver and
// drives it with the real kubectl, the way a user of `make run` does.
package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wsguard/wsguard/internal/testenv"
)

var (
	env        *testenv.Env
	kubeconfig string
	wsguard    *testenv.Wsguard
	serverLog  bytes.Buffer
)

func TestEndToEnd(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wsguard end to end: the binary, kubectl and examples/")
}

var _ = BeforeSuite(func() {
	tmp := GinkgoT().TempDir()
	binary, err := testenv.BuildWsguard("..", tmp)
	Expect(err).NotTo(HaveOccurred())

	crds, err := testenv.MeshCRDs()
	Expect(err).NotTo(HaveOccurred())
	env, err = testenv.Start(crds...)
	Expect(err).NotTo(HaveOccurred())
	kubeconfig = filepath.Join(tmp, "kubeconfig")
	Expect(env.WriteKubeconfig(kubeconfig)).To(Succeed())

	ctx := context.Background()
	wsguard, err = testenv.StartWsguard(ctx, testenv.WsguardOptions{
		Binary: binary, Kubeconfig: kubeconfig, CertDir: filepath.Join(tmp, "certs"),
		NoMetrics: true, LogFormat: "console", Output: &serverLog,
	})
	Expect(err).NotTo(HaveOccurred(), "wsguard did not become ready:\n%s", &serverLog)

	Expect(env.InstallWebhooks(ctx, wsguard.URL, wsguard.CA, nil)).To(Succeed())
	Expect(env.CreateNamespace(ctx, "demo", true, nil)).To(Succeed())
	Expect(env.CreateNamespace(ctx, "demo-warn", true, map[string]string{"wsguard.io/enforcement": "warn"})).To(Succeed())
	Expect(env.CreateNamespace(ctx, "plain", false, nil)).To(Succeed())
})

var _ = AfterSuite(func() {
	if wsguard != nil {
		// SIGTERM is how Kubernetes stops wsguard: it must shut down cleanly and promptly.
		Expect(wsguard.Stop()).To(Succeed(), "wsguard did not exit cleanly:\n%s", &serverLog)
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// kubectl runs the control plane's kubectl and returns its stdout and stderr.
func kubectl(args ...string) (string, string, error) {
	cmd := exec.Command(env.Kubectl(), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	cmd.Dir = ".."
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}
