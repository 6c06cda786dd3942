package install

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/webhooks"
)

// The release a user installs with the README's command, and the names the chart gives it.
const (
	release       = "wsguard"
	releaseNS     = "wsguard-system"
	servingCert   = "wsguard-serving-cert" // Certificate and Secret
	caCert        = "wsguard-ca"           // Certificate and Secret
	configName    = "wsguard"              // both webhook configurations
	demoNamespace = "demo"
)

// State of the install the ordered specs below share.
var (
	// wsguard is the running wsguard process, nil while stopped.
	wsguard *wsguardProcess
	// webhookPort is where webhook.url points: wsguard's webhook port on this machine.
	webhookPort int
	// servingCertDir stands for the serving-certificate Secret volume.
	servingCertDir string
	// caPEM is the chart's CA, which cert-manager injects as caBundle.
	caPEM []byte
)

// The specs below build on each other: install, certificates, wsguard serving, then faults and
// rotation. Ordered keeps them in that order and stops at the first failure.
var _ = Describe("wsguard installed with `helm install` and cert-manager", Ordered, func() {
	ctx := context.Background()

	BeforeAll(func() {
		servingCertDir = filepath.Join(tempDir(), "serving-certs")
		DeferCleanup(func() {
			if wsguard != nil {
				_ = wsguard.thaw()
				Expect(wsguard.stop(40 * time.Second)).To(Succeed())
			}
		})
	})

	It("installs with the README's command", func() {
		_, _, err := helm("install", release, chartDir, "--namespace", releaseNS, "--create-namespace")
		Expect(err).NotTo(HaveOccurred())
	})

	It("gets its CA and serving certificate from cert-manager's own controllers", func() {
		for _, name := range []string{caCert, servingCert} {
			Eventually(func() (bool, error) { return certificateReady(ctx, releaseNS, name) }).
				WithTimeout(60*time.Second).Should(BeTrue(), "Certificate %s was not issued", name)
		}
		serving, err := secretData(ctx, releaseNS, servingCert)
		Expect(err).NotTo(HaveOccurred())
		ca, err := secretData(ctx, releaseNS, caCert)
		Expect(err).NotTo(HaveOccurred())
		Expect(samePEM(serving["ca.crt"], ca["tls.crt"])).To(BeTrue(), "the serving Secret's ca.crt is not the chart's CA")
		caPEM = serving["ca.crt"]
		for _, host := range []string{"wsguard-webhook.wsguard-system.svc", "wsguard-webhook.wsguard-system.svc.cluster.local"} {
			Expect(verifyServing(serving["tls.crt"], caPEM, host)).To(Succeed())
		}
	})

	It("has cert-manager's CA injector fill the caBundle of every webhook", func() {
		Eventually(caBundles).WithContext(ctx).WithTimeout(60 * time.Second).Should(HaveEach(Equal(string(caPEM))))
	})

	It("switches both configurations to a wsguard outside the cluster with webhook.url", func() {
		var err error
		webhookPort, err = testenv.FreePort()
		Expect(err).NotTo(HaveOccurred())
		url := fmt.Sprintf("https://127.0.0.1:%d", webhookPort)
		_, _, err = helm("upgrade", release, chartDir, "--namespace", releaseNS, "--reuse-values", "--set", "webhook.url="+url)
		Expect(err).NotTo(HaveOccurred())

		mutating, validating := webhookConfigurations(ctx)
		Expect(mutating.Annotations).To(HaveKeyWithValue(webhooks.AnnotationInjectCAFrom, releaseNS+"/"+servingCert))
		Expect(validating.Annotations).To(HaveKeyWithValue(webhooks.AnnotationInjectCAFrom, releaseNS+"/"+servingCert))
		for i, k := range webhooks.ServedKinds() {
			Expect(mutating.Webhooks[i].ClientConfig.Service).To(BeNil())
			Expect(mutating.Webhooks[i].ClientConfig.URL).To(HaveValue(Equal(url + k.MutatePath())))
			Expect(validating.Webhooks[i].ClientConfig.URL).To(HaveValue(Equal(url + k.ValidatePath())))
		}

		// The chart adds webhook.url's host to the serving certificate; cert-manager reissues.
		Eventually(func() error {
			serving, err := secretData(ctx, releaseNS, servingCert)
			if err != nil {
				return err
			}
			return verifyServing(serving["tls.crt"], caPEM, "127.0.0.1")
		}).WithTimeout(60 * time.Second).Should(Succeed())
		Eventually(caBundles).WithContext(ctx).WithTimeout(60 * time.Second).Should(HaveEach(Equal(string(caPEM))))
	})

	It("serves as the Deployment runs it: its arguments, volumes, ports, probes and service account", func() {
		serving, err := secretData(ctx, releaseNS, servingCert)
		Expect(err).NotTo(HaveOccurred())
		Expect(projectSecret(servingCertDir, serving)).To(Succeed())
		wsguard, err = startWsguard(ctx, releaseNS, release, webhookPort, servingCertDir)
		Expect(err).NotTo(HaveOccurred())
		// Ready only once the webhook server serves and every informer synced, which it cannot
		// with a permission missing from the chart's ClusterRole.
		Eventually(wsguard.ready).WithTimeout(60*time.Second).Should(BeTrue(), "wsguard did not become ready:\n%s", wsguard.log)
		resp, err := http.Get(wsguard.LiveURL)
		Expect(err).NotTo(HaveOccurred())
		resp.Body.Close()
		Expect(resp.StatusCode).To(Equal(http.StatusOK))
		Expect(servedCertificate(webhookPort, caPEM)).To(Satisfy(func(c []byte) bool { return samePEM(c, serving["tls.crt"]) }))
	})

	It("defaults the examples `kubectl apply` sends to a namespace labelled as the README says", func() {
		Expect(ensureNamespace(demoNamespace, nil)).To(Succeed())
		_, _, err := kubectl("label", "namespace", demoNamespace, "wsguard.io/inject=enabled")
		Expect(err).NotTo(HaveOccurred())
		// The label may reach the API server's namespace cache a moment after kubectl returns.
		Eventually(func() (string, error) {
			_, stderr, err := kubectl("apply", "--namespace", demoNamespace, "--dry-run=server", "--filename", "examples/deployment.yaml")
			return stderr, err
		}).WithTimeout(30 * time.Second).Should(ContainSubstring("Warning: wsguard"))

		stdout, stderr, err := kubectl("apply", "--namespace", demoNamespace, "--filename", "examples/")
		Expect(err).NotTo(HaveOccurred())
		Expect(stdout).To(ContainSubstring("deployment.apps/chat created"))
		Expect(stderr).To(SatisfyAll(
			ContainSubstring("Warning: wsguard [deployment-prestop-sleep]"),
			ContainSubstring("Warning: wsguard [service-session-affinity]"),
		))
		out, _, err := kubectl("get", "--namespace", demoNamespace, "deployment", "chat", "--output",
			"jsonpath={.spec.template.spec.containers[0].lifecycle.preStop.sleep.seconds} {.metadata.annotations.wsguard\\.io/applied-rules}")
		Expect(err).NotTo(HaveOccurred())
		Expect(out).To(MatchRegexp(`^\d+ .*deployment-prestop-sleep`))

		_, stderr, err = kubectl("apply", "--namespace", demoNamespace, "--filename", "examples/unsafe/")
		Expect(err).To(HaveOccurred())
		Expect(stderr).To(ContainSubstring(`admission webhook "deployments.validate.wsguard.io" denied the request`))
	})

	It("defaults the mesh and Gateway API examples too", func() {
		// The Services first, so that the routes and policies applied next see them.
		_, _, err := kubectl("apply", "--namespace", demoNamespace, "--filename", "examples/mesh/service.yaml")
		Expect(err).NotTo(HaveOccurred())
		_, stderr, err := kubectl("apply", "--namespace", demoNamespace, "--filename", "examples/mesh/", "--filename", "examples/gateway-api/")
		Expect(err).NotTo(HaveOccurred())
		Expect(stderr).To(SatisfyAll(
			ContainSubstring("wsguard [istio-sidecar-drain]"),
			ContainSubstring("wsguard [gateway-httproute-timeouts]"),
		))
	})

	It("serves /metrics over HTTPS only to scrapers the API server lets get /metrics", func() {
		Expect(wsguard.MetricsSecure).To(BeTrue(), "the chart serves /metrics securely by default")
		code, _, err := scrapeMetrics("")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusUnauthorized), "a scrape without a token")
		// A service account that nothing lets read /metrics.
		Expect(k8s.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "not-prometheus", Namespace: releaseNS}})).To(Succeed())
		token, err := serviceAccountToken(ctx, releaseNS, "not-prometheus")
		Expect(err).NotTo(HaveOccurred())
		code, _, err = scrapeMetrics(token)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusForbidden), "a scrape by an account without the metrics-reader ClusterRole")
	})

	It("exports every metric and label the dashboard queries", func() {
		// What a Prometheus does with the ServiceMonitor: its service account, bound to the
		// chart's metrics-reader ClusterRole, scrapes with its token.
		token, err := metricsReaderToken(ctx)
		Expect(err).NotTo(HaveOccurred())
		code, scraped, err := scrapeMetrics(token)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusOK), "a scrape by an account bound to the metrics-reader ClusterRole: %s", scraped)

		dashboard, err := os.ReadFile(filepath.Join(root, chartDir, "files", "dashboard.json"))
		Expect(err).NotTo(HaveOccurred())
		exprs := regexp.MustCompile(`"expr": "((?:[^"\\]|\\.)*)"`).FindAllStringSubmatch(string(dashboard), -1)
		Expect(exprs).NotTo(BeEmpty())
		for _, e := range exprs {
			expr := strings.ReplaceAll(e[1], `\"`, `"`)
			metric := regexp.MustCompile(`wsguard_[a-z_]+`).FindString(expr)
			if metric == "wsguard_audit_findings" {
				// Its series exist only once an audit found something, which this suite's
				// objects never give; server's TestBackgroundAudit scrapes it with its labels.
				continue
			}
			// Unlabelled gauges (the audit's duration and last success) have no braces.
			Expect(scraped).To(MatchRegexp(`(?m)^`+metric+`[{ ]`), "the dashboard queries %s, which wsguard does not export", metric)
			for _, by := range regexp.MustCompile(`by \(([^)]*)\)`).FindAllStringSubmatch(expr, -1) {
				for _, label := range strings.Split(by[1], ",") {
					label = strings.TrimSpace(label)
					Expect(scraped).To(MatchRegexp(`(?m)^`+metric+`\{[^}]*\b`+label+`="`), "%s has no label %s", metric, label)
				}
			}
		}
	})

	Context("with wsguard unreachable", func() {
		faultsSpecs(ctx)
	})

	Context("rotating the serving certificate while requests flow", func() {
		rotationSpecs(ctx)
	})

	It("uninstalls without leaving a webhook behind that could block the cluster", func() {
		setState(ctx, stopped)
		_, _, err := helm("uninstall", release, "--namespace", releaseNS)
		Expect(err).NotTo(HaveOccurred())
		Expect(k8s.Get(ctx, client.ObjectKey{Name: configName}, &admissionv1.MutatingWebhookConfiguration{})).To(Satisfy(apierrors.IsNotFound))
		Expect(k8s.Get(ctx, client.ObjectKey{Name: configName}, &admissionv1.ValidatingWebhookConfiguration{})).To(Satisfy(apierrors.IsNotFound))
		Expect(boundedClient(nil).Create(ctx, websocketDeployment(faultsNamespace))).To(Succeed())
	})
})

// webhookConfigurations reads both of the release's webhook configurations.
func webhookConfigurations(ctx context.Context) (*admissionv1.MutatingWebhookConfiguration, *admissionv1.ValidatingWebhookConfiguration) {
	GinkgoHelper()
	mutating := &admissionv1.MutatingWebhookConfiguration{}
	validating := &admissionv1.ValidatingWebhookConfiguration{}
	Expect(k8s.Get(ctx, client.ObjectKey{Name: configName}, mutating)).To(Succeed())
	Expect(k8s.Get(ctx, client.ObjectKey{Name: configName}, validating)).To(Succeed())
	Expect(mutating.Webhooks).To(HaveLen(len(webhooks.ServedKinds())))
	Expect(validating.Webhooks).To(HaveLen(len(webhooks.ServedKinds())))
	return mutating, validating
}

// caBundles returns the caBundle of every webhook of the release's configurations.
func caBundles(ctx context.Context) ([]string, error) {
	mutating := &admissionv1.MutatingWebhookConfiguration{}
	validating := &admissionv1.ValidatingWebhookConfiguration{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: configName}, mutating); err != nil {
		return nil, err
	}
	if err := k8s.Get(ctx, client.ObjectKey{Name: configName}, validating); err != nil {
		return nil, err
	}
	var out []string
	for _, w := range mutating.Webhooks {
		out = append(out, string(w.ClientConfig.CABundle))
	}
	for _, w := range validating.Webhooks {
		out = append(out, string(w.ClientConfig.CABundle))
	}
	return out, nil
}

// scrapeMetrics gets wsguard's /metrics as Prometheus would with the chart's ServiceMonitor:
// wsguard's self-signed certificate is not verified, and token, if any, is the bearer token.
func scrapeMetrics(token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, wsguard.MetricsURL, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}} //nolint:gosec // as the ServiceMonitor
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// metricsReaderToken returns a token of a "prometheus" service account bound to the release's
// metrics-reader ClusterRole, creating both once.
func metricsReaderToken(ctx context.Context) (string, error) {
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "prometheus", Namespace: releaseNS}}
	if err := k8s.Create(ctx, sa); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-reads-wsguard-metrics"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: release + "-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: sa.Name, Namespace: releaseNS}},
	}
	if err := k8s.Create(ctx, binding); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	return serviceAccountToken(ctx, releaseNS, sa.Name)
}
