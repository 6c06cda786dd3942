package defaults

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// deploymentRules hold the pod template of WebSocket Deployments: drain before SIGTERM, time to
// close connections, readiness, and rollouts that do not drop everyone at once.
var deploymentRules = family("deployment", []Rule{
	{ID: "deployment-prestop-sleep", Kind: KindDeployment, Effects: Defaults | Warns, check: injectPreStopSleep,
		Summary: "inject a native preStop sleep into WebSocket containers; warn on exec sleep"},
	{ID: "deployment-grace-period", Kind: KindDeployment, Effects: Defaults | Denies | Warns, check: coverDrainWithGracePeriod,
		Summary:     "make terminationGracePeriodSeconds cover preStop + drain; deny one not longer than the preStop sleep",
		Remediation: "set terminationGracePeriodSeconds to at least the preStop sleep plus the drain time"},
	{ID: "deployment-readiness-probe", Kind: KindDeployment, Effects: Warns, check: checkReadiness,
		Summary: "warn when a WebSocket container has no readiness probe"},
	{ID: "deployment-recreate-strategy", Kind: KindDeployment, Effects: Warns, check: checkDeploymentRecreate,
		Summary: "warn on the Recreate strategy, which drops every connection at once"},
})

// kubernetesDefaultGracePeriod is what the API server writes into terminationGracePeriodSeconds
// before admission webhooks run, so a webhook cannot tell it from a value the user wrote.
const kubernetesDefaultGracePeriod = 30

var (
	podSpecField    = at("spec", "template", "spec")
	containersField = podSpecField.Child("containers")
	graceField      = podSpecField.Child("terminationGracePeriodSeconds")
)

// workloadIsWebSocket: a Deployment or StatefulSet whose pod template has WebSocket containers
// (webSocketContainers).
func workloadIsWebSocket(ev *evaluation) bool {
	return len(webSocketContainers(ev, ev.podTemplate())) > 0
}

// webSocketContainers returns the indexes of the containers that serve WebSocket traffic and
// records why: containers with a port named as WebSocket; else those that a WebSocket Service
// of the namespace targets (every container when such a Service names no port of them); else
// those running a known WebSocket application; else, in a namespace that declares its HTTP
// Services WebSocket, those with a TCP port. A Deployment marked only by annotation has every
// container counted.
func webSocketContainers(ev *evaluation, tmpl *corev1.PodTemplateSpec) []int {
	containers := containersOf(servingContainers(tmpl))
	var byName []int
	for i, c := range containers {
		for _, p := range c.Ports {
			if IsWebSocketPortName(p.Name) {
				if len(byName) == 0 {
					ev.because(Reason{SignalPortName, fmt.Sprintf("container %s has a port named %q", c.Name, p.Name)})
				}
				byName = append(byName, i)
				break
			}
		}
	}
	if len(byName) > 0 {
		return byName
	}
	var byService []int
	var selectedBy *webSocketSvc
	var selectedName string
	for si := range ev.facts.Services {
		svc := ev.facts.Services[si]
		if !selectsPods(svc, tmpl.Labels) {
			continue
		}
		ws, ok := ev.webSocketService(svc)
		if !ok {
			continue
		}
		if selectedBy == nil {
			selectedBy, selectedName = &ws, svc.Name
		}
		for _, pi := range ws.ports {
			for ci, c := range containers {
				for _, cp := range c.Ports {
					if targetsContainerPort(svc.Spec.Ports[pi], cp) {
						byService = appendUnique(byService, ci)
					}
				}
			}
		}
	}
	if selectedBy != nil && !(selectedBy.reason.Signal == SignalKnownApp && ev.runsKnownApp(containers)) {
		ev.because(selectedBy.reason.via("its pods are selected by Service %s", selectedName))
		if len(byService) > 0 {
			return byService
		}
		return allIndexes(len(containers))
	}
	var byApp []int
	for i, c := range containers {
		if app, ok := ev.policy.knownApp(c.Image); ok {
			if len(byApp) == 0 {
				ev.because(Reason{SignalKnownApp, fmt.Sprintf("container %s runs %s (%s serves WebSockets on port %s)", c.Name, c.Image, app.Name, app.portsText())})
			}
			byApp = append(byApp, i)
		}
	}
	if len(byApp) > 0 {
		return byApp
	}
	if ev.namespaceDeclared() {
		var tcp []int
		for i, c := range containers {
			for _, p := range c.Ports {
				if (p.Protocol == "" || p.Protocol == corev1.ProtocolTCP) && !nonHTTPProtocol(p.Name) {
					tcp = append(tcp, i)
					break
				}
			}
		}
		if len(tcp) > 0 {
			ev.because(ev.namespaceReason())
			return tcp
		}
	}
	return ev.everyIndexWhenMarked(nil, len(containers))
}

// injectPreStopSleep injects a preStop sleep so that the pod leaves the Service endpoints,
// and load balancers stop sending new WebSocket handshakes, before the process gets SIGTERM.
// The native sleep action needs no shell, unlike `exec: sleep`, which fails in distroless images.
func injectPreStopSleep(ev *evaluation) {
	tmpl := ev.podTemplate()
	serving := servingContainers(tmpl)
	for _, i := range webSocketContainers(ev, tmpl) {
		c := serving[i].container
		if c.Lifecycle != nil && c.Lifecycle.PreStop != nil {
			if sleepsViaShell(c.Lifecycle.PreStop) {
				ev.warn(serving[i].field.Child("lifecycle", "preStop", "exec").Field(),
					"an exec sleep fails in images without a shell (distroless, scratch) and the pod is then killed without draining; use lifecycle.preStop.sleep.seconds instead")
			}
			continue
		}
		ev.setDefault(serving[i].field.Child("lifecycle", "preStop", "sleep", "seconds"), ev.policy.PreStopSeconds,
			"lets load balancers stop routing new connections to the pod before it gets SIGTERM")
	}
}

// coverDrainWithGracePeriod makes the grace period cover the preStop sleep plus the drain. A
// grace period not longer than the sleep is a violation: the kubelet SIGKILLs the container
// before the application can close a single connection.
func coverDrainWithGracePeriod(ev *evaluation) {
	tmpl := ev.podTemplate()
	longestSleep := longestPreStopSleep(ev, tmpl)
	needed := longestSleep + ev.policy.DrainSeconds
	path := graceField.Field()
	grace := tmpl.Spec.TerminationGracePeriodSeconds
	if grace == nil || *grace == kubernetesDefaultGracePeriod {
		if grace == nil || *grace < needed {
			// Unset, the API server wrote 30 before admission: the webhook cannot tell it from a
			// 30 the user wrote (docs/rules/deployment.md says how to keep 30).
			why := fmt.Sprintf("covers the %ds preStop sleep and %ds to drain WebSocket connections", longestSleep, ev.policy.DrainSeconds)
			if longestSleep == 0 {
				why = fmt.Sprintf("leaves %ds to drain WebSocket connections; no container sleeps before SIGTERM", ev.policy.DrainSeconds)
			}
			ev.replaceServerDefault(graceField, needed, why)
		}
		return
	}
	switch {
	case longestSleep > 0 && *grace <= longestSleep:
		ev.violate(path, strconv.FormatInt(*grace, 10),
			fmt.Sprintf("is not longer than the %ds preStop sleep, so the container is killed before it can close its WebSocket connections", longestSleep),
			fmt.Sprintf("set it to at least %d (preStop sleep + %ds drain)", needed, ev.policy.DrainSeconds))
	case *grace < needed:
		ev.warn(path, fmt.Sprintf("%d leaves the application %ds after the preStop sleep to close WebSocket connections; %d would give it the %ds drain time of the policy",
			*grace, *grace-longestSleep, needed, ev.policy.DrainSeconds))
	}
}

// checkReadiness warns about WebSocket containers without a readiness probe: new connections
// reach a pod as soon as it starts, before it can accept them.
func checkReadiness(ev *evaluation) {
	tmpl := ev.podTemplate()
	serving := servingContainers(tmpl)
	for _, i := range webSocketContainers(ev, tmpl) {
		if serving[i].container.ReadinessProbe == nil {
			ev.warn(serving[i].field.Child("readinessProbe").Field(),
				"is missing: WebSocket handshakes reach the pod before it can accept them and fail during every rollout; add a readinessProbe")
		}
	}
}

// checkDeploymentRecreate warns about the Recreate strategy, which stops every pod at once and
// so drops every WebSocket connection together on each rollout.
func checkDeploymentRecreate(ev *evaluation) {
	if ev.deployment().Spec.Strategy.Type == appsv1.RecreateDeploymentStrategyType {
		ev.warn(field.NewPath("spec", "strategy", "type"),
			"Recreate stops every pod at once, so every WebSocket client disconnects and reconnects together on each rollout; use RollingUpdate")
	}
}

// longestPreStopSleep is the longest preStop sleep among the WebSocket containers: the grace
// period and the sidecar's drain must outlast it.
func longestPreStopSleep(ev *evaluation, tmpl *corev1.PodTemplateSpec) int64 {
	var longest int64
	serving := servingContainers(tmpl)
	for _, i := range webSocketContainers(ev, tmpl) {
		if s, ok := preStopSleepSeconds(serving[i].container.Lifecycle); ok {
			longest = max(longest, s)
		}
	}
	return longest
}

// runsKnownApp reports whether a container runs a known WebSocket application: then the
// workload's own image says why it is WebSocket, rather than a Service that is WebSocket only
// because it selects this very workload.
func (ev *evaluation) runsKnownApp(containers []corev1.Container) bool {
	for _, c := range containers {
		if _, ok := ev.policy.knownApp(c.Image); ok {
			return true
		}
	}
	return false
}

// servingContainer is a container that serves traffic for the pod's whole life: a regular
// container, or a native sidecar (an init container with restartPolicy: Always, which keeps
// running beside the others and is stopped after them).
type servingContainer struct {
	container corev1.Container
	field     fieldPath
}

// servingContainers lists the pod's regular containers, then its native sidecars; the indexes
// webSocketContainers returns are into this list.
func servingContainers(tmpl *corev1.PodTemplateSpec) []servingContainer {
	out := make([]servingContainer, 0, len(tmpl.Spec.Containers))
	for i, c := range tmpl.Spec.Containers {
		out = append(out, servingContainer{c, containersField.Index(i)})
	}
	for i, c := range tmpl.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			out = append(out, servingContainer{c, podSpecField.Child("initContainers").Index(i)})
		}
	}
	return out
}

func containersOf(s []servingContainer) []corev1.Container {
	out := make([]corev1.Container, len(s))
	for i := range s {
		out[i] = s[i].container
	}
	return out
}

// preStopSleepSeconds reads how long a preStop hook sleeps: the native sleep action, or an exec
// of `sleep N` (directly or through a shell).
func preStopSleepSeconds(l *corev1.Lifecycle) (int64, bool) {
	if l == nil || l.PreStop == nil {
		return 0, false
	}
	if l.PreStop.Sleep != nil {
		return l.PreStop.Sleep.Seconds, true
	}
	if l.PreStop.Exec != nil {
		fields := strings.Fields(strings.Join(l.PreStop.Exec.Command, " "))
		for i := 0; i+1 < len(fields); i++ {
			if strings.HasSuffix(fields[i], "sleep") {
				if n, err := strconv.ParseInt(strings.Trim(fields[i+1], `"';`), 10, 64); err == nil {
					return n, true
				}
			}
		}
	}
	return 0, false
}

// sleepsViaShell reports whether a preStop hook runs `sleep` through exec.
func sleepsViaShell(h *corev1.LifecycleHandler) bool {
	if h.Exec == nil {
		return false
	}
	for _, arg := range h.Exec.Command {
		for f := range strings.FieldsSeq(arg) {
			if f == "sleep" || strings.HasSuffix(f, "/sleep") {
				return true
			}
		}
	}
	return false
}

func appendUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}
