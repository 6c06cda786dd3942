// Command cachemem measures wsguard's resident memory with a large cluster behind its cache:
// it fills a real API server (envtest) with Deployments and Services spread over many
// namespaces, a fraction of them opted in, starts `wsguard serve` (which caches every
// Deployment, StatefulSet, Service and Ingress of the cluster, opted in or not, because its
// facts can come from any namespace that opts in later) and reads its RSS once the caches have
// synced. Give several binaries to compare them on the same cluster: `make bench` passes one.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/wsguard/wsguard/hack/loadgen/proc"
	"github.com/wsguard/wsguard/internal/testenv"
	"github.com/wsguard/wsguard/server"
)

func main() {
	if err := mainErr(); err != nil {
		fmt.Fprintf(os.Stderr, "cachemem: %v\n", err)
		os.Exit(1)
	}
}

func mainErr() error {
	var binaries stringList
	flag.Var(&binaries, "wsguard", "wsguard binary to measure; repeat to compare (default: build one from this module)")
	objects := flag.Int("objects", 10000, "Deployments, and as many Services, to create")
	namespaces := flag.Int("namespaces", 100, "namespaces to spread them over")
	optedIn := flag.Float64("opted-in", 0.1, "fraction of the namespaces labelled wsguard.io/inject=enabled")
	settle := flag.Duration("settle", 10*time.Second, "time after wsguard is ready before its memory is read")
	flag.Parse()
	log, err := server.NewLogger("error", "console")
	if err != nil {
		return err
	}
	logf.SetLogger(log)
	ctx := context.Background()
	tmp, err := os.MkdirTemp("", "wsguard-cachemem-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if len(binaries) == 0 {
		b, err := testenv.BuildWsguard(".", tmp)
		if err != nil {
			return err
		}
		binaries = append(binaries, b)
	}

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
	opted := int(float64(*namespaces) * *optedIn)
	for i := range *namespaces {
		if err := env.CreateNamespace(ctx, nsName(i), i < opted, nil); err != nil {
			return err
		}
	}
	step(fmt.Sprintf("creating %d Deployments and %d Services in %d namespaces (%d opted in)", *objects, *objects, *namespaces, opted))
	start := time.Now()
	var made atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	work := make(chan int)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				ns := nsName(i % *namespaces)
				if err := env.Client.Create(ctx, deployment(ns, i)); err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				if err := env.Client.Create(ctx, service(ns, i)); err != nil {
					select {
					case errs <- err:
					default:
					}
					continue
				}
				if n := made.Add(1); n%2000 == 0 {
					step(fmt.Sprintf("  %d of %d", n, *objects))
				}
			}
		}()
	}
	for i := range *objects {
		work <- i
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("creating objects: %w", err)
	default:
	}
	step(fmt.Sprintf("created in %s", time.Since(start).Round(time.Second)))

	fmt.Printf("| binary | objects in the cluster | RSS after the caches synced (MiB) | peak RSS (MiB) |\n|---|---|---|---|\n")
	for _, b := range binaries {
		dir := filepath.Join(tmp, fmt.Sprint(time.Now().UnixNano()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		step("starting " + b)
		w, err := proc.Start(ctx, b, kubeconfig, dir)
		if err != nil {
			return err
		}
		time.Sleep(*settle)
		m, err := proc.ReadMemory(w.PID())
		_ = w.Stop()
		if err != nil {
			return err
		}
		fmt.Printf("| %s | %d Deployments + %d Services | %s | %s |\n", b, *objects, *objects, proc.MiB(m.RSS), proc.MiB(m.Peak))
	}
	return nil
}

func nsName(i int) string { return fmt.Sprintf("team-%03d", i) }

// deployment is a Deployment of the size real ones have: a few containers with env, probes,
// resources, and the last-applied-configuration client-side kubectl apply writes.
func deployment(ns string, i int) *appsv1.Deployment {
	labels := map[string]string{"app": fmt.Sprintf("app-%d", i), "team": ns}
	var env []corev1.EnvVar
	for k := range 20 {
		env = append(env, corev1.EnvVar{Name: fmt.Sprintf("SETTING_%02d", k), Value: strings.Repeat("x", 40)})
	}
	probe := &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(8080)}}}
	containers := []corev1.Container{
		{Name: "app", Image: fmt.Sprintf("registry.example.com/team/app-%d:1.0.%d", i, i), Env: env,
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}}, ReadinessProbe: probe, LivenessProbe: probe},
		{Name: "metrics", Image: "registry.example.com/exporter:2", Ports: []corev1.ContainerPort{{Name: "metrics", ContainerPort: 9090}}},
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", i), Namespace: ns, Labels: labels,
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("{\"spec\":{}}", 150)}},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{Containers: containers}},
		},
	}
	return d
}

func service(ns string, i int) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("app-%d", i), Namespace: ns,
			Annotations: map[string]string{"kubectl.kubernetes.io/last-applied-configuration": strings.Repeat("{\"spec\":{}}", 40)}},
		// Headless: envtest's Service IP range has room for 256 cluster IPs, not 10,000.
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"app": fmt.Sprintf("app-%d", i)},
			Ports: []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}}},
	}
}

type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func step(msg string) { fmt.Fprintf(os.Stderr, "==> %s (%d cores)\n", msg, runtime.NumCPU()) }
