package audit_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/wsguard/wsguard/audit"
	"github.com/wsguard/wsguard/defaults"
	"github.com/wsguard/wsguard/internal/testsupport"
	"github.com/wsguard/wsguard/webhooks"
)

// fakeCluster serves the built-in kinds only: the mesh and Gateway API kinds are not installed.
func fakeCluster(t *testing.T, objs ...client.Object) (client.Client, meta.RESTMapper) {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	for _, gvk := range []schema.GroupVersionKind{
		corev1.SchemeGroupVersion.WithKind("Service"), appsv1.SchemeGroupVersion.WithKind("Deployment"),
		appsv1.SchemeGroupVersion.WithKind("StatefulSet"), appsv1.SchemeGroupVersion.WithKind("DaemonSet"),
		networkingv1.SchemeGroupVersion.WithKind("Ingress"), autoscalingv2.SchemeGroupVersion.WithKind("HorizontalPodAutoscaler"),
		policyv1.SchemeGroupVersion.WithKind("PodDisruptionBudget"),
	} {
		mapper.Add(gvk, meta.RESTScopeNamespace)
	}
	for _, gvk := range []schema.GroupVersionKind{
		corev1.SchemeGroupVersion.WithKind("Namespace"), networkingv1.SchemeGroupVersion.WithKind("IngressClass"),
		apiextensionsv1.SchemeGroupVersion.WithKind("CustomResourceDefinition"),
	} {
		mapper.Add(gvk, meta.RESTScopeRoot)
	}
	c := fake.NewClientBuilder().WithScheme(scheme).WithRESTMapper(mapper).WithObjects(objs...).Build()
	return c, mapper
}

func namespace(name string, optIn bool, annotations map[string]string) *corev1.Namespace {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: annotations}}
	if optIn {
		ns.Labels = map[string]string{defaults.LabelInject: defaults.InjectEnabled}
	}
	return ns
}

func service(t *testing.T, ns string) *corev1.Service {
	s := &corev1.Service{}
	testsupport.Decode(t, testsupport.ChatService, s)
	s.Namespace = ns
	return s
}

func TestAudit(t *testing.T) {
	shortGrace := &appsv1.Deployment{}
	testsupport.Decode(t, `apiVersion: apps/v1
kind: Deployment
metadata: {name: short, namespace: warned, labels: {team: a}}
spec:
  selector: {matchLabels: {app: short}}
  template:
    metadata: {labels: {app: short}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: app
        image: example.com/app:1
        ports: [{name: ws, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}}
        lifecycle: {preStop: {sleep: {seconds: 20}}}
`, shortGrace)
	c, mapper := fakeCluster(t,
		namespace("on", true, nil), namespace("off", false, nil), namespace("kube-system", true, nil),
		namespace("warned", true, map[string]string{defaults.AnnotationEnforcement: "warn"}),
		namespace("typo", true, map[string]string{defaults.AnnotationEnforcement: "wran"}),
		service(t, "on"), service(t, "off"), service(t, "kube-system"), shortGrace)
	auditor := func() *audit.Auditor {
		return &audit.Auditor{Objects: c, Facts: webhooks.FactsReader{Cache: c, Live: c}, Mapper: mapper, Policy: defaults.DefaultPolicy(), Excluded: []string{"wsguard-system"}}
	}
	run := func(a *audit.Auditor) (audit.Summary, map[string]audit.Finding) {
		t.Helper()
		found := map[string]audit.Finding{}
		s, err := a.Run(context.Background(), func(f audit.Finding) {
			if f.Err != nil {
				t.Error(f.Err)
			}
			found[f.Object.GetKind()+" "+f.Object.GetNamespace()+"/"+f.Object.GetName()] = f
		})
		if err != nil {
			t.Fatal(err)
		}
		return s, found
	}

	s, found := run(auditor())
	if want := []string{"on", "typo", "warned"}; !slices.Equal(s.Namespaces, want) {
		t.Errorf("judged namespaces %q, want %q", s.Namespaces, want)
	}
	if len(s.NamespaceProblems) != 1 || !strings.Contains(s.NamespaceProblems[0], "namespace typo") {
		t.Errorf("namespace problems %q, want one about namespace typo", s.NamespaceProblems)
	}
	if !slices.Equal(s.NotOptedIn, []string{"off"}) || !slices.Equal(s.Excluded, []string{"kube-system"}) {
		t.Errorf("not opted in %q, excluded %q", s.NotOptedIn, s.Excluded)
	}
	var skipped []string
	for _, gk := range s.SkippedKinds {
		skipped = append(skipped, gk.Kind)
	}
	if want := []string{"VirtualService", "DestinationRule", "Server", "HTTPRoute", "HTTPProxy", "IngressRoute", "TraefikService", "IngressRoute", "BackendTrafficPolicy", "ClientTrafficPolicy"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped kinds %q, want %q", skipped, want)
	}
	if s.Objects != 2 || len(found) != 2 {
		t.Fatalf("judged %d objects: %v", s.Objects, found)
	}
	svc := found["Service on/chat"].Verdict
	if !svc.WebSocket || len(svc.Changes) == 0 || svc.Mode != defaults.Enforce {
		t.Errorf("Service on/chat: %+v", svc)
	}
	dep := found["Deployment warned/short"].Verdict
	if len(dep.Violations) == 0 || dep.Mode != defaults.Warn || dep.Denied() {
		t.Errorf("Deployment warned/short in a warn-mode namespace: %+v", dep)
	}

	a := auditor()
	a.AllNamespacesOptedIn = true
	if s, found := run(a); !slices.Contains(s.Namespaces, "off") || found["Service off/chat"].Verdict.Changes == nil {
		t.Errorf("--all-namespaces-as-opted-in: namespaces %q, findings %v", s.Namespaces, found)
	}

	a = auditor()
	a.Namespace = "warned"
	sel, _ := labels.Parse("team=a")
	a.Selector = sel
	if s, found := run(a); !slices.Equal(s.Namespaces, []string{"warned"}) || len(found) != 1 {
		t.Errorf("-n warned -l team=a: namespaces %q, findings %v", s.Namespaces, found)
	}
	a.Selector, _ = labels.Parse("team=b")
	if _, found := run(a); len(found) != 0 {
		t.Errorf("-l team=b: findings %v", found)
	}

	a = auditor()
	a.Namespace = "missing"
	if _, err := a.Run(context.Background(), func(audit.Finding) {}); err == nil {
		t.Error("a namespace that does not exist is not an error")
	}
}
