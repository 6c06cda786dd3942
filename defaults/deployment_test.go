package defaults

import (
	"testing"
)

const wsDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: chat, namespace: demo}
spec:
  selector: {matchLabels: {app: chat}}
  template:
    metadata: {labels: {app: chat}}
    spec:
      containers:
      - name: app
        image: chat:1
        ports: [{name: websocket, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}}
      - name: metrics
        image: exporter:1
        ports: [{name: metrics, containerPort: 9090}]
`

var preStopPointer = "/spec/template/spec/containers/0/lifecycle"

func TestDeploymentRules(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{
			// A native sidecar (restartPolicy: Always) that serves the WebSocket port is stopped
			// after the main containers, and needs the drain as much as they do.
			name: "a native sidecar serving a WebSocket port gets the preStop sleep",
			obj: replaceOnce(wsDeployment, "      containers:", `      initContainers:
      - name: proxy
        image: proxy:1
        restartPolicy: Always
        ports: [{name: ws-proxy, containerPort: 9000}]
        readinessProbe: {tcpSocket: {port: 9000}}
      containers:`),
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/initContainers/0/lifecycle":    map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
			},
		},
		{
			name: "an ordinary init container is not a serving container",
			obj: replaceOnce(wsDeployment, "      containers:", `      initContainers:
      - name: migrate
        image: migrate:1
        ports: [{name: ws-setup, containerPort: 9000}]
      containers:`),
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
			},
		},
		{
			name: "WebSocket container gets a native preStop sleep and a grace period that covers it",
			obj:  wsDeployment,
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
			},
		},
		{
			name: "the API server's default grace period of 30 is raised",
			obj:  replaceOnce(wsDeployment, "      containers:", "      terminationGracePeriodSeconds: 30\n      containers:"),
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
			},
		},
		{
			name: "a user's grace period is kept, with a warning when it leaves less than the drain time",
			obj:  replaceOnce(wsDeployment, "      containers:", "      terminationGracePeriodSeconds: 20\n      containers:"),
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
			},
			warnings: []string{"deployment-grace-period spec.template.spec.terminationGracePeriodSeconds"},
		},
		{
			name: "a grace period not longer than the preStop sleep is denied",
			obj:  replaceOnce(wsDeployment, "      containers:", "      terminationGracePeriodSeconds: 10\n      containers:"),
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
			},
			violations: []string{"deployment-grace-period spec.template.spec.terminationGracePeriodSeconds"},
		},
		{
			name: "a user's preStop hook is kept; an exec sleep is warned about",
			obj: replaceOnce(wsDeployment, "        image: chat:1\n",
				"        image: chat:1\n        lifecycle: {preStop: {exec: {command: [sh, -c, sleep 20]}}}\n"),
			changes:  map[string]any{"/spec/template/spec/terminationGracePeriodSeconds": 50},
			warnings: []string{"deployment-prestop-sleep spec.template.spec.containers[0].lifecycle.preStop.exec"},
		},
		{
			name: "per-object overrides change the injected values",
			obj: replaceOnce(wsDeployment, "metadata: {name: chat, namespace: demo}",
				"metadata: {name: chat, namespace: demo, annotations: {wsguard.io/prestop-seconds: '5', wsguard.io/drain-seconds: '60'}}"),
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 5}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 65,
			},
		},
		{
			name:       "an override with a unit is a violation and nothing is injected",
			obj:        replaceOnce(wsDeployment, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/prestop-seconds: 15s}}"),
			violations: []string{"policy-override metadata.annotations[wsguard.io/prestop-seconds]"},
		},
		{
			name:       "an odd wsguard.io/websocket value is a violation",
			obj:        replaceOnce(wsDeployment, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/websocket: 'yes'}}"),
			violations: []string{"websocket-annotation metadata.annotations[wsguard.io/websocket]"},
		},
		{
			name:         "wsguard.io/websocket=false opts out",
			obj:          replaceOnce(wsDeployment, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/websocket: 'false'}}"),
			notWebSocket: true,
		},
		{
			name:    "skipped rules do not run",
			obj:     replaceOnce(wsDeployment, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/skip-rules: 'deployment-grace-period'}}"),
			changes: map[string]any{preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}}},
		},
		{
			name:       "an unknown rule in skip-rules is a violation",
			obj:        replaceOnce(wsDeployment, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/skip-rules: 'no-such-rule'}}"),
			violations: []string{"policy-override metadata.annotations[wsguard.io/skip-rules]"},
		},
		{
			name:         "a Deployment without WebSocket signals is untouched",
			obj:          replaceOnce(wsDeployment, "name: websocket", "name: http"),
			notWebSocket: true,
		},
		{
			name: "pods selected by a WebSocket Service are WebSocket; only the targeted container is drained",
			obj:  replaceOnce(wsDeployment, "name: websocket", "name: http"),
			facts: Facts{Services: ptrs(service(t, `
apiVersion: v1
kind: Service
metadata: {name: chat}
spec:
  selector: {app: chat}
  ports: [{name: ws, port: 80, targetPort: 8080}]`))},
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
			},
		},
		{
			name: "missing readiness probe and Recreate are warned about",
			obj: replaceOnce(replaceOnce(wsDeployment, "        readinessProbe: {tcpSocket: {port: 8080}}\n", ""),
				"  selector:", "  strategy: {type: Recreate}\n  selector:"),
			changes: map[string]any{
				preStopPointer: map[string]any{"preStop": map[string]any{"sleep": map[string]any{"seconds": 15}}},
				"/spec/template/spec/terminationGracePeriodSeconds": 45,
			},
			warnings: []string{
				"deployment-readiness-probe spec.template.spec.containers[0].readinessProbe",
				"deployment-recreate-strategy spec.strategy.type",
			},
		},
	})
}

func TestDeploymentRecordsAppliedRules(t *testing.T) {
	res := Evaluate(object(t, wsDeployment), DefaultPolicy(), Facts{})
	got, _, _ := unstructuredString(res.Object.Object, "metadata", "annotations", AnnotationAppliedRules)
	if got != "deployment-grace-period,deployment-prestop-sleep" {
		t.Fatalf("applied-rules annotation = %q", got)
	}
}
