package defaults

import (
	"testing"

	policyv1 "k8s.io/api/policy/v1"
)

// rolledOut is a WebSocket Deployment that already has wsguard's pod-template defaults, so
// that the rows show only the rollout rules.
const rolledOut = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
  namespace: demo
  annotations:
    team: chat
spec:
  replicas: 8
  selector: {matchLabels: {app: chat}}
  template:
    metadata: {labels: {app: chat, tier: web}}
    spec:
      terminationGracePeriodSeconds: 45
      containers:
      - name: chat
        image: example/chat:1
        ports: [{name: websocket, containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}}
        lifecycle: {preStop: {sleep: {seconds: 15}}}
`

func budget(t *testing.T, spec string) policyv1.PodDisruptionBudget {
	t.Helper()
	return typed[policyv1.PodDisruptionBudget](t, "apiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: chat, namespace: demo}\nspec: "+spec+"\n")
}

func TestRolloutRules(t *testing.T) {
	safe := replaceOnce(rolledOut, "  replicas: 8\n", "  replicas: 8\n  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 25%}}\n")
	strategy := func(s string) string {
		return replaceOnce(rolledOut, "  replicas: 8\n", "  replicas: 8\n  strategy: "+s+"\n")
	}
	withBudget := func(specs ...string) Facts {
		f := Facts{PodDisruptionBudgetsKnown: true}
		for _, s := range specs {
			f.PodDisruptionBudgets = append(f.PodDisruptionBudgets, ptrs(budget(t, s))...)
		}
		return f
	}
	covered := withBudget("{maxUnavailable: 1, selector: {matchLabels: {app: chat}}}")
	rolling := "deployment-rolling-update spec.strategy.rollingUpdate.maxUnavailable"
	noBudget := "deployment-disruption-budget "

	runRuleCases(t, []ruleCase{
		{name: "the default 25% stops two of eight pods before their replacements are ready", obj: rolledOut, warnings: []string{rolling}},
		{name: "the API server's stored 25% is judged the same", obj: strategy("{type: RollingUpdate, rollingUpdate: {maxUnavailable: 25%, maxSurge: 25%}}"), warnings: []string{rolling}},
		{name: "maxUnavailable 0 with a surge is fine", obj: safe},
		{name: "25% of three pods rounds down to none", obj: replaceOnce(rolledOut, "replicas: 8", "replicas: 3")},
		{name: "an unset replica count is one pod, and 25% of it is none", obj: replaceOnce(rolledOut, "  replicas: 8\n", "")},
		{name: "both rounded to 0, the controller stops one pod", obj: replaceOnce(strategy("{rollingUpdate: {maxUnavailable: 10%, maxSurge: 0}}"), "replicas: 8", "replicas: 2"), warnings: []string{rolling}},
		{name: "Recreate is left to deployment-recreate-strategy", obj: strategy("{type: Recreate}"),
			warnings: []string{"deployment-recreate-strategy spec.strategy.type"}},
		{name: "the CLI says nothing of budgets when its input has none", obj: safe},
		{name: "a workload no budget covers is warned about", obj: safe,
			facts: withBudget("{maxUnavailable: 1, selector: {matchLabels: {app: other}}}"), warnings: []string{noBudget}},
		{name: "a single replica needs no budget: it is evicted alone anyway", obj: replaceOnce(safe, "replicas: 8", "replicas: 1"), facts: withBudget()},
		{name: "an unset replica count is one pod, and needs no budget", obj: replaceOnce(safe, "  replicas: 8\n", ""), facts: withBudget()},
		{name: "two replicas no budget covers are warned about", obj: replaceOnce(safe, "replicas: 8", "replicas: 2"), facts: withBudget(), warnings: []string{noBudget}},
		{name: "a budget that blocks every drain is named even for one replica", obj: replaceOnce(safe, "replicas: 8", "replicas: 1"),
			facts: withBudget("{minAvailable: 1, selector: {matchLabels: {app: chat}}}"), warnings: []string{noBudget}},
		{name: "a budget with no selector covers no pod", obj: safe, facts: withBudget("{maxUnavailable: 1}"), warnings: []string{noBudget}},
		{name: "a budget with maxUnavailable 1 is fine", obj: safe, facts: covered},
		{name: "an empty selector covers every pod of the namespace", obj: safe, facts: withBudget("{maxUnavailable: 1, selector: {}}")},
		{name: "a matchExpressions selector is followed", obj: safe,
			facts: withBudget("{minAvailable: 50%, selector: {matchExpressions: [{key: tier, operator: In, values: [web]}]}}")},
		{name: "maxUnavailable 0 blocks every drain", obj: safe,
			facts: withBudget("{maxUnavailable: 0, selector: {matchLabels: {app: chat}}}"), warnings: []string{noBudget}},
		{name: "maxUnavailable 0% blocks every drain", obj: safe,
			facts: withBudget(`{maxUnavailable: "0%", selector: {matchLabels: {app: chat}}}`), warnings: []string{noBudget}},
		{name: "minAvailable 100% blocks every drain", obj: safe,
			facts: withBudget("{minAvailable: 100%, selector: {matchLabels: {app: chat}}}"), warnings: []string{noBudget}},
		{name: "minAvailable as many as the replicas blocks every drain", obj: safe,
			facts: withBudget("{minAvailable: 8, selector: {matchLabels: {app: chat}}}"), warnings: []string{noBudget}},
		{name: "minAvailable below the replicas is fine", obj: safe,
			facts: withBudget("{minAvailable: 6, selector: {matchLabels: {app: chat}}}")},
		{name: "a StatefulSet no budget covers is warned about",
			obj:   replaceOnce(replaceOnce(safe, "kind: Deployment", "kind: StatefulSet"), "  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 25%}}\n", "  serviceName: chat\n"),
			facts: withBudget(), warnings: []string{"statefulset-disruption-budget "}},
		{name: "a StatefulSet a budget covers is fine",
			obj:   replaceOnce(replaceOnce(safe, "kind: Deployment", "kind: StatefulSet"), "  strategy: {rollingUpdate: {maxUnavailable: 0, maxSurge: 25%}}\n", "  serviceName: chat\n"),
			facts: covered},
		{name: "a Deployment that is not WebSocket is left alone", obj: replaceOnce(rolledOut, "name: websocket,", "name: http,"),
			facts: withBudget(), notWebSocket: true},
	})
}
