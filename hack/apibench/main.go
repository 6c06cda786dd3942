// Command apibench measures what admission adds to writes through a real API server. In one
// envtest kube-apiserver it creates and updates the example Deployment and Ingress in three
// namespaces: one without admission, one that wsguard (the real `wsguard serve` process)
// defaults and judges through its webhooks, and one where native MutatingAdmissionPolicies and
// ValidatingAdmissionPolicies apply the same defaults and denials; with -kyverno, two more,
// where the Kyverno admission controller (a real process, built by hack/build-kyverno.sh)
// applies them as ClusterPolicies and as its CEL policy types. All are interleaved in one run,
// so that they share whatever else the machine does, and reported as ratios to the namespace
// without admission. Every loop is bounded, and the program stops by itself.
//
// Run it from the module root (`make bench` does): go run ./hack/apibench -h
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wsguard/wsguard/hack/loadgen/proc"
	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/server"
	"github.com/wsguard/wsguard/webhooks"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintf(os.Stderr, "apibench: %v\n", err)
		os.Exit(1)
	}
}

func mainErr() error {
	binary := flag.String("wsguard", "", "wsguard binary to measure (default: build one from this module)")
	iterations := flag.Int("iterations", 150, "iterations per round; each writes every op once in every namespace")
	rounds := flag.Int("rounds", 3, "rounds; the report gives the median of the rounds' figures")
	warmup := flag.Int("warmup", 20, "iterations before measuring, not reported")
	timeout := flag.Duration("timeout", 20*time.Minute, "stop (and fail) after this long")
	kyvernoDir := flag.String("kyverno", "", "folder printed by hack/build-kyverno.sh (kyverno and crds/ in it); empty leaves Kyverno out")
	profile := flag.String("wsguard-profile", "", "write a CPU profile of wsguard over the first 30 s of the measured rounds to this file (go tool pprof FILE); wsguard then serves --pprof-bind-address on 127.0.0.1")
	objectConditions := flag.Bool("object-conditions", true, "keep the match conditions by which the API server skips objects that opted out or are being deleted; false has it call wsguard for them, to measure what the conditions save")
	flag.Parse()
	if *iterations < 1 || *rounds < 1 || *warmup < 0 {
		return fmt.Errorf("-iterations and -rounds must be positive, -warmup not negative")
	}
	// envtest and the API clients log through controller-runtime; only their errors matter here.
	log, err := server.NewLogger("error", "console")
	if err != nil {
		return err
	}
	logf.SetLogger(log)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()

	e, err := readExamples()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "wsguard-apibench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if *binary == "" {
		step("building wsguard")
		if *binary, err = testenv.BuildWsguard(".", tmp); err != nil {
			return err
		}
	}

	step("starting kube-apiserver and etcd")
	cp, err := startControlPlane()
	if err != nil {
		return err
	}
	defer func() {
		if err := cp.env.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "apibench: stopping the control plane: %v\n", err)
		}
	}()
	// The writes are timed one at a time: client-side rate limiting would time the limiter.
	cfg := rest.CopyConfig(cp.cfg)
	cfg.QPS = -1
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		return err
	}
	if *kyvernoDir != "" {
		variants = append(variants, kyvernoVariants...)
	}
	if err := prepare(ctx, c, e); err != nil {
		return err
	}

	step("starting wsguard serve and installing its webhook configurations")
	kubeconfig := filepath.Join(tmp, "kubeconfig")
	if err := cp.writeKubeconfig(kubeconfig); err != nil {
		return err
	}
	var wsguardArgs []string
	pprofAddr := ""
	if *profile != "" {
		port, err := testenv.FreePort()
		if err != nil {
			return err
		}
		pprofAddr = "127.0.0.1:" + strconv.Itoa(port)
		wsguardArgs = append(wsguardArgs, "--pprof-bind-address="+pprofAddr)
	}
	w, err := proc.Start(ctx, *binary, kubeconfig, tmp, wsguardArgs...)
	if err != nil {
		return err
	}
	defer func() {
		if err := w.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "apibench: wsguard: %v\n", err)
		}
	}()
	opts := webhooks.DefaultConfigurationOptions()
	opts.URL, opts.CABundle = w.URL, w.CA
	mutating, validating := webhooks.Configurations(opts)
	if !*objectConditions {
		withoutObjectConditions(mutating, validating)
	}
	for _, obj := range []client.Object{mutating, validating} {
		if err := c.Create(ctx, obj); err != nil {
			return fmt.Errorf("installing %s: %w", obj.GetName(), err)
		}
	}

	step(fmt.Sprintf("installing the native policies (MutatingAdmissionPolicy %s/%s, ValidatingAdmissionPolicy %s/%s)", admissionGroup, cp.mapVersion, admissionGroup, cp.vapVersion))
	if err := installPolicies(ctx, cp); err != nil {
		return err
	}
	var k *kyvernoProcess
	if *kyvernoDir != "" {
		step("installing Kyverno's CRDs and policies (ClusterPolicy, MutatingPolicy and ValidatingPolicy), starting Kyverno")
		if err := installKyverno(ctx, cp, filepath.Join(*kyvernoDir, "crds")); err != nil {
			return err
		}
		if k, err = startKyverno(filepath.Join(*kyvernoDir, "kyverno"), kubeconfig, tmp, c); err != nil {
			return err
		}
		defer func() {
			if err := k.Stop(); err != nil {
				fmt.Fprintf(os.Stderr, "apibench: kyverno: %v\n", err)
			}
		}()
	}
	step("checking that every setup defaults and denies alike")
	if err := checkEffects(ctx, c, e); err != nil {
		return err
	}

	step(fmt.Sprintf("%d warm-up iterations, then %d rounds of %d", *warmup, *rounds, *iterations))
	for i := range *warmup {
		for _, v := range variants {
			if _, err := iteration(ctx, c, e, v, -1-i); err != nil {
				return err
			}
		}
	}
	callsBefore, timeBefore, err := proc.HandlerTime(w.MetricsURL)
	if err != nil {
		return fmt.Errorf("reading wsguard's metrics: %w", err)
	}
	usage, err := startUsage(w, k)
	if err != nil {
		return err
	}
	profiled := make(chan error, 1)
	if *profile != "" {
		go func() { profiled <- proc.CPUProfile(pprofAddr, 30*time.Second, *profile) }()
	}
	var results []roundResult
	n := 0
	for r := range *rounds {
		res := newRoundResult()
		for i := range *iterations {
			// Each iteration starts with another variant, so that none always follows another.
			for k := range variants {
				v := variants[(i+k)%len(variants)]
				lat, err := iteration(ctx, c, e, v, n)
				if err != nil {
					return err
				}
				res.add(v.name, lat)
			}
			n++
		}
		fmt.Printf("round %d: %s; load average %s\n", r+1, res.line(), proc.LoadAverage())
		results = append(results, res)
	}
	if *profile != "" {
		step("waiting for the CPU profile of wsguard")
		if err := <-profiled; err != nil {
			return fmt.Errorf("profiling wsguard: %w", err)
		}
		fmt.Fprintf(os.Stderr, "apibench: wrote %s (go tool pprof -top %s)\n", *profile, *profile)
	}
	calls, spent, err := proc.HandlerTime(w.MetricsURL)
	if err != nil {
		return fmt.Errorf("reading wsguard's metrics: %w", err)
	}
	if k != nil {
		if err := k.alive(); err != nil {
			return err
		}
	}
	usage.finish(calls - callsBefore)
	report(cp, *iterations, results)
	usage.report(*rounds * *iterations * len(ops))
	if calls > callsBefore {
		fmt.Printf("\nwsguard's handlers answered %d admission requests while measuring, %s each on average (wsguard_admission_duration_seconds);\n"+
			"the rest of what wsguard adds is the API server calling it (a mutating and a validating call per write) and TLS.\n",
			calls-callsBefore, ms((spent-timeBefore)/time.Duration(calls-callsBefore)))
	}
	return nil
}

func report(cp *controlPlane, iterations int, results []roundResult) {
	processes := "kube-apiserver, etcd, wsguard and apibench share them"
	if len(variants) > 3 {
		processes = "kube-apiserver, etcd, wsguard, Kyverno and apibench share them"
	}
	fmt.Printf("\nmachine: %d cores; %s\n", runtime.NumCPU(), processes)
	fmt.Printf("MutatingAdmissionPolicy served as %s/%s, ValidatingAdmissionPolicy as %s/%s", admissionGroup, cp.mapVersion, admissionGroup, cp.vapVersion)
	if len(cp.flags) > 0 {
		fmt.Printf(", with extra API server flags %v", cp.flags)
	}
	fmt.Printf("\nmedian of %d rounds of the p50 (and p99) of %d writes per op and namespace; ratio to no admission in parentheses\n\n", len(results), iterations)
	p50 := func(v, op string) time.Duration {
		return medianOf(results, func(r roundResult) time.Duration { return r.quantile(v, op, 0.5) })
	}
	p99 := func(v, op string) time.Duration {
		return medianOf(results, func(r roundResult) time.Duration { return r.quantile(v, op, 0.99) })
	}
	header, rule := "| write |", "|---|"
	for _, v := range variants {
		header += " " + v.name + " |"
		rule += "---:|"
	}
	fmt.Println(header)
	fmt.Println(rule)
	for _, op := range append(ops, allOps) {
		base := p50(variants[0].name, op)
		row := fmt.Sprintf("| %s | %s (p99 %s) |", op, ms(base), ms(p99(variants[0].name, op)))
		for _, v := range variants[1:] {
			d := p50(v.name, op)
			row += fmt.Sprintf(" %s ×%.2f (p99 %s) |", ms(d), ratio(d, base), ms(p99(v.name, op)))
		}
		fmt.Println(row)
	}
	// What each setup adds to the p50 of a write, and that as a multiple of what wsguard adds.
	fmt.Printf("\nadded to the p50 by admission; in parentheses, as a multiple of what wsguard adds\n\n")
	header, rule = "| write |", "|---|"
	for _, v := range variants[1:] {
		header += " " + v.name + " |"
		rule += "---:|"
	}
	fmt.Println(header)
	fmt.Println(rule)
	for _, op := range append(ops, allOps) {
		base := p50(variants[0].name, op)
		addedWS := p50(variants[1].name, op) - base
		row := fmt.Sprintf("| %s |", op)
		for _, v := range variants[1:] {
			added := p50(v.name, op) - base
			row += fmt.Sprintf(" %s (%s) |", ms(added), addedRatio(added, addedWS))
		}
		fmt.Println(row)
	}
}

// withoutObjectConditions takes out the match conditions that read the object, and keeps those
// that exempt identities.
func withoutObjectConditions(mutating *admissionregistrationv1.MutatingWebhookConfiguration, validating *admissionregistrationv1.ValidatingWebhookConfiguration) {
	keep := func(conds []admissionregistrationv1.MatchCondition) []admissionregistrationv1.MatchCondition {
		return slices.DeleteFunc(conds, func(c admissionregistrationv1.MatchCondition) bool { return strings.Contains(c.Expression, "object.") })
	}
	for i := range mutating.Webhooks {
		mutating.Webhooks[i].MatchConditions = keep(mutating.Webhooks[i].MatchConditions)
	}
	for i := range validating.Webhooks {
		validating.Webhooks[i].MatchConditions = keep(validating.Webhooks[i].MatchConditions)
	}
}

func ratio(a, b time.Duration) float64 { return float64(a) / float64(b) }

// addedRatio compares what two variants add; it is meaningless when the second adds nothing
// measurable.
func addedRatio(a, b time.Duration) string {
	if b <= 0 {
		return "n/a"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64)
}

// ms formats a duration in milliseconds with two decimals.
func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + "ms"
}

func step(msg string) { fmt.Fprintf(os.Stderr, "==> %s\n", msg) }
