package webhooks

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// ReadPermissions is everything wsguard's service account may do: read the objects rules judge
// against, and nothing else. wsguard writes nothing; its changes travel in admission responses.
// The Helm chart's and the kustomize ClusterRole are both generated from this list
// (`make manifests`), and the install end-to-end suite runs wsguard with exactly these rights.
func ReadPermissions() []rbacv1.PolicyRule {
	watch := []string{"list", "watch"}
	return []rbacv1.PolicyRule{
		// get: a namespace labelled a moment ago is read live when the cache has not seen it yet.
		{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{""}, Resources: []string{"services"}, Verbs: watch},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: watch},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingresses", "ingressclasses"}, Verbs: watch},
		// GKE rules judge backend timeouts set in BackendConfigs.
		{APIGroups: []string{"cloud.google.com"}, Resources: []string{"backendconfigs"}, Verbs: watch},
		// Whether the cluster's VirtualService schema keeps http[].websocketUpgrade.
		{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: []string{"get", "list", "watch"}},
		// Mesh rules: Istio, Linkerd and Gateway API routes and policies.
		{APIGroups: []string{"networking.istio.io"}, Resources: []string{"destinationrules", "virtualservices"}, Verbs: watch},
		{APIGroups: []string{"policy.linkerd.io"}, Resources: []string{"servers"}, Verbs: watch},
		{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"httproutes"}, Verbs: watch},
	}
}
