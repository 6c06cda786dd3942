package defaults

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

const chatHPA = `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: chat}
  minReplicas: 2
  maxReplicas: 20
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 70}}
`

const scaledWorkload = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: chat, namespace: demo}
spec:
  selector: {matchLabels: {app: chat}}
  template:
    metadata: {labels: {app: chat}}
    spec:
      containers:
      - name: chat
        image: example/chat:1
        ports: [{name: http, containerPort: 8080}]
`

func TestAutoscalingRules(t *testing.T) {
	wsDeployment := typed[appsv1.Deployment](t, replaceOnce(scaledWorkload, "name: http,", "name: websocket,"))
	plainDeployment := typed[appsv1.Deployment](t, scaledWorkload)
	markedDeployment := typed[appsv1.Deployment](t, replaceOnce(scaledWorkload, "metadata: {name: chat, namespace: demo}", "metadata: {name: chat, namespace: demo, annotations: {wsguard.io/websocket: \"true\"}}"))
	optedOut := typed[appsv1.Deployment](t, replaceOnce(scaledWorkload, "name: http,", "name: websocket,"))
	optedOut.Annotations = map[string]string{AnnotationWebSocket: "false"}
	wsStatefulSet := typed[appsv1.StatefulSet](t, replaceOnce(replaceOnce(scaledWorkload, "kind: Deployment", "kind: StatefulSet"), "name: http,", "name: websocket,"))
	wsFacts := Facts{Deployments: ptrs(wsDeployment)}

	gentle := map[string]any{"/spec/behavior": map[string]any{"scaleDown": map[string]any{
		"stabilizationWindowSeconds": 300, "selectPolicy": "Max",
		"policies": []any{map[string]any{"type": "Percent", "value": 10, "periodSeconds": 60}},
	}}}
	withBehavior := func(b string) string { return chatHPA + "  behavior:\n" + b }
	policyWarning := "hpa-scale-down-policy spec.behavior.scaleDown.policies[0]"

	runRuleCases(t, []ruleCase{
		{name: "an HPA of a Deployment that says nothing of WebSockets is left alone", obj: chatHPA,
			facts: Facts{Deployments: ptrs(plainDeployment)}, notWebSocket: true},
		{name: "an HPA whose target is not in the namespace is left alone", obj: chatHPA, notWebSocket: true},
		{name: "an HPA of a Deployment that opted out is left alone", obj: chatHPA,
			facts: Facts{Deployments: ptrs(optedOut)}, notWebSocket: true},
		{name: "an HPA of a WebSocket Deployment gets a gradual scale-down", obj: chatHPA, facts: wsFacts, changes: gentle},
		{name: "a Deployment marked by annotation is WebSocket for its HPA", obj: chatHPA,
			facts: Facts{Deployments: ptrs(markedDeployment)}, changes: gentle},
		{name: "a Deployment selected by a WebSocket Service is WebSocket for its HPA", obj: chatHPA,
			facts: Facts{Deployments: ptrs(plainDeployment), Services: ptrs(
				service(t, "apiVersion: v1\nkind: Service\nmetadata: {name: chat}\nspec:\n  selector: {app: chat}\n  ports: [{name: ws, port: 80, targetPort: 8080}]\n"))},
			changes: gentle},
		{name: "an HPA of a WebSocket StatefulSet gets a gradual scale-down",
			obj:   replaceOnce(chatHPA, "kind: Deployment", "kind: StatefulSet"),
			facts: Facts{StatefulSets: ptrs(wsStatefulSet)}, changes: gentle},
		{name: "a behavior with only a scaleUp gets a scaleDown beside it",
			obj: withBehavior("    scaleUp: {stabilizationWindowSeconds: 0}\n"), facts: wsFacts,
			changes: map[string]any{"/spec/behavior/scaleDown": gentle["/spec/behavior"].(map[string]any)["scaleDown"]}},
		{name: "the scaleDown the API server writes beside a scaleUp counts as unset",
			obj:   withBehavior("    scaleUp: {stabilizationWindowSeconds: 0}\n    scaleDown: {selectPolicy: Max, policies: [{type: Percent, value: 100, periodSeconds: 15}]}\n"),
			facts: wsFacts, changes: map[string]any{"/spec/behavior/scaleDown": gentle["/spec/behavior"].(map[string]any)["scaleDown"]}},
		{name: "a user's gradual scale-down is kept",
			obj:   withBehavior("    scaleDown: {stabilizationWindowSeconds: 600, policies: [{type: Pods, value: 1, periodSeconds: 120}]}\n"),
			facts: wsFacts},
		{name: "a user's scaleDown without policies is kept, with a warning about the default policy it gets",
			obj:   withBehavior("    scaleDown: {stabilizationWindowSeconds: 600}\n"),
			facts: wsFacts, warnings: []string{"hpa-scale-down-policy spec.behavior.scaleDown.policies"}},
		{name: "half of the pods per period is warned about",
			obj:   withBehavior("    scaleDown: {policies: [{type: Percent, value: 50, periodSeconds: 60}]}\n"),
			facts: wsFacts, warnings: []string{policyWarning}},
		{name: "10% every 15s adds up to 40% a minute and is warned about",
			obj:   withBehavior("    scaleDown: {policies: [{type: Percent, value: 10, periodSeconds: 15}]}\n"),
			facts: wsFacts, warnings: []string{policyWarning}},
		{name: "ten pods a minute out of twenty is warned about",
			obj:   withBehavior("    scaleDown: {policies: [{type: Pods, value: 10, periodSeconds: 60}]}\n"),
			facts: wsFacts, warnings: []string{policyWarning}},
		{name: "one pod a minute is gradual whatever maxReplicas is",
			obj:   replaceOnce(withBehavior("    scaleDown: {policies: [{type: Pods, value: 1, periodSeconds: 60}]}\n"), "maxReplicas: 20", "maxReplicas: 2"),
			facts: wsFacts},
		{name: "Min applies the gentlest policy, so one gentle policy is enough",
			obj:   withBehavior("    scaleDown: {selectPolicy: Min, policies: [{type: Percent, value: 100, periodSeconds: 15}, {type: Pods, value: 1, periodSeconds: 60}]}\n"),
			facts: wsFacts},
		{name: "Max applies the largest policy, so the aggressive one is named",
			obj:   withBehavior("    scaleDown: {selectPolicy: Max, policies: [{type: Pods, value: 1, periodSeconds: 60}, {type: Percent, value: 100, periodSeconds: 15}]}\n"),
			facts: wsFacts, warnings: []string{"hpa-scale-down-policy spec.behavior.scaleDown.policies[1]"}},
		{name: "a disabled scale-down is fine",
			obj:   withBehavior("    scaleDown: {selectPolicy: Disabled, stabilizationWindowSeconds: 0, policies: [{type: Percent, value: 100, periodSeconds: 15}]}\n"),
			facts: wsFacts},
		{name: "a stabilization window of 0 is warned about",
			obj:   withBehavior("    scaleDown: {stabilizationWindowSeconds: 0, policies: [{type: Percent, value: 10, periodSeconds: 60}]}\n"),
			facts: wsFacts, warnings: []string{"hpa-scale-down-policy spec.behavior.scaleDown.stabilizationWindowSeconds"}},
		{name: "skipping hpa-scale-down keeps the Kubernetes default without a warning",
			obj: annotated(chatHPA, "wsguard.io/skip-rules: hpa-scale-down"), facts: wsFacts},
	})
}
