package webhooks

import (
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
)

// ReadPermissions are the rights of wsguard's cache: get, list and watch the types it holds
// (CachedTypes, plus WatchedWhereServed: GKE BackendConfigs, Contour HTTPProxies, Emissary
// Mappings and Gateway API HTTPRoutes, Gateways and GatewayClasses where the cluster serves them).
// With AuditPermissions they are everything wsguard's service account may do, with
// ReportPermissions, the background audit's writes of its own reports. wsguard writes no object
// it judges; its changes travel in
// admission responses, and the objects it judges arrive in the AdmissionReview; only the
// background audit lists the served kinds themselves. The Helm chart's and the kustomize
// ClusterRole are both generated from these lists (`make manifests`), and the install end-to-end
// suite runs wsguard with exactly these rights. TestReadPermissionsCoverCachedTypes and
// TestReadPermissionsOnlyCachedTypes keep this list equal to what the cache watches.
func ReadPermissions() []rbacv1.PolicyRule {
	read := []string{"get", "list", "watch"}
	return []rbacv1.PolicyRule{
		// get: a namespace labelled a moment ago is read live when the cache has not seen it yet.
		{APIGroups: []string{""}, Resources: []string{"namespaces", "services"}, Verbs: read},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments", "statefulsets"}, Verbs: read},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"ingressclasses", "ingresses"}, Verbs: read},
		// The rollout rules warn about WebSocket workloads that no PodDisruptionBudget covers.
		{APIGroups: []string{"policy"}, Resources: []string{"poddisruptionbudgets"}, Verbs: read},
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
		// NGINX Gateway Fabric's rule reads which class an HTTPRoute's Gateway has, and which
		// controller the class names; watched where they are served.
		{APIGroups: []string{"gateway.networking.k8s.io"}, Resources: []string{"gatewayclasses", "gateways", "httproutes"}, Verbs: read},
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

// AuditPermissions let the background audit (`wsguard serve --audit-interval`) list the served
// kinds the cache does not watch: it reads the objects it judges from the API server. The
// generated ClusterRoles add them to ReadPermissions. Like those, they only read.
func AuditPermissions() []rbacv1.PolicyRule {
	var rules []rbacv1.PolicyRule
	for _, k := range ServedKinds() {
		if readable(k.GroupKind.Group, k.Resource, "list") {
			continue
		}
		if n := len(rules); n > 0 && rules[n-1].APIGroups[0] == k.GroupKind.Group {
			rules[n-1].Resources = append(rules[n-1].Resources, k.Resource)
			continue
		}
		rules = append(rules, rbacv1.PolicyRule{APIGroups: []string{k.GroupKind.Group}, Resources: []string{k.Resource}, Verbs: []string{"list"}})
	}
	return rules
}

// ReportPermissions let the background audit keep its OpenReports Reports (`wsguard serve
// --audit-reports`): list its own (by label), create those of newly found objects, update those
// whose results changed, and delete those whose objects are gone, fixed or no longer judged. It
// never gets one by name nor patches one, and it writes no other kind. They are wsguard's only
// writes to stored objects; the generated ClusterRoles add them to ReadPermissions.
func ReportPermissions() []rbacv1.PolicyRule {
	return []rbacv1.PolicyRule{
		{APIGroups: []string{"openreports.io"}, Resources: []string{"reports"}, Verbs: []string{"list", "create", "update", "delete"}},
	}
}

// readable reports whether ReadPermissions grant verb on group/resource.
func readable(group, resource, verb string) bool {
	for _, r := range ReadPermissions() {
		if slices.Contains(r.APIGroups, group) && slices.Contains(r.Resources, resource) && slices.Contains(r.Verbs, verb) {
			return true
		}
	}
	return false
}
