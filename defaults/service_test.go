package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

const wsService = `
apiVersion: v1
kind: Service
metadata: {name: chat, namespace: demo}
spec:
  selector: {app: chat}
  sessionAffinity: None
  ports:
  - {name: websocket, port: 80, targetPort: 8080}
`

func TestServiceRules(t *testing.T) {
	defaulted := map[string]any{
		"/spec/sessionAffinity":       "ClientIP",
		"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
		"/spec/ports/0/appProtocol":   "kubernetes.io/ws",
	}
	before := typed[appsv1.Deployment](t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: before}\nspec:\n  template:\n    metadata: {labels: {app: chat}}\n    spec:\n      containers: [{name: chat, image: chat:1, ports: [{containerPort: 8080}]}]\n")
	drained := typed[appsv1.Deployment](t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: drained}\nspec:\n  template:\n    metadata: {labels: {app: chat}}\n    spec:\n      containers: [{name: chat, image: chat:1, ports: [{containerPort: 8080}], lifecycle: {preStop: {sleep: {seconds: 15}}}}]\n")
	other := typed[appsv1.Deployment](t, "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\nspec:\n  template:\n    metadata: {labels: {app: chat}}\n    spec:\n      containers: [{name: chat, image: chat:1, ports: [{containerPort: 9999}]}]\n")
	runRuleCases(t, []ruleCase{
		{
			name:     "a Deployment admitted before the Service made it WebSocket is pointed out",
			obj:      wsService,
			facts:    Facts{Deployments: ptrs(before)},
			changes:  defaulted,
			warnings: []string{"service-workloads-without-defaults "},
		},
		{
			name:    "a Deployment with a preStop hook, or whose ports the Service does not reach, is not",
			obj:     wsService,
			facts:   Facts{Deployments: ptrs(drained, other)},
			changes: defaulted,
		},
		{
			name: "ClientIP affinity and appProtocol are defaulted",
			obj:  wsService,
			changes: map[string]any{
				"/spec/sessionAffinity":       "ClientIP",
				"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
				"/spec/ports/0/appProtocol":   "kubernetes.io/ws",
			},
		},
		{
			name:    "affinity off by annotation",
			obj:     replaceOnce(wsService, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/affinity: 'false'}}"),
			changes: map[string]any{"/spec/ports/0/appProtocol": "kubernetes.io/ws"},
		},
		{
			name:    "headless Services get no affinity",
			obj:     replaceOnce(wsService, "  sessionAffinity: None", "  clusterIP: None"),
			changes: map[string]any{"/spec/ports/0/appProtocol": "kubernetes.io/ws"},
		},
		{
			name: "appProtocol alone marks the port, and is kept",
			obj:  replaceOnce(wsService, "{name: websocket, port: 80, targetPort: 8080}", "{name: web, port: 80, appProtocol: kubernetes.io/wss}"),
			changes: map[string]any{
				"/spec/sessionAffinity":       "ClientIP",
				"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
			},
		},
		{
			name: "an HTTP/2 appProtocol on a WebSocket port is denied",
			obj:  replaceOnce(wsService, "{name: websocket, port: 80, targetPort: 8080}", "{name: websocket, port: 80, appProtocol: kubernetes.io/h2c}"),
			changes: map[string]any{
				"/spec/sessionAffinity":       "ClientIP",
				"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
			},
			violations: []string{"service-http2-port spec.ports[0].appProtocol"},
		},
		{
			name: "a grpc name prefix on a WebSocket port is denied",
			obj:  replaceOnce(wsService, "{name: websocket, port: 80, targetPort: 8080}", "{name: grpc-ws, port: 80}"),
			changes: map[string]any{
				"/spec/sessionAffinity":       "ClientIP",
				"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
			},
			violations: []string{"service-http2-port spec.ports[0].name"},
		},
		{
			name: "grpc-websocket is a gRPC port, not gRPC-Web",
			obj:  replaceOnce(wsService, "{name: websocket, port: 80, targetPort: 8080}", "{name: grpc-websocket, port: 80}"),
			changes: map[string]any{
				"/spec/sessionAffinity":       "ClientIP",
				"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
			},
			violations: []string{"service-http2-port spec.ports[0].name"},
		},
		{
			name: "a grpc-web port carrying WebSockets is fine",
			obj:  replaceOnce(wsService, "{name: websocket, port: 80, targetPort: 8080}", "{name: grpc-web-ws, port: 80}"),
			changes: map[string]any{
				"/spec/sessionAffinity":       "ClientIP",
				"/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}},
				"/spec/ports/0/appProtocol":   "kubernetes.io/ws",
			},
		},
		{
			name: "a user's ClientIP timeout is kept",
			obj: replaceOnce(wsService, "  sessionAffinity: None",
				"  sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 600}}"),
			changes: map[string]any{"/spec/ports/0/appProtocol": "kubernetes.io/ws"},
		},
		{
			name:         "a plain HTTP Service is untouched",
			obj:          replaceOnce(wsService, "name: websocket", "name: http"),
			notWebSocket: true,
		},
	})
}
