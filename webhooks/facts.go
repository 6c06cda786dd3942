package webhooks

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime/schema"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wsguard/wsguard/defaults"
)

// FactsReader gathers the related objects the engine needs from the manager's cache. Facts
// are only read, so they point into the cache: no object is copied.
type FactsReader struct {
	// Cache is the manager's cache, warmed at start for every type read here.
	Cache client.Reader
	// Stores, when set, gives the informer store behind Cache for a type (InformerStores):
	// Facts then reads the namespace's objects there in place. A List copies every object of
	// the namespace into its Items, whatever their number, and in a namespace of a thousand
	// Deployments that copy was most of wsguard's CPU per admission request
	// (docs/benchmarks.md). Without Stores, Facts lists from Cache.
	Stores func(ctx context.Context, obj client.Object) (toolscache.Indexer, error)
	// Live reads straight from the API server; used only when the cache has not yet seen a
	// namespace the API server just sent a request for.
	Live client.Reader
	// BackendConfigs is true when the cluster serves GKE BackendConfigs and the cache watches
	// them. Otherwise GKE rules are told that BackendConfigs cannot be seen, and warn.
	BackendConfigs bool
	// HTTPProxies is true when the cluster serves Contour HTTPProxies and the cache watches
	// them. Otherwise a Service is not recognised by an HTTPProxy's enableWebsockets.
	HTTPProxies bool
	// Mappings is true when the cluster serves Emissary-ingress Mappings and the cache watches
	// them. Otherwise a Service is not recognised by a Mapping's allow_upgrade.
	Mappings bool
	// HTTPRoutes is true when the cluster serves Gateway API HTTPRoutes and the cache watches
	// them: Envoy Gateway policies are WebSocket through the routes they target.
	HTTPRoutes bool
	// Gateways and GatewayClasses are true when the cluster serves them and the cache watches
	// them: an HTTPRoute's parents tell which implementation serves it (NGINX Gateway Fabric).
	Gateways, GatewayClasses bool
}

// Namespace returns the object's namespace. The API server only calls wsguard for opted-in
// namespaces, so a cached copy that is missing or not opted in may just be stale (a label added
// a moment ago): then the namespace is read live.
func (r FactsReader) Namespace(ctx context.Context, name string) (*corev1.Namespace, error) {
	ns := &corev1.Namespace{}
	err := r.Cache.Get(ctx, client.ObjectKey{Name: name}, ns)
	if err == nil && defaults.OptedIn(ns) {
		return ns, nil
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("reading namespace %s from the cache: %w", name, err)
	}
	if err := r.Live.Get(ctx, client.ObjectKey{Name: name}, ns); err != nil {
		return nil, fmt.Errorf("reading namespace %s: %w", name, err)
	}
	return ns, nil
}

// Facts gathers what the rules for objects of one kind and version need about the rest of
// the namespace and the cluster.
func (r FactsReader) Facts(ctx context.Context, ns *corev1.Namespace, gvk schema.GroupVersionKind) (defaults.Facts, error) {
	f := defaults.Facts{Namespace: ns}
	gk := gvk.GroupKind()
	if !defaults.Supports(gk) {
		return f, nil
	}
	in := client.InNamespace(ns.Name)
	// Every kind's WebSocket detection can follow the namespace's Services, the Ingresses that
	// route to them (other controllers' WebSocket settings) and the Deployments they select
	// (known applications' images). The cache holds slim copies of these (CacheByObject).
	var err error
	if f.Services, err = cachedObjects(ctx, r, ns.Name, func(l *corev1.ServiceList) []corev1.Service { return l.Items }); err != nil {
		return f, fmt.Errorf("listing Services of %s: %w", ns.Name, err)
	}
	if f.Ingresses, err = cachedObjects(ctx, r, ns.Name, func(l *networkingv1.IngressList) []networkingv1.Ingress { return l.Items }); err != nil {
		return f, fmt.Errorf("listing Ingresses of %s: %w", ns.Name, err)
	}
	if f.Deployments, err = cachedObjects(ctx, r, ns.Name, func(l *appsv1.DeploymentList) []appsv1.Deployment { return l.Items }); err != nil {
		return f, fmt.Errorf("listing Deployments of %s: %w", ns.Name, err)
	}
	if f.StatefulSets, err = cachedObjects(ctx, r, ns.Name, func(l *appsv1.StatefulSetList) []appsv1.StatefulSet { return l.Items }); err != nil {
		return f, fmt.Errorf("listing StatefulSets of %s: %w", ns.Name, err)
	}
	if r.HTTPProxies {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(HTTPProxyGVK.GroupVersion().WithKind(HTTPProxyGVK.Kind + "List"))
		if err := r.Cache.List(ctx, list, in, client.UnsafeDisableDeepCopy); err != nil {
			return f, fmt.Errorf("listing HTTPProxies of %s: %w", ns.Name, err)
		}
		f.HTTPProxies = list.Items
	}
	if r.HTTPRoutes && (gk == defaults.KindBackendTrafficPolicy || gk == defaults.KindClientTrafficPolicy) {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(HTTPRouteGVK.GroupVersion().WithKind(HTTPRouteGVK.Kind + "List"))
		if err := r.Cache.List(ctx, list, in, client.UnsafeDisableDeepCopy); err != nil {
			return f, fmt.Errorf("listing HTTPRoutes of %s: %w", ns.Name, err)
		}
		f.HTTPRoutes = list.Items
	}
	if gk == defaults.KindHTTPRoute {
		// A route may attach to a Gateway of another namespace: every Gateway is read (the cache
		// keeps of each only its class).
		for _, t := range []struct {
			on   bool
			gvk  schema.GroupVersionKind
			into *[]unstructured.Unstructured
		}{{r.Gateways, GatewayGVK, &f.Gateways}, {r.GatewayClasses, GatewayClassGVK, &f.GatewayClasses}} {
			if !t.on {
				continue
			}
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(t.gvk.GroupVersion().WithKind(t.gvk.Kind + "List"))
			if err := r.Cache.List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
				return f, fmt.Errorf("listing %ss: %w", t.gvk.Kind, err)
			}
			*t.into = list.Items
		}
	}
	if r.Mappings {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(MappingGVK.GroupVersion().WithKind(MappingGVK.Kind + "List"))
		if err := r.Cache.List(ctx, list, in, client.UnsafeDisableDeepCopy); err != nil {
			return f, fmt.Errorf("listing Mappings of %s: %w", ns.Name, err)
		}
		f.Mappings = list.Items
	}
	switch gk {
	case defaults.KindDeployment, defaults.KindStatefulSet:
		// The rollout rules look for the PodDisruptionBudgets that cover the workload's pods.
		if f.PodDisruptionBudgets, err = cachedObjects(ctx, r, ns.Name, func(l *policyv1.PodDisruptionBudgetList) []policyv1.PodDisruptionBudget { return l.Items }); err != nil {
			return f, fmt.Errorf("listing PodDisruptionBudgets of %s: %w", ns.Name, err)
		}
		f.PodDisruptionBudgetsKnown = true
	case defaults.KindService, defaults.KindIngress:
		// Service and Ingress rules resolve controllers through IngressClasses.
		if f.IngressClasses, err = cachedObjects(ctx, r, "", func(l *networkingv1.IngressClassList) []networkingv1.IngressClass { return l.Items }); err != nil {
			return f, fmt.Errorf("listing IngressClasses: %w", err)
		}
		if gk == defaults.KindIngress && r.BackendConfigs {
			list := &unstructured.UnstructuredList{}
			list.SetGroupVersionKind(BackendConfigGVK.GroupVersion().WithKind(BackendConfigGVK.Kind + "List"))
			if err := r.Cache.List(ctx, list, in, client.UnsafeDisableDeepCopy); err != nil {
				return f, fmt.Errorf("listing BackendConfigs of %s: %w", ns.Name, err)
			}
			f.BackendConfigs = list.Items
			f.BackendConfigsKnown = true
		}
	case defaults.KindVirtualService:
		var crd apiextensionsv1.CustomResourceDefinition
		err := r.Cache.Get(ctx, client.ObjectKey{Name: defaults.VirtualServiceCRDName}, &crd)
		if err != nil && !apierrors.IsNotFound(err) {
			return f, fmt.Errorf("reading CRD %s: %w", defaults.VirtualServiceCRDName, err)
		}
		f.WebsocketUpgradeInSchema = err == nil && defaults.WebsocketUpgradeInSchema(&crd, gvk.Version)
	}
	return f, nil
}

// cachedObjects returns the cached objects of one type in a namespace, or in the cluster when
// namespace is "", as pointers into the cache, which no one may change. items gives a list's
// objects, for a cache read without Stores.
func cachedObjects[T any, PT interface {
	*T
	client.Object
}, L any, PL interface {
	*L
	client.ObjectList
}](ctx context.Context, r FactsReader, namespace string, items func(PL) []T) ([]*T, error) {
	if r.Stores != nil {
		store, err := r.Stores(ctx, PT(new(T)))
		if err != nil {
			return nil, err
		}
		var objs []any
		if namespace == "" {
			objs = store.List()
		} else if objs, err = store.ByIndex(toolscache.NamespaceIndex, namespace); err != nil {
			return nil, err
		}
		out := make([]*T, len(objs))
		for i, o := range objs {
			t, ok := o.(PT)
			if !ok {
				// A cache transform that stored another type would otherwise leave the facts
				// silently empty.
				return nil, fmt.Errorf("the cache's store of %T holds a %T", PT(new(T)), o)
			}
			out[i] = t
		}
		return out, nil
	}
	list := PL(new(L))
	opts := []client.ListOption{client.UnsafeDisableDeepCopy}
	if namespace != "" {
		opts = append(opts, client.InNamespace(namespace))
	}
	if err := r.Cache.List(ctx, list, opts...); err != nil {
		return nil, err
	}
	all := items(list)
	out := make([]*T, len(all))
	for i := range all {
		out[i] = &all[i]
	}
	return out, nil
}

// InformerStores gives FactsReader.Stores from the manager's cache: the store of the informer
// the cache runs for a type.
func InformerStores(c cache.Informers) func(context.Context, client.Object) (toolscache.Indexer, error) {
	return func(ctx context.Context, obj client.Object) (toolscache.Indexer, error) {
		informer, err := c.GetInformer(ctx, obj)
		if err != nil {
			return nil, err
		}
		indexed, ok := informer.(interface{ GetIndexer() toolscache.Indexer })
		if !ok {
			return nil, fmt.Errorf("the informer of %T has no store to read", obj)
		}
		return indexed.GetIndexer(), nil
	}
}

// BackendConfigGVK is GKE's BackendConfig, read when the cluster serves it.
var BackendConfigGVK = schema.GroupVersionKind{Group: "cloud.google.com", Version: "v1", Kind: "BackendConfig"}

// HTTPProxyGVK is Contour's HTTPProxy, read when the cluster serves it.
var HTTPProxyGVK = schema.GroupVersionKind{Group: "projectcontour.io", Version: "v1", Kind: "HTTPProxy"}

// MappingGVK is Emissary-ingress's Mapping, read when the cluster serves it.
var MappingGVK = schema.GroupVersionKind{Group: "getambassador.io", Version: "v3alpha1", Kind: "Mapping"}

// HTTPRouteGVK is Gateway API's HTTPRoute, read when the cluster serves it.
var HTTPRouteGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}

// GatewayGVK and GatewayClassGVK are Gateway API's Gateway and GatewayClass, read when the
// cluster serves them.
var (
	GatewayGVK      = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "Gateway"}
	GatewayClassGVK = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "GatewayClass"}
)

// WatchedWhereServed are the custom resources the cache watches only where the cluster serves
// them (server.Run looks each up once at start).
func WatchedWhereServed() []schema.GroupVersionKind {
	return []schema.GroupVersionKind{BackendConfigGVK, HTTPProxyGVK, MappingGVK, HTTPRouteGVK, GatewayGVK, GatewayClassGVK}
}

// CachedTypes are the types FactsReader reads from the cache; the server starts their
// informers before it reports ready, so no admission request waits for a cache to fill.
func CachedTypes() []client.Object {
	return []client.Object{
		&corev1.Namespace{}, &corev1.Service{}, &networkingv1.Ingress{}, &networkingv1.IngressClass{},
		&appsv1.Deployment{}, &appsv1.StatefulSet{}, &apiextensionsv1.CustomResourceDefinition{},
		&policyv1.PodDisruptionBudget{},
	}
}

// CacheByObject narrows what the cache holds of some types: of all CRDs, only the VirtualService
// one (CRDs are large, and wsguard reads one schema); of Deployments, only what detection reads
// (slimDeployment); of every cached object, no kubectl last-applied-configuration (a copy of
// the whole manifest). managedFields are stripped for every type (server.Run).
func CacheByObject() map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		&apiextensionsv1.CustomResourceDefinition{}: {Field: fields.OneTermEqualSelector("metadata.name", defaults.VirtualServiceCRDName)},
		&appsv1.Deployment{}:                        {Transform: slimDeployment},
		&appsv1.StatefulSet{}:                       {Transform: slimStatefulSet},
		&policyv1.PodDisruptionBudget{}:             {Transform: slimPodDisruptionBudget},
		&corev1.Service{}:                           {Transform: withoutLastApplied},
		&networkingv1.Ingress{}:                     {Transform: withoutLastApplied},
	}
}

// CacheTransform applies to every cached object: managedFields go (no rule reads them), and of an
// HTTPProxy, HTTPRoute, Mapping, Gateway or GatewayClass only what the rules read stays
// (defaults.SlimCustomFact).
// They are watched only where their CRD is served, so their transforms cannot be set per object
// (CacheByObject), which needs the kind's REST mapping when the manager starts.
func CacheTransform() func(any) (any, error) {
	strip := cache.TransformStripManagedFields()
	return func(obj any) (any, error) {
		obj, err := strip(obj)
		if u, ok := obj.(*unstructured.Unstructured); ok && err == nil {
			return defaults.SlimCustomFact(u), nil
		}
		return obj, err
	}
}

// withoutLastApplied drops the last-applied-configuration annotation, which no rule reads.
func withoutLastApplied(obj any) (any, error) {
	if o, ok := obj.(client.Object); ok {
		if a := o.GetAnnotations(); a != nil {
			delete(a, defaults.AnnotationLastApplied)
		}
	}
	return obj, nil
}

// slimDeployment keeps of a cached Deployment only what the engine reads of related workloads
// (defaults.SlimDeployment). Every Deployment of the cluster is cached, opted in or not, so
// this bounds wsguard's memory by the number of Deployments rather than their size.
func slimDeployment(obj any) (any, error) {
	if d, ok := obj.(*appsv1.Deployment); ok {
		return defaults.SlimDeployment(d), nil
	}
	return obj, nil
}

// slimStatefulSet is slimDeployment for StatefulSets.
func slimStatefulSet(obj any) (any, error) {
	if s, ok := obj.(*appsv1.StatefulSet); ok {
		return defaults.SlimStatefulSet(s), nil
	}
	return obj, nil
}

// slimPodDisruptionBudget keeps of a cached PodDisruptionBudget its selector and limits
// (defaults.SlimPodDisruptionBudget): its status changes with every pod, and no rule reads it.
func slimPodDisruptionBudget(obj any) (any, error) {
	if p, ok := obj.(*policyv1.PodDisruptionBudget); ok {
		return defaults.SlimPodDisruptionBudget(p), nil
	}
	return obj, nil
}
