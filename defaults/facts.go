package defaults

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Facts are the related objects a rule may need to judge an object: the webhook reads them from
// its cache, the CLI from the other objects in its input. Facts are read, never changed: the
// webhook's point into its informers' stores, which are shared with every other request.
type Facts struct {
	// Namespace is the object's namespace; nil when unknown.
	Namespace *corev1.Namespace
	// Services are the Services of the object's namespace.
	Services []*corev1.Service
	// Ingresses are the Ingresses of the object's namespace.
	Ingresses []*networkingv1.Ingress
	// IngressClasses are the cluster's IngressClasses.
	IngressClasses []*networkingv1.IngressClass
	// BackendConfigs are the GKE BackendConfigs (cloud.google.com) of the object's namespace.
	BackendConfigs []unstructured.Unstructured
	// BackendConfigsKnown is false when BackendConfigs could not be read (the CRD is not
	// installed or not readable), so that a missing one is not mistaken for an absent one.
	BackendConfigsKnown bool
	// HTTPProxies are the Contour HTTPProxies (projectcontour.io/v1) of the object's namespace:
	// a route with enableWebsockets: true makes the Services it names WebSocket.
	HTTPProxies []unstructured.Unstructured
	// HTTPRoutes are the Gateway API HTTPRoutes of the object's namespace: Envoy Gateway policies
	// that target them, or the Gateways they attach to, are WebSocket when they are.
	HTTPRoutes []unstructured.Unstructured
	// Gateways are the Gateway API Gateways of every namespace (a route may attach to another
	// namespace's), and GatewayClasses the cluster's: a route's parent tells which
	// implementation serves it (NGINX Gateway Fabric's rule).
	Gateways       []unstructured.Unstructured
	GatewayClasses []unstructured.Unstructured
	// Mappings are the Emissary-ingress Mappings (getambassador.io) of the object's namespace:
	// one that allows the websocket upgrade makes the Service it names WebSocket.
	Mappings []unstructured.Unstructured
	// Deployments are the Deployments of the object's namespace; Linkerd Server rules resolve
	// the pods and ports a Server selects through them.
	Deployments []*appsv1.Deployment
	// StatefulSets are the StatefulSets of the object's namespace, read like Deployments.
	StatefulSets []*appsv1.StatefulSet
	// PodDisruptionBudgets are the PodDisruptionBudgets (policy/v1) of the object's namespace:
	// which of them cover a WebSocket workload's pods.
	PodDisruptionBudgets []*policyv1.PodDisruptionBudget
	// PodDisruptionBudgetsKnown is true when PodDisruptionBudgets are all the namespace has (the
	// webhook's cache, a cluster), and false when a missing one may simply be elsewhere: the CLI
	// sets it only when its input holds a PodDisruptionBudget.
	PodDisruptionBudgetsKnown bool
	// WebsocketUpgradeInSchema is true when the installed VirtualService CRD, in the version of
	// the object under review, still has http[].websocketUpgrade. Istio removed the field from
	// its API; where the CRD no longer has it, the API server prunes it, so it is not injected.
	WebsocketUpgradeInSchema bool
}

// workload is a Deployment or StatefulSet among the facts: what detection reads of either.
type workload struct {
	kind, name string
	template   *corev1.PodTemplateSpec
}

// workloads lists the Deployments and StatefulSets of the namespace.
func (f *Facts) workloads() []workload {
	out := make([]workload, 0, len(f.Deployments)+len(f.StatefulSets))
	for i := range f.Deployments {
		out = append(out, workload{"Deployment", f.Deployments[i].Name, &f.Deployments[i].Spec.Template})
	}
	for i := range f.StatefulSets {
		out = append(out, workload{"StatefulSet", f.StatefulSets[i].Name, &f.StatefulSets[i].Spec.Template})
	}
	return out
}

// service returns the Service with the given name, or nil.
func (f *Facts) service(name string) *corev1.Service {
	for i := range f.Services {
		if f.Services[i].Name == name {
			return f.Services[i]
		}
	}
	return nil
}

// OptedIn reports whether a namespace asked for wsguard with the inject label.
func OptedIn(ns *corev1.Namespace) bool {
	return ns != nil && ns.Labels[LabelInject] == InjectEnabled
}

// NamespaceEnforcementProblem says what is wrong with a namespace's AnnotationEnforcement, or
// "" when it is absent, empty, or reads as "enforce" or "warn" (in any case, with spaces around). An
// unreadable value enforces: the adapters warn with this text, so a typo is not silent.
func NamespaceEnforcementProblem(ns *corev1.Namespace) string {
	if ns == nil {
		return ""
	}
	raw, ok := ns.Annotations[AnnotationEnforcement]
	if !ok {
		return ""
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "", string(Enforce), string(Warn):
		return ""
	}
	return fmt.Sprintf("namespace %s: %s is %q, which is neither %q nor %q, so its objects are judged in enforce mode", ns.Name, AnnotationEnforcement, raw, Enforce, Warn)
}

// EnforcementFor returns the mode for an object of a namespace: the namespace annotation may turn
// enforcement into warnings, and the cluster-wide warn mode wins over a namespace's "enforce".
// An object recognised only by inference (Result.Reason.Inferred) follows InferredEnforcement,
// warn by default: a guess never blocks a deploy that a declaration would not.
func EnforcementFor(p Policy, ns *corev1.Namespace, res Result) Enforcement {
	if p.Enforcement == Warn {
		return Warn
	}
	if ns != nil && strings.EqualFold(strings.TrimSpace(ns.Annotations[AnnotationEnforcement]), string(Warn)) {
		return Warn
	}
	if res.Reason.Inferred() && p.InferredEnforcement != Enforce {
		return Warn
	}
	return Enforce
}
