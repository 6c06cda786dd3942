// Command auditbench measures wsguard's background audit at scale: it fills a real API server
// (envtest) with Deployments, Services and Ingresses, half of them WebSocket apps, in opted-in
// namespaces, starts the real `wsguard serve` with a short --audit-interval, and for each
// --audit-rate reports how long an audit takes, the CPU time and peak RSS wsguard uses during
// it (from /proc), and the latency of admission (dry-run creates through the API server, so
// through wsguard's webhooks) while an audit runs and while none does. `make bench` runs it
// with AUDITBENCH_OBJECTS.
//
// Each wsguard process audits on start (once its caches have synced) and then every -gap after
// the previous audit ended. The first audit is left out (it shares the CPU with the cache's
// start); the second is measured alone for CPU and memory; the third with the admission load
// running, which also runs for -gap before it, with no audit, for the comparison.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wsguard/wsguard/hack/loadgen/proc"
	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/server"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintf(os.Stderr, "auditbench: %v\n", err)
		os.Exit(1)
	}
}

// settings are the command line's.
type settings struct {
	binary     string
	objects    []int
	rates      []float64
	namespaces int
	workers    int
	gap        time.Duration
	loadRate   float64
}

func mainErr() error {
	var s settings
	var objects, rates string
	flag.StringVar(&s.binary, "wsguard", "", "wsguard binary to measure (default: build one from this module)")
	flag.StringVar(&objects, "objects", "1000,10000", "numbers of stored objects to measure at, comma-separated, growing: each adds to the previous")
	flag.StringVar(&rates, "rates", "0,200", "--audit-rate values to measure, comma-separated (0: not paced)")
	flag.IntVar(&s.namespaces, "namespaces", 50, "opted-in namespaces the objects are spread over")
	flag.IntVar(&s.workers, "workers", 16, "concurrent creates while filling the cluster")
	flag.DurationVar(&s.gap, "gap", 15*time.Second, "--audit-interval: the pause between two audits, and the time the admission load runs with no audit")
	flag.Float64Var(&s.loadRate, "load-rate", 20, "dry-run creates a second while latency is measured (open loop)")
	flag.Parse()
	var err error
	if s.objects, err = parseList(objects, strconv.Atoi); err != nil || !slices.IsSorted(s.objects) || s.objects[0] <= 0 {
		return fmt.Errorf("-objects %q: give growing positive numbers, such as 1000,10000", objects)
	}
	if s.rates, err = parseList(rates, func(v string) (float64, error) { return strconv.ParseFloat(v, 64) }); err != nil {
		return fmt.Errorf("-rates %q: %v", rates, err)
	}
	log, err := server.NewLogger("error", "console")
	if err != nil {
		return err
	}
	logf.SetLogger(log)
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "wsguard-auditbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if s.binary == "" {
		if s.binary, err = testenv.BuildWsguard(".", tmp); err != nil {
			return err
		}
	}
	loadBefore := proc.LoadAverage()

	step("starting kube-apiserver and etcd")
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer env.Stop()
	kubeconfig := filepath.Join(tmp, "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}
	for i := range s.namespaces {
		if err := env.CreateNamespace(ctx, nsName(i), true, nil); err != nil {
			return err
		}
	}
	class := &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx"}, Spec: networkingv1.IngressClassSpec{Controller: "k8s.io/ingress-nginx"}}
	if err := env.Client.Create(ctx, class); err != nil {
		return err
	}

	var rows []string
	created := 0
	for _, n := range s.objects {
		step(fmt.Sprintf("creating objects %d to %d in %d namespaces, %d at a time", created, n, s.namespaces, s.workers))
		if err := createObjects(ctx, env.Client, created, n, s.namespaces, s.workers); err != nil {
			return err
		}
		created = n
		for _, rate := range s.rates {
			row, err := measure(ctx, env, kubeconfig, tmp, s, n, rate)
			if err != nil {
				return err
			}
			step("  " + row)
			rows = append(rows, row)
		}
	}
	fmt.Printf("machine: %d cores; load average (1 min) %s before, %s after; wsguard %s\n\n", runtime.NumCPU(), loadBefore, proc.LoadAverage(), s.binary)
	fmt.Printf("| objects | --audit-rate | audit took | wsguard CPU during the audit | CPU per object | RSS before → peak during the audit (MiB) | admission p50 / p99, no audit | admission p50 / p99, during an audit | errors |\n")
	fmt.Printf("|---:|---:|---:|---:|---:|---:|---|---|---:|\n")
	for _, r := range rows {
		fmt.Println(r)
	}
	return nil
}

// measure runs one wsguard with --audit-rate rate over the n stored objects and returns the
// table row.
func measure(ctx context.Context, env *testenv.Env, kubeconfig, tmp string, s settings, n int, rate float64) (string, error) {
	dir := filepath.Join(tmp, fmt.Sprintf("n%d-rate%g", n, rate))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	logPath := filepath.Join(dir, "wsguard.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logFile.Close()
	step(fmt.Sprintf("%d objects, --audit-rate %g: starting wsguard", n, rate))
	w, err := testenv.StartWsguard(ctx, testenv.WsguardOptions{
		Binary: s.binary, Kubeconfig: kubeconfig, CertDir: filepath.Join(dir, "certs"),
		LogFormat: "json", LogLevel: "info", Output: logFile,
		Args: []string{"--audit-interval", s.gap.String(), "--audit-rate", strconv.FormatFloat(rate, 'g', -1, 64)},
	})
	if err != nil {
		return "", fmt.Errorf("%w; see %s", err, logPath)
	}
	defer w.Stop()
	samples := startSampler(w.PID())
	defer samples.Stop()
	if err := env.InstallWebhooks(ctx, w.URL, w.CA, nil); err != nil {
		return "", err
	}
	// Without wsguard running, the webhooks (failurePolicy Fail) would refuse the next creates.
	defer env.UninstallWebhooks(ctx)
	loadDeployment := object(nsName(0), 0).(*appsv1.Deployment)
	if err := webhooksReady(ctx, env, loadDeployment); err != nil {
		return "", err
	}

	if _, err := waitAudit(ctx, logPath, 1, w.Exited()); err != nil {
		return "", err
	}
	step("  first audit done (not measured); waiting for the second")
	a2, err := waitAudit(ctx, logPath, 2, w.Exited())
	if err != nil {
		return "", err
	}
	if a2.objects != n {
		return "", fmt.Errorf("the audit judged %d objects, want %d; see %s", a2.objects, n, logPath)
	}
	// The log line can be read before the sampler has read /proc after it.
	time.Sleep(200 * time.Millisecond)
	cpu, before, peak, ok := samples.window(a2.start, a2.end)
	if !ok {
		return "", fmt.Errorf("no /proc samples around the audit of %s", a2.start)
	}
	step(fmt.Sprintf("  second audit: %s, %s CPU; admission load until the third ends", a2.duration().Round(time.Millisecond), cpu))
	stop := make(chan struct{})
	done := make(chan []request)
	go func() { done <- load(ctx, env.Client, loadDeployment, s.loadRate, stop) }()
	a3, err := waitAudit(ctx, logPath, 3, w.Exited())
	close(stop)
	reqs := <-done
	if err != nil {
		return "", err
	}
	all, err := audits(logPath)
	if err != nil {
		return "", err
	}
	during, idle := split(reqs, a3, all)
	ld, li := summarize(during), summarize(idle)
	errs := 0
	for _, r := range reqs {
		if r.err != nil {
			errs++
			if errs == 1 {
				step("  first error: " + r.err.Error())
			}
		}
	}
	rateName := "not paced"
	if rate > 0 {
		rateName = strconv.FormatFloat(rate, 'g', -1, 64) + "/s"
	}
	return fmt.Sprintf("| %d | %s | %s | %s | %s | %s → %s | %s | %s | %d |", n, rateName, a2.duration().Round(time.Millisecond),
		cpu, (cpu / time.Duration(n)).Round(time.Microsecond), proc.MiB(before), proc.MiB(peak), li, ld, errs), nil
}

// webhooksReady waits until a dry-run create comes back defaulted: a webhook configuration takes
// effect a moment after it is written.
func webhooksReady(ctx context.Context, env *testenv.Env, d *appsv1.Deployment) error {
	var last error
	for range 60 {
		obj := d.DeepCopy()
		obj.Name = "warm-up"
		last = env.Client.Create(ctx, obj, client.DryRunAll)
		if last == nil && defaulted(obj) {
			return nil
		}
		if last == nil {
			last = fmt.Errorf("the dry-run Deployment was not defaulted")
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("wsguard's webhooks did not take effect: %w", last)
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range strings.Split(s, ",") {
		v, err := parse(strings.TrimSpace(f))
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func step(msg string) { fmt.Fprintf(os.Stderr, "==> %s\n", msg) }
