package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The stored objects the audit judges: Deployments, Services and Ingresses in turn, and in pairs
// of three, one trio a WebSocket app (a port named websocket, an Ingress path /ws, as in
// examples/) and the next a plain HTTP one, so that half of them get the WebSocket rules and
// half only the cheap "is it WebSocket?" look. They are stored without admission: no webhook
// configuration exists while they are created, and the audit has findings to count.

func nsName(i int) string { return fmt.Sprintf("audit-%03d", i) }

// object is the i-th object, in namespace ns.
func object(ns string, i int) client.Object {
	app := i / 3
	ws := app%2 == 0
	name, port, path := fmt.Sprintf("web-%d", app), "http", "/"
	if ws {
		name, port, path = fmt.Sprintf("chat-%d", app), "websocket", "/ws"
	}
	labels := map[string]string{"app": name}
	meta := metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	switch i % 3 {
	case 0:
		return &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: corev1.PodSpec{
				Containers: []corev1.Container{{Name: "app", Image: "registry.example.com/" + name + ":1",
					Ports:          []corev1.ContainerPort{{Name: port, ContainerPort: 8080}},
					ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString(port)}}},
				}},
			}},
		}}
	case 1:
		// Headless: envtest's Service IP range has room for 256 cluster IPs, not thousands.
		return &corev1.Service{ObjectMeta: meta, Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: labels,
			Ports: []corev1.ServicePort{{Name: port, Port: 80, TargetPort: intstr.FromString(port)}}}}
	default:
		prefix := networkingv1.PathTypePrefix
		class := "nginx"
		return &networkingv1.Ingress{ObjectMeta: meta, Spec: networkingv1.IngressSpec{IngressClassName: &class,
			Rules: []networkingv1.IngressRule{{Host: name + ".example.com", IngressRuleValue: networkingv1.IngressRuleValue{
				HTTP: &networkingv1.HTTPIngressRuleValue{Paths: []networkingv1.HTTPIngressPath{{Path: path, PathType: &prefix,
					Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: name,
						Port: networkingv1.ServiceBackendPort{Name: port}}}}}}}}}}}
	}
}

// createObjects creates objects from..to-1 with a bounded pool of workers, round-robin over
// namespaces, and prints progress: ten thousand creates through envtest take minutes.
func createObjects(ctx context.Context, c client.Client, from, to, namespaces, workers int) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var made atomic.Int64
	var once sync.Once
	var first error
	work := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				// The three objects of an app share a namespace, so that its Ingress finds its Service.
				if err := c.Create(ctx, object(nsName((i/3)%namespaces), i)); err != nil {
					once.Do(func() { first = fmt.Errorf("creating object %d: %w", i, err); cancel() })
					continue
				}
				if n := made.Add(1); n%1000 == 0 {
					step(fmt.Sprintf("  %d of %d created (%s)", n, to-from, time.Since(start).Round(time.Second)))
				}
			}
		}()
	}
feed:
	for i := from; i < to; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	step(fmt.Sprintf("created %d objects in %s", to-from, time.Since(start).Round(time.Second)))
	return nil
}
