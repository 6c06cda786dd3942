package defaults

import "slices"

// catalog lists every rule in evaluation order. Each family of rules keeps its list in its own
// file. Within a kind, rules that inject defaults come before the rules that judge values, so
// that judging rules see the defaulted object, as the validating webhook does after the
// mutating one.
var catalog = slices.Concat(
	deploymentRules,
	serviceRules,
	ingressNGINXRules,
	f5NGINXRules,
	haproxyRules,
	traefikRules,
	awsALBRules,
	gkeRules,
	istioRules,
	linkerdRules,
	gatewayAPIRules,
)

var deploymentRules = []Rule{
	{ID: "deployment-prestop-sleep", Kind: KindDeployment, check: checkDeploymentPreStop,
		Summary: "inject a native preStop sleep into WebSocket containers; warn on exec sleep"},
	{ID: "deployment-grace-period", Kind: KindDeployment, check: checkDeploymentGracePeriod,
		Summary: "make terminationGracePeriodSeconds cover preStop + drain; deny one not longer than the preStop sleep"},
	{ID: "deployment-readiness-probe", Kind: KindDeployment, check: checkDeploymentReadiness,
		Summary: "warn when a WebSocket container has no readiness probe"},
	{ID: "deployment-recreate-strategy", Kind: KindDeployment, check: checkDeploymentRecreate,
		Summary: "warn on the Recreate strategy, which drops every connection at once"},
}

var serviceRules = []Rule{
	{ID: "service-session-affinity", Kind: KindService, check: checkServiceAffinity,
		Summary: "default sessionAffinity ClientIP with the policy timeout (not on headless Services)"},
	{ID: "service-app-protocol", Kind: KindService, check: checkServiceAppProtocol,
		Summary: "set appProtocol kubernetes.io/ws(s) on ports that say WebSocket only by name"},
	{ID: "service-http2-port", Kind: KindService, check: checkServiceHTTP2Port,
		Summary: "deny WebSocket ports declared as grpc, http2 or h2c"},
}
