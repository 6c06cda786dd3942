package defaults

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// linkerdServerView is what the rules read of a Linkerd policy Server (policy.linkerd.io).
type linkerdServerView struct {
	Spec struct {
		PodSelector   *metav1.LabelSelector `json:"podSelector"`
		Port          intstr.IntOrString    `json:"port"`
		ProxyProtocol string                `json:"proxyProtocol"`
	} `json:"spec"`
}

var linkerdRules = family("linkerd", []Rule{
	{ID: "linkerd-service-proxy-annotations", Kind: KindService, Effects: Warns, check: checkLinkerdServiceAnnotations,
		Summary: "warn that linkerd.io/inject and proxy config.linkerd.io annotations on a Service do nothing (they belong on the pod template or namespace)"},
	{ID: "linkerd-server-protocol", Kind: KindLinkerdServer, Effects: Denies | Warns, check: checkLinkerdServerProtocol,
		Summary:     "deny proxyProtocol HTTP/2 or gRPC on a port that serves WebSockets; warn on opaque",
		Remediation: "declare the port's proxyProtocol as HTTP/1 or unknown"},
})

func (ev *evaluation) linkerdServer() *linkerdServerView { return view[linkerdServerView](ev) }

func linkerdServerIsWebSocket(ev *evaluation) bool {
	return serverSelectsWebSocketPort(ev)
}

// serverSelectsWebSocketPort resolves the Server's pod selector and port against the namespace:
// a WebSocket Service whose selected pods the Server selects and whose WebSocket port targets
// the Server's port, or a Deployment whose pods the Server selects with a WebSocket container
// port that is the Server's port.
func serverSelectsWebSocketPort(ev *evaluation) bool {
	srv := ev.linkerdServer()
	if srv.Spec.PodSelector == nil {
		return false // an externalWorkloadSelector selects no pods
	}
	selector, err := metav1.LabelSelectorAsSelector(srv.Spec.PodSelector)
	if err != nil {
		return false // the CRD's schema rejects such selectors before wsguard is asked
	}
	port := srv.Spec.Port
	for i := range ev.facts.Services {
		svc := ev.facts.Services[i]
		if len(svc.Spec.Selector) == 0 || !selector.Matches(labels.Set(svc.Spec.Selector)) {
			continue
		}
		ws, ok := ev.webSocketService(svc)
		if !ok {
			continue
		}
		for _, pi := range ws.ports {
			if servicePortTargets(svc.Spec.Ports[pi], port) {
				ev.because(ws.reason.via("it selects the pods and port of Service %s", svc.Name))
				return true
			}
		}
	}
	for _, w := range ev.facts.workloads() {
		if !selector.Matches(labels.Set(w.template.Labels)) {
			continue
		}
		for _, c := range w.template.Spec.Containers {
			for _, cp := range c.Ports {
				if IsWebSocketPortName(cp.Name) && (port.StrVal == cp.Name && port.Type == intstr.String || port.Type == intstr.Int && port.IntVal == cp.ContainerPort) {
					ev.because(Reason{SignalPortName, fmt.Sprintf("it selects port %q of %s %s, which is named as WebSocket", cp.Name, w.kind, w.name)})
					return true
				}
			}
		}
	}
	return false
}

// servicePortTargets reports whether a Service port sends traffic to a pod port given as a name
// or number, as a Linkerd Server names it.
func servicePortTargets(sp corev1.ServicePort, port intstr.IntOrString) bool {
	if port.Type == intstr.String {
		return sp.TargetPort.Type == intstr.String && sp.TargetPort.StrVal == port.StrVal
	}
	return targetsContainerPort(sp, corev1.ContainerPort{ContainerPort: port.IntVal})
}

// checkLinkerdServerProtocol denies a proxyProtocol that makes Linkerd's proxy treat the port as
// HTTP/2: WebSocket needs HTTP/1.1, and the Upgrade then fails. Protocol detection (unknown, the
// default) and HTTP/1 handle WebSockets; opaque works but loses per-request metrics and policy.
func checkLinkerdServerProtocol(ev *evaluation) {
	path := field.NewPath("spec", "proxyProtocol")
	switch p := ev.linkerdServer().Spec.ProxyProtocol; strings.ToLower(p) {
	case "http/2", "grpc":
		ev.unsupported(path, p, "makes Linkerd's proxy speak HTTP/2 on a port that serves WebSockets, and HTTP/2 cannot carry the HTTP/1.1 Upgrade of a WebSocket handshake",
			"write HTTP/1 or leave it unset (unknown: Linkerd detects the protocol, WebSockets included); serve gRPC on another port")
	case "opaque":
		ev.warn(path, "opaque carries WebSockets, but Linkerd then sees only TCP: no per-request metrics, retries or route policies on this port; HTTP/1 or unknown keep them")
	}
}

// checkLinkerdServiceAnnotations warns about Linkerd proxy annotations written on a Service:
// the proxy injector reads linkerd.io/inject and the config.linkerd.io proxy settings (the
// WebSocket-relevant one included, config.alpha.linkerd.io/proxy-wait-before-exit-seconds)
// from the pod template or the namespace, so on a Service they change nothing.
// config.linkerd.io/opaque-ports is the exception: Linkerd reads it on Services too.
func checkLinkerdServiceAnnotations(ev *evaluation) {
	for _, key := range slices.Sorted(maps.Keys(ev.service().Annotations)) {
		if key == "config.linkerd.io/opaque-ports" {
			continue
		}
		if key == "linkerd.io/inject" || strings.HasPrefix(key, "config.linkerd.io/") || strings.HasPrefix(key, "config.alpha.linkerd.io/") || strings.HasPrefix(key, "config.beta.linkerd.io/") {
			ev.warn(annotationPath(key), "is read by Linkerd's proxy injector on the pod template (spec.template.metadata.annotations of the workload) or on the namespace, not on a Service, so here it changes nothing; move it to the workload's pod template")
		}
	}
}
