package webhooks

import (
	rbacv1 "k8s.io/api/rbac/v1"
)

// ReadPermissions is everything wsguard's service account may do: get, list and watch the types
// its cache holds (CachedTypes, plus WatchedWhereServed: GKE BackendConfigs, Contour HTTPProxies,
// Emissary Mappings and Gateway API HTTPRoutes where the cluster serves them), and
// nothing else. wsguard writes nothing; its changes travel in admission responses, and the
// objects it judges arrive in the AdmissionReview, so it needs no right on the served kinds
// themselves. The Helm chart's and the kustomize ClusterRole are both generated from this list
// (`make manifests`), and the install end-to-end suite runs wsguard with exactly these rights.
// TestReadPermissionsCoverCachedTypes and TestReadPermissionsOnlyCachedTypes keep it equal to
// what the cache watches.
func ReadPermissions() []rbacv1.PolicyRule {
	read := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		// get: a namespace labelled a moment ago is read live when the cache has not seen it yet.
		{APIGroups: []string{""}, Resources: []string{"namespaces", "services"}, Verbs: read},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: read},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingressclasses", "ingresses"}, Verbs: read},
		// Whether the cluster's VirtualService schema keeps http[].websocketUpgrade (the cache
		// holds only that one CRD, but a field selector cannot narrow RBAC).
		{APIGroups: []string{"apiextensions.k8s.io"}, Resources: []string{"customresourcedefinitions"}, Verbs: read},
		// GKE rules judge backend timeouts set in BackendConfigs, watched where they are served.
		{APIGroups: []string{"cloud.google.com"}, Resources: []string{"backendconfigs"}, Verbs: read},
		// Contour HTTPProxies with enableWebsockets: true make the Services they route to
		// WebSocket; watched where they are served.
		{APIGroups: []string{"projectcontour.io"}, Resources: []string{"httpproxies"}, Verbs: read},
		// Emissary-ingress Mappings with allow_upgrade: [websocket] make the Services they name
		// WebSocket; watched where they are served.
		{APIGroups: []string{"getambassador.io"}, Resources: []string{"mappings"}, Verbs: read},
		// Envoy Gateway policies are WebSocket through the HTTPRoutes they target or the Gateways
		// those attach to; watched where HTTPRoutes are served.
		{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"httproutes"}, Verbs: read},
	}
}

// MetricsAuthPermissions let wsguard check who scrapes /metrics when it serves them securely
// (--metrics-secure): a TokenReview authenticates the scraper's bearer token and a
// SubjectAccessReview asks whether it may get /metrics. They are wsguard's only writes, and
// neither stores anything. Generated into their own ClusterRole (metrics-auth), so that the
// read-only ClusterRole above stays read-only.
func MetricsAuthPermissions() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{"authentication.k8s.io"}, Resources: []string{"tokenreviews"}, Verbs: []string{"create"}},
		{APIGroups: []string{"authorization.k8s.io"}, Resources: []string{"subjectaccessreviews"}, Verbs: []string{"create"}},
	}
}

// MetricsReaderPermissions are what a scraper (Prometheus's service account) needs to be let in
// by a secure /metrics: bind the metrics-reader ClusterRole to it.
func MetricsReaderPermissions() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{{NonResourceURLs: []string{"/metrics"}, Verbs: []string{"get"}}}
}
