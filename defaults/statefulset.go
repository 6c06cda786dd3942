package defaults

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// statefulSetRules hold WebSocket StatefulSets, which many self-hosted WebSocket applications
// ship as: the pod-template rules Deployments get (drain before SIGTERM, time to close
// connections, readiness), and how many pods a rolling update takes down at once.
var statefulSetRules = family("statefulset", []Rule{
	{ID: "statefulset-prestop-sleep", Kind: KindStatefulSet, Effects: Defaults | Warns, check: injectPreStopSleep,
		Summary: "inject a native preStop sleep into WebSocket containers; warn on exec sleep"},
	{ID: "statefulset-grace-period", Kind: KindStatefulSet, Effects: Defaults | Denies | Warns, check: coverDrainWithGracePeriod,
		Summary:     "make terminationGracePeriodSeconds cover preStop + drain; deny one not longer than the preStop sleep",
		Remediation: "set terminationGracePeriodSeconds to at least the preStop sleep plus the drain time"},
	{ID: "statefulset-readiness-probe", Kind: KindStatefulSet, Effects: Warns, check: checkReadiness,
		Summary: "warn when a WebSocket container has no readiness probe"},
	{ID: "statefulset-update-strategy", Kind: KindStatefulSet, Effects: Warns, check: checkStatefulSetUpdateStrategy,
		Summary: "warn when a rolling update may take down more than one pod at a time"},
})

var maxUnavailablePath = field.NewPath("spec", "updateStrategy", "rollingUpdate", "maxUnavailable")

// checkStatefulSetUpdateStrategy warns when a rolling update may stop several pods at once
// (rollingUpdate.maxUnavailable above one pod): every WebSocket client of those pods
// disconnects and reconnects together. A StatefulSet replaces one pod at a time by default.
func checkStatefulSetUpdateStrategy(ev *evaluation) {
	sts := ev.statefulSet()
	ru := sts.Spec.UpdateStrategy.RollingUpdate
	if sts.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType || ru == nil || ru.MaxUnavailable == nil {
		return
	}
	replicas := 1
	if sts.Spec.Replicas != nil {
		replicas = int(*sts.Spec.Replicas)
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, replicas, true)
	if err != nil || n <= 1 {
		return
	}
	ev.warn(maxUnavailablePath, fmt.Sprintf("%s lets a rolling update stop %d pods at once, and every WebSocket client of those pods reconnects at the same moment; use 1 (the default) so that clients move over one pod at a time",
		ru.MaxUnavailable.String(), n))
}
