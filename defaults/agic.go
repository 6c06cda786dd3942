package defaults

import (
	"fmt"
	"strconv"
	"strings"
)

// ControllerAGIC is Azure Application Gateway Ingress Controller's IngressClass controller (and
// the value of the legacy kubernetes.io/ingress.class annotation its docs use).
const ControllerAGIC = "azure/application-gateway"

// Ingress annotations of AGIC (Azure/application-gateway-kubernetes-ingress) that the rules read
// or write.
const (
	annotationAGICRequestTimeout = "appgw.ingress.kubernetes.io/request-timeout"
	annotationAGICCookieAffinity = "appgw.ingress.kubernetes.io/cookie-based-affinity"
	annotationAGICProbePath      = "appgw.ingress.kubernetes.io/health-probe-path"
)

var agicRules = family("agic", []Rule{
	{ID: "agic-request-timeout", Kind: KindIngress, Controller: ControllerAGIC, Effects: Defaults | Denies, check: defaultAGICRequestTimeout,
		Summary:     "default appgw request-timeout, which Application Gateway applies to WebSocket sessions, to the policy timeout; deny shorter ones",
		Remediation: "write at least the policy minimum in whole seconds, or remove the annotation to get the policy timeout"},
	{ID: "agic-cookie-affinity", Kind: KindIngress, Controller: ControllerAGIC, Effects: Defaults, check: defaultAGICCookieAffinity,
		Summary: "default cookie-based-affinity so reconnecting clients return to their pod"},
	{ID: "agic-health-probe", Kind: KindIngress, Controller: ControllerAGIC, Effects: Warns, check: checkAGICHealthProbe,
		Summary: "warn when Application Gateway would probe the WebSocket endpoint itself (no probe path, no HTTP readiness probe to copy)"},
})

// defaultAGICRequestTimeout sets the request timeout of the gateway's backend settings (30s by
// default), which Microsoft documents as applying to the WebSocket session too ("WebSocket
// support in Azure Application Gateway"), and which AGIC users saw end their sockets (AGIC
// issues 169 and 491).
func defaultAGICRequestTimeout(ev *evaluation) {
	want := strconv.FormatInt(ev.policy.TimeoutSeconds, 10)
	ev.setAnnotationDefault(annotationAGICRequestTimeout, want, "Application Gateway applies its request timeout, 30s by default, to WebSocket sessions")
	raw, _ := ev.annotation(annotationAGICRequestTimeout)
	if n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64); err == nil && n < ev.policy.MinTimeoutSeconds {
		ev.violate(annotationPath(annotationAGICRequestTimeout), raw,
			fmt.Sprintf("makes Application Gateway end WebSocket sessions after %ds: its request timeout applies to them", n),
			fmt.Sprintf("write at least %q (whole seconds), or remove the annotation to get %q", strconv.FormatInt(ev.policy.MinTimeoutSeconds, 10), want))
	}
}

// defaultAGICCookieAffinity turns on Application Gateway's cookie affinity, so that a client
// whose WebSocket dropped reconnects to the pod that holds its session.
func defaultAGICCookieAffinity(ev *evaluation) {
	if !ev.policy.AffinityEnabled() {
		return
	}
	ev.setAnnotationDefault(annotationAGICCookieAffinity, "true", "Application Gateway's cookie brings a reconnecting WebSocket client back to the pod that holds its session")
}

// checkAGICHealthProbe warns when Application Gateway would probe the backend with a plain GET:
// AGIC copies an HTTP readiness probe of the pods, else probes the path itself, and a WebSocket
// endpoint answers a GET without WebSocket headers with 400, so the pods are marked down and
// clients get 502 (AGIC docs/how-tos/websockets.md).
func checkAGICHealthProbe(ev *evaluation) {
	if _, ok := ev.annotation(annotationAGICProbePath); ok {
		return
	}
	for _, name := range webSocketServiceNames(ev) {
		svc := ev.facts.service(name)
		if svc == nil {
			continue
		}
		for _, w := range ev.facts.workloads() {
			if !selectsPods(svc, w.template.Labels) {
				continue
			}
			for _, c := range w.template.Spec.Containers {
				if c.ReadinessProbe != nil && c.ReadinessProbe.HTTPGet != nil {
					return // AGIC copies it
				}
			}
		}
	}
	ev.warn(annotationPath(annotationAGICProbePath), "is not set and no pod behind the WebSocket backends has an HTTP readiness probe for AGIC to copy, so Application Gateway probes the route with a plain GET; "+
		"a WebSocket endpoint answers that with 400, the pods are marked unhealthy and clients get 502: set this annotation to a health path that answers 200, or give the pods an httpGet readinessProbe")
}
