package install

import (
	"context"
	"fmt"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const rotationNamespace = "rotation"

// rotationSpecs renew the serving certificate with cert-manager while creates flow through
// wsguard, with both failure policies Fail so that a single failed call is an error.
func rotationSpecs(ctx context.Context) {
	BeforeAll(func() {
		setFailurePolicies("Fail", "Fail")
		Expect(ensureNamespace(rotationNamespace, optedIn)).To(Succeed())
		setState(ctx, running)
	})

	It("loses no request while cert-manager renews the certificate and wsguard reloads it", func() {
		before, err := servedCertificate(webhookPort, caPEM)
		Expect(err).NotTo(HaveOccurred())
		load := startLoad(ctx, 3)
		DeferCleanup(load.stop)
		Eventually(load.succeeded).WithTimeout(60*time.Second).Should(BeNumerically(">=", 20), "no requests got through: %v", load.failures())

		Expect(renewCertificate(ctx, releaseNS, servingCert)).To(Succeed())
		var renewed map[string][]byte
		Eventually(func() (bool, error) {
			renewed, err = secretData(ctx, releaseNS, servingCert)
			return err == nil && !samePEM(renewed["tls.crt"], before), err
		}).WithTimeout(60*time.Second).Should(BeTrue(), "cert-manager did not renew the certificate")
		// What the kubelet does with the updated Secret; wsguard watches --cert-dir.
		Expect(projectSecret(servingCertDir, renewed)).To(Succeed())
		Eventually(func() ([]byte, error) { return servedCertificate(webhookPort, caPEM) }).WithTimeout(60*time.Second).
			Should(Satisfy(func(c []byte) bool { return samePEM(c, renewed["tls.crt"]) }), "wsguard did not reload the certificate")

		mark := load.succeeded()
		Eventually(load.succeeded).WithTimeout(60*time.Second).Should(BeNumerically(">=", mark+20), "requests stopped after the rotation: %v", load.failures())
		load.stop()
		Expect(load.failures()).To(BeEmpty())
	})
}

// load creates WebSocket Deployments from several workers until stopped, counting creates that
// came back defaulted by wsguard and recording every other outcome.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	ok     int
	errs   []string
}

func startLoad(ctx context.Context, workers int) *load {
	GinkgoHelper()
	cfg := rest.CopyConfig(env.Config)
	cfg.Timeout = requestBound
	cfg.QPS, cfg.Burst = 100, 100
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	ctx, cancel := context.WithCancel(ctx)
	l := &load{cancel: cancel}
	for range workers {
		l.wg.Go(func() {
			for ctx.Err() == nil {
				// Deployments, not Services: envtest's Service IP range is small.
				d := websocketDeployment(rotationNamespace)
				l.record(ctx, d, c.Create(ctx, d))
			}
		})
	}
	return l
}

func (l *load) record(ctx context.Context, d *appsv1.Deployment, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case ctx.Err() != nil:
		// Stopping: the request may have been cut short by the test itself.
	case err != nil:
		l.errs = append(l.errs, err.Error())
	case d.Annotations[appliedRules] == "":
		l.errs = append(l.errs, fmt.Sprintf("Deployment %s was admitted without wsguard's defaults", d.Name))
	default:
		l.ok++
	}
}

func (l *load) succeeded() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok
}

func (l *load) failures() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errs...)
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}
