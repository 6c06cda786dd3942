package defaults

import (
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// httpProxy sends /ws to the WebSocket port of Service chat (meshFacts) and / to Service api.
const httpProxy = `
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: chat, namespace: demo}
spec:
  virtualhost: {fqdn: chat.example.com}
  routes:
  - conditions: [{prefix: /ws}]
    services: [{name: chat, port: 80}]
  - services: [{name: api, port: 80}]
`

const contourRoute0 = "/spec/routes/0"

var httpProxyDefaults = map[string]any{
	contourRoute0 + "/enableWebsockets":   true,
	contourRoute0 + "/timeoutPolicy":      map[string]any{"idle": "3600s"},
	contourRoute0 + "/loadBalancerPolicy": map[string]any{"strategy": "Cookie"},
}

func TestHTTPProxyRules(t *testing.T) {
	facts := meshFacts(t)
	noAffinity := DefaultPolicy()
	noAffinity.Affinity.Enabled = new(bool)
	route0 := func(lines string) string {
		return replaceOnce(httpProxy, "services: [{name: chat, port: 80}]", "services: [{name: chat, port: 80}]\n    "+lines)
	}
	without := func(keys ...string) map[string]any {
		out := map[string]any{}
		for k, v := range httpProxyDefaults {
			out[k] = v
		}
		for _, k := range keys {
			delete(out, k)
		}
		return out
	}
	runRuleCases(t, []ruleCase{
		{name: "a route to a WebSocket Service gets the upgrade, an idle timeout and a cookie; the other route nothing", obj: httpProxy, facts: facts,
			changes: httpProxyDefaults},
		{name: "affinity off in the policy: no cookie", obj: httpProxy, facts: facts, policy: &noAffinity,
			changes: without(contourRoute0 + "/loadBalancerPolicy")},
		{name: "a user's load-balancing policy and long idle timeout are kept", obj: route0("loadBalancerPolicy: {strategy: RoundRobin}\n    timeoutPolicy: {idle: 2h, response: 10s}"), facts: facts,
			changes: without(contourRoute0+"/loadBalancerPolicy", contourRoute0+"/timeoutPolicy")},
		{name: "an idle timeout is added beside a user's response timeout", obj: route0("timeoutPolicy: {response: 10s}"), facts: facts,
			changes: map[string]any{contourRoute0 + "/enableWebsockets": true, contourRoute0 + "/timeoutPolicy/idle": "3600s", contourRoute0 + "/loadBalancerPolicy": map[string]any{"strategy": "Cookie"}}},
		{name: "infinity disables the idle timeout and is kept", obj: route0("timeoutPolicy: {idle: infinity}"), facts: facts,
			changes: without(contourRoute0 + "/timeoutPolicy")},
		{name: "a short idle timeout is denied", obj: route0("timeoutPolicy: {idle: 5m}"), facts: facts,
			changes:    without(contourRoute0 + "/timeoutPolicy"),
			violations: []string{"contour-httpproxy-idle-timeout spec.routes[0].timeoutPolicy.idle"}},
		{name: "0s, which Contour reads as Envoy's 5 minutes, is denied", obj: route0("timeoutPolicy: {idle: 0s}"), facts: facts,
			changes:    without(contourRoute0 + "/timeoutPolicy"),
			violations: []string{"contour-httpproxy-idle-timeout spec.routes[0].timeoutPolicy.idle"}},
		{name: "an unreadable idle timeout is denied", obj: route0("timeoutPolicy: {idle: one hour}"), facts: facts,
			changes:    without(contourRoute0 + "/timeoutPolicy"),
			violations: []string{"contour-httpproxy-idle-timeout spec.routes[0].timeoutPolicy.idle"}},
		{name: "enableWebsockets: false on a route to a WebSocket Service is denied", obj: route0("enableWebsockets: false"), facts: facts,
			changes:    without(contourRoute0 + "/enableWebsockets"),
			violations: []string{"contour-httpproxy-websockets spec.routes[0].enableWebsockets"}},
		{name: "enableWebsockets: true alone makes a route WebSocket", obj: replaceOnce(httpProxy, "- services: [{name: api, port: 80}]", "- services: [{name: api, port: 80}]\n    enableWebsockets: true"), facts: facts,
			changes: map[string]any{
				contourRoute0 + "/enableWebsockets": true, contourRoute0 + "/timeoutPolicy": map[string]any{"idle": "3600s"}, contourRoute0 + "/loadBalancerPolicy": map[string]any{"strategy": "Cookie"},
				"/spec/routes/1/timeoutPolicy": map[string]any{"idle": "3600s"}, "/spec/routes/1/loadBalancerPolicy": map[string]any{"strategy": "Cookie"},
			}},
		{name: "a route to the Service's gRPC port is not WebSocket", obj: replaceOnce(httpProxy, "{name: chat, port: 80}", "{name: chat, port: 9090}"), facts: facts, notWebSocket: true},
		{name: "an h2c route is not WebSocket", obj: replaceOnce(httpProxy, "{name: chat, port: 80}", "{name: chat, port: 80, protocol: h2c}"), facts: facts, notWebSocket: true},
		{name: "routes to Services wsguard cannot see are not judged", obj: httpProxy, notWebSocket: true},
	})
}

// contourIngress routes /ws and / to Service chat's WebSocket port and /api to Service api.
const contourIngress = `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  ingressClassName: contour
  rules:
  - host: chat.example.com
    http:
      paths:
      - {path: /ws, pathType: Prefix, backend: {service: {name: chat, port: {number: 80}}}}
      - {path: /api, pathType: Prefix, backend: {service: {name: api, port: {number: 80}}}}
      - {pathType: Prefix, backend: {service: {name: chat, port: {number: 80}}}}
`

func TestContourIngressRules(t *testing.T) {
	facts := meshFacts(t)
	const key = "projectcontour.io/websocket-routes"
	idle := []string{"contour-ingress-websocket-routes metadata.annotations[" + key + "]"}
	runRuleCases(t, []ruleCase{
		{name: "the paths of WebSocket backends are listed, a missing path as /", obj: contourIngress, facts: facts,
			changes: map[string]any{annotationPointer(key): "/,/ws"}, warnings: idle},
		{name: "a user's list is kept and extended", obj: annotated(contourIngress, key+": /ws, /other"), facts: facts,
			changes: map[string]any{annotationPointer(key): "/ws, /other,/"}, warnings: idle},
		{name: "a complete list is left alone", obj: annotated(contourIngress, key+": /ws,/"), facts: facts, warnings: idle},
		{name: "another controller's Ingress gets nothing from Contour's rules", obj: replaceOnce(contourIngress, "ingressClassName: contour", "ingressClassName: other"), facts: facts,
			warnings: []string{"ingress-controller-unknown spec.ingressClassName"}},
	})
}

// TestHTTPProxyEnableWebsocketsIsASignal: a Service an HTTPProxy routes to with
// enableWebsockets: true is WebSocket on the port the route names, and so are the workloads it
// selects.
func TestHTTPProxyEnableWebsocketsIsASignal(t *testing.T) {
	proxy := object(t, `
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: board, namespace: demo}
spec:
  routes:
  - conditions: [{prefix: /live}]
    enableWebsockets: true
    services: [{name: board, port: 3000}]
  - services: [{name: board, port: 9000, protocol: h2c}]
`)
	svc := object(t, `{apiVersion: v1, kind: Service, metadata: {name: board, namespace: demo}, spec: {selector: {app: board}, ports: [{name: http, port: 3000}, {name: metrics, port: 9000}]}}`)
	facts := Facts{HTTPProxies: []unstructured.Unstructured{*proxy}}
	res := Evaluate(svc, DefaultPolicy(), facts)
	if !res.WebSocket {
		t.Fatalf("Service not recognised: %+v", res)
	}
	if want := "recognised as WebSocket because HTTPProxy board enables WebSockets on route 0 to Service board"; res.Reason.Sentence() != want || res.Reason.Signal != SignalController {
		t.Errorf("reason = %q (%s), want %q", res.Reason.Sentence(), res.Reason.Signal, want)
	}
	for _, c := range res.Changes {
		if c.Path == "/spec/ports/1/appProtocol" {
			t.Errorf("the metrics port, which the route does not name, was changed: %+v", c)
		}
	}

	facts.Services = ptrs(typed[corev1.Service](t, `{apiVersion: v1, kind: Service, metadata: {name: board, namespace: demo}, spec: {selector: {app: board}, ports: [{name: http, port: 3000, targetPort: 3000}]}}`))
	deploy := object(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: board, namespace: demo}
spec:
  selector: {matchLabels: {app: board}}
  template:
    metadata: {labels: {app: board}}
    spec:
      containers: [{name: board, image: example/board:1, ports: [{containerPort: 3000}]}]
`)
	if res := Evaluate(deploy, DefaultPolicy(), facts); !res.WebSocket || res.Reason.Signal != SignalController {
		t.Errorf("Deployment behind the Service: WebSocket = %v, reason %+v", res.WebSocket, res.Reason)
	}

	disabled := proxy.DeepCopy()
	unstructured.SetNestedSlice(disabled.Object, []any{map[string]any{"services": []any{map[string]any{"name": "board", "port": int64(3000)}}}}, "spec", "routes")
	if res := Evaluate(svc, DefaultPolicy(), Facts{HTTPProxies: []unstructured.Unstructured{*disabled}}); res.WebSocket {
		t.Errorf("a route without enableWebsockets made the Service WebSocket: %+v", res.Reason)
	}
}

// TestSlimCustomFactKeepsWhatDetectionReads: the slim copies the webhook's cache and the CLI
// hold of HTTPProxies, HTTPRoutes and Mappings keep exactly the fields detection reads, and
// detection through them finds what it finds through the whole objects.
func TestSlimCustomFactKeepsWhatDetectionReads(t *testing.T) {
	proxy := object(t, `
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: board, namespace: demo, annotations: {kubectl.kubernetes.io/last-applied-configuration: "{}", team: board}}
spec:
  virtualhost: {fqdn: board.example.com, tls: {secretName: board}}
  routes:
  - conditions: [{prefix: /live}]
    enableWebsockets: true
    timeoutPolicy: {response: 15s}
    services: [{name: board, port: 3000, weight: 100}]
`)
	slim := SlimCustomFact(proxy)
	want := map[string]any{"routes": []any{map[string]any{"enableWebsockets": true, "services": []any{map[string]any{"name": "board", "port": int64(3000)}}}}}
	if !reflect.DeepEqual(slim.Object["spec"], want) {
		t.Errorf("slim spec = %v, want %v", slim.Object["spec"], want)
	}
	if a := slim.GetAnnotations(); len(a) != 1 || a["team"] != "board" {
		t.Errorf("slim annotations = %v, want team only", a)
	}
	if _, ok := proxy.GetAnnotations()["kubectl.kubernetes.io/last-applied-configuration"]; !ok {
		t.Error("slimming changed the object it was made from")
	}
	svc := object(t, `{apiVersion: v1, kind: Service, metadata: {name: board, namespace: demo}, spec: {ports: [{name: http, port: 3000}]}}`)
	whole := Evaluate(svc, DefaultPolicy(), Facts{HTTPProxies: []unstructured.Unstructured{*proxy}})
	slimmed := Evaluate(svc, DefaultPolicy(), Facts{HTTPProxies: []unstructured.Unstructured{*slim}})
	if !whole.WebSocket || whole.Reason != slimmed.Reason || len(whole.Changes) != len(slimmed.Changes) {
		t.Errorf("through the whole HTTPProxy: %v %+v; through the slim one: %v %+v", whole.WebSocket, whole.Reason, slimmed.WebSocket, slimmed.Reason)
	}
	if other := object(t, `{apiVersion: v1, kind: ConfigMap, metadata: {name: x}}`); SlimCustomFact(other) != other {
		t.Error("a kind that is not a custom fact was copied")
	}
}
