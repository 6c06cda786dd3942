package cli

import (
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wsguard/wsguard/defaults"
)

// excludedNamespaces are never intercepted by the shipped webhook configurations (kube-system,
// and wsguard-system, where wsguard runs), whatever their labels say; the CLI leaves their
// objects alone too. TestExcludedNamespacesMatchTheWebhook keeps this list in step.
var excludedNamespaces = map[string]bool{metav1.NamespaceSystem: true, "wsguard-system": true}

// factIndex holds what the webhook would read from its cache, taken from the input instead:
// Namespaces, and per namespace the Services, Ingresses, Deployments, StatefulSets,
// PodDisruptionBudgets, Contour HTTPProxies, Gateway API HTTPRoutes, Emissary Mappings and GKE
// BackendConfigs, plus the cluster's IngressClasses, Gateways and GatewayClasses.
type factIndex struct {
	// defaultNamespace is the namespace of objects that name none (-n).
	defaultNamespace string
	// labels are the labels of namespaces without a Namespace object in the input.
	labels     map[string]string
	namespaces map[string]*corev1.Namespace
	byNS       map[string]*defaults.Facts
	classes    []*networkingv1.IngressClass
	// gateways and gatewayClasses are the Gateway API Gateways of every namespace and the
	// GatewayClasses of the input.
	gateways, gatewayClasses []unstructured.Unstructured
	// backendConfigs is true when the input holds any BackendConfig: then one that is missing
	// is reported as missing, not as unreadable.
	backendConfigs bool
	// budgets is true when the input holds any PodDisruptionBudget: only then is a WebSocket
	// workload that none covers warned about (a set of manifests without any most often gets
	// its budgets from elsewhere).
	budgets bool
	// virtualServiceCRD is Istio's VirtualService CRD when the input holds it (helm template of
	// an Istio chart, say): its schema decides whether websocketUpgrade is injected.
	virtualServiceCRD *apiextensionsv1.CustomResourceDefinition
}

// factKind says how one kind of related object feeds the facts: convert turns it into the Go
// value the facts hold (concurrently for many objects), add files it (one at a time). The
// values keep only what rules read of related objects, as the webhook's cache does: the
// facts of a large input are held for the whole run. For kinds filed by namespace, reserve
// makes room for n more before they are added, so the lists are not grown by doubling.
type factKind struct {
	convert func(*unstructured.Unstructured) (any, error)
	add     func(x *factIndex, ns string, v any)
	reserve func(f *defaults.Facts, n int)
}

// factKinds are the kinds of related objects the engine reads. Objects that do not convert to
// their Go type are left out of the facts; when wsguard judges their kind, they are reported
// as malformed on their own.
var factKinds = map[schema.GroupKind]factKind{
	{Kind: "Namespace"}: {convert: typed[corev1.Namespace], add: func(x *factIndex, _ string, v any) {
		n := v.(*corev1.Namespace)
		x.namespaces[n.Name] = n
	}},
	{Kind: "Service"}: {convert: slim(withoutLastApplied[corev1.Service]), add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Services = append(f.Services, v.(*corev1.Service))
	}, reserve: func(f *defaults.Facts, n int) { f.Services = slices.Grow(f.Services, n) }},
	{Group: "networking.k8s.io", Kind: "Ingress"}: {convert: slim(withoutLastApplied[networkingv1.Ingress]), add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Ingresses = append(f.Ingresses, v.(*networkingv1.Ingress))
	}, reserve: func(f *defaults.Facts, n int) { f.Ingresses = slices.Grow(f.Ingresses, n) }},
	{Group: "networking.k8s.io", Kind: "IngressClass"}: {convert: typed[networkingv1.IngressClass], add: func(x *factIndex, _ string, v any) {
		x.classes = append(x.classes, v.(*networkingv1.IngressClass))
	}},
	{Group: "apps", Kind: "Deployment"}: {convert: slim(defaults.SlimDeployment), add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Deployments = append(f.Deployments, v.(*appsv1.Deployment))
	}, reserve: func(f *defaults.Facts, n int) { f.Deployments = slices.Grow(f.Deployments, n) }},
	{Group: "apps", Kind: "StatefulSet"}: {convert: slim(defaults.SlimStatefulSet), add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.StatefulSets = append(f.StatefulSets, v.(*appsv1.StatefulSet))
	}, reserve: func(f *defaults.Facts, n int) { f.StatefulSets = slices.Grow(f.StatefulSets, n) }},
	{Group: "policy", Kind: "PodDisruptionBudget"}: {convert: slim(defaults.SlimPodDisruptionBudget), add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.PodDisruptionBudgets = append(f.PodDisruptionBudgets, v.(*policyv1.PodDisruptionBudget))
		x.budgets = true
	}},
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: {convert: virtualServiceCRD, add: func(x *factIndex, _ string, v any) {
		x.virtualServiceCRD = v.(*apiextensionsv1.CustomResourceDefinition)
	}},
	{Group: "projectcontour.io", Kind: "HTTPProxy"}: {convert: slimCustom, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.HTTPProxies = append(f.HTTPProxies, *v.(*unstructured.Unstructured))
	}},
	{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}: {convert: slimCustom, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.HTTPRoutes = append(f.HTTPRoutes, *v.(*unstructured.Unstructured))
	}},
	// Gateways are filed for every namespace at once: a route may attach to another
	// namespace's Gateway.
	{Group: "gateway.networking.k8s.io", Kind: "Gateway"}: {convert: slimCustom, add: func(x *factIndex, _ string, v any) {
		x.gateways = append(x.gateways, *v.(*unstructured.Unstructured))
	}},
	{Group: "gateway.networking.k8s.io", Kind: "GatewayClass"}: {convert: slimCustom, add: func(x *factIndex, _ string, v any) {
		x.gatewayClasses = append(x.gatewayClasses, *v.(*unstructured.Unstructured))
	}},
	{Group: "getambassador.io", Kind: "Mapping"}: {convert: slimCustom, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Mappings = append(f.Mappings, *v.(*unstructured.Unstructured))
	}},
	{Group: "cloud.google.com", Kind: "BackendConfig"}: {convert: asIs, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.BackendConfigs = append(f.BackendConfigs, *v.(*unstructured.Unstructured))
		x.backendConfigs = true
	}, reserve: func(f *defaults.Facts, n int) { f.BackendConfigs = slices.Grow(f.BackendConfigs, n) }},
}

// fact is one related object of the input, as the facts hold it.
type fact struct {
	kind schema.GroupKind
	// namespace is the object's own namespace, "" when it names none.
	namespace string
	value     any
}

// factOf returns the fact an object of the input feeds, if any. Objects that do not convert to
// their Go type are left out of the facts; when wsguard judges their kind, they are reported as
// malformed on their own. factOf runs for many objects at once.
func factOf(u *unstructured.Unstructured) (fact, bool) {
	gk := u.GroupVersionKind().GroupKind()
	k, ok := factKinds[gk]
	if !ok {
		return fact{}, false
	}
	v, err := k.convert(u)
	if err != nil || v == nil {
		return fact{}, false
	}
	return fact{kind: gk, namespace: u.GetNamespace(), value: v}, true
}

// buildFacts indexes the related objects of the whole input, given in input order.
func buildFacts(facts []fact, defaultNamespace string, labels map[string]string) *factIndex {
	x := &factIndex{
		defaultNamespace: defaultNamespace,
		labels:           labels,
		namespaces:       map[string]*corev1.Namespace{},
		byNS:             map[string]*defaults.Facts{},
	}
	type nsKind struct {
		ns   string
		kind schema.GroupKind
	}
	counts := map[nsKind]int{}
	for i := range facts {
		if f := &facts[i]; factKinds[f.kind].reserve != nil {
			counts[nsKind{x.namespaceOfFact(f), f.kind}]++
		}
	}
	for k, n := range counts {
		factKinds[k.kind].reserve(x.facts(k.ns), n)
	}
	in := newInterner()
	for i := range facts {
		f := &facts[i]
		in.share(f.value)
		factKinds[f.kind].add(x, x.namespaceOfFact(f), f.value)
		f.value = nil // copied: let it go
	}
	return x
}

// namespaceOfFact is the namespace a related object would be in: its own, else -n.
func (x *factIndex) namespaceOfFact(f *fact) string {
	if f.namespace != "" {
		return f.namespace
	}
	return x.defaultNamespace
}

func (x *factIndex) facts(ns string) *defaults.Facts {
	f, ok := x.byNS[ns]
	if !ok {
		f = &defaults.Facts{}
		x.byNS[ns] = f
	}
	return f
}

// namespaceOf is the namespace an object would be admitted into: its own, else -n.
func (x *factIndex) namespaceOf(u *unstructured.Unstructured) string {
	if ns := u.GetNamespace(); ns != "" {
		return ns
	}
	return x.defaultNamespace
}

// namespace is the Namespace object of the input with that name or, when the input has none, a
// namespace that carries the --namespace-labels.
func (x *factIndex) namespace(name string) *corev1.Namespace {
	if ns, ok := x.namespaces[name]; ok {
		return ns
	}
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: x.labels}}
}

// factsFor returns the facts for an object of the given version in a namespace. The slices are
// shared between objects: the engine only reads facts.
func (x *factIndex) factsFor(ns string, gvk schema.GroupVersionKind) defaults.Facts {
	var f defaults.Facts
	if known, ok := x.byNS[ns]; ok {
		f = *known
	}
	f.Namespace = x.namespace(ns)
	f.IngressClasses = x.classes
	f.Gateways, f.GatewayClasses = x.gateways, x.gatewayClasses
	f.BackendConfigsKnown = x.backendConfigs
	f.PodDisruptionBudgetsKnown = x.budgets
	if gvk.GroupKind() == defaults.KindVirtualService && x.virtualServiceCRD != nil {
		f.WebsocketUpgradeInSchema = defaults.WebsocketUpgradeInSchema(x.virtualServiceCRD, gvk.Version)
	}
	return f
}

// typed converts a related object into its Go type.
func typed[T any](u *unstructured.Unstructured) (any, error) {
	v := new(T)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, v); err != nil {
		return nil, err
	}
	return v, nil
}

// slim converts a related object into its Go type and keeps of it what rules read.
func slim[T any](keep func(*T) *T) func(*unstructured.Unstructured) (any, error) {
	return func(u *unstructured.Unstructured) (any, error) {
		v := new(T)
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, v); err != nil {
			return nil, err
		}
		return keep(v), nil
	}
}

// withoutLastApplied drops the last-applied-configuration annotation, as the webhook's cache
// does: a copy of the whole manifest, which no rule reads.
func withoutLastApplied[T any, P interface {
	*T
	metav1.Object
}](v *T) *T {
	o := P(v)
	if a := o.GetAnnotations(); a != nil {
		delete(a, defaults.AnnotationLastApplied)
	}
	return v
}

// virtualServiceCRD converts Istio's VirtualService CRD, whose schema the facts hold, and
// leaves out every other CRD: they are large, and no rule reads them.
func virtualServiceCRD(u *unstructured.Unstructured) (any, error) {
	if u.GetName() != defaults.VirtualServiceCRDName {
		return nil, nil
	}
	return typed[apiextensionsv1.CustomResourceDefinition](u)
}

// slimCustom keeps of a custom resource read as a fact what the webhook's cache keeps of it.
func slimCustom(u *unstructured.Unstructured) (any, error) {
	return defaults.SlimCustomFact(u), nil
}

// asIs keeps a related object unstructured: the engine reads BackendConfigs that way.
func asIs(u *unstructured.Unstructured) (any, error) {
	return u, nil
}
