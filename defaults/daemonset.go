package defaults

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// daemonSetRules hold WebSocket DaemonSets (a node-local gateway or agent that terminates
// WebSockets on every node): the pod-template rules Deployments get, and how many nodes a rolling
// update takes down at once. DaemonSets are judged, not read as facts: a Service that selects a
// DaemonSet's pods is recognised by its own ports and the routes to it, not by the DaemonSet's
// image.
var daemonSetRules = family("daemonset", []Rule{
	{ID: "daemonset-prestop-sleep", Kind: KindDaemonSet, Effects: Defaults | Warns, check: injectPreStopSleep,
		Summary: "inject a native preStop sleep into WebSocket containers; warn on exec sleep"},
	{ID: "daemonset-grace-period", Kind: KindDaemonSet, Effects: Defaults | Denies | Warns, check: coverDrainWithGracePeriod,
		Summary:     "make terminationGracePeriodSeconds cover preStop + drain; deny one not longer than the preStop sleep",
		Remediation: "set terminationGracePeriodSeconds to at least the preStop sleep plus the drain time"},
	{ID: "daemonset-readiness-probe", Kind: KindDaemonSet, Effects: Warns, check: checkReadiness,
		Summary: "warn when a WebSocket container has no readiness probe"},
	{ID: "daemonset-update-strategy", Kind: KindDaemonSet, Effects: Warns, check: checkDaemonSetUpdateStrategy,
		Summary: "warn when a rolling update may take down the pods of more than one node at a time"},
})

var daemonSetMaxUnavailablePath = field.NewPath("spec", "updateStrategy", "rollingUpdate", "maxUnavailable")

// checkDaemonSetUpdateStrategy warns when a rolling update may stop the pods of several nodes at
// once (rollingUpdate.maxUnavailable above one, or a percentage that may be): every WebSocket
// client of those pods disconnects and reconnects together. A DaemonSet replaces one node's pod
// at a time by default. A percentage is judged against 100 nodes, since the node count is not
// in the object.
func checkDaemonSetUpdateStrategy(ev *evaluation) {
	ds := ev.daemonSet()
	ru := ds.Spec.UpdateStrategy.RollingUpdate
	if ds.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType || ru == nil || ru.MaxUnavailable == nil {
		return
	}
	n, err := intstr.GetScaledValueFromIntOrPercent(ru.MaxUnavailable, 100, true)
	if err != nil || n <= 1 {
		return
	}
	what := fmt.Sprintf("the pods of %d nodes", n)
	if ru.MaxUnavailable.Type == intstr.String {
		what = fmt.Sprintf("%s of the nodes' pods", ru.MaxUnavailable.String())
	}
	ev.warn(daemonSetMaxUnavailablePath, fmt.Sprintf("%s lets a rolling update stop %s at once, and every WebSocket client of those pods reconnects at the same moment; use 1 (the default) so that clients move over one node at a time",
		ru.MaxUnavailable.String(), what))
}
