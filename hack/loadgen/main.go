// Command loadgen measures the real `wsguard serve` process over HTTPS: it starts an envtest
// control plane and wsguard against it (as the end-to-end suite does), then sends
// AdmissionReviews straight to the webhook server over TLS with keep-alive, at several
// concurrency levels (closed loop) and fixed rates (open loop), a fixed number of requests
// each, and reports throughput, latency quantiles, errors, CPU time per review and wsguard's
// resident memory. Traffic goes only to 127.0.0.1; every loop is bounded, and the program
// stops by itself.
//
// Run it from the module root (`make bench` does): go run ./hack/loadgen -h
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wsguard/wsguard/hack/loadgen/proc"
	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/server"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintf(os.Stderr, "loadgen: %v\n", err)
		os.Exit(1)
	}
}

type options struct {
	binary      string
	requests    int
	warmup      int
	levels      []load
	rounds      int
	idleSamples int
	rateSeconds float64
}

func mainErr() error {
	var o options
	var levels, rates string
	var maxInFlight int
	var timeout time.Duration
	flag.StringVar(&o.binary, "wsguard", "", "wsguard binary to measure (default: build one from this module)")
	flag.IntVar(&o.requests, "requests", 20000, "requests per concurrency level and round (closed loop)")
	flag.IntVar(&o.warmup, "warmup", 1000, "requests sent before each level and not measured (opens the connections)")
	flag.StringVar(&levels, "concurrency", "1,16,64", "comma-separated concurrency levels (closed loop)")
	flag.StringVar(&rates, "rates", "100,1000", "comma-separated rates in reviews per second (open loop); empty for none")
	flag.Float64Var(&o.rateSeconds, "rate-seconds", 10, "seconds each rate lasts")
	flag.IntVar(&maxInFlight, "max-in-flight", 256, "most unanswered reviews at a rate")
	flag.IntVar(&o.rounds, "rounds", 3, "times every level runs; the report gives the median of the rounds")
	flag.IntVar(&o.idleSamples, "idle-samples", 5, "idle memory readings, one a second, before any load")
	flag.DurationVar(&timeout, "timeout", 20*time.Minute, "stop (and fail) after this long")
	flag.Parse()
	concurrencies, err := positiveNumbers("concurrency", levels)
	if err != nil {
		return err
	}
	for _, n := range concurrencies {
		o.levels = append(o.levels, load{concurrency: int(n)})
	}
	rateList, err := positiveNumbers("rates", rates)
	if err != nil {
		return err
	}
	for _, r := range rateList {
		o.levels = append(o.levels, load{concurrency: maxInFlight, rate: r})
	}
	if len(o.levels) == 0 || o.requests < 1 || o.rounds < 1 || o.warmup < 0 || o.rateSeconds <= 0 || maxInFlight < 1 {
		return fmt.Errorf("want at least one level, positive -requests, -rounds, -rate-seconds and -max-in-flight, and -warmup not negative")
	}
	if _, err := os.Stat("examples/deployment.yaml"); err != nil {
		return fmt.Errorf("run loadgen from the module root: %w", err)
	}
	// envtest and the API clients log through controller-runtime; only their errors matter here.
	log, err := server.NewLogger("error", "console")
	if err != nil {
		return err
	}
	logf.SetLogger(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return measure(ctx, o)
}

func measure(ctx context.Context, o options) error {
	tmp, err := os.MkdirTemp("", "wsguard-loadgen-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if o.binary == "" {
		step("building wsguard")
		if o.binary, err = testenv.BuildWsguard(".", tmp); err != nil {
			return err
		}
	}

	step("starting kube-apiserver and etcd")
	env, err := testenv.Start()
	if err != nil {
		return err
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: stopping the control plane: %v\n", err)
		}
	}()
	kubeconfig := filepath.Join(tmp, "kubeconfig")
	if err := env.WriteKubeconfig(kubeconfig); err != nil {
		return err
	}
	const ns = "bench"
	if err := populate(ctx, env, kubeconfig, ns); err != nil {
		return err
	}
	objects, err := objectsFor(tmp)
	if err != nil {
		return err
	}
	reviews, err := buildReviews(env.Kubectl(), kubeconfig, ns, objects)
	if err != nil {
		return err
	}

	step("starting wsguard serve")
	w, err := proc.Start(ctx, o.binary, kubeconfig, tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err := w.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "loadgen: wsguard: %v\n", err)
		}
	}()

	idle, err := idleMemory(ctx, w.PID(), o.idleSamples)
	if err != nil {
		return err
	}
	printSetup(o, reviews, idle)

	results := map[load][]levelResult{}
	for round := 1; round <= o.rounds; round++ {
		for _, l := range o.levels {
			r, err := level(ctx, w, reviews, o, l)
			if err != nil {
				return err
			}
			fmt.Printf("round %d  %s  load average %s\n", round, r, proc.LoadAverage())
			results[l] = append(results[l], r)
		}
	}
	after, err := proc.ReadMemory(w.PID())
	if err != nil {
		return err
	}
	printSummary(o, results, idle, after)
	for _, rs := range results {
		for _, r := range rs {
			if r.errors > 0 {
				return fmt.Errorf("%d errors at %s; first: %v", r.errors, r.load, r.firstError)
			}
		}
	}
	return ctx.Err()
}

// populate creates the opted-in namespace the reviews claim to come from, with what wsguard's
// cache then holds for the facts: the example WebSocket Service, Ingress and IngressClass, and
// two ordinary Services. No webhook configuration is installed: only loadgen calls wsguard.
func populate(ctx context.Context, env *testenv.Env, kubeconfig, ns string) error {
	if err := env.CreateNamespace(ctx, ns, true, nil); err != nil {
		return err
	}
	for _, f := range []string{"examples/ingressclass-nginx.yaml", "examples/service.yaml", "examples/ingress-nginx.yaml"} {
		if out, err := execOutput(env.Kubectl(), "--kubeconfig", kubeconfig, "apply", "-n", ns, "-f", f); err != nil {
			return fmt.Errorf("kubectl apply %s: %v: %s", f, err, out)
		}
	}
	for _, name := range []string{"api", "metrics"} {
		svc := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
			Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Name: "http", Port: 80}}},
		}
		if err := env.Client.Create(ctx, svc); err != nil {
			return err
		}
	}
	return nil
}

// idleMemory reads wsguard's resident memory once a second, after a settling second, and
// returns the median reading.
func idleMemory(ctx context.Context, pid, samples int) (int64, error) {
	var rss []int64
	for range max(samples, 1) {
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
		m, err := proc.ReadMemory(pid)
		if err != nil {
			return 0, err
		}
		rss = append(rss, m.RSS)
	}
	slices.Sort(rss)
	return rss[len(rss)/2], nil
}

// positiveNumbers parses a comma-separated list of positive numbers; "" is the empty list.
func positiveNumbers(flagName, list string) ([]float64, error) {
	var out []float64
	for f := range strings.SplitSeq(list, ",") {
		if strings.TrimSpace(f) == "" {
			continue
		}
		n, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-%s %q: want comma-separated positive numbers", flagName, list)
		}
		out = append(out, n)
	}
	return out, nil
}

func execOutput(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

func step(msg string) { fmt.Fprintf(os.Stderr, "==> %s\n", msg) }
