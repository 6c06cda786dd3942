// Package webhooks adapts wsguard's rule engine (package defaults) to Kubernetes admission:
// it decodes AdmissionReviews, gathers facts from the manager's cache, calls the engine and
// builds the response. No rule lives here.
package webhooks

import (
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/wsguard/wsguard/defaults"
)

// servedKind is one kind of object the webhooks intercept, with the stable paths its mutating
// and validating handlers are served at.
type servedKind struct {
	GroupKind schema.GroupKind
	// Resource is the plural resource name used in webhook rules.
	Resource string
	// Versions are the API versions intercepted; with matchPolicy Equivalent the API server
	// also sends objects of other versions, converted to one of these.
	Versions []string
	// Webhook names the kind's webhooks (before .mutate.wsguard.io and .validate.wsguard.io)
	// when Resource alone would name two kinds: an API server refuses a configuration with two
	// webhooks of one name.
	Webhook string
}

// webhookName is the first part of the kind's webhook names: Webhook, else Resource.
func (k servedKind) webhookName() string {
	if k.Webhook != "" {
		return k.Webhook
	}
	return k.Resource
}

// MutatePath is where the kind's mutating handler is served.
func (k servedKind) MutatePath() string { return "/mutate/" + k.group() + "/" + k.Resource }

// ValidatePath is where the kind's validating handler is served.
func (k servedKind) ValidatePath() string { return "/validate/" + k.group() + "/" + k.Resource }

func (k servedKind) group() string {
	if k.GroupKind.Group == "" {
		return "core"
	}
	return k.GroupKind.Group
}

// ServedKinds lists every kind wsguard intercepts. The webhook configurations, the handler
// registrations and the generated manifests all derive from this one list.
func ServedKinds() []servedKind {
	return []servedKind{
		{GroupKind: defaults.KindDeployment, Resource: "deployments", Versions: []string{"v1"}},
		{GroupKind: defaults.KindStatefulSet, Resource: "statefulsets", Versions: []string{"v1"}},
		{GroupKind: defaults.KindDaemonSet, Resource: "daemonsets", Versions: []string{"v1"}},
		// autoscaling/v1 HPAs reach the webhook converted to v2, which has spec.behavior.
		{GroupKind: defaults.KindHorizontalPodAutoscaler, Resource: "horizontalpodautoscalers", Versions: []string{"v2"}},
		{GroupKind: defaults.KindService, Resource: "services", Versions: []string{"v1"}},
		{GroupKind: defaults.KindIngress, Resource: "ingresses", Versions: []string{"v1"}},
		{GroupKind: defaults.KindVirtualService, Resource: "virtualservices", Versions: []string{"v1", "v1beta1", "v1alpha3"}},
		{GroupKind: defaults.KindDestinationRule, Resource: "destinationrules", Versions: []string{"v1", "v1beta1", "v1alpha3"}},
		{GroupKind: defaults.KindLinkerdServer, Resource: "servers", Versions: []string{"v1beta3", "v1beta2", "v1beta1"}},
		{GroupKind: defaults.KindHTTPRoute, Resource: "httproutes", Versions: []string{"v1", "v1beta1"}},
		{GroupKind: defaults.KindHTTPProxy, Resource: "httpproxies", Versions: []string{"v1"}},
		{GroupKind: defaults.KindIngressRoute, Resource: "ingressroutes", Versions: []string{"v1alpha1"}},
		{GroupKind: defaults.KindTraefikService, Resource: "traefikservices", Versions: []string{"v1alpha1"}},
		// Served only where a cluster still serves Traefik v2's group: the API server sends
		// nothing for a group it does not serve.
		{GroupKind: defaults.KindLegacyIngressRoute, Resource: "ingressroutes", Versions: []string{"v1alpha1"}, Webhook: "ingressroutes.traefik.containo.us"},
		{GroupKind: defaults.KindBackendTrafficPolicy, Resource: "backendtrafficpolicies", Versions: []string{"v1alpha1"}},
		{GroupKind: defaults.KindClientTrafficPolicy, Resource: "clienttrafficpolicies", Versions: []string{"v1alpha1"}},
	}
}
