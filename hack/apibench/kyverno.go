package main

import (
	"bufio"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wsguard/wsguard/internal/testenv"
)

// The Kyverno policies: the native policies of policies.go in Kyverno's two forms. They are
// files, not strings, so that `kyverno apply` (hack/offlinebench.sh) reads the same ones.
var (
	//go:embed kyverno/clusterpolicies.yaml
	kyvernoClusterPolicies string
	//go:embed kyverno/cel-policies.yaml
	kyvernoCELPolicies string
)

// The namespaces the Kyverno policies apply in, as the policy files select them.
const (
	labelKyvernoClusterPolicy = "bench.wsguard.io/kyverno-clusterpolicy"
	labelKyvernoCEL           = "bench.wsguard.io/kyverno-cel"
	nsKyvernoClusterPolicy    = "bench-kyverno-clusterpolicy"
)

var kyvernoVariants = []variant{
	{name: "Kyverno ClusterPolicy", namespace: nsKyvernoClusterPolicy, labels: map[string]string{labelKyvernoClusterPolicy: "enabled"}},
	{name: "Kyverno CEL policies", namespace: "bench-kyverno-cel", labels: map[string]string{labelKyvernoCEL: "enabled"}},
}

// kyvernoNamespace is where Kyverno keeps its ConfigMap, its CA and serving Secrets and its
// leader-election Leases; the other names are what its Helm chart uses. Kyverno's
// DEVELOPMENT.md ("Debugging local code") and .vscode/launch.json list these variables for
// running it outside the cluster.
const kyvernoNamespace = "kyverno"

var kyvernoEnv = []string{
	"KYVERNO_NAMESPACE=" + kyvernoNamespace,
	"KYVERNO_SERVICEACCOUNT_NAME=kyverno-admission-controller",
	"KYVERNO_DEPLOYMENT=kyverno-admission-controller",
	"KYVERNO_POD_NAME=kyverno-admission-controller-bench",
	"INIT_CONFIG=kyverno",
	"METRICS_CONFIG=kyverno-metrics",
}

// kyvernoManagedBy labels every webhook configuration Kyverno registers. Run outside a
// cluster, Kyverno leaves them behind when it stops; as their failure policy is Fail for
// validation, every matching write would then fail, so stopKyverno deletes them.
const kyvernoManagedBy = "webhook.kyverno.io/managed-by"

// kyvernoProcess is the Kyverno admission controller running against the bench's API server.
type kyvernoProcess struct {
	cmd        *exec.Cmd
	done       chan error
	metricsURL string
	logPath    string
	c          client.Client
}

// installKyverno installs Kyverno's CRDs from crdDir, its ConfigMap and both forms of the
// policies, before Kyverno starts, so that its first webhook configurations carry them all.
func installKyverno(ctx context.Context, cp *controlPlane, crdDir string) error {
	if _, err := envtest.InstallCRDs(cp.cfg, envtest.CRDInstallOptions{Paths: []string{crdDir}, ErrorIfPathMissing: true}); err != nil {
		return fmt.Errorf("installing Kyverno's CRDs from %s: %w", crdDir, err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kyvernoNamespace}}
	// ClusterPolicy webhooks are Kyverno-wide: they match every namespace and Kyverno filters
	// inside, so the plain, wsguard and native namespaces would pay a call to Kyverno too. In a
	// cluster a namespace selector in this ConfigMap scopes them; here that selector would also
	// narrow the CEL policies' webhooks (Kyverno ANDs it into theirs), so a match condition on
	// the namespace, which Kyverno adds to the ClusterPolicy webhooks only, scopes them instead.
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: kyvernoNamespace, Name: "kyverno"},
		Data: map[string]string{
			"matchConditions": fmt.Sprintf(`[{"name":"bench-clusterpolicy-namespace","expression":"request.namespace == '%s'"}]`, nsKyvernoClusterPolicy),
		},
	}
	for _, obj := range []client.Object{ns, cm} {
		if err := cp.client.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s: %w", obj.GetName(), err)
		}
	}
	for _, manifest := range []string{kyvernoClusterPolicies, kyvernoCELPolicies} {
		if err := createAll(ctx, cp.client, manifest); err != nil {
			return fmt.Errorf("Kyverno policies: %w", err)
		}
	}
	return nil
}

// createAll creates every object of a multi-document YAML manifest.
func createAll(ctx context.Context, c client.Client, manifest string) error {
	decoder := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(manifest), 4096)
	for {
		obj := &unstructured.Unstructured{}
		if err := decoder.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if len(obj.Object) == 0 {
			continue
		}
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("creating %s %s: %w", obj.GetKind(), obj.GetName(), err)
		}
	}
}

// startKyverno runs the Kyverno admission controller out of cluster against the API server of
// kubeconfig, with its webhooks served on 127.0.0.1 and registered by URL (--serverIP), and
// with admission reports off: no reports controller runs here to aggregate them, and they
// pile up in etcd and slow every write down. It returns once the process runs; checkEffects
// waits until its webhooks answer.
func startKyverno(binary, kubeconfig, dir string, c client.Client) (*kyvernoProcess, error) {
	webhookPort, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	metricsPort, err := testenv.FreePort()
	if err != nil {
		return nil, err
	}
	k := &kyvernoProcess{
		done:       make(chan error, 1),
		metricsURL: fmt.Sprintf("http://127.0.0.1:%d/metrics", metricsPort),
		logPath:    filepath.Join(dir, "kyverno.log"),
		c:          c,
	}
	logFile, err := os.Create(k.logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child writes through its own descriptor
	k.cmd = exec.Command(binary,
		"--kubeconfig="+kubeconfig,
		fmt.Sprintf("--serverIP=127.0.0.1:%d", webhookPort),
		"--webhookServerHost=127.0.0.1",
		fmt.Sprintf("--webhookServerPort=%d", webhookPort),
		"--caSecretName=kyverno-svc.kyverno.svc.kyverno-tls-ca",
		"--tlsSecretName=kyverno-svc.kyverno.svc.kyverno-tls-pair",
		"--metricsHost=127.0.0.1",
		fmt.Sprintf("--metricsPort=%d", metricsPort),
		"--controllerRuntimeMetricsAddress=0",
		"--backgroundServiceAccountName=system:serviceaccount:kyverno:kyverno-background-controller",
		"--reportsServiceAccountName=system:serviceaccount:kyverno:kyverno-reports-controller",
		"--admissionReports=false",
	)
	k.cmd.Env = append(os.Environ(), kyvernoEnv...)
	k.cmd.Stdout, k.cmd.Stderr = logFile, logFile
	// Its own process group, so that a Ctrl-C of the bench reaches it only through Stop.
	k.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := k.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { k.done <- k.cmd.Wait() }()
	return k, nil
}

// alive reports an error if Kyverno has exited, with where its log is.
func (k *kyvernoProcess) alive() error {
	select {
	case err := <-k.done:
		k.done <- err
		return fmt.Errorf("kyverno exited (%v); see %s", err, k.logPath)
	default:
		return nil
	}
}

func (k *kyvernoProcess) PID() int { return k.cmd.Process.Pid }

// Stop ends Kyverno and deletes the webhook configurations it registered.
func (k *kyvernoProcess) Stop() error {
	var errs []error
	if k.alive() == nil {
		_ = k.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-k.done:
		case <-time.After(15 * time.Second):
			_ = k.cmd.Process.Kill()
			<-k.done
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	managed := client.HasLabels{kyvernoManagedBy}
	for _, obj := range []client.Object{&admissionregistrationv1.MutatingWebhookConfiguration{}, &admissionregistrationv1.ValidatingWebhookConfiguration{}} {
		if err := k.c.DeleteAllOf(ctx, obj, managed); err != nil {
			errs = append(errs, fmt.Errorf("deleting Kyverno's webhook configurations: %w", err))
		}
	}
	return errors.Join(errs...)
}

// AdmissionRequests reads kyverno_admission_requests_total from Kyverno's metrics: how many
// admission requests it has answered, over every policy type and operation.
func (k *kyvernoProcess) AdmissionRequests() (int64, error) {
	resp, err := http.Get(k.metricsURL)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var total float64
	found := false
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "kyverno_admission_requests_total") {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err != nil {
			continue
		}
		total += v
		found = true
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	if !found {
		return 0, fmt.Errorf("%s has no kyverno_admission_requests_total", k.metricsURL)
	}
	return int64(total), nil
}
