package defaults

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// rolloutRules hold how many WebSocket pods go at once when a Deployment rolls out or a node is
// drained. They only warn: the API server writes a Deployment's rolling-update defaults before
// webhooks run, so wsguard cannot tell them from a user's values, and whether a
// PodDisruptionBudget exists is a fact about the cluster, which may gain one later.
var rolloutRules = family("rollout", []Rule{
	{ID: "deployment-rolling-update", Kind: KindDeployment, Effects: Warns, check: checkDeploymentRollingUpdate,
		Summary: "warn when a rolling update may stop WebSocket pods before their replacements are ready (maxUnavailable above 0)"},
	{ID: "deployment-disruption-budget", Kind: KindDeployment, Effects: Warns, check: checkDisruptionBudget,
		Summary: "warn when no PodDisruptionBudget covers the pods of two replicas or more, or one that covers them blocks every drain"},
	{ID: "statefulset-disruption-budget", Kind: KindStatefulSet, Effects: Warns, check: checkDisruptionBudget,
		Summary: "warn when no PodDisruptionBudget covers the pods of two replicas or more, or one that covers them blocks every drain"},
})

// The API server's rolling-update defaults (k8s.io/kubernetes pkg/apis/apps/v1/defaults.go).
var (
	// maxUnavailable and maxSurge both default to 25%.
	serverDefaultRollingUpdate = intstr.FromString("25%")
	deploymentMaxUnavailable   = field.NewPath("spec", "strategy", "rollingUpdate", "maxUnavailable")
)

// replicasOf is a workload's replica count as the API server defaults it (1 when unset).
func replicasOf(replicas *int32) int {
	if replicas == nil {
		return 1
	}
	return int(*replicas)
}

// checkDeploymentRollingUpdate warns when a rolling update may take WebSocket pods down before
// new ones are ready: their clients then reconnect to fewer pods than the load needs. The
// Deployment controller rounds maxUnavailable down against spec.replicas
// and maxSurge up, and stops one pod when both come to 0 (ResolveFenceposts in
// pkg/controller/deployment/util), so the default 25% stops no pod below four replicas; unset,
// they are the API server's 25%, as the stored object shows them.
func checkDeploymentRollingUpdate(ev *evaluation) {
	d := ev.deployment()
	if d.Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		return // deployment-recreate-strategy
	}
	maxUnavailable, maxSurge := &serverDefaultRollingUpdate, &serverDefaultRollingUpdate
	if ru := d.Spec.Strategy.RollingUpdate; ru != nil {
		maxUnavailable = cmp.Or(ru.MaxUnavailable, maxUnavailable)
		maxSurge = cmp.Or(ru.MaxSurge, maxSurge)
	}
	replicas := replicasOf(d.Spec.Replicas)
	n, err := intstr.GetScaledValueFromIntOrPercent(maxUnavailable, replicas, false)
	surge, err2 := intstr.GetScaledValueFromIntOrPercent(maxSurge, replicas, true)
	if err != nil || err2 != nil {
		return
	}
	if n == 0 && surge == 0 {
		n = 1 // the controller's own fallback when both round to 0
	}
	if n <= 0 {
		return
	}
	ev.warn(deploymentMaxUnavailable, fmt.Sprintf("%s lets a rolling update stop %d of the %d pods before their replacements are ready, and their WebSocket clients reconnect to the pods left; "+
		"write maxUnavailable: 0 with a maxSurge (such as 25%%), so that an old pod goes only once a new one is ready, and a minReadySeconds (such as 10) so that a new pod proves itself before the next old pod's clients move",
		maxUnavailable.String(), n, replicas))
}

// checkDisruptionBudget warns when no PodDisruptionBudget of the namespace selects the pods of
// a workload of two replicas or more: a node drain may then evict every pod of a node at once, and their clients
// reconnect together. It is only advice: the budget may be applied later, or by someone else,
// and the CLI says nothing when its input holds no budget at all
// (Facts.PodDisruptionBudgetsKnown). A budget that allows no eviction is warned about too: it
// blocks node drains and cluster upgrades, which then evict anyway when their timeout ends.
func checkDisruptionBudget(ev *evaluation) {
	if !ev.facts.PodDisruptionBudgetsKnown {
		return
	}
	tmpl := ev.podTemplate()
	var replicas *int32
	if ev.gk == KindStatefulSet {
		replicas = ev.statefulSet().Spec.Replicas
	} else {
		replicas = ev.deployment().Spec.Replicas
	}
	covered := false
	for i := range ev.facts.PodDisruptionBudgets {
		pdb := ev.facts.PodDisruptionBudgets[i]
		if !budgetSelects(pdb, tmpl.Labels) {
			continue
		}
		covered = true
		if why := blocksEveryDrain(pdb, replicas); why != "" {
			ev.warn(nil, fmt.Sprintf("PodDisruptionBudget %s, which covers this %s's pods, %s, so no pod can be evicted and node drains and upgrades stall until they give up and delete the pods anyway; write maxUnavailable: 1",
				pdb.Name, ev.gk.Kind, why))
		}
	}
	// One pod is evicted alone whatever the budget says, and a budget that keeps it running
	// would block every drain: there is nothing to advise below two replicas (an autoscaler
	// that scales the workload up changes the stored count, which the audit then judges).
	if !covered && replicasOf(replicas) > 1 {
		ev.warn(nil, fmt.Sprintf("no PodDisruptionBudget selects this %s's pods (%s), so a node drain may evict several at once and their WebSocket clients reconnect together; "+
			"add one with maxUnavailable: 1 and a selector matching these labels (not maxUnavailable: 0 or minAvailable: 100%%, which block every drain)",
			ev.gk.Kind, labelsText(tmpl.Labels)))
	}
}

// budgetSelects reports whether a PodDisruptionBudget selects pods with these labels. In
// policy/v1 an empty selector selects every pod of the namespace, and a missing one none.
func budgetSelects(pdb *policyv1.PodDisruptionBudget, podLabels map[string]string) bool {
	if pdb.Spec.Selector == nil {
		return false
	}
	sel, err := metav1.LabelSelectorAsSelector(pdb.Spec.Selector)
	return err == nil && sel.Matches(labels.Set(podLabels))
}

// blocksEveryDrain says how a budget allows no voluntary eviction, or "": maxUnavailable 0 (or
// 0%), minAvailable 100%, or a minAvailable count not below the workload's declared replicas.
func blocksEveryDrain(pdb *policyv1.PodDisruptionBudget, replicas *int32) string {
	if mu := pdb.Spec.MaxUnavailable; mu != nil {
		if n, err := intstr.GetScaledValueFromIntOrPercent(mu, 100, true); err == nil && n == 0 {
			return "has maxUnavailable: " + mu.String()
		}
		return ""
	}
	ma := pdb.Spec.MinAvailable
	if ma == nil {
		return ""
	}
	if ma.Type == intstr.String {
		if n, err := intstr.GetScaledValueFromIntOrPercent(ma, 100, true); err == nil && n >= 100 {
			return "has minAvailable: " + ma.String()
		}
		return ""
	}
	if replicas != nil && ma.IntVal >= *replicas {
		return fmt.Sprintf("has minAvailable: %d, not fewer than the %d replicas", ma.IntVal, *replicas)
	}
	return ""
}

// labelsText writes labels as a selector would, sorted.
func labelsText(l map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(l)) {
		parts = append(parts, k+"="+l[k])
	}
	return strings.Join(parts, ",")
}
