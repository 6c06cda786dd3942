package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/wsguard/wsguard/cli"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/internal/testsupport"
	"github.com/wsguard/wsguard/webhooks"
)

// examplesDir holds the manifests the parity test compares on: every example, safe or not.
const examplesDir = "../examples"

// TestParityWithTheWebhook holds the CLI to its promise: for every object of examples/
// (examples/unsafe/ and the other folders included), `wsguard check` reports the changes,
// violations and warnings that the webhooks produce through a real API server, word for word,
// in enforce and in warn mode; and `wsguard fix` writes the object the mutating webhook makes.
//
// Each object is admitted (server-side dry run) into its own opted-in namespace that holds
// every other example object, created before the namespace opted in, so that the webhook's
// facts are the CLI's: the other objects of the input, as written.
func TestParityWithTheWebhook(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t)

	inputs := readExamples(t)
	reports := map[string]cli.Report{"enforce": checkExamples(t), "warn": checkExamples(t, "--enforcement", "warn")}
	fixed := fixExamples(t)
	if len(reports["enforce"].Objects) < 10 {
		t.Fatalf("the CLI judged only %d example objects; the examples or the CLI lost some", len(reports["enforce"].Objects))
	}

	for _, in := range inputs {
		if namespaced, err := c.client.IsObjectNamespaced(in); err != nil {
			t.Fatal(err)
		} else if !namespaced {
			if err := c.client.Create(ctx, in.DeepCopy()); err != nil {
				t.Fatalf("creating %s %s: %v", in.GetKind(), in.GetName(), err)
			}
		}
	}
	type target struct {
		mode, namespace string
		input           *unstructured.Unstructured
		report          cli.ObjectReport
	}
	var targets []target
	for _, mode := range []string{"enforce", "warn"} {
		for i, rep := range reports[mode].Objects {
			ns := fmt.Sprintf("parity-%s-%d", mode, i)
			var annotations map[string]string
			if mode == "warn" {
				annotations = map[string]string{"wsguard.io/enforcement": "warn"}
			}
			if err := c.env.CreateNamespace(ctx, ns, false, annotations); err != nil {
				t.Fatal(err)
			}
			var self *unstructured.Unstructured
			for _, in := range inputs {
				if key(in) == rep.Kind+"/"+rep.Name {
					self = in
					continue
				}
				if namespaced, _ := c.client.IsObjectNamespaced(in); namespaced {
					obj := in.DeepCopy()
					obj.SetNamespace(ns)
					if err := c.client.Create(ctx, obj); err != nil {
						t.Fatalf("creating %s in %s: %v", key(in), ns, err)
					}
				}
			}
			targets = append(targets, target{mode, ns, self, rep})
		}
	}
	// Opt in only now: the objects above went in untouched, as the CLI reads them.
	for _, tg := range targets {
		if err := c.env.CreateNamespace(ctx, tg.namespace, true, map[string]string{"wsguard.io/enforcement": map[string]string{"warn": "warn", "enforce": ""}[tg.mode]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.env.CreateNamespace(ctx, "parity-plain", false, nil); err != nil {
		t.Fatal(err)
	}
	waitForCaches(t, ctx, c)
	probe := testsupport.Object(t, "apiVersion: v1\nkind: Service\nmetadata: {name: probe}\nspec:\n  ports: [{name: ws, port: 80}]\n")
	for _, tg := range targets {
		waitFor(t, "the API server to see "+tg.namespace+" opt in", func() error { return defaulted(ctx, c, probe, tg.namespace) })
	}

	for _, tg := range targets {
		t.Run(fmt.Sprintf("%s %s %s", tg.mode, tg.report.Kind, tg.report.Name), func(t *testing.T) {
			want := fixed[tg.report.Kind+"/"+tg.report.Name]
			if tg.input == nil || want == nil {
				t.Fatalf("the report names %s/%s, which is not among the examples read (%v) or fixed (%v)", tg.report.Kind, tg.report.Name, tg.input != nil, want != nil)
			}
			if err := compare(ctx, c, tg.mode, tg.namespace, tg.input, want, tg.report); err != nil {
				t.Error(err)
			}
		})
	}
}

// compare admits the input through the webhooks and checks every outcome against the CLI's
// report and fixed object.
func compare(ctx context.Context, c *cluster, mode, namespace string, input, fixed *unstructured.Unstructured, rep cli.ObjectReport) error {
	got, warnings, err := c.dryRun(ctx, input, namespace)
	if rep.Denied {
		var status apierrors.APIStatus
		if err == nil || !errors.As(err, &status) || !apierrors.IsInvalid(err) {
			return fmt.Errorf("the CLI denies it, the webhook answered %v", err)
		}
		var lines []string
		for _, v := range rep.Violations {
			lines = append(lines, fmt.Sprintf("[%s] %s", v.Rule, v.Message))
		}
		want := "wsguard: this object would break WebSocket traffic:\n" + strings.Join(lines, "\n")
		if rep.Reason != nil {
			want += "\n(recognised as WebSocket because " + rep.Reason.Detail + ")"
		}
		if msg := status.Status().Message; !strings.HasSuffix(msg, want) {
			return fmt.Errorf("denial differs:\n%s", cmp.Diff(want, msg))
		}
	} else if err != nil {
		return fmt.Errorf("the CLI admits it, the webhook answered %v", err)
	}
	if want := admissionWarnings(rep, mode); !slices.Equal(warnings, want) {
		return fmt.Errorf("warnings differ (-CLI +webhook):\n%s", cmp.Diff(want, warnings))
	}
	if rep.Denied {
		return nil
	}
	// The CLI's fixed object, admitted where wsguard does not intercept, must come out as the
	// webhook's: the same defaults, and nothing else changed.
	want, _, err := c.dryRun(ctx, fixed, "parity-plain")
	if err != nil {
		return fmt.Errorf("the API server refuses the object `wsguard fix` wrote: %v", err)
	}
	if diff := cmp.Diff(comparable(want), comparable(got)); diff != "" {
		return fmt.Errorf("object differs (-CLI fix +webhook):\n%s", diff)
	}
	return nil
}

// admissionWarnings are the warnings the webhooks send for what the CLI reports, in the order
// they send them: why the object is WebSocket and one per default from the mutating webhook
// (but the applied-rules bookkeeping), then the validating webhook's warnings, then, in warn
// mode, why the object is WebSocket again and its violations.
// The wording is spelled out here rather than taken from the CLI, to hold both to
// webhooks/handler.go.
func admissionWarnings(rep cli.ObjectReport, mode string) []string {
	var out []string
	why := ""
	if rep.Reason != nil {
		why = "wsguard: recognised as WebSocket because " + rep.Reason.Detail
	}
	if len(rep.Changes) > 0 && why != "" {
		out = append(out, why)
	}
	for _, ch := range rep.Changes {
		if ch.Rule != "applied-rules" {
			out = append(out, fmt.Sprintf("wsguard [%s]: %s", ch.Rule, ch.Message))
		}
	}
	for _, w := range rep.Warnings {
		msg := w.Message
		if w.Field != "" {
			msg = w.Field + ": " + msg
		}
		out = append(out, fmt.Sprintf("wsguard [%s]: %s", w.Rule, msg))
	}
	if mode == "warn" && len(rep.Violations) > 0 {
		// The API server drops a warning that repeats an earlier one word for word.
		if why != "" && !slices.Contains(out, why) {
			out = append(out, why)
		}
		for _, v := range rep.Violations {
			out = append(out, fmt.Sprintf("wsguard [%s] (warn mode, would deny): %s", v.Rule, v.Message))
		}
	}
	return out
}

// comparable drops what the API server makes up per object: identity, timestamps, allocated
// cluster IPs; and the webhook's record of the values it injected (defaults.AnnotationDefaults),
// which `wsguard fix` does not write: in a manifest, every value is the user's.
func comparable(u *unstructured.Unstructured) map[string]any {
	m := runtime.DeepCopyJSON(u.Object)
	for _, f := range [][]string{
		{"metadata", "uid"}, {"metadata", "resourceVersion"}, {"metadata", "creationTimestamp"}, {"metadata", "managedFields"},
		{"metadata", "generation"}, {"metadata", "namespace"}, {"spec", "clusterIP"}, {"spec", "clusterIPs"},
		{"metadata", "annotations", defaults.AnnotationDefaults},
	} {
		unstructured.RemoveNestedField(m, f...)
	}
	return m
}

// waitForCaches returns once wsguard's informers have seen every object created before: it
// creates objects after them and waits until the webhook's decisions show it has seen those.
// An informer receives the events of its resource type in the order they happened.
func waitForCaches(t *testing.T, ctx context.Context, c *cluster) {
	t.Helper()
	const ns = "parity-barrier"
	if err := c.env.CreateNamespace(ctx, ns, true, nil); err != nil {
		t.Fatal(err)
	}
	for _, manifest := range []string{
		"apiVersion: networking.k8s.io/v1\nkind: IngressClass\nmetadata: {name: parity-barrier}\nspec: {controller: traefik.io/ingress-controller}\n",
		"apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: barrier, namespace: parity-barrier}\nspec:\n  ingressClassName: parity-barrier\n  defaultBackend: {service: {name: barrier, port: {number: 80}}}\n",
		"apiVersion: v1\nkind: Service\nmetadata: {name: selector, namespace: parity-barrier}\nspec:\n  selector: {app: barrier}\n  ports: [{name: ws, port: 80, targetPort: 8080}]\n",
		"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: named-port, namespace: parity-barrier}\nspec:\n  selector: {matchLabels: {app: named-port}}\n  template:\n    metadata: {labels: {app: named-port}}\n    spec: {containers: [{name: app, image: example.com/app:1, ports: [{name: ws, containerPort: 9000}]}]}\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: parity-barrier}\nspec: {controllerName: gateway.nginx.org/nginx-gateway-controller}\n",
		"apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: barrier, namespace: parity-barrier}\nspec: {gatewayClassName: parity-barrier, listeners: [{name: http, port: 80, protocol: HTTP}]}\n",
	} {
		if err := c.client.Create(ctx, testsupport.Object(t, manifest)); err != nil {
			t.Fatal(err)
		}
	}
	// IngressClasses and Ingresses: a Service gets Traefik's sticky cookie only once the webhook
	// sees the Ingress that routes to it and the IngressClass that makes that Ingress Traefik's.
	service := testsupport.Object(t, "apiVersion: v1\nkind: Service\nmetadata: {name: barrier}\nspec:\n  ports: [{name: ws, port: 80}]\n")
	waitFor(t, "the webhook's Ingress and IngressClass caches", func() error {
		got, _, err := c.dryRun(ctx, service, ns)
		if err != nil {
			return err
		}
		if _, ok := got.GetAnnotations()["traefik.ingress.kubernetes.io/service.sticky.cookie"]; !ok {
			return errors.New("no sticky cookie yet")
		}
		return nil
	})
	// Services: a Deployment with an unnamed port is WebSocket only through the Service above.
	deployment := testsupport.Object(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: barrier}
spec:
  selector: {matchLabels: {app: barrier}}
  template:
    metadata: {labels: {app: barrier}}
    spec: {containers: [{name: app, image: example.com/app:1, ports: [{containerPort: 8080}]}]}
`)
	waitFor(t, "the webhook's Service cache", func() error { return defaulted(ctx, c, deployment, ns) })
	// Deployments: a Linkerd Server is WebSocket only through the Deployment above, and then
	// denied for declaring HTTP/2.
	server := testsupport.Object(t, "apiVersion: policy.linkerd.io/v1beta3\nkind: Server\nmetadata: {name: barrier}\nspec:\n  podSelector: {matchLabels: {app: named-port}}\n  port: 9000\n  proxyProtocol: HTTP/2\n")
	waitFor(t, "the webhook's Deployment cache", func() error {
		if _, _, err := c.dryRun(ctx, server, ns); !apierrors.IsInvalid(err) {
			return fmt.Errorf("not denied yet: %v", err)
		}
		return nil
	})
	// Gateways and GatewayClasses: an HTTPRoute is NGINX Gateway Fabric's only through the
	// Gateway above and its class.
	route := testsupport.Object(t, "apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: barrier}\nspec:\n  parentRefs: [{name: barrier}]\n  rules: [{backendRefs: [{name: selector, port: 80}]}]\n")
	waitFor(t, "the webhook's Gateway and GatewayClass caches", func() error {
		_, warnings, err := c.dryRun(ctx, route, ns)
		if err != nil {
			return err
		}
		for _, w := range warnings {
			if strings.Contains(w, "[ngf-httproute-read-timeout]") {
				return nil
			}
		}
		return errors.New("no NGINX Gateway Fabric warning yet")
	})
}

// defaulted reports whether the webhook injects defaults into obj in namespace.
func defaulted(ctx context.Context, c *cluster, obj *unstructured.Unstructured, namespace string) error {
	got, _, err := c.dryRun(ctx, obj, namespace)
	if err != nil {
		return err
	}
	if _, ok := got.GetAnnotations()["wsguard.io/applied-rules"]; !ok {
		return errors.New("no defaults yet")
	}
	return nil
}

func key(u *unstructured.Unstructured) string {
	return u.GetKind() + "/" + u.GetName()
}

// readExamples reads every Kubernetes object under examples/, as kubectl would send it.
func readExamples(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	seen := map[string]string{}
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !slices.Contains([]string{".yaml", ".yml", ".json"}, filepath.Ext(path)) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		objs, err := testsupport.Objects(data)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		for _, u := range objs {
			if other, dup := seen[key(u)]; dup {
				return fmt.Errorf("%s and %s both hold %s: one namespace cannot hold both", other, path, key(u))
			}
			seen[key(u)] = path
			out = append(out, u)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkExamples runs `wsguard check -o json` over examples/.
func checkExamples(t *testing.T, args ...string) cli.Report {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cli.Check(append([]string{"-o", "json", "-f", examplesDir}, args...), strings.NewReader(""), &stdout, &stderr)
	var rep cli.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("check printed no report: %v\n%s", err, stderr.String())
	}
	if len(rep.Errors) > 0 {
		t.Fatalf("check could not read the examples: %+v", rep.Errors)
	}
	return rep
}

// fixExamples runs `wsguard fix` over examples/ and decodes what it prints.
func fixExamples(t *testing.T) map[string]*unstructured.Unstructured {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := cli.Fix([]string{"-f", examplesDir}, strings.NewReader(""), &stdout, &stderr); code == cli.ExitUsage {
		t.Fatalf("fix failed:\n%s", stderr.String())
	}
	objs, err := testsupport.Objects(stdout.Bytes())
	if err != nil {
		t.Fatalf("fix printed a stream kubectl cannot read: %v", err)
	}
	out := map[string]*unstructured.Unstructured{}
	for _, u := range objs {
		out[key(u)] = u
	}
	return out
}

// TestExcludedNamespacesMatchTheWebhook: the CLI leaves alone exactly the namespaces that the
// shipped webhook configurations exclude.
func TestExcludedNamespacesMatchTheWebhook(t *testing.T) {
	mutating, validating := webhooks.Configurations(webhooks.DefaultConfigurationOptions())
	var want []string
	for k := range cli.ExcludedNamespaces {
		want = append(want, k)
	}
	sort.Strings(want)
	check := func(name string, exprs []string) {
		sort.Strings(exprs)
		if !reflect.DeepEqual(exprs, want) {
			t.Errorf("%s excludes %q, the CLI %q", name, exprs, want)
		}
	}
	for _, w := range mutating.Webhooks {
		check(w.Name, excluded(w.NamespaceSelector.MatchExpressions))
	}
	for _, w := range validating.Webhooks {
		check(w.Name, excluded(w.NamespaceSelector.MatchExpressions))
	}
}

// excluded returns the namespaces a selector keeps out by name.
func excluded(exprs []metav1.LabelSelectorRequirement) []string {
	for _, e := range exprs {
		if e.Key == corev1.LabelMetadataName && e.Operator == metav1.LabelSelectorOpNotIn {
			return slices.Clone(e.Values)
		}
	}
	return nil
}
