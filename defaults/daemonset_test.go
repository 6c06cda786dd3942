package defaults

import (
	"testing"
)

const wsDaemonSet = `
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: edge
  namespace: demo
  annotations:
    team: chat
spec:
  selector: {matchLabels: {app: edge}}
  template:
    metadata: {labels: {app: edge}}
    spec:
      containers:
      - name: proxy
        image: example/edge-proxy:1
        ports: [{name: http, containerPort: 8080}]
`

func TestDaemonSetRules(t *testing.T) {
	defaulted := map[string]any{
		"/spec/template/spec/containers/0/lifecycle":        map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
		"/spec/template/spec/terminationGracePeriodSeconds": 45,
	}
	readiness := "daemonset-readiness-probe spec.template.spec.containers[0].readinessProbe"
	marked := annotated(wsDaemonSet, `wsguard.io/websocket: "true"`)
	withStrategy := func(s string) string {
		return replaceOnce(marked, "  selector: {matchLabels: {app: edge}}", "  selector: {matchLabels: {app: edge}}\n  updateStrategy: "+s)
	}
	runRuleCases(t, []ruleCase{
		{name: "a DaemonSet that says nothing of WebSockets is left alone", obj: wsDaemonSet, notWebSocket: true},
		{name: "a DaemonSet selected by a WebSocket Service gets the pod-template defaults", obj: wsDaemonSet,
			facts:   Facts{Services: ptrs(service(t, "apiVersion: v1\nkind: Service\nmetadata: {name: edge}\nspec:\n  selector: {app: edge}\n  ports: [{name: ws, port: 80, targetPort: 8080}]\n"))},
			changes: defaulted, warnings: []string{readiness}},
		{name: "a container port named ws is enough", obj: replaceOnce(wsDaemonSet, "name: http, containerPort", "name: ws, containerPort"),
			changes: defaulted, warnings: []string{readiness}},
		{name: "a grace period inside the preStop sleep is denied", obj: replaceOnce(marked, "      containers:", "      terminationGracePeriodSeconds: 10\n      containers:"),
			changes:    map[string]any{"/spec/template/spec/containers/0/lifecycle": map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}}},
			violations: []string{"daemonset-grace-period spec.template.spec.terminationGracePeriodSeconds"}, warnings: []string{readiness}},
		{name: "a rolling update over a quarter of the nodes is warned about", obj: withStrategy("{rollingUpdate: {maxUnavailable: 25%}}"),
			changes: defaulted, warnings: []string{readiness, "daemonset-update-strategy spec.updateStrategy.rollingUpdate.maxUnavailable"}},
		{name: "three nodes at once is warned about", obj: withStrategy("{rollingUpdate: {maxUnavailable: 3}}"),
			changes: defaulted, warnings: []string{readiness, "daemonset-update-strategy spec.updateStrategy.rollingUpdate.maxUnavailable"}},
		{name: "one node at a time is fine", obj: withStrategy("{rollingUpdate: {maxUnavailable: 1, maxSurge: 0}}"),
			changes: defaulted, warnings: []string{readiness}},
		{name: "OnDelete is fine", obj: withStrategy("{type: OnDelete}"),
			changes: defaulted, warnings: []string{readiness}},
	})
}
