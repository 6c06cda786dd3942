package defaults

import "testing"

const httpRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: chat, namespace: demo}
spec:
  parentRefs: [{name: public}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /ws}}]
    backendRefs: [{name: chat, port: 80}]
  - backendRefs: [{name: api, port: 80}]
    timeouts: {request: 10s}
`

func TestHTTPRouteRules(t *testing.T) {
	facts := meshFacts(t)
	off := DefaultPolicy()
	disabled := false
	off.DisableRouteTimeouts = &disabled
	runRuleCases(t, []ruleCase{
		{name: "a disabled request timeout is defaulted on rules to WebSocket backends only", obj: httpRoute, facts: facts,
			changes: map[string]any{"/spec/rules/0/timeouts": map[string]any{"request": "0s"}}},
		{name: "the policy can turn the default off", obj: httpRoute, facts: facts, policy: &off},
		{name: "a backendRequest alone gets request 0s beside it, which the CRD accepts", obj: replaceOnce(httpRoute, "backendRefs: [{name: chat, port: 80}]", "backendRefs: [{name: chat, port: 80}]\n    timeouts: {backendRequest: 2h}"), facts: facts,
			changes: map[string]any{"/spec/rules/0/timeouts/request": "0s"}},
		{name: "short request and backendRequest timeouts are denied", obj: replaceOnce(httpRoute, "backendRefs: [{name: chat, port: 80}]", "backendRefs: [{name: chat, port: 80}]\n    timeouts: {request: 5m, backendRequest: 1m}"), facts: facts,
			violations: []string{"gateway-httproute-timeouts spec.rules[0].timeouts.request", "gateway-httproute-timeouts spec.rules[0].timeouts.backendRequest"}},
		{name: "a user's 0s and long timeouts are kept", obj: replaceOnce(httpRoute, "backendRefs: [{name: chat, port: 80}]", "backendRefs: [{name: chat, port: 80}]\n    timeouts: {request: 0s, backendRequest: 1h30m}"), facts: facts},
		{name: "a malformed duration is denied", obj: replaceOnce(httpRoute, "backendRefs: [{name: chat, port: 80}]", "backendRefs: [{name: chat, port: 80}]\n    timeouts: {request: 1 hour}"), facts: facts,
			violations: []string{"gateway-httproute-timeouts spec.rules[0].timeouts.request"}},
		{name: "backends in other namespaces or of other kinds are not judged", obj: replaceOnce(httpRoute, "[{name: chat, port: 80}]", "[{name: chat, namespace: other, port: 80}, {name: chat, group: example.com, kind: Backend}]"), facts: facts, notWebSocket: true},
	})
}
