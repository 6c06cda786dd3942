package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

const linkerdServer = `
apiVersion: policy.linkerd.io/v1beta3
kind: Server
metadata: {name: chat, namespace: demo}
spec:
  podSelector: {matchLabels: {app: chat}}
  port: 8080
  proxyProtocol: HTTP/2
`

func TestLinkerdServerRules(t *testing.T) {
	facts := meshFacts(t)
	var d appsv1.Deployment
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(object(t, wsDeployment).Object, &d); err != nil {
		t.Fatal(err)
	}
	viaDeployment := Facts{Deployments: ptrs(d)}
	runRuleCases(t, []ruleCase{
		{name: "HTTP/2 on the port a WebSocket Service targets is denied", obj: linkerdServer, facts: facts,
			violations: []string{"linkerd-server-protocol spec.proxyProtocol"}},
		{name: "gRPC is denied too", obj: replaceOnce(linkerdServer, "HTTP/2", "gRPC"), facts: facts,
			violations: []string{"linkerd-server-protocol spec.proxyProtocol"}},
		{name: "opaque is warned about", obj: replaceOnce(linkerdServer, "HTTP/2", "opaque"), facts: facts,
			warnings: []string{"linkerd-server-protocol spec.proxyProtocol"}},
		{name: "HTTP/1 is fine", obj: replaceOnce(linkerdServer, "HTTP/2", "HTTP/1"), facts: facts},
		{name: "a port named like a WebSocket container port resolves through Deployments", obj: replaceOnce(linkerdServer, "port: 8080", "port: websocket"), facts: viaDeployment,
			violations: []string{"linkerd-server-protocol spec.proxyProtocol"}},
		{name: "another port of the same pods is not WebSocket", obj: replaceOnce(linkerdServer, "port: 8080", "port: 9090"), facts: facts, notWebSocket: true},
		{name: "a Server selecting other pods is not WebSocket", obj: replaceOnce(linkerdServer, "app: chat", "app: api"), facts: facts, notWebSocket: true},
		{name: "a Server on external workloads selects no pods", obj: replaceOnce(linkerdServer, "podSelector: {matchLabels: {app: chat}}", "externalWorkloadSelector: {matchLabels: {app: chat}}"), facts: facts, notWebSocket: true},
	})
}

func TestLinkerdServiceAnnotations(t *testing.T) {
	svc := "apiVersion: v1\nkind: Service\nmetadata:\n  name: chat\n  annotations:\n    team: chat\nspec:\n  ports: [{name: ws, port: 80}]\n"
	defaulted := map[string]any{
		"/spec/sessionAffinity":       "ClientIP",
		"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
		"/spec/ports/0/appProtocol":   "kubernetes.io/ws",
	}
	runRuleCases(t, []ruleCase{
		{
			name:    "proxy annotations on a Service are warned about; opaque-ports is read there and is not",
			obj:     annotated(svc, `linkerd.io/inject: enabled`, `config.alpha.linkerd.io/proxy-wait-before-exit-seconds: "30"`, `config.linkerd.io/opaque-ports: "5432"`),
			changes: defaulted,
			warnings: []string{
				"linkerd-service-proxy-annotations metadata.annotations[linkerd.io/inject]",
				"linkerd-service-proxy-annotations metadata.annotations[config.alpha.linkerd.io/proxy-wait-before-exit-seconds]",
			},
		},
	})
}
