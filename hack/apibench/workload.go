package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/wsguard/wsguard/defaults"
)

// variant is one way of admitting objects, each in its own namespace of the same API server.
type variant struct {
	name      string
	namespace string
	labels    map[string]string
}

// variants are compared against the first, which has no admission at all.
var variants = []variant{
	{name: "no admission", namespace: "bench-plain"},
	{name: "wsguard", namespace: "bench-wsguard", labels: map[string]string{defaults.LabelInject: defaults.InjectEnabled}},
	{name: "native policies", namespace: "bench-native", labels: map[string]string{labelNative: "enabled"}},
}

// ops are the writes measured, in the order each iteration makes them.
var ops = []string{"create Deployment", "update Deployment", "create Ingress", "update Ingress", opOptedOut}

// opOptedOut creates a Deployment annotated wsguard.io/websocket: "false", which wsguard's
// webhook configurations let the API server skip (their match conditions; -object-conditions=false
// measures it called). It is not pooled into "all writes", which stays the four writes of
// WebSocket objects that earlier runs measured.
const opOptedOut = "create opted-out Deployment"

// examples are the objects written: the manifests of examples/, read once.
type examples struct {
	deployment *appsv1.Deployment
	ingress    *networkingv1.Ingress
	service    *corev1.Service
	class      *networkingv1.IngressClass
}

func readExamples() (*examples, error) {
	e := &examples{deployment: &appsv1.Deployment{}, ingress: &networkingv1.Ingress{}, service: &corev1.Service{}, class: &networkingv1.IngressClass{}}
	for file, into := range map[string]any{
		"examples/deployment.yaml": e.deployment, "examples/ingress-nginx.yaml": e.ingress,
		"examples/service.yaml": e.service, "examples/ingressclass-nginx.yaml": e.class,
	} {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("run apibench from the module root: %w", err)
		}
		if err := yaml.UnmarshalStrict(data, into); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
	}
	return e, nil
}

// prepare creates the namespaces, the example IngressClass and, in every namespace, the example
// WebSocket Service, so that each variant sees the same surroundings.
func prepare(ctx context.Context, c client.Client, e *examples) error {
	if err := c.Create(ctx, e.class.DeepCopy()); err != nil {
		return err
	}
	for _, v := range variants {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: v.namespace, Labels: v.labels}}
		if err := c.Create(ctx, ns); err != nil {
			return err
		}
		svc := e.service.DeepCopy()
		svc.Namespace = v.namespace
		if err := c.Create(ctx, svc); err != nil {
			return err
		}
	}
	return nil
}

// iteration makes every op once in the namespace of v, with objects named after n, and
// returns each op's latency as the client saw it.
func iteration(ctx context.Context, c client.Client, e *examples, v variant, n int) ([]time.Duration, error) {
	d := e.deployment.DeepCopy()
	d.Namespace, d.Name = v.namespace, "chat-"+strconv.Itoa(n)
	ing := e.ingress.DeepCopy()
	ing.Namespace, ing.Name = v.namespace, "chat-"+strconv.Itoa(n)
	quiet := e.deployment.DeepCopy()
	quiet.Namespace, quiet.Name = v.namespace, "quiet-"+strconv.Itoa(n)
	quiet.Annotations = map[string]string{defaults.AnnotationWebSocket: "false"}
	steps := []func() error{
		func() error { return c.Create(ctx, d) },
		func() error { return c.Update(ctx, touched(d)) },
		func() error { return c.Create(ctx, ing) },
		func() error { return c.Update(ctx, touched(ing)) },
		func() error { return c.Create(ctx, quiet) },
	}
	lat := make([]time.Duration, len(steps))
	for i, step := range steps {
		t0 := time.Now()
		if err := step(); err != nil {
			return nil, fmt.Errorf("%s in %s: %w", ops[i], v.namespace, err)
		}
		lat[i] = time.Since(t0)
	}
	return lat, nil
}

// touched changes an annotation, the smallest update a user or controller makes.
func touched[T client.Object](obj T) T {
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a["bench.wsguard.io/touched"] = strconv.FormatInt(time.Now().UnixNano(), 10)
	obj.SetAnnotations(a)
	return obj
}

// checkEffects verifies, before anything is timed, that each variant does what it is meant
// to: wsguard, the native policies and the Kyverno policies default the example Deployment and
// Ingress the same way and deny a short ingress-nginx timeout; the plain namespace leaves them
// alone. A benchmark of a policy that did nothing would be void, so the run stops otherwise.
// Policies and webhook configurations take effect a moment after they are created, and Kyverno
// takes a few seconds to start and register its webhooks, so it retries for up to two minutes.
func checkEffects(ctx context.Context, c client.Client, e *examples) error {
	var last error
	for range 240 {
		if last = effects(ctx, c, e); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	return last
}

func effects(ctx context.Context, c client.Client, e *examples) error {
	policy := defaults.DefaultPolicy()
	for _, v := range variants {
		admitted := v.labels != nil
		d := e.deployment.DeepCopy()
		d.Namespace, d.Name = v.namespace, "check"
		if err := c.Create(ctx, d, client.DryRunAll); err != nil {
			return fmt.Errorf("%s: dry-run Deployment: %w", v.name, err)
		}
		spec := d.Spec.Template.Spec
		hasPreStop := spec.Containers[0].Lifecycle != nil && spec.Containers[0].Lifecycle.PreStop != nil
		grace := *spec.TerminationGracePeriodSeconds
		if want := policy.PreStopSeconds + policy.DrainSeconds; admitted && (!hasPreStop || grace != want) {
			return fmt.Errorf("%s: Deployment not defaulted (preStop %v, grace period %d, want %d)", v.name, hasPreStop, grace, want)
		}
		if !admitted && hasPreStop {
			return fmt.Errorf("%s: Deployment defaulted", v.name)
		}
		ing := e.ingress.DeepCopy()
		ing.Namespace, ing.Name = v.namespace, "check"
		if err := c.Create(ctx, ing, client.DryRunAll); err != nil {
			return fmt.Errorf("%s: dry-run Ingress: %w", v.name, err)
		}
		timeout := ing.Annotations["nginx.ingress.kubernetes.io/proxy-read-timeout"]
		if admitted != (timeout == strconv.FormatInt(policy.TimeoutSeconds, 10)) {
			return fmt.Errorf("%s: Ingress proxy-read-timeout is %q", v.name, timeout)
		}
		short := e.ingress.DeepCopy()
		short.Namespace, short.Name = v.namespace, "check-short"
		short.Annotations = map[string]string{"nginx.ingress.kubernetes.io/proxy-read-timeout": "60"}
		err := c.Create(ctx, short, client.DryRunAll)
		if admitted != (err != nil) {
			return fmt.Errorf("%s: Ingress with a 60s timeout: denied = %v", v.name, err != nil)
		}
	}
	return nil
}
