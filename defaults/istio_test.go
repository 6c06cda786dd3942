package defaults

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// meshFacts: chat is a WebSocket Service (ports 80 websocket, 9090 grpc), api is plain HTTP.
func meshFacts(t *testing.T) Facts {
	return Facts{Services: ptrs(
		service(t, `{apiVersion: v1, kind: Service, metadata: {name: chat, namespace: demo}, spec: {selector: {app: chat}, ports: [{name: websocket, port: 80, targetPort: 8080}, {name: grpc, port: 9090}]}}`),
		service(t, `{apiVersion: v1, kind: Service, metadata: {name: api, namespace: demo}, spec: {selector: {app: api}, ports: [{name: http, port: 80}]}}`),
	)}
}

const virtualService = `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: chat, namespace: demo}
spec:
  hosts: [chat.example.com]
  http:
  - match: [{uri: {prefix: /ws}}]
    route: [{destination: {host: chat}}]
  - route: [{destination: {host: api.demo.svc.cluster.local}}]
    timeout: 10s
`

func TestVirtualServiceRules(t *testing.T) {
	facts := meshFacts(t)
	withSchema := facts
	withSchema.WebsocketUpgradeInSchema = true
	runRuleCases(t, []ruleCase{
		{name: "a WebSocket route without a timeout is fine; nothing is injected where the CRD lacks websocketUpgrade", obj: virtualService, facts: facts},
		{name: "a route that sets websocketUpgrade: true is WebSocket whatever its host, and its short timeout is denied",
			obj:        replaceOnce(virtualService, "    timeout: 10s", "    timeout: 10s\n    websocketUpgrade: true"),
			violations: []string{"istio-virtualservice-timeout spec.http[1].timeout"}},
		{name: "websocketUpgrade is injected on WebSocket routes only where the CRD still has it", obj: virtualService, facts: withSchema,
			changes: map[string]any{"/spec/http/0/websocketUpgrade": true}},
		{name: "a user's websocketUpgrade is kept", obj: replaceOnce(virtualService, "route: [{destination: {host: chat}}]", "route: [{destination: {host: chat}}]\n    websocketUpgrade: false"), facts: withSchema},
		{name: "a short timeout on a WebSocket route is denied", obj: replaceOnce(virtualService, "route: [{destination: {host: chat}}]", "route: [{destination: {host: chat.demo}}]\n    timeout: 300s"), facts: facts,
			violations: []string{"istio-virtualservice-timeout spec.http[0].timeout"}},
		{name: "a long timeout is accepted", obj: replaceOnce(virtualService, "route: [{destination: {host: chat}}]", "route: [{destination: {host: chat}}]\n    timeout: 2h"), facts: facts},
		{name: "an unreadable timeout is denied", obj: replaceOnce(virtualService, "route: [{destination: {host: chat}}]", "route: [{destination: {host: chat}}]\n    timeout: forever"), facts: facts,
			violations: []string{"istio-virtualservice-timeout spec.http[0].timeout"}},
		{name: "a host in another namespace is not this namespace's WebSocket Service", obj: replaceOnce(virtualService, "host: chat}", "host: chat.other.svc.cluster.local}"), facts: facts, notWebSocket: true},
		{name: "a VirtualService without WebSocket destinations is untouched", obj: replaceOnce(virtualService, "host: chat}", "host: api}"), facts: facts, notWebSocket: true},
	})
}

const destinationRule = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: chat, namespace: demo}
spec:
  host: chat.demo.svc.cluster.local
`

func TestDestinationRuleRules(t *testing.T) {
	facts := meshFacts(t)
	affinity := map[string]any{"consistentHash": map[string]any{"httpCookie": map[string]any{"name": DefaultCookieName, "ttl": "86400s"}}}
	runRuleCases(t, []ruleCase{
		{name: "cookie affinity is defaulted", obj: destinationRule, facts: facts,
			changes: map[string]any{"/spec/trafficPolicy": map[string]any{"loadBalancer": affinity}}},
		{name: "a user's load balancer is kept", obj: destinationRule + "  trafficPolicy: {loadBalancer: {simple: LEAST_REQUEST}}\n", facts: facts},
		{name: "the guide's h2UpgradePolicy UPGRADE is denied, and affinity is still defaulted beside it",
			obj:        destinationRule + "  trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}\n",
			facts:      facts,
			changes:    map[string]any{"/spec/trafficPolicy/loadBalancer": affinity},
			violations: []string{"istio-destinationrule-h2-upgrade spec.trafficPolicy.connectionPool.http.h2UpgradePolicy"}},
		{name: "UPGRADE on the gRPC port of the same Service is fine; on the WebSocket port and in subsets it is not",
			obj: destinationRule + `  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    portLevelSettings:
    - {port: {number: 9090}, connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}
    - {port: {number: 80}, connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}
  subsets:
  - {name: v2, labels: {version: v2}, trafficPolicy: {connectionPool: {http: {h2UpgradePolicy: UPGRADE}}}}
`,
			facts: facts,
			violations: []string{
				"istio-destinationrule-h2-upgrade spec.trafficPolicy.portLevelSettings[1].connectionPool.http.h2UpgradePolicy",
				"istio-destinationrule-h2-upgrade spec.subsets[0].trafficPolicy.connectionPool.http.h2UpgradePolicy",
			}},
		{name: "a short idle timeout is denied", obj: destinationRule + "  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, connectionPool: {http: {idleTimeout: 60s}}}\n", facts: facts,
			violations: []string{"istio-destinationrule-idle-timeout spec.trafficPolicy.connectionPool.http.idleTimeout"}},
		{name: "a long idle timeout is fine", obj: destinationRule + "  trafficPolicy: {loadBalancer: {simple: ROUND_ROBIN}, connectionPool: {http: {idleTimeout: 2h}}}\n", facts: facts},
		{name: "affinity off by annotation", obj: replaceOnce(destinationRule, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/affinity: 'false'}}"), facts: facts},
		{name: "a DestinationRule for a plain Service is untouched", obj: replaceOnce(destinationRule, "host: chat.demo", "host: api.demo"), facts: facts, notWebSocket: true},
	})
}

func TestIstioSidecarDrain(t *testing.T) {
	injected := Facts{Namespace: namespaceWithLabels(map[string]string{"istio-injection": "enabled"})}
	revision := Facts{Namespace: namespaceWithLabels(map[string]string{"istio.io/rev": "1-24"})}
	preStop := map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}}
	const annotationPointer = "/spec/template/metadata/annotations"
	withProxyConfig := func(conf string) string {
		return replaceOnce(wsDeployment, "    metadata: {labels: {app: chat}}", "    metadata: {labels: {app: chat}, annotations: {proxy.istio.io/config: '"+conf+"'}}")
	}
	runRuleCases(t, []ruleCase{
		{name: "a sidecar in an injected namespace drains for preStop + drain", obj: wsDeployment, facts: injected,
			changes: map[string]any{
				preStopPointer: preStop,
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
				annotationPointer: map[string]any{"proxy.istio.io/config": "terminationDrainDuration: 45s\n"},
			}},
		{name: "a revision label injects too", obj: wsDeployment, facts: revision,
			changes: map[string]any{
				preStopPointer: preStop,
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
				annotationPointer: map[string]any{"proxy.istio.io/config": "terminationDrainDuration: 45s\n"},
			}},
		{name: "a pod that opts out of injection gets no proxy config", obj: replaceOnce(wsDeployment, "    metadata: {labels: {app: chat}}", "    metadata: {labels: {app: chat, sidecar.istio.io/inject: 'false'}}"), facts: injected,
			changes: map[string]any{preStopPointer: preStop, "/spec/template/spec/terminationGracePeriodSeconds": 45}},
		{name: "no sidecar without injection", obj: wsDeployment, facts: Facts{Namespace: namespaceWithLabels(nil)},
			changes: map[string]any{preStopPointer: preStop, "/spec/template/spec/terminationGracePeriodSeconds": 45}},
		{name: "existing YAML proxy config gets one line appended", obj: withProxyConfig("holdApplicationUntilProxyStarts: true"), facts: injected,
			changes: map[string]any{
				preStopPointer: preStop,
				"/spec/template/spec/terminationGracePeriodSeconds":          45,
				"/spec/template/metadata/annotations/proxy.istio.io~1config": "holdApplicationUntilProxyStarts: true\nterminationDrainDuration: 45s\n",
			}},
		{name: "existing JSON proxy config is merged", obj: withProxyConfig(`{"holdApplicationUntilProxyStarts": true}`), facts: injected,
			changes: map[string]any{
				preStopPointer: preStop,
				"/spec/template/spec/terminationGracePeriodSeconds":          45,
				"/spec/template/metadata/annotations/proxy.istio.io~1config": `{"holdApplicationUntilProxyStarts":true,"terminationDrainDuration":"45s"}`,
			}},
		{name: "a drain shorter than the preStop sleep is denied", obj: withProxyConfig("terminationDrainDuration: 5s"), facts: injected,
			changes:    map[string]any{preStopPointer: preStop, "/spec/template/spec/terminationGracePeriodSeconds": 45},
			violations: []string{"istio-sidecar-drain spec.template.metadata.annotations[proxy.istio.io/config]"}},
		{name: "a drain shorter than preStop + drain is warned about", obj: withProxyConfig("terminationDrainDuration: 20s"), facts: injected,
			changes:  map[string]any{preStopPointer: preStop, "/spec/template/spec/terminationGracePeriodSeconds": 45},
			warnings: []string{"istio-sidecar-drain spec.template.metadata.annotations[proxy.istio.io/config]"}},
		{name: "a long enough drain is kept", obj: withProxyConfig("terminationDrainDuration: 60s"), facts: injected,
			changes: map[string]any{preStopPointer: preStop, "/spec/template/spec/terminationGracePeriodSeconds": 45}},
	})
}

func namespaceWithLabels(labels map[string]string) *corev1.Namespace {
	ns := &corev1.Namespace{}
	ns.Name = "demo"
	ns.Labels = labels
	return ns
}
