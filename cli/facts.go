package cli

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
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
// Namespaces, and per namespace the Services, Ingresses, Deployments, StatefulSets, Contour
// HTTPProxies, Gateway API HTTPRoutes, Emissary Mappings and GKE BackendConfigs, plus the cluster's IngressClasses.
type factIndex struct {
	// defaultNamespace is the namespace of objects that name none (-n).
	defaultNamespace string
	// labels are the labels of namespaces without a Namespace object in the input.
	labels     map[string]string
	namespaces map[string]*corev1.Namespace
	byNS       map[string]*defaults.Facts
	classes    []networkingv1.IngressClass
	// backendConfigs is true when the input holds any BackendConfig: then one that is missing
	// is reported as missing, not as unreadable.
	backendConfigs bool
	// virtualServiceCRD is Istio's VirtualService CRD when the input holds it (helm template of
	// an Istio chart, say): its schema decides whether websocketUpgrade is injected.
	virtualServiceCRD *apiextensionsv1.CustomResourceDefinition
}

// factKind says how one kind of related object feeds the facts: convert turns it into the Go
// value the facts hold (concurrently for many objects), add files it (one at a time).
type factKind struct {
	convert func(*unstructured.Unstructured) (any, error)
	add     func(x *factIndex, ns string, v any)
}

// factKinds are the kinds of related objects the engine reads. Objects that do not convert to
// their Go type are left out of the facts; when wsguard judges their kind, they are reported
// as malformed on their own.
var factKinds = map[schema.GroupKind]factKind{
	{Kind: "Namespace"}: {convert: typed[corev1.Namespace], add: func(x *factIndex, _ string, v any) {
		n := v.(*corev1.Namespace)
		x.namespaces[n.Name] = n
	}},
	{Kind: "Service"}: {convert: typed[corev1.Service], add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Services = append(f.Services, *v.(*corev1.Service))
	}},
	{Group: "networking.k8s.io", Kind: "Ingress"}: {convert: typed[networkingv1.Ingress], add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Ingresses = append(f.Ingresses, *v.(*networkingv1.Ingress))
	}},
	{Group: "networking.k8s.io", Kind: "IngressClass"}: {convert: typed[networkingv1.IngressClass], add: func(x *factIndex, _ string, v any) {
		x.classes = append(x.classes, *v.(*networkingv1.IngressClass))
	}},
	{Group: "apps", Kind: "Deployment"}: {convert: typed[appsv1.Deployment], add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Deployments = append(f.Deployments, *v.(*appsv1.Deployment))
	}},
	{Group: "apps", Kind: "StatefulSet"}: {convert: typed[appsv1.StatefulSet], add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.StatefulSets = append(f.StatefulSets, *v.(*appsv1.StatefulSet))
	}},
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: {convert: typed[apiextensionsv1.CustomResourceDefinition], add: func(x *factIndex, _ string, v any) {
		if crd := v.(*apiextensionsv1.CustomResourceDefinition); crd.Name == defaults.VirtualServiceCRDName {
			x.virtualServiceCRD = crd
		}
	}},
	{Group: "projectcontour.io", Kind: "HTTPProxy"}: {convert: asIs, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.HTTPProxies = append(f.HTTPProxies, *v.(*unstructured.Unstructured))
	}},
	{Group: "gateway.networking.k8s.io", Kind: "HTTPRoute"}: {convert: asIs, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.HTTPRoutes = append(f.HTTPRoutes, *v.(*unstructured.Unstructured))
	}},
	{Group: "getambassador.io", Kind: "Mapping"}: {convert: asIs, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.Mappings = append(f.Mappings, *v.(*unstructured.Unstructured))
	}},
	{Group: "cloud.google.com", Kind: "BackendConfig"}: {convert: asIs, add: func(x *factIndex, ns string, v any) {
		f := x.facts(ns)
		f.BackendConfigs = append(f.BackendConfigs, *v.(*unstructured.Unstructured))
		x.backendConfigs = true
	}},
}

// buildFacts indexes the related objects of the whole input, in input order.
func buildFacts(objs []*object, defaultNamespace string, labels map[string]string) *factIndex {
	x := &factIndex{
		defaultNamespace: defaultNamespace,
		labels:           labels,
		namespaces:       map[string]*corev1.Namespace{},
		byNS:             map[string]*defaults.Facts{},
	}
	values := make([]any, len(objs))
	forEach(len(objs), func(i int) {
		if k, ok := factKinds[objs[i].obj.GroupVersionKind().GroupKind()]; ok {
			if v, err := k.convert(objs[i].obj); err == nil {
				values[i] = v
			}
		}
	})
	for i, o := range objs {
		if values[i] != nil {
			factKinds[o.obj.GroupVersionKind().GroupKind()].add(x, x.namespaceOf(o.obj), values[i])
		}
	}
	return x
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
	f.BackendConfigsKnown = x.backendConfigs
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

// asIs keeps a related object unstructured: the engine reads BackendConfigs that way.
func asIs(u *unstructured.Unstructured) (any, error) {
	return u, nil
}
