// Package e2e runs the wsguard binary as its own process against a real kube-apiserver and
// drives it with the real kubectl, the way a user of `make run` does.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/wsguard/wsguard/internal/testenv"
)

var (
	env        *testenv.Env
	kubeconfig string
	wsguard    *exec.Cmd
	exited     chan error
	serverLog  bytes.Buffer
)

func TestEndToEnd(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wsguard end to end: the binary, kubectl and examples/")
}

var _ = BeforeSuite(func() {
	tmp := GinkgoT().TempDir()
	binary := filepath.Join(tmp, "wsguard")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = ".."
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "building wsguard: %s", out)

	crds, err := testenv.MeshCRDs()
	Expect(err).NotTo(HaveOccurred())
	env, err = testenv.Start(crds...)
	Expect(err).NotTo(HaveOccurred())
	kubeconfig = filepath.Join(tmp, "kubeconfig")
	Expect(env.WriteKubeconfig(kubeconfig)).To(Succeed())
	certDir := filepath.Join(tmp, "certs")
	caPEM, err := testenv.WriteServingCertificate(certDir, "127.0.0.1")
	Expect(err).NotTo(HaveOccurred())

	port, err := testenv.FreePort()
	Expect(err).NotTo(HaveOccurred())
	probePort, err := testenv.FreePort()
	Expect(err).NotTo(HaveOccurred())
	wsguard = exec.Command(binary, "serve", "--kubeconfig", kubeconfig, "--cert-dir", certDir,
		"--webhook-port", fmt.Sprint(port), "--metrics-bind-address", "0",
		"--health-probe-bind-address", fmt.Sprintf("127.0.0.1:%d", probePort), "--log-format", "console")
	wsguard.Stdout, wsguard.Stderr = &serverLog, &serverLog
	wsguard.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	Expect(wsguard.Start()).To(Succeed())
	exited = make(chan error, 1)
	go func() { exited <- wsguard.Wait() }()
	Eventually(func() int {
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", probePort))
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}).WithTimeout(60*time.Second).Should(Equal(http.StatusOK), "wsguard did not become ready:\n%s", &serverLog)

	ctx := context.Background()
	Expect(env.InstallWebhooks(ctx, fmt.Sprintf("https://127.0.0.1:%d", port), caPEM, nil)).To(Succeed())
	Expect(env.CreateNamespace(ctx, "demo", true, nil)).To(Succeed())
	Expect(env.CreateNamespace(ctx, "demo-warn", true, map[string]string{"wsguard.io/enforcement": "warn"})).To(Succeed())
	Expect(env.CreateNamespace(ctx, "plain", false, nil)).To(Succeed())
})

var _ = AfterSuite(func() {
	if wsguard != nil && wsguard.Process != nil {
		// SIGTERM is how Kubernetes stops wsguard: it must shut down cleanly and promptly.
		Expect(wsguard.Process.Signal(syscall.SIGTERM)).To(Succeed())
		Eventually(exited).WithTimeout(40*time.Second).Should(Receive(BeNil()), "wsguard did not exit cleanly:\n%s", &serverLog)
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
