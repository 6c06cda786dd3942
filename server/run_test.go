package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/server"
	"github.com/wsguard/wsguard/webhooks"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	log, err := server.NewLogger("error", "console")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	logf.SetLogger(log)
	env, err = testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	if err := env.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

// instance is one server.Run against the test control plane, with its URLs and a client that
// trusts its serving certificate.
type instance struct {
	webhookURL, probeURL, metricsURL string
	client                           *http.Client
	done                             chan error
}

// start runs wsguard with opts (ports and certificate filled in) until ctx ends, and waits
// until it is ready.
func start(t *testing.T, ctx context.Context, opts server.Options) *instance {
	t.Helper()
	certDir := t.TempDir()
	caPEM, err := testenv.WriteServingCertificate(certDir, "127.0.0.1", "localhost")
	if err != nil {
		t.Fatal(err)
	}
	var ports [3]int
	for i := range ports {
		if ports[i], err = testenv.FreePort(); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	in := &instance{
		webhookURL: fmt.Sprintf("https://127.0.0.1:%d", ports[0]),
		probeURL:   fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		metricsURL: fmt.Sprintf("127.0.0.1:%d", ports[2]),
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, DisableKeepAlives: true}},
		done: make(chan error, 1),
	}
	opts.WebhookPort, opts.CertDir, opts.CertName, opts.KeyName = ports[0], certDir, "tls.crt", "tls.key"
	opts.HealthProbeAddr = fmt.Sprintf("127.0.0.1:%d", ports[1])
	if opts.MetricsAddr == "" {
		opts.MetricsAddr = in.metricsURL
	}
	if opts.TLSMinVersion == "" {
		opts.TLSMinVersion = "1.2"
	}
	if opts.ShutdownTimeout == "" {
		opts.ShutdownTimeout = "5s"
	}
	log, _ := server.NewLogger("error", "console")
	go func() { in.done <- server.Run(ctx, env.Config, opts, log) }()
	deadline := time.Now().Add(60 * time.Second)
	for in.readyz() != http.StatusOK {
		select {
		case err := <-in.done:
			t.Fatalf("wsguard stopped before it got ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("wsguard did not get ready within 60s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return in
}

// readyz returns /readyz's status code, or 0 when the probe server does not answer.
func (in *instance) readyz() int {
	resp, err := http.Get(in.probeURL + "/readyz")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// review sends one AdmissionReview for a Service to the validating webhook, as the API server
// would, and returns the error, if any, of getting a well-formed answer for it.
func (in *instance) review() error {
	svc, _ := json.Marshal(&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: "chat", Namespace: "default"}})
	body, _ := json.Marshal(admissionv1.AdmissionReview{
		TypeMeta: metav1.TypeMeta{APIVersion: "admission.k8s.io/v1", Kind: "AdmissionReview"},
		Request: &admissionv1.AdmissionRequest{
			UID: types.UID("drain"), Kind: metav1.GroupVersionKind{Version: "v1", Kind: "Service"},
			Resource:  metav1.GroupVersionResource{Version: "v1", Resource: "services"},
			Operation: admissionv1.Create, Namespace: "default", Name: "chat", Object: runtime.RawExtension{Raw: svc},
		},
	})
	var path string
	for _, k := range webhooks.ServedKinds() {
		if k.Resource == "services" {
			path = k.ValidatePath()
		}
	}
	resp, err := in.client.Post(in.webhookURL+path, "application/json", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var out admissionv1.AdmissionReview
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return fmt.Errorf("status %d, undecodable answer: %w", resp.StatusCode, err)
	}
	if resp.StatusCode != http.StatusOK || out.Response == nil || out.Response.UID != "drain" || !out.Response.Allowed {
		return fmt.Errorf("status %d, answer %+v", resp.StatusCode, out.Response)
	}
	return nil
}

// TestShutdownDrains shows the shutdown order that keeps reviews from meeting a closed port
// while the pod's endpoint is being removed: on SIGTERM, /readyz fails at once, admission
// requests are still answered during --shutdown-delay, and only then does wsguard stop.
func TestShutdownDrains(t *testing.T) {
	const delay = 3 * time.Second
	// What main does with ctrl.SetupSignalHandler: SIGTERM ends the context.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	in := start(t, ctx, server.Options{ShutdownDelay: delay})
	if err := in.review(); err != nil {
		t.Fatalf("review before SIGTERM: %v", err)
	}

	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	<-ctx.Done()
	for in.readyz() == http.StatusOK {
		if time.Since(sent) > time.Second {
			t.Fatal("/readyz still succeeds a second after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if code := in.readyz(); code == 0 {
		t.Error("/readyz after SIGTERM: no answer; the probe server must answer, with a failure")
	}
	// Reviews routed here before the endpoint is gone still get answers, on new connections too.
	for time.Since(sent) < delay-time.Second {
		if err := in.review(); err != nil {
			t.Fatalf("review %v after SIGTERM, within --shutdown-delay %v: %v", time.Since(sent).Round(time.Millisecond), delay, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	select {
	case err := <-in.done:
		t.Fatalf("wsguard stopped %v after SIGTERM, before --shutdown-delay %v ended: %v", time.Since(sent), delay, err)
	default:
	}

	select {
	case err := <-in.done:
		if err != nil {
			t.Fatalf("wsguard stopped with %v", err)
		}
		if took := time.Since(sent); took < delay {
			t.Errorf("wsguard stopped %v after SIGTERM, before --shutdown-delay %v ended", took, delay)
		}
	case <-time.After(delay + 15*time.Second):
		t.Fatal("wsguard did not stop after --shutdown-delay and the graceful shutdown")
	}
	if err := in.review(); err == nil {
		t.Error("the webhook server still answers after wsguard stopped")
	}
	t.Logf("stopped %v after SIGTERM", time.Since(sent).Round(time.Millisecond))
}

// TestShutdownWithoutDelay: --shutdown-delay=0 stops at once, as before the delay existed.
func TestShutdownWithoutDelay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := start(t, ctx, server.Options{})
	cancel()
	select {
	case err := <-in.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("wsguard did not stop within 10s of its context ending, with no --shutdown-delay")
	}
}

// TestSecureMetrics: with --metrics-secure, /metrics is HTTPS and answers only scrapers whose
// bearer token the API server authenticates and that RBAC lets get /metrics, the rights the
// generated metrics-reader ClusterRole grants.
func TestSecureMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	in := start(t, ctx, server.Options{MetricsSecure: true})
	defer func() { cancel(); <-in.done }()

	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	token := func(name string) string {
		t.Helper()
		if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status.Token
	}
	reader := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "metrics-reader"}, Rules: webhooks.MetricsReaderPermissions()}
	if _, err := cs.RbacV1().ClusterRoles().Create(ctx, reader, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "prometheus-metrics-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: reader.Name},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "prometheus", Namespace: "default"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	prometheus, stranger := token("prometheus"), token("stranger")

	scrape := func(scheme, token string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, scheme+"://"+in.metricsURL+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}} //nolint:gosec // self-signed
		resp, err := c.Do(req)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	// The metrics server starts beside the webhook server; readiness does not wait for it.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if code, _ := scrape("https", ""); code != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the metrics server does not answer within 10s")
		}
	}
	if code, _ := scrape("http", ""); code == http.StatusOK {
		t.Error("plain HTTP /metrics answered with --metrics-secure")
	}
	if code, body := scrape("https", ""); code != http.StatusUnauthorized {
		t.Errorf("no token: status %d (%s), want 401", code, body)
	}
	if code, body := scrape("https", stranger); code != http.StatusForbidden {
		t.Errorf("a token without the metrics-reader rights: status %d (%s), want 403", code, body)
	}
	if code, body := scrape("https", prometheus); code != http.StatusOK || !strings.Contains(body, "controller_runtime_") {
		t.Errorf("a metrics reader's token: status %d, want 200 with metrics:\n%.300s", code, body)
	}
}

// TestPprof: --pprof-bind-address serves Go's profiling endpoints there, and only when given.
func TestPprof(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	port, err := testenv.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	start(t, ctx, server.Options{PprofAddr: addr})
	resp, err := http.Get("http://" + addr + "/debug/pprof/cmdline")
	if err != nil {
		t.Fatalf("no profiling endpoint at %s: %v", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/debug/pprof/cmdline: %s", resp.Status)
	}
	var fs flag.FlagSet
	var o server.Options
	o.BindFlags(&fs)
	if o.PprofAddr != "0" {
		t.Errorf("--pprof-bind-address defaults to %q; profiling must be off unless asked for", o.PprofAddr)
	}
}
