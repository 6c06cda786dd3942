package defaults

import (
	"testing"
)

// ingressRoute sends /ws to the WebSocket port of Service chat (meshFacts) by name, and / to
// Service api.
const ingressRoute = `
apiVersion: traefik.io/v1alpha1
kind: IngressRoute
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  entryPoints: [websecure]
  routes:
  - match: Host(` + "`chat.example.com`" + `) && PathPrefix(` + "`/ws`" + `)
    kind: Rule
    services: [{name: chat, port: websocket}]
  - match: Host(` + "`chat.example.com`" + `)
    kind: Rule
    services: [{name: api, port: 80}]
`

const ingressRouteEntry = "/spec/routes/0/services/0/sticky"

func traefikCookieOf(name string) map[string]any {
	return map[string]any{"cookie": map[string]any{"name": name, "maxAge": 86400}}
}

func TestIngressRouteRules(t *testing.T) {
	facts := meshFacts(t)
	noAffinity := DefaultPolicy()
	noAffinity.Affinity.Enabled = new(bool)
	entry := func(fields string) string {
		return replaceOnce(ingressRoute, "{name: chat, port: websocket}", "{name: chat, port: websocket"+fields+"}")
	}
	cookie := map[string]any{ingressRouteEntry: traefikCookieOf(DefaultCookieName)}
	runRuleCases(t, []ruleCase{
		{name: "an entry naming the WebSocket port gets the policy's sticky cookie; the other route nothing", obj: ingressRoute, facts: facts,
			changes: cookie},
		{name: "the port matched by number", obj: replaceOnce(ingressRoute, "port: websocket", "port: 80"), facts: facts,
			changes: cookie},
		{name: "an entry without a port counts", obj: replaceOnce(ingressRoute, "{name: chat, port: websocket}", "{name: chat}"), facts: facts,
			changes: cookie},
		{name: "an entry kind: Service in its own namespace counts", obj: entry(", kind: Service, namespace: demo"), facts: facts,
			changes: cookie},
		{name: "a user's sticky cookie is kept", obj: entry(", sticky: {cookie: {name: mine, secure: true}}"), facts: facts},
		{name: "a user's empty sticky is kept", obj: entry(", sticky: {}"), facts: facts},
		{name: "affinity off in the policy: nothing", obj: ingressRoute, facts: facts, policy: &noAffinity},
		{name: "wsguard.io/affinity: \"false\" on the route: nothing", obj: annotated(ingressRoute, `wsguard.io/affinity: "false"`), facts: facts},
		{name: "the Service's gRPC port is not WebSocket", obj: replaceOnce(ingressRoute, "port: websocket", "port: 9090"), facts: facts, notWebSocket: true},
		{name: "an h2c entry is not WebSocket", obj: entry(", scheme: h2c"), facts: facts, notWebSocket: true},
		{name: "a TraefikService entry is not a Service", obj: entry(", kind: TraefikService"), facts: facts, notWebSocket: true},
		{name: "a Service of another namespace is not judged", obj: entry(", namespace: other"), facts: facts, notWebSocket: true},
		{name: "Services wsguard cannot see are not judged", obj: ingressRoute, notWebSocket: true},
		{name: "marked by annotation, every Service entry", obj: annotated(ingressRoute, `wsguard.io/websocket: "true"`),
			changes: map[string]any{ingressRouteEntry: traefikCookieOf(DefaultCookieName), "/spec/routes/1/services/0/sticky": traefikCookieOf(DefaultCookieName)}},
	})
}

// weightedService spreads traffic over two versions of the chat Service and the api Service.
const weightedService = `
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: chat, namespace: demo}
spec:
  weighted:
    services:
    - {name: chat, port: 80, weight: 3}
    - {name: api, port: 80, weight: 1}
`

func TestTraefikServiceRules(t *testing.T) {
	facts := meshFacts(t)
	noAffinity := DefaultPolicy()
	noAffinity.Affinity.Enabled = new(bool)
	both := map[string]any{
		"/spec/weighted/sticky":            traefikCookieOf(DefaultCookieName + traefikWRRCookieSuffix),
		"/spec/weighted/services/0/sticky": traefikCookieOf(DefaultCookieName),
	}
	runRuleCases(t, []ruleCase{
		{name: "a weighted service over a WebSocket Service gets a cookie per level, named apart", obj: weightedService, facts: facts, changes: both},
		{name: "a user's weighted sticky is kept; the entry still gets its cookie",
			obj: replaceOnce(weightedService, "  weighted:\n", "  weighted:\n    sticky: {cookie: {name: mine}}\n"), facts: facts,
			changes: map[string]any{"/spec/weighted/services/0/sticky": traefikCookieOf(DefaultCookieName)}},
		{name: "a user's entry sticky is kept", obj: replaceOnce(weightedService, "weight: 3}", "weight: 3, sticky: {cookie: {httpOnly: true}}}"), facts: facts,
			changes: map[string]any{"/spec/weighted/sticky": traefikCookieOf(DefaultCookieName + traefikWRRCookieSuffix)}},
		{name: "affinity off in the policy: nothing", obj: weightedService, facts: facts, policy: &noAffinity},
		{name: "weights over non-WebSocket Services are not judged", obj: replaceOnce(weightedService, "{name: chat, port: 80, weight: 3}", "{name: chat, port: 9090, weight: 3}"), facts: facts, notWebSocket: true},
		{name: "mirroring is not judged", facts: facts, notWebSocket: true, obj: `
apiVersion: traefik.io/v1alpha1
kind: TraefikService
metadata: {name: chat, namespace: demo}
spec:
  mirroring: {name: chat, port: 80, mirrors: [{name: api, port: 80, percent: 10}]}
`},
	})
}

func TestLegacyIngressRouteWarns(t *testing.T) {
	facts := meshFacts(t)
	legacy := replaceOnce(ingressRoute, "traefik.io/v1alpha1", "traefik.containo.us/v1alpha1")
	runRuleCases(t, []ruleCase{
		{name: "an IngressRoute of traefik.containo.us to a WebSocket Service: a warning, no default", obj: legacy, facts: facts,
			warnings: []string{"traefik-legacy-api-group apiVersion"}},
		{name: "not WebSocket: not judged", obj: legacy, notWebSocket: true},
	})
}

// Traefik's kubernetesIngressNGINX provider serves nginx-class Ingresses with ingress-nginx's
// annotations and its 60-second proxy-read-timeout, also on upgraded connections, so the
// ingress-nginx rules hold whether the class keeps ingress-nginx's controller value (the
// provider's default controllerClass) or names Traefik's (the provider's ingressClassByName).
func TestTraefikServingNGINXClassIngresses(t *testing.T) {
	for _, tc := range []struct{ name, controller string }{
		{"class nginx with the provider's default controllerClass", ControllerIngressNGINX},
		{"class nginx whose IngressClass names Traefik's controller", ControllerTraefik},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runRuleCases(t, []ruleCase{{name: tc.name, obj: nginxIngress,
				facts:   Facts{IngressClasses: ptrs(ingressClass("nginx", tc.controller, false))},
				changes: ingressNGINXChanges()}})
		})
	}
	runRuleCases(t, []ruleCase{{name: "another class of Traefik's controller gets no ingress-nginx defaults", obj: nginxClass(nginxIngress, "traefik"),
		facts: Facts{IngressClasses: ptrs(ingressClass("traefik", ControllerTraefik, false))}}})
}
