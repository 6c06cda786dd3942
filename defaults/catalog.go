package defaults

import "slices"

// catalog lists every rule in evaluation order: each family's list (kept in its own file), in
// the order below, with the rules that inject defaults moved ahead of the rules that only judge
// (injectFirst), so that judging rules see the defaulted object as the validating webhook does.
var catalog = injectFirst(slices.Concat(
	deploymentRules,
	statefulSetRules,
	daemonSetRules,
	rolloutRules,
	autoscalingRules,
	serviceRules,
	ingressRules,
	ingressNGINXRules,
	f5NGINXRules,
	haproxyRules,
	traefikRules,
	traefikCRDRules,
	kongRules,
	contourRules,
	awsALBRules,
	gkeRules,
	agicRules,
	istioRules,
	linkerdRules,
	gatewayAPIRules,
	ngfRules,
	envoyGatewayRules,
))
