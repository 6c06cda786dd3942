package defaults

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// envoyFacts: Service chat is WebSocket (meshFacts); HTTPRoute chat routes to it through Gateway
// public, HTTPRoute api routes to the plain Service api through Gateway internal.
func envoyFacts(t *testing.T) Facts {
	f := meshFacts(t)
	f.HTTPRoutes = []unstructured.Unstructured{
		*object(t, `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: chat, namespace: demo}, spec: {parentRefs: [{name: public}], rules: [{backendRefs: [{name: chat, port: 80}]}]}}`),
		*object(t, `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: api, namespace: demo}, spec: {parentRefs: [{name: internal}], rules: [{backendRefs: [{name: api, port: 80}]}]}}`),
	}
	return f
}

const backendTrafficPolicy = `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: chat, namespace: demo}
spec:
  targetRefs:
  - {group: gateway.networking.k8s.io, kind: HTTPRoute, name: chat}
`

var envoyCookie = map[string]any{"type": "ConsistentHash", "consistentHash": map[string]any{
	"type": "Cookie", "cookie": map[string]any{"name": DefaultCookieName, "ttl": "86400s"}, "tableSize": 65537}}

func TestBackendTrafficPolicyRules(t *testing.T) {
	facts := envoyFacts(t)
	withSpec := func(lines string) string { return backendTrafficPolicy + lines }
	idle := map[string]any{"/spec/timeout": map[string]any{"http": map[string]any{"streamIdleTimeout": "3600s"}}}
	both := map[string]any{"/spec/timeout": idle["/spec/timeout"], "/spec/loadBalancer": envoyCookie}
	runRuleCases(t, []ruleCase{
		{name: "a policy of a WebSocket route gets an idle timeout and a cookie", obj: backendTrafficPolicy, facts: facts, changes: both},
		{name: "a policy of the Gateway a WebSocket route attaches to too", obj: replaceOnce(backendTrafficPolicy, "kind: HTTPRoute, name: chat", "kind: Gateway, name: public"), facts: facts, changes: both},
		{name: "the deprecated targetRef counts", obj: replaceOnce(backendTrafficPolicy, "targetRefs:\n  - {group", "targetRef: {group"), facts: facts, changes: both},
		{name: "a policy of a plain route or Gateway is left alone", obj: replaceOnce(backendTrafficPolicy, "kind: HTTPRoute, name: chat", "kind: Gateway, name: internal"), facts: facts, notWebSocket: true},
		{name: "without HTTPRoutes among the facts nothing is judged", obj: backendTrafficPolicy, facts: meshFacts(t), notWebSocket: true},
		{name: "a user's long idle timeout and load balancer are kept", obj: withSpec("  timeout: {http: {streamIdleTimeout: 2h}}\n  loadBalancer: {type: RoundRobin}\n"), facts: facts},
		{name: "0s disables the idle timeout and is kept", obj: withSpec("  timeout: {http: {streamIdleTimeout: 0s}}\n"), facts: facts, changes: map[string]any{"/spec/loadBalancer": envoyCookie}},
		{name: "a short idle timeout is denied", obj: withSpec("  timeout: {http: {streamIdleTimeout: 10m}}\n"), facts: facts,
			changes: map[string]any{"/spec/loadBalancer": envoyCookie}, violations: []string{"envoy-gateway-stream-idle-timeout spec.timeout.http.streamIdleTimeout"}},
		{name: "an idle timeout is added beside a user's max durations; short ones are denied", obj: withSpec("  timeout: {http: {maxStreamDuration: 15m, maxConnectionDuration: 30m}}\n"), facts: facts,
			changes:    map[string]any{"/spec/timeout/http/streamIdleTimeout": "3600s", "/spec/loadBalancer": envoyCookie},
			violations: []string{"envoy-gateway-max-duration spec.timeout.http.maxStreamDuration", "envoy-gateway-max-duration spec.timeout.http.maxConnectionDuration"}},
		{name: "0s and long max durations are fine", obj: withSpec("  timeout: {http: {streamIdleTimeout: 1h, maxStreamDuration: 0s, maxConnectionDuration: 24h}}\n"), facts: facts,
			changes: map[string]any{"/spec/loadBalancer": envoyCookie}},
		{name: "requestBuffer is denied", obj: withSpec("  requestBuffer: {limit: 4Mi}\n"), facts: facts, changes: both,
			violations: []string{"envoy-gateway-upgrade spec.requestBuffer"}},
		{name: "an httpUpgrade list without websocket is denied", obj: withSpec("  httpUpgrade: [{type: CONNECT}]\n"), facts: facts, changes: both,
			violations: []string{"envoy-gateway-upgrade spec.httpUpgrade"}},
		{name: "an httpUpgrade list with websocket, in any case, is fine", obj: withSpec("  httpUpgrade: [{type: spdy/3.1}, {type: WebSocket}]\n"), facts: facts, changes: both},
	})
}

const clientTrafficPolicy = `
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: ClientTrafficPolicy
metadata: {name: public, namespace: demo}
spec:
  targetRefs:
  - {group: gateway.networking.k8s.io, kind: Gateway, name: public}
`

func TestClientTrafficPolicyRules(t *testing.T) {
	facts := envoyFacts(t)
	const rule = "envoy-gateway-client-stream-idle-timeout spec.timeout.http.streamIdleTimeout"
	runRuleCases(t, []ruleCase{
		{name: "left at 5 minutes on a Gateway with a WebSocket route: warned", obj: clientTrafficPolicy, facts: facts, warnings: []string{rule}},
		{name: "a short one is denied", obj: clientTrafficPolicy + "  timeout: {http: {streamIdleTimeout: 5m}}\n", facts: facts, violations: []string{rule}},
		{name: "a long one, or 0s, is fine", obj: clientTrafficPolicy + "  timeout: {http: {streamIdleTimeout: 0s, idleTimeout: 1h}}\n", facts: facts},
		{name: "a Gateway without WebSocket routes is left alone", obj: replaceOnce(clientTrafficPolicy, "name: public}", "name: internal}"), facts: facts, notWebSocket: true},
	})
}
