package install

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	cmapi "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"go.uber.org/zap/zapcore"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/wsguard/wsguard/internal/testenv"
)

// The suite shares one control plane: cert-manager's CRDs and controllers start once (the CRDs
// take seconds to be served), and the specs that install wsguard build on each other in order.
var (
	root       string // the repository
	helmBinary string
	crdDir     string
	env        *testenv.Env
	k8s        client.Client
	scheme     = runtime.NewScheme()
	kubeconfig string // a cluster administrator's
	wsguardBin string
	stopAll    context.CancelFunc
	certMgr    *certManager
)

func TestInstall(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wsguard install: the Helm chart and config/ with cert-manager, through a real API server")
}

var _ = BeforeSuite(func() {
	// cert-manager and controller-runtime log through klog and logr; only errors are of use here.
	logger := zap.New(zap.WriteTo(GinkgoWriter), zap.Level(zapcore.ErrorLevel))
	ctrl.SetLogger(logger)
	klog.SetLogger(logger)

	var err error
	root, err = filepath.Abs("../..")
	Expect(err).NotTo(HaveOccurred())
	helmBinary = filepath.Join(root, "bin", "helm")
	crdDir = filepath.Join(root, "bin", "crds")
	Expect(helmBinary).To(BeAnExistingFile(), "no Helm: run hack/install-helm.sh (make test-install does)")
	for _, dir := range []string{"cert-manager", "prometheus-operator"} {
		Expect(filepath.Join(crdDir, dir)).To(BeADirectory(), "no %s CRDs: run hack/fetch-crds.sh (make test-install does)", dir)
	}

	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	Expect(cmapi.AddToScheme(scheme)).To(Succeed())

	// The mesh and Gateway API CRDs too, so that every served kind exists and the mesh
	// examples apply through the installed wsguard.
	meshCRDs, err := testenv.MeshCRDs()
	Expect(err).NotTo(HaveOccurred())
	env, err = testenv.Start(append(meshCRDs, filepath.Join(crdDir, "cert-manager"), filepath.Join(crdDir, "prometheus-operator"))...)
	Expect(err).NotTo(HaveOccurred())
	k8s, err = client.New(env.Config, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	tmp := GinkgoT().TempDir()
	kubeconfig = filepath.Join(tmp, "kubeconfig")
	Expect(env.WriteKubeconfig(kubeconfig)).To(Succeed())

	ctx, cancel := context.WithCancel(context.Background())
	stopAll = cancel
	certMgr, err = startCertManager(ctx, kubeconfig, env.Config, scheme)
	Expect(err).NotTo(HaveOccurred())

	wsguardBin = filepath.Join(tmp, "wsguard")
	build := exec.Command("go", "build", "-o", wsguardBin, ".")
	build.Dir = root
	out, err := build.CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "building wsguard: %s", out)
})

var _ = AfterSuite(func() {
	if stopAll != nil {
		stopAll()
	}
	if certMgr != nil {
		Eventually(certMgr.done).WithTimeout(30*time.Second).Should(BeClosed(), "cert-manager's controllers did not stop")
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// run runs a command from the repository root and returns its stdout and stderr; the error
// includes stderr.
func run(name string, args ...string) (string, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "HELM_CACHE_HOME="+filepath.Join(root, "bin", ".helm", "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(root, "bin", ".helm", "config"), "HELM_DATA_HOME="+filepath.Join(root, "bin", ".helm", "data"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), stderr.String(), fmt.Errorf("%s %v: %w\n%s", filepath.Base(name), args, err, stderr.String())
	}
	return stdout.String(), stderr.String(), nil
}

// helm runs bin/helm against the suite's control plane.
func helm(args ...string) (string, string, error) { return run(helmBinary, args...) }

// kubectl runs the control plane's kubectl as a cluster administrator.
func kubectl(args ...string) (string, string, error) { return run(env.Kubectl(), args...) }

// tempDir is a folder removed after the current spec or container.
func tempDir() string { return GinkgoT().TempDir() }
