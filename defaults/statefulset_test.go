package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

const wsStatefulSet = `
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  serviceName: chat
  replicas: 4
  selector: {matchLabels: {app: chat}}
  template:
    metadata: {labels: {app: chat}}
    spec:
      containers:
      - name: app
        image: chat:1
        ports: [{name: http, containerPort: 8080}]
`

func TestStatefulSetRules(t *testing.T) {
	preStop := map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}}
	defaulted := map[string]any{
		"/spec/template/spec/containers/0/lifecycle":        preStop,
		"/spec/template/spec/terminationGracePeriodSeconds": 45,
	}
	readiness := "statefulset-readiness-probe spec.template.spec.containers[0].readinessProbe"
	var sts appsv1.StatefulSet
	sts.Name = "chat"
	sts.Spec.Template.Labels = map[string]string{"app": "chat"}
	sts.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "louislam/uptime-kuma:1", Ports: []corev1.ContainerPort{{ContainerPort: 3001}}}}
	runRuleCases(t, []ruleCase{
		{
			name:         "a StatefulSet that says nothing of WebSockets is left alone",
			obj:          wsStatefulSet,
			notWebSocket: true,
		},
		{
			name:     "a StatefulSet selected by a WebSocket Service gets the pod-template defaults",
			obj:      wsStatefulSet,
			facts:    Facts{Services: ptrs(service(t, "apiVersion: v1\nkind: Service\nmetadata: {name: chat}\nspec:\n  selector: {app: chat}\n  ports: [{name: ws, port: 80, targetPort: 8080}]\n"))},
			changes:  defaulted,
			warnings: []string{readiness},
		},
		{
			name:     "a StatefulSet running a known application is WebSocket",
			obj:      replaceOnce(wsStatefulSet, "image: chat:1", "image: ghcr.io/home-assistant/home-assistant:2024.1"),
			changes:  defaulted,
			warnings: []string{readiness},
		},
		{
			name:       "a grace period inside the preStop sleep is denied",
			obj:        replaceOnce(annotated(wsStatefulSet, `wsguard.io/websocket: "true"`), "      containers:", "      terminationGracePeriodSeconds: 10\n      containers:\n      - name: sidecar\n        image: x\n        lifecycle: {preStop: {sleep: {seconds: 20}}}\n        ports: [{name: ws, containerPort: 9000}]"),
			violations: []string{"statefulset-grace-period spec.template.spec.terminationGracePeriodSeconds"},
			warnings:   []string{"statefulset-readiness-probe spec.template.spec.containers[0].readinessProbe"},
		},
		{
			name: "a rolling update that stops half the pods at once is warned about",
			obj: replaceOnce(annotated(wsStatefulSet, `wsguard.io/websocket: "true"`), "  serviceName: chat",
				"  serviceName: chat\n  updateStrategy: {rollingUpdate: {maxUnavailable: 50%}}"),
			changes:  defaulted,
			warnings: []string{readiness, "statefulset-update-strategy spec.updateStrategy.rollingUpdate.maxUnavailable"},
		},
		{
			name: "maxUnavailable 1 is the safe default",
			obj: replaceOnce(annotated(wsStatefulSet, `wsguard.io/websocket: "true"`), "  serviceName: chat",
				"  serviceName: chat\n  updateStrategy: {rollingUpdate: {maxUnavailable: 1}}"),
			changes:  defaulted,
			warnings: []string{readiness},
		},
		{
			name:     "a Service in front of a StatefulSet running a known application is WebSocket",
			obj:      "apiVersion: v1\nkind: Service\nmetadata: {name: kuma}\nspec:\n  selector: {app: chat}\n  ports: [{name: http, port: 80, targetPort: 3001}]\n",
			facts:    Facts{StatefulSets: ptrs(sts)},
			changes:  map[string]any{"/spec/sessionAffinity": "ClientIP", "/spec/sessionAffinityConfig": map[string]any{"clientIP": map[string]any{"timeoutSeconds": 10800}}},
			warnings: []string{"service-workloads-without-defaults "},
		},
	})
}
