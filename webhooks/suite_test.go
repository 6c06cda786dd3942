package webhooks_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/internal/testsupport"
	"github.com/wsguard/wsguard/server"
)

// The suite runs the real wsguard server (server.Run, the code `wsguard serve` runs) against a
// real kube-apiserver and etcd, with the webhook configurations wsguard ships.
var (
	env        *testenv.Env
	k8s        client.Client
	webhookURL string
	probeURL   string
	metricsURL string
	caPEM      []byte
	stopServer context.CancelFunc
	serverDone chan error
	// warnings holds the admission warnings k8s's requests got back.
	warnings = &testsupport.WarningRecorder{}
)

func TestWebhooks(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "wsguard webhooks through a real API server")
}

var _ = BeforeSuite(func() {
	log, err := server.NewLogger("error", "console")
	Expect(err).NotTo(HaveOccurred())
	logf.SetLogger(log)

	// The real Istio and Gateway API CRDs (and the documented Linkerd one) judge every object
	// wsguard patches.
	crds, err := testenv.MeshCRDs()
	Expect(err).NotTo(HaveOccurred())
	env, err = testenv.Start(crds...)
	Expect(err).NotTo(HaveOccurred())

	certDir := GinkgoT().TempDir()
	caPEM, err = testenv.WriteServingCertificate(certDir, "127.0.0.1", "localhost")
	Expect(err).NotTo(HaveOccurred())
	ports := make([]int, 3)
	for i := range ports {
		ports[i], err = testenv.FreePort()
		Expect(err).NotTo(HaveOccurred())
	}
	webhookURL = fmt.Sprintf("https://127.0.0.1:%d", ports[0])
	probeURL = fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	metricsURL = fmt.Sprintf("http://127.0.0.1:%d", ports[2])

	ctx, cancel := context.WithCancel(context.Background())
	stopServer = cancel
	serverDone = make(chan error, 1)
	opts := server.Options{
		WebhookPort: ports[0], CertDir: certDir, CertName: "tls.crt", KeyName: "tls.key",
		TLSMinVersion: "1.2", MetricsAddr: fmt.Sprintf("127.0.0.1:%d", ports[2]),
		HealthProbeAddr: fmt.Sprintf("127.0.0.1:%d", ports[1]), ShutdownTimeout: "5s",
	}
	go func() { serverDone <- server.Run(ctx, env.Config, opts, log) }()
	Eventually(func() (int, error) {
		resp, err := http.Get(probeURL + "/readyz?verbose")
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			body, _ := io.ReadAll(resp.Body)
			GinkgoWriter.Printf("readyz: %s\n", body)
		}
		return resp.StatusCode, nil
	}).WithTimeout(60 * time.Second).Should(Equal(http.StatusOK))

	Expect(env.InstallWebhooks(ctx, webhookURL, caPEM, nil)).To(Succeed())

	// A client that records the admission warnings the API server passes on, as kubectl prints them.
	cfg := rest.CopyConfig(env.Config)
	cfg.WarningHandler = warnings
	k8s, err = client.New(cfg, client.Options{})
	Expect(err).NotTo(HaveOccurred())
})

var _ = AfterSuite(func() {
	if stopServer != nil {
		stopServer()
		Eventually(serverDone).WithTimeout(30 * time.Second).Should(Receive(BeNil()))
	}
	if env != nil {
		Expect(env.Stop()).To(Succeed())
	}
})

// takeWarnings returns and forgets the warnings recorded so far.
func takeWarnings() []string {
	return warnings.Take()
}

// webhookHTTPClient trusts the suite's CA, for requests sent straight to the webhook server.
func webhookHTTPClient() *http.Client {
	pool := mustPool(caPEM)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
}

// uniqueName keeps specs independent: each creates its own namespace.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
}
