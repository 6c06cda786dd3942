package defaults

import (
	"fmt"
	"reflect"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// autoscalingRules hold HorizontalPodAutoscalers that scale WebSocket workloads. Every pod a
// scale-down removes closes its WebSocket connections, and those clients reconnect to the pods
// that remain; the Kubernetes default lets one scale-down step remove every surplus pod at once
// (and pods removed by scaling are not held back by PodDisruptionBudgets).
var autoscalingRules = family("autoscaling", []Rule{
	{ID: "hpa-scale-down", Kind: KindHorizontalPodAutoscaler, Effects: Defaults, check: defaultGentleScaleDown,
		Summary: "give an HPA of a WebSocket workload a gradual scale-down (10% of the pods per minute after a 300s window) when it declares none"},
	{ID: "hpa-scale-down-policy", Kind: KindHorizontalPodAutoscaler, Effects: Warns, check: checkScaleDownPolicies,
		Summary: "warn when an HPA's scale-down may remove more than a quarter of a WebSocket workload's pods within a minute, or has no stabilization window"},
})

func (ev *evaluation) hpa() *autoscalingv2.HorizontalPodAutoscaler {
	return view[autoscalingv2.HorizontalPodAutoscaler](ev)
}

// The gradual scale-down wsguard writes. 300s is the HPA controller's own default window
// (--horizontal-pod-autoscaler-downscale-stabilization), kept so that load that dips for less
// than five minutes removes no pod; 10% per 60s replaces the API server's default policy of
// 100% per 15s. The controller rounds a Percent policy so that at least one pod may go per
// period, so small workloads still scale down. docs/rules/autoscaling.md explains the choice.
const (
	scaleDownWindowSeconds   = 300
	scaleDownPercent         = 10
	scaleDownPeriodSeconds   = 60
	aggressiveSharePerMinute = 25 // percent of the pods a scale-down may remove within a minute
)

var (
	scaleDownField = at("spec", "behavior", "scaleDown")
	scaleDownPath  = scaleDownField.Field()
)

// hpaIsWebSocket: an HPA whose scaleTargetRef names a Deployment or StatefulSet of the namespace
// that is WebSocket, recognised as the workload itself would be.
func hpaIsWebSocket(ev *evaluation) bool {
	ref := ev.hpa().Spec.ScaleTargetRef
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil || gv.Group != "apps" {
		return false
	}
	switch ref.Kind {
	case "Deployment":
		for i := range ev.facts.Deployments {
			if d := ev.facts.Deployments[i]; d.Name == ref.Name {
				return scaledWorkloadIsWebSocket(ev, KindDeployment, &d.ObjectMeta, &d.Spec.Template)
			}
		}
	case "StatefulSet":
		for i := range ev.facts.StatefulSets {
			if s := ev.facts.StatefulSets[i]; s.Name == ref.Name {
				return scaledWorkloadIsWebSocket(ev, KindStatefulSet, &s.ObjectMeta, &s.Spec.Template)
			}
		}
	}
	return false
}

// scaledWorkloadIsWebSocket recognises the workload an HPA scales in an evaluation of its own
// (its annotations, its reason), so that the HPA's reason names the workload it follows.
func scaledWorkloadIsWebSocket(ev *evaluation, gk schema.GroupKind, meta *metav1.ObjectMeta, tmpl *corev1.PodTemplateSpec) bool {
	if v, set := webSocketAnnotation(meta.Annotations); set {
		if v {
			ev.because(Reason{SignalAnnotation, fmt.Sprintf("it scales %s %s, which is annotated %s: \"true\"", gk.Kind, meta.Name, AnnotationWebSocket)})
		}
		return v
	}
	workload := &evaluation{policy: ev.policy, facts: ev.facts, gk: gk, annots: meta.Annotations}
	if len(webSocketContainers(workload, tmpl)) == 0 {
		return false
	}
	ev.because(workload.result.Reason.via("it scales %s %s", gk.Kind, meta.Name))
	return true
}

// serverDefaultScaleDown is what the API server writes into spec.behavior.scaleDown when a
// manifest declares a behavior without a scaleDown (k8s.io/kubernetes
// pkg/apis/autoscaling/v2/defaults.go): a webhook cannot tell it from a user's value, so it
// counts as unset, like terminationGracePeriodSeconds: 30.
func serverDefaultScaleDown(sd *autoscalingv2.HPAScalingRules) bool {
	return sd.StabilizationWindowSeconds == nil && sd.SelectPolicy != nil && *sd.SelectPolicy == autoscalingv2.MaxChangePolicySelect &&
		reflect.DeepEqual(sd.Policies, []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}})
}

// defaultGentleScaleDown writes a gradual scale-down when the HPA declares none, so that
// falling load moves WebSocket clients off a few pods at a time instead of disconnecting every
// surplus pod's clients in one step. A scaleDown the user wrote, whole or in part, is left as
// it is (hpa-scale-down-policy judges it).
func defaultGentleScaleDown(ev *evaluation) {
	var value any = map[string]any{
		"stabilizationWindowSeconds": int64(scaleDownWindowSeconds),
		"selectPolicy":               string(autoscalingv2.MaxChangePolicySelect),
		"policies": []any{map[string]any{
			"type": string(autoscalingv2.PercentScalingPolicy), "value": int64(scaleDownPercent), "periodSeconds": int64(scaleDownPeriodSeconds),
		}},
	}
	why := fmt.Sprintf("at most %d%% of the pods, and their WebSocket clients, per %ds once load has stayed low for %ds", scaleDownPercent, scaleDownPeriodSeconds, scaleDownWindowSeconds)
	b := ev.hpa().Spec.Behavior
	if b != nil && b.ScaleDown != nil && serverDefaultScaleDown(b.ScaleDown) {
		// The API server filled it in because the manifest declared only a scaleUp.
		ev.replaceServerDefault(scaleDownField, value, why)
		return
	}
	ev.setDefault(scaleDownField, value, why)
}

// checkScaleDownPolicies warns about a scale-down the user wrote that can disconnect many
// WebSocket clients at once: a policy that lets more than a quarter of the pods go within a
// minute, or a stabilization window of 0, which removes pods on every dip of the metric. A
// scaleDown that names no policies gets the API server's 100% per 15s, and is judged so.
// selectPolicy: Disabled never scales down, and Min applies the gentlest policy.
func checkScaleDownPolicies(ev *evaluation) {
	hpa := ev.hpa()
	if hpa.Spec.Behavior == nil || hpa.Spec.Behavior.ScaleDown == nil || serverDefaultScaleDown(hpa.Spec.Behavior.ScaleDown) {
		return // hpa-scale-down's to write, unless the user skipped it
	}
	sd := hpa.Spec.Behavior.ScaleDown
	if sd.SelectPolicy != nil && *sd.SelectPolicy == autoscalingv2.DisabledPolicySelect {
		return
	}
	if w := sd.StabilizationWindowSeconds; w != nil && *w == 0 {
		ev.warn(scaleDownPath.Child("stabilizationWindowSeconds"), "0 removes pods as soon as the metric dips, so WebSocket clients are disconnected by short lulls and reconnect when load returns; keep a window such as 300 (the controller's default)")
	}
	policies, path := sd.Policies, scaleDownPath.Child("policies")
	if len(policies) == 0 {
		policies = []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}
	}
	var aggressive []int
	for i, p := range policies {
		if share, ok := sharePerMinute(p, hpa.Spec.MaxReplicas); ok && share > aggressiveSharePerMinute {
			aggressive = append(aggressive, i)
		}
	}
	if sd.SelectPolicy != nil && *sd.SelectPolicy == autoscalingv2.MinChangePolicySelect && len(aggressive) < len(policies) {
		return // Min applies the gentlest policy, and one of them is gentle
	}
	fix := fmt.Sprintf("remove a small share per period, such as {type: Percent, value: %d, periodSeconds: %d}, so that clients move over a few at a time", scaleDownPercent, scaleDownPeriodSeconds)
	if len(sd.Policies) == 0 {
		ev.warn(path, "is empty, so the API server's default applies: every surplus pod may be removed within 15s, and all their WebSocket clients reconnect at once; "+fix)
		return
	}
	for _, i := range aggressive {
		p := policies[i]
		ev.warn(path.Index(i), fmt.Sprintf("{type: %s, value: %d, periodSeconds: %d} lets a scale-down remove more than %d%% of the pods within a minute, and all their WebSocket clients reconnect at once to the pods that remain; %s",
			p.Type, p.Value, p.PeriodSeconds, aggressiveSharePerMinute, fix))
	}
}

// sharePerMinute is the percentage of an HPA's pods a scale-down policy may remove within one
// minute: a policy allows its whole value at once in each period, so periods shorter than a
// minute add up. A Pods policy is judged against maxReplicas, the most pods the HPA keeps, and
// one that removes no more than one pod a minute is never counted as aggressive: that is as
// gradual as scaling gets.
func sharePerMinute(p autoscalingv2.HPAScalingPolicy, maxReplicas int32) (float64, bool) {
	if p.PeriodSeconds <= 0 {
		return 0, false // the API server rejects it
	}
	perMinute := float64(p.Value) * max(1, 60/float64(p.PeriodSeconds))
	switch p.Type {
	case autoscalingv2.PercentScalingPolicy:
		return perMinute, true
	case autoscalingv2.PodsScalingPolicy:
		if perMinute <= 1 || maxReplicas <= 0 {
			return 0, false
		}
		return 100 * perMinute / float64(maxReplicas), true
	}
	return 0, false
}
